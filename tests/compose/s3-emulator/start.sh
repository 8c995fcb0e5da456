#!/bin/sh
# start-s3-emulator BUCKET: moto over TLS on 443 with /tls/server.pem, then creates BUCKET.
set -eu
moto_server -H 0.0.0.0 -p 443 -c /tls/server.pem -k /tls/server-key.pem &
server=$!
python - "$1" <<'PY'
import sys, time, boto3
client = boto3.client("s3", endpoint_url="https://localhost", verify=False, region_name="us-east-1",
                      aws_access_key_id="x", aws_secret_access_key="x")
for _ in range(120):
    try:
        client.create_bucket(Bucket=sys.argv[1])
        break
    except Exception:
        time.sleep(0.5)
else:
    sys.exit("the emulator did not start")
PY
touch /tmp/ready
wait "$server"

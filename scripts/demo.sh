#!/usr/bin/env bash
# Installs the setup service into .venv and runs the main job on a bundled example
# environment (default: examples/posix.env) into ./out, then shows what it published.
# Usage: scripts/demo.sh [examples/TYPE.env]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh ""
env_file=${1:-examples/posix.env}
out="$PWD/out"
# Each demo starts from an empty ./out (the demo's own scratch directory): publishing another
# example over the previous one would change the repository's identity, which the job refuses.
rm -rf "$out"
# The GCS example names a service-account key at /run/secrets/gcs-key.json (compose mounts
# ./secrets there); the demo makes a throwaway key instead, and points GCS_KEY at it (the process
# environment wins over the file).
if grep -q '^GCS_KEY=' "$env_file"; then
  key_dir=$(mktemp -d)
  trap 'rm -rf "$key_dir"' EXIT
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$key_dir/key.pem" 2>/dev/null
  .venv/bin/python -c 'import json, sys; print(json.dumps({"type": "service_account",
      "client_email": "demo@example.iam.gserviceaccount.com", "private_key": open(sys.argv[1]).read(),
      "token_uri": "https://oauth2.googleapis.com/token"}))' "$key_dir/key.pem" >"$key_dir/gcs-key.json"
  export GCS_KEY="$key_dir/gcs-key.json"
fi
# --mount-path: the rendered config refers to files where consumers see the volume; here, ./out.
.venv/bin/setup-service generate --env-file "$env_file" --output-dir "$out" --mount-path "$out" \
  --owner "$(id -u):$(id -g)"
echo "--- $out/pgbackrest.conf"; cat "$out/pgbackrest.conf"
echo "--- $out/conf.d/repo.conf"; cat "$out/conf.d/repo.conf"
echo "--- $out/crontab"; cat "$out/crontab"
echo "--- $out/postgresql-archive.conf"; cat "$out/postgresql-archive.conf"

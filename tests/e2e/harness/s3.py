"""S3: s3rver (npm) over TLS, with credentials that can be rotated while it runs.

s3rver is run through ``s3rver_launcher.js`` rather than its CLI: the CLI accepts only the fixed
``S3RVER`` key pair, and s3rver 3.7 does not check Signature V4 signatures at all. The launcher
registers the key pair the test chose as the only accepted one, verifies every V4 signature
against its secret, and swaps the pair on SIGHUP (:meth:`S3rverServer.rotate_credentials`).
"""

from __future__ import annotations

import json
import secrets
import signal
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .availability import ComponentMissing, find_executable, node_module_dir
from .processes import ManagedProcess, ServerProcess
from .tls import TlsFiles

LAUNCHER = Path(__file__).with_name("s3rver_launcher.js")
DEFAULT_REGION = "us-east-1"


def new_access_key() -> str:
    return "AKIA" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16))


def new_secret_key() -> str:
    return secrets.token_urlsafe(30)[:40]


@dataclass(frozen=True)
class S3Endpoint:
    host: str
    port: int
    bucket: str
    region: str
    access_key: str
    secret_key: str
    ca_file: Path

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"


class S3rverServer(ServerProcess):
    """An s3rver on 127.0.0.1 (free port), TLS with the test CA, one bucket created."""

    def __init__(self, workdir: Path, tls: TlsFiles, bucket: str = "pgbackrest",
                 region: str = DEFAULT_REGION, verbose: bool = False) -> None:
        self.workdir = workdir
        self.verbose = verbose  # s3rver logs every request to s3rver.log
        self.tls = tls
        self.bucket = bucket
        self.region = region
        self.access_key = new_access_key()
        self.secret_key = new_secret_key()
        self.port = 0
        self._credentials_file = workdir / "s3rver-credentials.json"
        self._process: ManagedProcess | None = None

    # -- life cycle -------------------------------------------------------------------------
    def start(self, timeout: float = 30.0) -> S3rverServer:
        node = find_executable("node")
        module_dir = node_module_dir("s3rver")
        data_dir = self.workdir / "s3rver-data"
        data_dir.mkdir(parents=True, exist_ok=True)
        self._write_credentials()
        config = {
            "address": "127.0.0.1",
            "port": 0,
            "directory": str(data_dir),
            "cert": str(self.tls.cert_file),
            "key": str(self.tls.key_file),
            "bucket": self.bucket,
            "credentials_file": str(self._credentials_file),
            "verbose": self.verbose,
        }
        config_file = self.workdir / "s3rver-config.json"
        config_file.write_text(json.dumps(config))
        self._process = ManagedProcess(
            # s3rver makes ListObjects continuation tokens with DES, which OpenSSL 3 only has in
            # its legacy provider: without it any listing of more than 1000 keys fails with 500.
            "s3rver",
            [node, "--openssl-legacy-provider", str(LAUNCHER), str(module_dir), str(config_file)],
            self.workdir / "s3rver.log", cwd=self.workdir,
        )
        self._process.start()
        event = self._process.wait_until(lambda _: self._event("listening"), timeout)
        self.port = int(event["port"])
        return self

    def _event(self, name: str, count: int = 1) -> dict[str, Any] | None:
        assert self._process is not None
        events = [e for e in self._process.json_events() if e.get("event") == name]
        return events[count - 1] if len(events) >= count else None

    def _write_credentials(self) -> None:
        self._credentials_file.write_text(
            json.dumps({"access_key": self.access_key, "secret_key": self.secret_key})
        )
        self._credentials_file.chmod(0o600)

    def rotate_credentials(self, access_key: str | None = None, secret_key: str | None = None,
                           timeout: float = 10.0) -> None:
        """Make (access_key, secret_key) the only accepted pair; the old one is rejected from now.

        By default keeps the access key id and changes only the secret.
        """
        assert self._process is not None
        reloads = len([e for e in self._process.json_events() if e.get("event") == "reloaded"])
        self.access_key = access_key or self.access_key
        self.secret_key = secret_key or new_secret_key()
        self._write_credentials()
        self._process.send_signal(signal.SIGHUP)
        self._process.wait_until(lambda _: self._event("reloaded", reloads + 1), timeout)

    # -- what tests use ---------------------------------------------------------------------
    @property
    def endpoint(self) -> S3Endpoint:
        return S3Endpoint("127.0.0.1", self.port, self.bucket, self.region,
                          self.access_key, self.secret_key, self.tls.ca_file)

    def env(self, repo: int = 1, explicit_port: bool = False) -> dict[str, str]:
        """The setup service's environment for this bucket as repository ``repo``.

        repo 1 uses the guide's names (AWS_*); other repositories only have PGBACKREST_REPOn_*.
        ``explicit_port`` adds PGBACKREST_REPOn_STORAGE_PORT (the port is also in the URL).
        """
        ep = self.endpoint
        if repo == 1:
            env = {
                "PGBACKREST_REPO1_TYPE": "s3",
                "AWS_S3_BUCKET": ep.bucket,
                "AWS_REGION": ep.region,
                "AWS_ACCESS_KEY_ID": ep.access_key,
                "AWS_SECRET_ACCESS_KEY": ep.secret_key,
                "AWS_S3_ENDPOINT": ep.url,
                "PGBACKREST_REPO1_S3_URI_STYLE": "path",
                "PGBACKREST_REPO1_STORAGE_CA_FILE": str(ep.ca_file),
            }
        else:
            prefix = f"PGBACKREST_REPO{repo}_"
            env = {
                prefix + "TYPE": "s3",
                prefix + "S3_BUCKET": ep.bucket,
                prefix + "S3_REGION": ep.region,
                prefix + "S3_KEY": ep.access_key,
                prefix + "S3_KEY_SECRET": ep.secret_key,
                prefix + "S3_ENDPOINT": ep.host,
                prefix + "S3_URI_STYLE": "path",
                prefix + "STORAGE_PORT": str(ep.port),
                prefix + "STORAGE_CA_FILE": str(ep.ca_file),
            }
        if explicit_port:
            env[f"PGBACKREST_REPO{repo}_STORAGE_PORT"] = str(ep.port)
        return env

    def pgbackrest_options(self, repo: int = 1) -> dict[str, str]:
        """The pgBackRest options (conf.d form) that reach this bucket: for hand-written configs."""
        ep = self.endpoint
        r = f"repo{repo}-"
        return {
            r + "type": "s3",
            r + "s3-bucket": ep.bucket,
            r + "s3-endpoint": ep.host,
            r + "s3-region": ep.region,
            r + "s3-key": ep.access_key,
            r + "s3-key-secret": ep.secret_key,
            r + "s3-uri-style": "path",
            r + "storage-port": str(ep.port),
            r + "storage-ca-file": str(ep.ca_file),
        }

    def client(self, access_key: str | None = None, secret_key: str | None = None) -> Any:
        """A boto3 S3 client over TLS verified with the test CA (boto3 comes with moto)."""
        try:
            import boto3
            from botocore.config import Config
        except ImportError as error:
            raise ComponentMissing(f"boto3 not importable: {error}") from error
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint.url,
            region_name=self.region,
            aws_access_key_id=access_key or self.access_key,
            aws_secret_access_key=secret_key or self.secret_key,
            verify=str(self.tls.ca_file),
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        )

    def list_keys(self, prefix: str = "") -> list[str]:
        keys: list[str] = []
        paginator = self.client().get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            keys += [item["Key"] for item in page.get("Contents", [])]
        return keys

    def credentials_accepted(self, access_key: str, secret_key: str) -> bool:
        """Whether a signed ListObjectsV2 with this pair succeeds (False on an auth error)."""
        from botocore.exceptions import ClientError

        try:
            self.client(access_key, secret_key).list_objects_v2(Bucket=self.bucket, MaxKeys=1)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code in {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403"}:
                return False
            raise
        return True

    def __enter__(self) -> S3rverServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

"""GCS: gcp-storage-emulator (PyPI) over TLS, with a service-account token endpoint.

The emulator runs inside ``gcs_launcher.py`` (a child process started with the same Python),
which adds the ``X-GUploader-UploadID`` header pgBackRest needs, requires a valid bearer token on
every request, and serves the OAuth JWT-bearer token endpoint a service-account key points at.
pgBackRest takes the port inside ``repo1-gcs-endpoint`` (``127.0.0.1:PORT``), not from
``repo1-storage-port``.
"""

from __future__ import annotations

import http.client
import json
import secrets
import ssl
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .availability import ComponentMissing
from .processes import ManagedProcess, ServerProcess
from .tls import TlsFiles

LAUNCHER = Path(__file__).with_name("gcs_launcher.py")
SERVICE_ACCOUNT_EMAIL = "pgbackrest-e2e@setup-service-test.iam.gserviceaccount.com"


class GcsEmulator(ServerProcess):
    """gcp-storage-emulator on 127.0.0.1 (free port) over TLS, one bucket created.

    ``static_token`` is accepted as a bearer token (``repo1-gcs-key-type=token``). pgBackRest
    2.45 sends a token-type key verbatim as the ``Authorization`` header, so the key to configure
    is ``token_key`` = ``"Bearer <token>"`` (as real GCS requires);
    ``service_account_file`` is a service-account JSON whose key the token endpoint trusts
    (``repo1-gcs-key-type=service``, the default).
    """

    def __init__(self, workdir: Path, tls: TlsFiles, bucket: str = "pgbackrest",
                 require_auth: bool = True) -> None:
        self.workdir = workdir
        self.tls = tls
        self.bucket = bucket
        self.require_auth = require_auth
        self.static_token = "ya29.static-" + secrets.token_urlsafe(24)
        self.service_account_file = workdir / "gcs-service-account.json"
        self.token_log = workdir / "gcs-token-requests.jsonl"
        self.port = 0
        self.token_port = 0
        self.token_uri = ""
        self._private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._process: ManagedProcess | None = None

    def start(self, timeout: float = 30.0) -> GcsEmulator:
        try:
            import gcp_storage_emulator  # noqa: F401 (only checks it is installed)
        except ImportError as error:
            raise ComponentMissing(f"gcp-storage-emulator not importable: {error}") from error
        public_pem = self._private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
        config = {
            "cert": str(self.tls.cert_file),
            "key": str(self.tls.key_file),
            "buckets": [self.bucket],
            "static_tokens": [self.static_token],
            "require_auth": self.require_auth,
            "sa_public_key": public_pem,
            "token_log": str(self.token_log),
        }
        config_file = self.workdir / "gcs-config.json"
        config_file.write_text(json.dumps(config))
        config_file.chmod(0o600)
        self._process = ManagedProcess(
            "gcp-storage-emulator", [sys.executable, str(LAUNCHER), str(config_file)],
            self.workdir / "gcs.log", cwd=self.workdir,
        )
        self._process.start()
        event = self._process.wait_until(
            lambda _: next((e for e in self._process.json_events()  # type: ignore[union-attr]
                            if e.get("event") == "listening"), None),
            timeout,
        )
        self.port, self.token_port = int(event["port"]), int(event["token_port"])
        self.token_uri = str(event["token_uri"])
        self._write_service_account()
        return self

    def _write_service_account(self) -> None:
        private_pem = self._private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        document = {
            "type": "service_account",
            "project_id": "setup-service-test",
            "private_key_id": secrets.token_hex(20),
            "private_key": private_pem,
            "client_email": SERVICE_ACCOUNT_EMAIL,
            "client_id": "100000000000000000001",
            "auth_uri": "https://127.0.0.1/o/oauth2/auth",
            "token_uri": self.token_uri,
        }
        self.service_account_file.write_text(json.dumps(document, indent=2))
        self.service_account_file.chmod(0o644)  # test-only key, read by the unprivileged user

    @property
    def token_key(self) -> str:
        """The value of repo1-gcs-key / GCS_KEY with key type ``token``."""
        return f"Bearer {self.static_token}"

    @property
    def endpoint(self) -> str:
        """``host:port`` as ``repo1-gcs-endpoint`` takes it."""
        return f"127.0.0.1:{self.port}"

    def token_exchanges(self) -> list[dict[str, Any]]:
        """Every request the token endpoint answered: claims, whether the signature was checked."""
        if not self.token_log.exists():
            return []
        return [json.loads(line) for line in self.token_log.read_text().splitlines() if line]

    def request(self, method: str, path: str, token: str | None = None) -> tuple[int, str]:
        context = ssl.create_default_context(cafile=str(self.tls.ca_file))
        connection = http.client.HTTPSConnection("127.0.0.1", self.port, context=context, timeout=30)
        headers = {"Authorization": f"Bearer {token or self.static_token}"}
        try:
            connection.request(method, path, headers=headers)
            response = connection.getresponse()
            return response.status, response.read().decode(errors="replace")
        finally:
            connection.close()

    def list_objects(self, prefix: str = "") -> list[str]:
        path = f"/storage/v1/b/{self.bucket}/o"
        if prefix:
            path += "?prefix=" + quote(prefix, safe="")
        status, body = self.request("GET", path)
        if status != 200:
            raise RuntimeError(f"listing {self.bucket}: {status} {body}")
        return [item["name"] for item in json.loads(body).get("items", [])]

    def env(self, repo: int = 1, key_type: str = "service") -> dict[str, str]:
        """The setup service's environment for this bucket as repository ``repo``.

        ``key_type="service"``: GCS_KEY is the service-account JSON path (the guide's way);
        ``key_type="token"``: GCS_KEY is ``Bearer <token>`` and the key type is ``token``.
        """
        key = str(self.service_account_file) if key_type == "service" else self.token_key
        prefix = f"PGBACKREST_REPO{repo}_"
        if repo == 1:
            env = {"PGBACKREST_REPO1_TYPE": "gcs", "GCS_BUCKET": self.bucket, "GCS_KEY": key}
        else:
            env = {prefix + "TYPE": "gcs", prefix + "GCS_BUCKET": self.bucket, prefix + "GCS_KEY": key}
        if key_type == "token":
            env[prefix + "GCS_KEY_TYPE"] = "token"
        env[prefix + "GCS_ENDPOINT"] = self.endpoint
        env[prefix + "STORAGE_CA_FILE"] = str(self.tls.ca_file)
        return env

    def pgbackrest_options(self, repo: int = 1, key_type: str = "service") -> dict[str, str]:
        r = f"repo{repo}-"
        options = {
            r + "type": "gcs",
            r + "gcs-bucket": self.bucket,
            r + "gcs-endpoint": self.endpoint,
            r + "gcs-key": str(self.service_account_file) if key_type == "service" else self.token_key,
            r + "storage-ca-file": str(self.tls.ca_file),
        }
        if key_type == "token":
            options[r + "gcs-key-type"] = "token"
        return options

    def __enter__(self) -> GcsEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

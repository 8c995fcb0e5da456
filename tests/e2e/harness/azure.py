"""Azure Blob: Azurite (npm ``azurite``, its ``azurite-blob`` server) over TLS.

Containers are created with a SharedKey-signed REST call made here (no Azure SDK: its default
API version is newer than Azurite accepts for container creation). pgBackRest reaches Azurite
with path-style URIs: ``https://127.0.0.1:PORT/devstoreaccount1/<container>/...``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import re
import ssl
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from urllib.parse import quote, urlencode

from .availability import node_executable
from .processes import ManagedProcess, ServerProcess
from .tls import TlsFiles

# Azurite's well-known development account (public, documented by Microsoft).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
API_VERSION = "2021-06-08"
LISTENING = re.compile(r"Blob service (?:is )?successfully listens on https://127\.0\.0\.1:(\d+)")


@dataclass(frozen=True)
class AzureResponse:
    status: int
    body: str


def shared_key_authorization(account: str, key: str, method: str, path: str,
                             query: dict[str, str], headers: dict[str, str]) -> str:
    """The ``Authorization: SharedKey`` header value for a Blob service request."""
    lower = {k.lower(): v for k, v in headers.items()}
    length = lower.get("content-length", "")
    standard = [
        method, lower.get("content-encoding", ""), lower.get("content-language", ""),
        "" if length == "0" else length, lower.get("content-md5", ""),
        lower.get("content-type", ""), "",  # Date: x-ms-date is sent instead
        lower.get("if-modified-since", ""), lower.get("if-match", ""),
        lower.get("if-none-match", ""), lower.get("if-unmodified-since", ""),
        lower.get("range", ""),
    ]
    ms_headers = "".join(f"{k}:{v.strip()}\n" for k, v in sorted(lower.items()) if k.startswith("x-ms-"))
    resource = f"/{account}{path}" + "".join(f"\n{k.lower()}:{v}" for k, v in sorted(query.items()))
    string_to_sign = "\n".join(standard) + "\n" + ms_headers + resource
    digest = hmac.new(base64.b64decode(key), string_to_sign.encode(), hashlib.sha256).digest()
    return f"SharedKey {account}:{base64.b64encode(digest).decode()}"


class AzuriteServer(ServerProcess):
    """An Azurite blob service on 127.0.0.1 (free port), TLS with the test CA."""

    def __init__(self, workdir: Path, tls: TlsFiles, container: str = "pgbackrest") -> None:
        self.workdir = workdir
        self.tls = tls
        self.container = container
        self.account = AZURITE_ACCOUNT
        self.key = AZURITE_KEY
        self.port = 0
        self._process: ManagedProcess | None = None

    def start(self, timeout: float = 60.0) -> AzuriteServer:
        location = self.workdir / "azurite-data"
        location.mkdir(parents=True, exist_ok=True)
        argv = [
            node_executable("azurite-blob"),
            "--blobHost", "127.0.0.1", "--blobPort", "0",
            "--cert", str(self.tls.cert_file), "--key", str(self.tls.key_file),
            "--location", str(location),
            "--loose", "--skipApiVersionCheck", "--disableTelemetry",
        ]
        self._process = ManagedProcess("azurite", argv, self.workdir / "azurite.log", cwd=self.workdir)
        self._process.start()
        match = self._process.wait_until(lambda text: LISTENING.search(text), timeout)
        self.port = int(match.group(1))
        response = self.request("PUT", f"/{self.container}", {"restype": "container"})
        if response.status != 201:
            raise RuntimeError(f"creating container {self.container}: {response.status} {response.body}")
        return self

    def request(self, method: str, path: str, query: dict[str, str] | None = None,
                body: bytes = b"") -> AzureResponse:
        """A SharedKey-signed request; ``path`` is below the account (``/container/blob``)."""
        query = query or {}
        full_path = f"/{self.account}{quote(path)}"
        headers = {
            "x-ms-date": formatdate(usegmt=True),
            "x-ms-version": API_VERSION,
            "Content-Length": str(len(body)),
        }
        headers["Authorization"] = shared_key_authorization(
            self.account, self.key, method, full_path, query, headers
        )
        context = ssl.create_default_context(cafile=str(self.tls.ca_file))
        connection = http.client.HTTPSConnection("127.0.0.1", self.port, context=context, timeout=30)
        try:
            target = full_path + ("?" + urlencode(query) if query else "")
            connection.request(method, target, body=body, headers=headers)
            response = connection.getresponse()
            return AzureResponse(response.status, response.read().decode(errors="replace"))
        finally:
            connection.close()

    def list_blobs(self, prefix: str = "") -> list[str]:
        query = {"restype": "container", "comp": "list"}
        if prefix:
            query["prefix"] = prefix
        response = self.request("GET", f"/{self.container}", query)
        if response.status != 200:
            raise RuntimeError(f"listing {self.container}: {response.status} {response.body}")
        return re.findall(r"<Name>([^<]*)</Name>", response.body)

    def env(self, repo: int = 1) -> dict[str, str]:
        """The setup service's environment for this container as repository ``repo``."""
        if repo == 1:
            env = {
                "PGBACKREST_REPO1_TYPE": "azure",
                "AZURE_STORAGE_ACCOUNT": self.account,
                "AZURE_STORAGE_KEY": self.key,
                "AZURE_STORAGE_CONTAINER": self.container,
            }
        else:
            prefix = f"PGBACKREST_REPO{repo}_"
            env = {
                prefix + "TYPE": "azure",
                prefix + "AZURE_ACCOUNT": self.account,
                prefix + "AZURE_KEY": self.key,
                prefix + "AZURE_CONTAINER": self.container,
            }
        prefix = f"PGBACKREST_REPO{repo}_"
        env.update({
            prefix + "AZURE_URI_STYLE": "path",
            prefix + "STORAGE_HOST": "127.0.0.1",
            prefix + "STORAGE_PORT": str(self.port),
            prefix + "STORAGE_CA_FILE": str(self.tls.ca_file),
        })
        return env

    def pgbackrest_options(self, repo: int = 1) -> dict[str, str]:
        r = f"repo{repo}-"
        return {
            r + "type": "azure",
            r + "azure-account": self.account,
            r + "azure-key": self.key,
            r + "azure-container": self.container,
            r + "azure-uri-style": "path",
            r + "storage-host": "127.0.0.1",
            r + "storage-port": str(self.port),
            r + "storage-ca-file": str(self.tls.ca_file),
        }

    def __enter__(self) -> AzuriteServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

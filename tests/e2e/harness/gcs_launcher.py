"""Run gcp-storage-emulator over TLS, plus an OAuth token endpoint, in one process.

Started by :class:`harness.gcs.GcsEmulator` as ``python gcs_launcher.py CONFIG_JSON``; prints one
JSON line ``{"event": "listening", "port": P, "token_port": T}`` on stdout once both listen.

Two gaps between the emulator and pgBackRest 2.45 are bridged here, without touching the
installed package:

* pgBackRest reads the resumable upload id from the ``X-GUploader-UploadID`` response header,
  which the emulator does not send (it only puts ``upload_id`` into ``Location``): the resumable
  upload handler is wrapped to add the header.
* The emulator accepts any request. When ``require_auth`` is set, every storage request (but
  the chunks of a resumable upload, as in GCS) must carry ``Authorization: Bearer <token>`` with either a static token from the config
  (``repo1-gcs-key-type=token``) or one this process issued at its token endpoint, so a test
  proves that pgBackRest really authenticated.

The token endpoint implements the OAuth 2.0 JWT-bearer grant used by service-account keys:
``POST <token_uri>`` with ``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`` and an
RS256-signed ``assertion``; the signature is checked with the service account's public key, and
every exchange is appended as one JSON line to ``token_log``.
"""

from __future__ import annotations

import base64
import http.server
import io
import json
import secrets
import signal
import ssl
import sys
import threading
import time
from functools import partial
from typing import Any
from urllib.parse import parse_qs, urlparse

from gcp_storage_emulator import server as emulator_server
from gcp_storage_emulator.handlers import buckets, objects
from gcp_storage_emulator.storage import Storage

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
UPLOAD_ID_HEADER = "X-GUploader-UploadID"


class TokenBook:
    """Bearer tokens the storage endpoint accepts (static ones plus those issued)."""

    def __init__(self, static_tokens: list[str]) -> None:
        self._tokens = set(static_tokens)
        self._lock = threading.Lock()

    def issue(self) -> str:
        token = "ya29.e2e-" + secrets.token_urlsafe(24)
        with self._lock:
            self._tokens.add(token)
        return token

    def accepts(self, token: str) -> bool:
        with self._lock:
            return token in self._tokens


def _add_upload_id_header() -> None:
    original = objects._create_resumable_upload

    def create_resumable_upload(request: Any, response: Any, storage: Any) -> Any:
        result = original(request, response, storage)
        try:
            location = response["Location"]
        except KeyError:
            return result
        upload_id = parse_qs(urlparse(location).query).get("upload_id")
        if upload_id:
            response[UPLOAD_ID_HEADER] = upload_id[0]
        return result

    objects._create_resumable_upload = create_resumable_upload


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify_jwt(assertion: str, public_key_pem: bytes | None, audience: str) -> dict[str, Any]:
    """Return the claims of an RS256 JWT after checking signature, audience and expiry."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    header_b64, claims_b64, signature_b64 = assertion.split(".")
    header = json.loads(_b64url_decode(header_b64))
    claims: dict[str, Any] = json.loads(_b64url_decode(claims_b64))
    if header.get("alg") != "RS256":
        raise ValueError(f"unexpected JWT alg {header.get('alg')!r}")
    if public_key_pem is not None:
        key = load_pem_public_key(public_key_pem)
        if not isinstance(key, rsa.RSAPublicKey):
            raise ValueError("the service account's public key is not RSA")
        key.verify(  # raises InvalidSignature
            _b64url_decode(signature_b64),
            f"{header_b64}.{claims_b64}".encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    if claims.get("aud") != audience:
        raise ValueError(f"JWT aud {claims.get('aud')!r} is not {audience!r}")
    if int(claims.get("exp", 0)) < time.time():
        raise ValueError("JWT has expired")
    return claims


class TokenHandler(http.server.BaseHTTPRequestHandler):
    """POST /token: the JWT-bearer grant of a service-account key."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def __init__(self, config: dict[str, Any], book: TokenBook, *args: Any, **kwargs: Any) -> None:
        self.config = config
        self.book = book
        super().__init__(*args, **kwargs)

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        form = {key: values[0] for key, values in parse_qs(body).items()}
        record: dict[str, Any] = {"path": self.path, "grant_type": form.get("grant_type")}
        try:
            if urlparse(self.path).path != "/token":
                raise ValueError(f"unknown path {self.path}")
            if form.get("grant_type") != JWT_BEARER:
                raise ValueError(f"unsupported grant_type {form.get('grant_type')!r}")
            public_key = self.config.get("sa_public_key")
            claims = verify_jwt(
                form.get("assertion", ""),
                public_key.encode() if public_key else None,
                self.config["token_uri"],
            )
            record.update(claims=claims, signature_checked=public_key is not None, ok=True)
            status = 200
            reply = {"access_token": self.book.issue(), "expires_in": 3600, "token_type": "Bearer"}
        except Exception as error:  # noqa: BLE001 (any bad request is answered with 400)
            record.update(ok=False, error=str(error))
            status = 400
            reply = {"error": "invalid_grant", "error_description": str(error)}
        # Logged before answering, so a client that got its answer finds the record.
        with open(self.config["token_log"], "a", encoding="utf-8") as log:
            log.write(json.dumps(record) + "\n")
        self._reply(status, reply)

    def _reply(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        sys.stderr.write("token: " + (format % args) + "\n")


class StorageHandler(emulator_server.RequestHandler):  # type: ignore[misc]
    """The emulator's handler, serialised, with an optional bearer-token check.

    Speaks HTTP/1.1 with keep-alive (the emulator's own server closes the connection after
    every HTTP/1.0 response, which pgBackRest's TLS client reports as "unexpected eof while
    reading"). To keep the connection in step, the request body is always read here in full
    and handed to the emulator from memory, whether or not its handler reads it.
    """

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle's algorithm on, every keep-alive
    # response then waits ~40 ms for the client's delayed ACK (a full backup took 53 s).
    disable_nagle_algorithm = True
    lock = threading.Lock()
    book: TokenBook
    require_auth = False

    def _route(self, method: str) -> None:
        body = emulator_server._read_raw_data(self) or b""
        if "Transfer-Encoding" in self.headers:
            del self.headers["Transfer-Encoding"]
        if "Content-Length" in self.headers:
            del self.headers["Content-Length"]
        self.headers["Content-Length"] = str(len(body))
        # As in real GCS, the chunks of a resumable upload carry no Authorization header: the
        # upload_id (issued only to an authorised request) is the credential.
        resumable_chunk = "upload_id" in parse_qs(urlparse(self.path).query)
        if self.require_auth and not resumable_chunk:
            authorization = self.headers.get("Authorization", "")
            token = authorization[len("Bearer "):] if authorization.startswith("Bearer ") else ""
            if not self.book.accepts(token):
                shown = authorization.split(" ", 1)[0] if " " in authorization else "<no scheme>"
                sys.stderr.write(f"gcs: 401 for {self.command} {self.path}: Authorization {shown} ...\n")
                data = json.dumps({"error": {"code": 401, "message": "invalid bearer token"}})
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data.encode())
                return
        connection_rfile = self.rfile  # type: ignore[has-type]
        self.rfile = io.BytesIO(body)
        try:
            with self.lock:
                emulator_server.Router(self).handle(method)
        finally:
            self.rfile = connection_rfile

    def do_GET(self) -> None:  # noqa: N802
        self._route(emulator_server.GET)

    def do_POST(self) -> None:  # noqa: N802
        self._route(emulator_server.POST)

    def do_PUT(self) -> None:  # noqa: N802
        self._route(emulator_server.PUT)

    def do_DELETE(self) -> None:  # noqa: N802
        self._route(emulator_server.DELETE)

    def do_PATCH(self) -> None:  # noqa: N802
        self._route(emulator_server.PATCH)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        sys.stderr.write("gcs: " + (format % args) + "\n")


class TlsHTTPServer(http.server.ThreadingHTTPServer):
    """Sends TLS close_notify before closing a connection (OpenSSL 3 clients such as
    pgBackRest report a bare TCP close as "unexpected eof while reading")."""

    daemon_threads = True

    def shutdown_request(self, request: Any) -> None:
        if isinstance(request, ssl.SSLSocket):
            try:
                request.setblocking(False)
                request.unwrap()  # the first SSL_shutdown sends close_notify; don't wait for the reply
            except (ssl.SSLError, OSError, ValueError):
                pass
        super().shutdown_request(request)


def _tls_server(handler: Any, config: dict[str, Any]) -> http.server.ThreadingHTTPServer:
    httpd = TlsHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(config["cert"], config["key"])
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    return httpd


def main(config_path: str) -> None:
    with open(config_path, encoding="utf-8") as handle:
        config: dict[str, Any] = json.load(handle)
    _add_upload_id_header()
    storage = Storage(use_memory_fs=not config.get("data_dir"), data_dir=config.get("data_dir"))
    for bucket in config.get("buckets", []):
        buckets.create_bucket(bucket, storage)
    book = TokenBook(config.get("static_tokens", []))
    StorageHandler.book = book
    StorageHandler.require_auth = bool(config.get("require_auth"))

    storage_httpd = _tls_server(partial(StorageHandler, storage), config)
    token_httpd = _tls_server(partial(TokenHandler, config, book), config)
    token_port = token_httpd.server_address[1]
    # The token URI names the token endpoint's port, known only now: the harness reads it from
    # the "listening" line and writes the service-account JSON afterwards.
    config["token_uri"] = config.get("token_uri") or f"https://127.0.0.1:{token_port}/token"
    for httpd in (storage_httpd, token_httpd):
        threading.Thread(target=httpd.serve_forever, daemon=True).start()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(
        json.dumps(
            {
                "event": "listening",
                "port": storage_httpd.server_address[1],
                "token_port": token_port,
                "token_uri": config["token_uri"],
            }
        ),
        flush=True,
    )
    stop.wait()
    for httpd in (storage_httpd, token_httpd):
        httpd.shutdown()
        httpd.server_close()


if __name__ == "__main__":
    main(sys.argv[1])

"""The e2e harness itself: each emulator answers a real TLS request, PostgreSQL and pgBackRest run.

Cheap checks (well under a minute together); the backup/restore cycles live in their own tests.
"""

from __future__ import annotations

import base64
import json
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.e2e.harness import (
    AzuriteServer,
    GcsEmulator,
    PgBackRestFactory,
    PgClusterFactory,
    S3rverServer,
    TlsFiles,
    missing,
)
from tests.e2e.harness.azure import AZURITE_KEY
from tests.e2e.harness.pgbackrest import archive_conf_text, problem_lines, write_config
from tests.e2e.harness.posix import PosixRepo
from tests.e2e.harness.s3 import new_access_key, new_secret_key

pytestmark = pytest.mark.e2e


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _pgbackrest_repo_ls(pgbackrest_factory: PgBackRestFactory,
                        pg_cluster_factory: PgClusterFactory, e2e_tmp: Path,
                        repo_options: dict[str, str]) -> str:
    """``pgbackrest repo-ls`` through a hand-written config: the real engine reaches the store."""
    cluster = pg_cluster_factory()
    config_dir = e2e_tmp / "volume"
    write_config(config_dir, cluster.global_options(), "smoke", cluster.stanza_options(),
                 repo_options, cluster.user)
    runner = pgbackrest_factory(config_dir, "smoke", cluster)
    return str(runner.ok("repo-ls", stanza=False).stdout)


def test_missing_component_fails_under_ci_and_skips_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        missing("no such emulator")
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception):
        missing("no such emulator")


def test_problem_lines_catch_pgbackrest_warnings_and_errors() -> None:
    text = (
        "2026-11-26 03:25:00.339 P00   INFO: backup command begin 2.45: --log-level-console=warn\n"
        "2026-11-26 03:25:00.339 P00   WARN: option 'repo1-retention-full' is not set\n"
        "P00  ERROR: [039]: HTTP request failed with 401 (Unauthorized):\n"
        "ERROR: [101]: TLS error [1:167772454] unexpected eof while reading\n"
        "WARN: configuration file contains invalid option 'foo'\n"
    )
    assert len(problem_lines(text)) == 4


def test_s3rver_over_tls_and_real_credential_rotation(s3_server: S3rverServer) -> None:
    client = s3_server.client()
    assert s3_server.list_keys() == []
    client.put_object(Bucket=s3_server.bucket, Key="smoke/hello.txt", Body=b"hello")
    assert s3_server.list_keys("smoke/") == ["smoke/hello.txt"]

    old_key, old_secret = s3_server.access_key, s3_server.secret_key
    assert not s3_server.credentials_accepted(old_key, "wrong-secret")  # signatures are checked
    assert not s3_server.credentials_accepted("S3RVER", "S3RVER")  # s3rver's default pair is gone

    s3_server.rotate_credentials()  # same key id, new secret
    assert not s3_server.credentials_accepted(old_key, old_secret)
    assert s3_server.credentials_accepted(s3_server.access_key, s3_server.secret_key)

    new_key, new_secret = new_access_key(), new_secret_key()
    s3_server.rotate_credentials(new_key, new_secret)  # new key id and secret
    assert not s3_server.credentials_accepted(old_key, s3_server.secret_key)
    assert s3_server.credentials_accepted(new_key, new_secret)

    env = s3_server.env()
    assert env["AWS_S3_ENDPOINT"] == f"https://127.0.0.1:{s3_server.port}"
    assert env["AWS_SECRET_ACCESS_KEY"] == new_secret


def test_azurite_over_tls(azurite_server: AzuriteServer) -> None:
    assert azurite_server.list_blobs() == []
    azurite_server.key = base64.b64encode(b"not the key").decode()
    try:
        assert azurite_server.request("GET", f"/{azurite_server.container}",
                                      {"restype": "container", "comp": "list"}).status == 403
    finally:
        azurite_server.key = AZURITE_KEY
    assert azurite_server.env()["PGBACKREST_REPO1_STORAGE_PORT"] == str(azurite_server.port)


def test_gcs_emulator_over_tls_with_token_endpoint_and_upload_id(gcs_server: GcsEmulator,
                                                                 tls_files: TlsFiles) -> None:
    assert gcs_server.list_objects() == []
    status, _ = gcs_server.request("GET", f"/storage/v1/b/{gcs_server.bucket}/o", token="forged")
    assert status == 401

    # The JWT-bearer grant, as pgBackRest does it with the service-account JSON.
    account = json.loads(gcs_server.service_account_file.read_text())
    key = serialization.load_pem_private_key(account["private_key"].encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    now = int(time.time())
    signing_input = _b64url(b'{"alg":"RS256","typ":"JWT"}') + "." + _b64url(json.dumps({
        "iss": account["client_email"], "aud": account["token_uri"], "iat": now, "exp": now + 600,
        "scope": "https://www.googleapis.com/auth/devstorage.read_write"}).encode())
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    form = urllib.parse.urlencode({"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                                   "assertion": signing_input + "." + _b64url(signature)}).encode()
    context = ssl.create_default_context(cafile=str(tls_files.ca_file))
    with urllib.request.urlopen(account["token_uri"], data=form, context=context, timeout=10) as reply:
        token = json.loads(reply.read())
    assert token["token_type"] == "Bearer" and token["expires_in"] == 3600
    assert gcs_server.token_exchanges()[-1]["signature_checked"] is True

    forged = signing_input + "." + _b64url(b"\0" * 256)
    bad = urllib.parse.urlencode({"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                                  "assertion": forged}).encode()
    with pytest.raises(urllib.error.HTTPError) as rejected:
        urllib.request.urlopen(account["token_uri"], data=bad, context=context, timeout=10)
    assert rejected.value.code == 400

    # A resumable upload start answers with the X-GUploader-UploadID header pgBackRest reads.
    request = urllib.request.Request(
        f"https://127.0.0.1:{gcs_server.port}/upload/storage/v1/b/{gcs_server.bucket}/o"
        "?uploadType=resumable&name=smoke.txt",
        method="POST", data=b"", headers={"Authorization": f"Bearer {token['access_token']}"})
    with urllib.request.urlopen(request, context=context, timeout=10) as reply:
        assert reply.headers["X-GUploader-UploadID"]


def test_postgres_cluster_archives_through_pgbackrest_posix(
        pg_cluster_factory: PgClusterFactory, pgbackrest_factory: PgBackRestFactory,
        posix_repo: PosixRepo, e2e_tmp: Path) -> None:
    volume = e2e_tmp / "volume"
    cluster = pg_cluster_factory(include_files=[volume / "postgresql-archive.conf"])
    write_config(volume, cluster.global_options(), "smoke", cluster.stanza_options(),
                 {**posix_repo.pgbackrest_options(), "repo1-retention-full": "1"}, cluster.user)
    (volume / "postgresql-archive.conf").write_text(archive_conf_text(volume, "smoke"))
    cluster.start()
    assert cluster.psql("SHOW archive_mode") == "on"
    assert cluster.psql("SELECT 1") == "1"
    assert cluster.now().endswith("+00") and " " not in cluster.now().rsplit(":", 1)[1]
    runner = pgbackrest_factory(volume, "smoke", cluster)
    runner.ok("stanza-create")
    runner.ok("check")
    assert int(cluster.archiver_stats()["archived_count"]) >= 1
    runner.assert_clean_logs()


@pytest.mark.parametrize("store", ["s3", "azure", "gcs-token", "gcs-service"])
def test_pgbackrest_reaches_each_emulator(store: str, request: pytest.FixtureRequest,
                                          pg_cluster_factory: PgClusterFactory,
                                          pgbackrest_factory: PgBackRestFactory,
                                          e2e_tmp: Path) -> None:
    if store == "s3":
        options = request.getfixturevalue("s3_server").pgbackrest_options()
    elif store == "azure":
        options = request.getfixturevalue("azurite_server").pgbackrest_options()
    else:
        gcs = request.getfixturevalue("gcs_server")
        options = gcs.pgbackrest_options(key_type=store.split("-")[1])
    assert _pgbackrest_repo_ls(pgbackrest_factory, pg_cluster_factory, e2e_tmp, options) == ""
    if store == "gcs-service":
        exchanges = request.getfixturevalue("gcs_server").token_exchanges()
        assert exchanges and all(e["ok"] and e["signature_checked"] for e in exchanges)

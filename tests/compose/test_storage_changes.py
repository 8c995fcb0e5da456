"""An S3 repository through an S3 emulator the containers reach (moto over TLS, as a compose
service in docker-compose.override.yml, the way the docs tell users to extend the deployment),
credentials rotated with `make config`; and switching a deployment from no backups to posix."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.e2e.harness.tls import make_tls_files

from .deployment import BACKUP, POSTGRES, REPO, Deployment

pytestmark = pytest.mark.compose

EMULATOR = Path(__file__).with_name("s3-emulator")
LAUNCHER = REPO / "tests" / "e2e" / "harness" / "s3rver_launcher.js"
NODE_MODULES = REPO / ".cache" / "node" / "node_modules"
BUCKET = "salespider-backups"
ACCESS_KEY = "AKIAEMULATOR"
OVERRIDE = f"""\
services:
  s3-emulator:
    build: ./s3-emulator
    volumes:
      - ./s3-conf:/conf:ro
      - {NODE_MODULES}:/opt/node_modules:ro
  postgres:
    depends_on:
      s3-emulator:
        condition: service_healthy
  backup:
    depends_on:
      s3-emulator:
        condition: service_healthy
"""


def _s3_env(secret: str) -> str:
    return f"""\
POSTGRES_PASSWORD=change-me
PGBACKREST_REPO1_TYPE=s3
PGBACKREST_REPO1_PATH=/salespider
AWS_S3_BUCKET={BUCKET}
AWS_REGION=us-east-1
AWS_S3_ENDPOINT=https://s3-emulator
PGBACKREST_REPO1_S3_URI_STYLE=path
PGBACKREST_REPO1_STORAGE_CA_FILE=/run/secrets/s3-ca.pem
AWS_ACCESS_KEY_ID={ACCESS_KEY}
AWS_SECRET_ACCESS_KEY={secret}
"""


def _emulator_accepts(conf: Path, secret: str) -> None:
    (conf / "credentials.json").write_text(json.dumps({"access_key": ACCESS_KEY, "secret_key": secret}))


def test_s3_repository_and_credential_rotation(deployment: Deployment) -> None:
    if not (NODE_MODULES / "s3rver").is_dir():
        pytest.fail(f"s3rver is not installed in {NODE_MODULES}: run scripts/install-test-deps.sh")
    shutil.copytree(EMULATOR, deployment.dir / "s3-emulator")
    shutil.copy(LAUNCHER, deployment.dir / "s3-emulator")
    conf = deployment.dir / "s3-conf"
    tls = make_tls_files(conf, dns_names=("s3-emulator",), ips=())
    (conf / "config.json").write_text(json.dumps({
        "address": "0.0.0.0", "port": 443, "directory": "/tmp/s3", "cert": "/conf/server.pem",
        "key": "/conf/server-key.pem", "bucket": BUCKET, "credentials_file": "/conf/credentials.json"}))
    _emulator_accepts(conf, "first/secret+key")
    shutil.copy(tls.ca_file, deployment.dir / "secrets" / "s3-ca.pem")
    (deployment.dir / "docker-compose.override.yml").write_text(OVERRIDE)
    deployment.write_env(_s3_env("first/secret+key"))
    deployment.make("deploy")
    deployment.wait_for("the scheduler", lambda: "scheduler: running" in deployment.logs(BACKUP),
                        timeout=180)
    assert deployment.status()["pgbackrest_check"]["result"] == "passed"
    deployment.switch_wal_and_wait_archived()
    deployment.make("backup")
    info = deployment.make("backup-info").stdout
    assert "status: ok" in info and "full backup:" in info, info

    # The storage's key is rotated (the old one stops working), then .env and `make config`.
    _emulator_accepts(conf, "rotated/secret+key")
    deployment.compose("kill", "-s", "HUP", "s3-emulator")
    assert deployment.make("backup-check", check=False).returncode != 0  # old key refused
    before, started = deployment.status(), deployment.state(POSTGRES).started_at
    deployment.edit_env(AWS_SECRET_ACCESS_KEY="rotated/secret+key")
    result = deployment.make("config")
    assert "configuration reloaded" in result.stdout
    after = deployment.status()
    assert after["generation"] == before["generation"] + 1
    assert "rotated/secret+key" not in result.stdout + result.stderr + json.dumps(after)
    assert deployment.state(POSTGRES).started_at == started  # no restart
    deployment.make("backup-check")
    deployment.switch_wal_and_wait_archived()
    deployment.make("backup")
    assert deployment.make("backup-info").stdout.count("full backup:") == 2


def test_none_to_posix_through_make_config(deployment: Deployment) -> None:
    deployment.use_example("none")
    deployment.make("deploy")
    deployment.wait_for("the backup service to exit", lambda: deployment.state(BACKUP).status == "exited")
    assert deployment.psql("SHOW archive_mode") == "off"
    deployment.psql("CREATE TABLE kept (i int); INSERT INTO kept VALUES (42)")

    deployment.use_example("posix")
    deployment.make("config")  # archive_mode changed: reload-config asks, make restarts
    status = deployment.status()
    assert (status["backups_enabled"], status["generation"]) == (True, 2)
    assert deployment.psql("SHOW archive_mode") == "on"
    deployment.wait_for("the scheduler", lambda: "scheduler: running" in deployment.logs(BACKUP),
                        timeout=180)
    deployment.switch_wal_and_wait_archived()
    deployment.make("backup")
    assert "full backup:" in deployment.make("backup-info").stdout
    assert deployment.psql("SELECT i FROM kept") == "42"
    assert deployment.crash_restarts() == 0

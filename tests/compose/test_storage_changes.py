"""An S3 repository through an S3 emulator the containers reach (s3rver over TLS, as a compose
service in docker-compose.override.yml, the way the docs tell users to extend the deployment),
credentials rotated with `make config`; and switching a deployment from no backups to posix."""

from __future__ import annotations

import json

import pytest

from . import s3_emulator
from .deployment import BACKUP, POSTGRES, Deployment

pytestmark = pytest.mark.compose


def test_s3_repository_and_credential_rotation(deployment: Deployment) -> None:
    emulator = s3_emulator.add(deployment, "first/secret+key")
    deployment.write_env(s3_emulator.env("first/secret+key"))
    deployment.make("deploy")
    deployment.wait_for("the scheduler", lambda: "scheduler: running" in deployment.logs(BACKUP),
                        timeout=180)
    assert deployment.status()["pgbackrest_check"]["result"] == "passed"
    deployment.switch_wal_and_wait_archived()
    deployment.make("backup")
    info = deployment.make("backup-info").stdout
    assert "status: ok" in info and "full backup:" in info, info

    # The storage's key is rotated (the old one stops working), then .env and `make config`.
    emulator.accept("rotated/secret+key")
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

"""Each bundled example as shipped: `make deploy` works the first time, in the right order.

The cloud examples carry fake credentials and names, and no cloud is reachable here: their
repository is in an outage from the first minute, which PostgreSQL must ride out (no crash
restart) while the backup service keeps waiting for the repository.
"""

from __future__ import annotations

import datetime
import json
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .deployment import BACKUP, POSTGRES, Deployment

pytestmark = pytest.mark.compose


def _time(docker_time: str) -> datetime.datetime:
    """Docker's RFC 3339 time with nanoseconds, to microseconds."""
    head, _, rest = docker_time.rstrip("Z").partition(".")
    return datetime.datetime.fromisoformat(f"{head}.{(rest + '000000')[:6]}+00:00")


def _service_account_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return json.dumps({"type": "service_account", "project_id": "example",
                       "private_key_id": "0", "private_key": pem,
                       "client_email": "backup@example.iam.gserviceaccount.com",
                       "token_uri": "https://oauth2.googleapis.com/token"})


def _deploy_example(deployment: Deployment, example: str) -> None:
    deployment.use_example(example)
    if example == "gcs":  # the example names /run/secrets/gcs-key.json: ./secrets is mounted there
        (deployment.dir / "secrets" / "gcs-key.json").write_text(_service_account_key())
    deployment.make("deploy")
    setup = deployment.state(deployment.setup_container())
    postgres = deployment.state(POSTGRES)
    assert (setup.status, setup.exit_code) == ("exited", 0)
    assert _time(setup.finished_at) <= _time(postgres.started_at)
    assert postgres.health == "healthy"
    status = deployment.status()
    assert status["result"] == "written"
    assert status["pgbackrest_check"]["result"] == "passed", status["pgbackrest_check"]
    assert status["pgbackrest_check"]["version"] == "pgBackRest 2.45"


def test_none(deployment: Deployment) -> None:
    _deploy_example(deployment, "none")
    backup = deployment.wait_for("the backup service to exit", lambda: (
        s := deployment.state(BACKUP)).status == "exited" and s)
    assert backup.exit_code == 0
    assert "backups are disabled" in deployment.logs(BACKUP)
    assert deployment.psql("SHOW archive_mode") == "off"


def test_posix(deployment: Deployment) -> None:
    _deploy_example(deployment, "posix")
    deployment.wait_for("the scheduler", lambda: "scheduler: running" in deployment.logs(BACKUP),
                        timeout=180)
    assert deployment.state(BACKUP).status == "running"
    assert deployment.psql("SHOW archive_mode") == "on"
    deployment.switch_wal_and_wait_archived()
    deployment.switch_wal_and_wait_archived()
    assert deployment.archiver()["failed_count"] == "0"
    assert deployment.crash_restarts() == 0


@pytest.mark.parametrize("example", ["s3", "azure", "gcs"])
def test_cloud_example_with_its_fake_credentials(deployment: Deployment, example: str) -> None:
    _deploy_example(deployment, example)
    assert deployment.psql("SHOW archive_mode") == "on"
    # The repository cannot be reached: archiving fails, and keeps failing without harm. A
    # failure takes archive-timeout (60 s) to surface, so one type waits for it (the outage
    # test in test_outage.py drills this at length).
    for _ in range(3):
        deployment.psql("SELECT pg_switch_wal(); CREATE TABLE IF NOT EXISTS t (i int); "
                        "INSERT INTO t VALUES (1)")
    if example == "s3":
        deployment.wait_for("a failed archive attempt",
                            lambda: int(deployment.archiver()["failed_count"]) > 0, timeout=150)
    assert deployment.state(POSTGRES).health == "healthy"
    assert deployment.crash_restarts() == 0, deployment.logs(POSTGRES)[-3000:]
    backup = deployment.state(BACKUP)
    # Waiting for the repository (stanza-create retries until BACKUP_STARTUP_TIMEOUT), not looping.
    assert (backup.status, backup.restart_count) == ("running", 0)
    assert "stanza-create command begin" in deployment.logs(BACKUP)
    # `docker compose stop` stops it at once (SIGINT, the image's stop signal, which pgBackRest
    # handles and exits on), not after the timeout with SIGKILL (exit 137): the retry loop
    # ends with the stanza-create it interrupts.
    started = time.monotonic()
    deployment.compose("stop", "--timeout", "30", "backup")
    stopped = deployment.state(BACKUP)
    assert stopped.exit_code != 137 and time.monotonic() - started < 20, (stopped, deployment.logs(BACKUP)[-2000:])

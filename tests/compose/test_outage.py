"""A backup-storage outage under write load: the guide's first promise, "the database continues
operating normally", on the deployment as shipped.

The repository's archive directory is made unreadable for OUTAGE_SECONDS while a client keeps
one connection open and writes (and switches WAL) through it. pgBackRest's async archive-push
fails all along; its daemonised process must never be taken by the postmaster for a crashed
backend (exit code 103 from an orphan reparented to PID 1 restarted PostgreSQL 12 times in 90 s
before tini became PID 1). When storage returns, archiving catches up by itself.
"""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any, Iterator

import pytest

from .deployment import BACKUP, POSTGRES, Deployment

pytestmark = pytest.mark.compose

OUTAGE_SECONDS = 150
WRITE_INTERVAL = 5
CRITICAL_AFTER = 60
ARCHIVE_DIR = "/var/lib/pgbackrest/archive/salespider"


def backup_status(deployment: Deployment) -> tuple[int, dict[str, Any]]:
    """`make backup-status FORMAT=json`."""
    args = ["docker", "exec", BACKUP, "backup-status", "--format", "json"]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120)
    return result.returncode, json.loads(result.stdout)


class Session:
    """One psql connection held open for the whole drill."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            ["docker", "exec", "-i", POSTGRES, "psql", "-X", "-A", "-t", "-q", "-v",
             "ON_ERROR_STOP=1", "-U", "postgres", "-d", "salespider"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            bufsize=1)
        self.count = 0

    def ask(self, sql: str) -> list[str]:
        """Runs SQL and returns its output lines; fails if the connection is gone."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.count += 1
        marker = f"--done {self.count}--"
        self.process.stdin.write(f"{sql.rstrip(';')};\n\\echo {marker}\n")
        self.process.stdin.flush()
        lines = []
        for line in self.process.stdout:
            if line.rstrip("\n") == marker:
                return lines
            lines.append(line.rstrip("\n"))
        raise AssertionError(f"the connection was lost: {lines}")

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture
def session(deployment: Deployment) -> Iterator[tuple[Deployment, Session]]:
    # CRITICAL after a minute of failing archiving, not an hour: set in .env as a user would.
    deployment.use_example("posix", BACKUP_STATUS_CRITICAL_AFTER=str(CRITICAL_AFTER))
    deployment.make("deploy")
    deployment.wait_for("the scheduler", lambda: "scheduler: running" in deployment.logs(BACKUP),
                        timeout=180)
    deployment.psql("CREATE TABLE writes (at timestamptz DEFAULT clock_timestamp(), wal text)")
    deployment.make("backup")  # so that backup-status can be OK before and after
    deployment.switch_wal_and_wait_archived()
    held = Session()
    try:
        yield deployment, held
    finally:
        deployment.compose("exec", "-T", "backup", "chmod", "0750", ARCHIVE_DIR, check=False)
        held.close()


def test_postgres_rides_out_a_storage_outage(session: tuple[Deployment, Session]) -> None:
    deployment, held = session
    backend = held.ask("SELECT pg_backend_pid()")
    failed_before = int(deployment.archiver()["failed_count"])

    assert backup_status(deployment)[0] == 0
    deployment.compose("exec", "-T", "backup", "chmod", "0000", ARCHIVE_DIR)
    outage_started = time.time()
    deadline = time.monotonic() + OUTAGE_SECONDS
    written = 0
    last_segment = ""
    target = ""
    during: dict[str, Any] = {}
    while time.monotonic() < deadline:
        out = held.ask("INSERT INTO writes (wal) SELECT pg_walfile_name(pg_current_wal_lsn()) "
                       "FROM generate_series(1, 2000);"
                       "SELECT pg_walfile_name(pg_switch_wal())")
        last_segment = out[-1]
        written += 2000
        if not target and time.monotonic() > deadline - OUTAGE_SECONDS / 2:
            target = held.ask("SELECT clock_timestamp()::text")[-1]  # a PITR target inside the outage
            during["rows_before_target"] = written
        if "warning" not in during and int(deployment.archiver()["failed_count"]) > failed_before:
            during["warning"] = backup_status(deployment)  # archiving failing: at once
            during["warning_after"] = time.time() - outage_started
        if "warning" in during and "critical" not in during and \
                time.time() - outage_started > CRITICAL_AFTER + WRITE_INTERVAL:
            during["critical"] = backup_status(deployment)  # past BACKUP_STATUS_CRITICAL_AFTER
            during["critical_after"] = time.time() - outage_started
            during["probe"] = deployment.healthcheck(BACKUP)
        time.sleep(WRITE_INTERVAL)
    failed_during = int(deployment.archiver()["failed_count"]) - failed_before
    deployment.compose("exec", "-T", "backup", "chmod", "0750", ARCHIVE_DIR)

    assert failed_during > 0, "the outage did not make archiving fail: the drill proved nothing"
    assert deployment.crash_restarts() == 0, deployment.logs(POSTGRES)[-4000:]
    assert held.ask("SELECT pg_backend_pid()") == backend  # the same connection, still open
    assert held.ask("SELECT count(*) FROM writes") == [str(written)]
    assert deployment.state(POSTGRES).restart_count == 0

    # Storage is back: the archive catches up by itself, and pgBackRest's check agrees.
    deployment.wait_for(f"{last_segment} archived", lambda: deployment.psql(
        f"SELECT coalesce(last_archived_wal, '') >= '{last_segment}' FROM pg_stat_archiver") == "t",
        timeout=240, interval=2)
    deployment.switch_wal_and_wait_archived()
    deployment.make("backup-check")
    assert deployment.crash_restarts() == 0

    # backup-status: WARNING as soon as archiving failed, CRITICAL an hour into the outage, OK
    # once the queue drained.
    code, report = during["warning"]
    assert code == 1 and report["status"] == "WARNING", report
    assert {c["name"]: c["status"] for c in report["checks"]}["archiving"] == "WARNING"
    code, report = during["critical"]
    assert code == 2 and {c["name"]: c["status"] for c in report["checks"]}["archiving"] == "CRITICAL", report
    assert during["probe"] == 1  # the healthcheck fails: Docker counts the probe as unhealthy
    def good() -> dict[str, Any] | None:
        """Every check OK but the safe outage duration: this drill writes WAL at several GiB an
        hour, so 8 GiB of queue last under 12 h (WARNING, a sizing question, not a failure)."""
        _code, report = backup_status(deployment)
        checks = {c["name"]: c["status"] for c in report["checks"] if c["name"] != "outage"}
        return report if set(checks.values()) == {"OK"} and report["status"] in ("OK", "WARNING") else None

    report = deployment.wait_for("the queue to drain and backup-status to be good", good, timeout=180, interval=5)
    outage = [c["message"] for c in report["checks"] if c["name"] == "outage"]
    assert deployment.healthcheck(BACKUP) == 0
    print(f"drill: WARNING {during['warning_after']:.0f} s into the outage, CRITICAL "
          f"{during['critical_after']:.0f} s into it; good "
          f"{time.time() - outage_started - OUTAGE_SECONDS:.0f} s after storage returned; {outage}")

    # Point-in-time recovery into the outage window: every row written before the target.
    result = deployment.make("restore-pitr", f"TARGET={target}")
    assert "recovery finished" in result.stdout
    assert deployment.psql(f"SELECT count(*) FROM writes WHERE at <= '{target}'") == str(during["rows_before_target"])
    assert deployment.psql(f"SELECT count(*) FROM writes WHERE at > '{target}'") == "0"

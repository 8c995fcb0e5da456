"""An object-store outage under write load, on the deployment as shipped: the guide's first
promise, "the database continues operating normally", and backup-status's answers about it.

The repository is S3 on an emulator service (s3_emulator.py), frozen with `docker compose pause`
for OUTAGE_SECONDS: connections hang, as with a black-holed endpoint. A client keeps one
connection open and writes (and switches WAL) through it. pgBackRest's async archive-push fails
all along; its daemonised process must never be taken by the postmaster for a crashed backend
(exit code 103 from an orphan reparented to PID 1 restarted PostgreSQL 12 times in 90 s before
tini became PID 1). backup-status turns WARNING at once and CRITICAL after
BACKUP_STATUS_CRITICAL_AFTER (60 s, set in .env as a user would), Docker marks the backup
container unhealthy, and the backup service's own watch (every BACKUP_WATCH_MINUTES=1) posts each
step to the webhook once. When the store returns, the queue drains by itself, everything is OK
and healthy again, and point-in-time recovery into the outage window has every row before its
target.
"""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any, Iterator

import pytest

from tests.backup.test_backup_status_e2e import by_check as checks

from . import s3_emulator
from .deployment import BACKUP, POSTGRES, Deployment

pytestmark = pytest.mark.compose

OUTAGE_SECONDS = 150
WRITE_INTERVAL = 5
CRITICAL_AFTER = 60
SECRET = "drill/secret+key"
HOOK = "/hooks/drill-T0KEN"


def backup_status(*env: str) -> tuple[int, dict[str, Any]]:
    """`make backup-status FORMAT=json` (with extra NAME=value variables)."""
    env_args = [arg for pair in env for arg in ("-e", pair)]
    args = ["docker", "exec", *env_args, BACKUP, "backup-status", "--format", "json"]
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


def deployed_on_the_emulator(deployment: Deployment, table: str, **env: str) -> s3_emulator.Emulator:
    """`make deploy` of an S3 deployment on the emulator, with the webhook receiver and the watch
    every minute (and env in .env), the scheduler running, the table created, a full backup
    taken (so that backup-status can be OK before and after) and the WAL archived."""
    emulator = s3_emulator.add(deployment, SECRET, drill=True)
    settings = {"BACKUP_WEBHOOK_URL": f"http://webhook:8080{HOOK}", "BACKUP_WATCH_MINUTES": "1", **env}
    deployment.write_env(s3_emulator.env(SECRET) + "".join(f"{k}={v}\n" for k, v in settings.items()))
    deployment.make("deploy")
    deployment.wait_for("the scheduler", lambda: "scheduler: running" in deployment.logs(BACKUP),
                        timeout=180)
    deployment.psql(f"CREATE TABLE writes ({table})")
    deployment.make("backup")
    deployment.switch_wal_and_wait_archived()
    return emulator


@pytest.fixture
def session(deployment: Deployment) -> Iterator[tuple[Deployment, Session]]:
    deployed_on_the_emulator(deployment, "at timestamptz DEFAULT clock_timestamp(), wal text",
                             BACKUP_STATUS_CRITICAL_AFTER=str(CRITICAL_AFTER))
    held = Session()
    try:
        yield deployment, held
    finally:
        deployment.compose("unpause", "s3-emulator", check=False)
        held.close()


def test_postgres_rides_out_an_object_store_outage(session: tuple[Deployment, Session]) -> None:
    deployment, held = session
    backend = held.ask("SELECT pg_backend_pid()")
    failed_before = int(deployment.archiver()["failed_count"])
    assert backup_status("BACKUP_STATUS_OUTAGE_WARNING=0")[0] == 0
    deployment.wait_for("the backup container to be healthy", lambda: deployment.state(BACKUP).health == "healthy")
    posted_before = len(s3_emulator.posts(deployment))

    deployment.compose("pause", "s3-emulator")
    outage_started = time.time()
    deadline = time.monotonic() + OUTAGE_SECONDS
    written = 0
    last_segment = ""
    target = ""
    during: dict[str, Any] = {}
    while time.monotonic() < deadline or "unhealthy_after" not in during:
        assert time.monotonic() < deadline + 120, f"Docker never marked the backup container unhealthy: {during}"
        out = held.ask("INSERT INTO writes (wal) SELECT pg_walfile_name(pg_current_wal_lsn()) "
                       "FROM generate_series(1, 2000);"
                       "SELECT pg_walfile_name(pg_switch_wal())")
        last_segment = out[-1]
        written += 2000
        if not target and time.monotonic() > deadline - OUTAGE_SECONDS / 2:
            target = held.ask("SELECT clock_timestamp()::text")[-1]  # a PITR target inside the outage
            during["rows_before_target"] = written
        if "warning" not in during:
            asked = time.time()
            during["warning"] = backup_status()  # at once
            during["warning_after"], during["warning_answered_in"] = asked - outage_started, time.time() - asked
        if "critical" not in during and time.time() - outage_started > CRITICAL_AFTER + WRITE_INTERVAL:
            during["critical"] = backup_status()  # past BACKUP_STATUS_CRITICAL_AFTER
            during["critical_after"] = time.time() - outage_started
            during["probe"] = deployment.healthcheck(BACKUP)
        if "unhealthy_after" not in during and deployment.state(BACKUP).health == "unhealthy":
            during["unhealthy_after"] = time.time() - outage_started
        time.sleep(WRITE_INTERVAL)
    failed_during = int(deployment.archiver()["failed_count"]) - failed_before
    down_posts = s3_emulator.posts(deployment)[posted_before:]
    deployment.compose("unpause", "s3-emulator")
    returned = time.time()

    assert failed_during > 0, "the outage did not make archiving fail: the drill proved nothing"
    assert deployment.crash_restarts() == 0, deployment.logs(POSTGRES)[-4000:]
    assert held.ask("SELECT pg_backend_pid()") == backend  # the same connection, still open
    assert held.ask("SELECT count(*) FROM writes") == [str(written)]
    assert deployment.state(POSTGRES).restart_count == 0

    # During: WARNING at once (answered within seconds though the store hangs), CRITICAL after
    # BACKUP_STATUS_CRITICAL_AFTER, the probe failing and Docker saying unhealthy.
    code, report = during["warning"]
    assert (code, checks(report)["repository"]) == (1, "WARNING"), report
    assert during["warning_answered_in"] < 30
    code, report = during["critical"]
    assert (code, checks(report)["repository"], checks(report)["archiving"]) == (2, "CRITICAL", "CRITICAL"), report
    assert during["probe"] == 1
    assert during["unhealthy_after"] >= CRITICAL_AFTER, during
    # The watch posted each step once, never a secret.
    steps = [(p["payload"]["event"], p["payload"]["level"]) for p in down_posts]
    assert steps.index(("repository-unreachable", "WARNING")) < steps.index(("repository-unreachable", "CRITICAL")), steps
    assert "archiving-failing" in [event for event, _ in steps], steps
    assert len(steps) == len(set(steps)), steps
    for post in down_posts:
        assert post["path"] == HOOK and post["content_type"] == "application/json"
        assert SECRET not in post["body"] and "T0KEN" not in post["body"]

    # The store is back: the archive catches up by itself, and pgBackRest's check agrees.
    deployment.wait_for(f"{last_segment} archived", lambda: deployment.psql(
        f"SELECT coalesce(last_archived_wal, '') >= '{last_segment}' FROM pg_stat_archiver") == "t",
        timeout=240, interval=2)
    deployment.switch_wal_and_wait_archived()
    deployment.make("backup-check")
    assert deployment.crash_restarts() == 0

    # OK once the queue drained (the outage margin is a sizing check: this drill writes WAL at
    # several GiB an hour, so its threshold is off here), Docker says healthy, and the watch
    # posts the recovery.
    def ok() -> dict[str, Any] | None:
        code, report = backup_status("BACKUP_STATUS_OUTAGE_WARNING=0")
        return report if code == 0 and report["archive"]["queue_bytes"] == 0 else None

    deployment.wait_for("the queue to drain and backup-status to be OK", ok, timeout=180, interval=5)
    ok_after = time.time() - returned
    deployment.wait_for("healthy again", lambda: deployment.state(BACKUP).health == "healthy", timeout=60)
    deployment.wait_for("the watch to post the recovery", lambda: {"repository-reachable", "archiving-recovered"} <= {
        p["payload"].get("event") for p in s3_emulator.posts(deployment)[posted_before + len(down_posts):]},
        timeout=150, interval=5)
    print(f"compose drill: WARNING {during['warning_after']:.0f} s into the outage (answered in "
          f"{during['warning_answered_in']:.0f} s), CRITICAL {during['critical_after']:.0f} s, unhealthy "
          f"{during['unhealthy_after']:.0f} s; OK {ok_after:.0f} s after the store returned; posted {steps}")

    # Point-in-time recovery into the outage window: every row written before the target.
    result = deployment.make("restore-pitr", f"TARGET={target}")
    assert "recovery finished" in result.stdout
    assert deployment.psql(f"SELECT count(*) FROM writes WHERE at <= '{target}'") == str(during["rows_before_target"])
    assert deployment.psql(f"SELECT count(*) FROM writes WHERE at > '{target}'") == "0"


@pytest.fixture
def small_queue(deployment: Deployment) -> Iterator[tuple[Deployment, s3_emulator.Emulator]]:
    emulator = deployed_on_the_emulator(deployment, "i int", PGBACKREST_ARCHIVE_PUSH_QUEUE_MAX="48MiB")
    try:
        yield deployment, emulator
    finally:
        emulator.accept(SECRET)
        deployment.compose("kill", "-s", "HUP", "s3-emulator", check=False)


def test_wal_dropped_past_a_small_queue_cap_is_healed_by_the_backup_service(
        small_queue: tuple[Deployment, s3_emulator.Emulator]) -> None:
    """The store refuses every request (its key turned away) while PostgreSQL writes past a
    48 MiB archive-push-queue-max: pgBackRest drops WAL to protect PostgreSQL, backup-status in
    the backup container reads that from pgBackRest's log in the shared log volume (CRITICAL
    while the store still refuses) and the service's watch posts wal-dropped; the store takes
    requests again, the watch takes a full backup and posts gap-closed, backup-status is OK, and
    point-in-time recovery after that backup works."""
    deployment, emulator = small_queue
    emulator.accept("turned/away+key")
    deployment.compose("kill", "-s", "HUP", "s3-emulator")
    refused = time.time()
    posted_before = len(s3_emulator.posts(deployment))
    for i in range(8):  # 8 segments of 16 MiB: past the cap
        deployment.psql(f"INSERT INTO writes VALUES ({i}); SELECT pg_switch_wal()")

    def dropped() -> dict[str, Any] | None:
        code, report = backup_status()
        return report if (code, checks(report).get("continuity")) == (2, "CRITICAL") else None

    report = deployment.wait_for("backup-status to see the dropped WAL", dropped, timeout=240, interval=3)
    critical_after = time.time() - refused
    gap = report["archive"]["gap"]
    assert gap["after_newest_backup"] and gap["missing_segments"] >= 1, report
    assert "dropped WAL file" in deployment.compose("exec", "-T", "backup", "sh", "-c",
                                                    "cat /var/log/pgbackrest/*archive-push*.log").stdout
    assert deployment.psql("SELECT count(*) FROM writes") == "8"  # PostgreSQL kept writing
    assert deployment.crash_restarts() == 0

    def posted(event: str) -> dict[str, Any] | None:
        found = [p for p in s3_emulator.posts(deployment)[posted_before:] if p["payload"].get("event") == event]
        return found[0] if found else None

    post = deployment.wait_for("the watch to post wal-dropped", lambda: posted("wal-dropped"), timeout=150, interval=3)
    assert post["payload"]["level"] == "CRITICAL" and post["payload"]["gap"]["first_missing"] == gap["first_missing"]
    assert SECRET not in post["body"] and "turned/away+key" not in post["body"] and "T0KEN" not in post["body"]

    emulator.accept(SECRET)
    deployment.compose("kill", "-s", "HUP", "s3-emulator")
    returned = time.time()
    deployment.wait_for("the watch to heal the gap", lambda: posted("gap-closed"), timeout=240, interval=3)
    results = [p["payload"] for p in s3_emulator.posts(deployment)[posted_before:] if "event" not in p["payload"]]
    assert [(r["status"], r["type"]) for r in results] == [("success", "full")], results
    assert "taking a full backup" in deployment.logs(BACKUP)

    def ok() -> dict[str, Any] | None:
        code, report = backup_status("BACKUP_STATUS_OUTAGE_WARNING=0")
        return report if code == 0 and report["archive"]["queue_bytes"] == 0 else None

    report = deployment.wait_for("backup-status to be OK", ok, timeout=180, interval=5)
    assert report["restore_points"]["point_in_time"]["from_backup"] == results[0]["label"]
    print(f"compose WAL-dropped drill: CRITICAL {critical_after:.0f} s after the store refused; "
          f"healed and OK {time.time() - returned:.0f} s after it took requests again")

    # Point-in-time recovery after the healing backup.
    deployment.psql("INSERT INTO writes VALUES (100)")
    time.sleep(1.1)
    target = deployment.psql("SELECT clock_timestamp()::text")
    time.sleep(1.1)
    deployment.psql("INSERT INTO writes VALUES (101)")
    deployment.switch_wal_and_wait_archived()
    result = deployment.make("restore-pitr", f"TARGET={target}")
    assert "recovery finished" in result.stdout
    assert deployment.psql("SELECT array_agg(i ORDER BY i) FROM writes") == "{0,1,2,3,4,5,6,7,100}"

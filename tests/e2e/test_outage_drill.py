"""The object store goes away under write load, and comes back (the guide's resilience chapter,
automated): PostgreSQL keeps accepting writes; backup-status answers within seconds and turns
WARNING at once, CRITICAL an hour on (BACKUP_STATUS_NOW), and the watch posts the state changes
once each; when the store returns the queue drains, backup-status is good again, and
point-in-time recovery into the outage window reaches its target with every row before it.

The store is an s3rver (TLS, signatures checked) frozen with SIGSTOP: connections hang, as with a
black-holed endpoint, the hard case for timeouts (a refused connection fails fast).
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.test_backup_status_e2e import by_check as checks
from tests.deploy.webhook import Receiver
from tests.e2e.harness.osuser import OsUser
from tests.e2e.harness.s3 import S3rverServer
from tests.e2e.harness.steps import StepTimer
from tests.e2e.test_backup_restore import (Deploy, Deployment, deploy, fingerprint,  # noqa: F401 (deploy: the fixture)
                                          restore_and_start, write_batch)

pytestmark = pytest.mark.e2e

STATUS = Path(__file__).resolve().parents[2] / "docker" / "backup" / "backup-status"
OUTAGE_SECONDS = 90
WEEKLY = {"BACKUP_SCHEDULE_FULL": "0 2 * * 0", "BACKUP_SCHEDULE_DIFF": "0 2 * * 1-6"}


class Status:
    """backup-status as the backup container runs it: as the postgres user, over the socket."""

    def __init__(self, deployment: Deployment, user: OsUser, state: Path, hook: str) -> None:
        cluster = deployment.cluster
        self.user, self.cwd = user, state
        self.env = {**user.base_env(), "PGBR_CONFIG_DIR": str(deployment.volume), "PGDATA": str(cluster.data),
                    "PGHOST": str(cluster.socket_dir), "PGPORT": str(cluster.port), "PGUSER": "postgres",
                    "BACKUP_STATE_DIR": str(state), "BACKUP_WEBHOOK_URL": hook}

    def __call__(self, *args: str, now: float | None = None) -> tuple[int, dict[str, Any], float]:
        env = dict(self.env, **({"BACKUP_STATUS_NOW": str(now)} if now else {}))
        started = time.monotonic()
        result = self.user.run([str(STATUS), *args], env=env, cwd=self.cwd, timeout=300)
        elapsed = time.monotonic() - started
        report = json.loads(result.stdout) if "--format" in args else {}
        return result.returncode, report, elapsed


def test_the_object_store_goes_away_under_writes_and_comes_back(
        deploy: Deploy, s3_server: S3rverServer, pg_user: OsUser, e2e_tmp: Path, steps: StepTimer) -> None:
    deployment = deploy({**s3_server.env(), **WEEKLY})
    cluster, runner = deployment.cluster, deployment.runner
    state = pg_user.make_dir(e2e_tmp / "state", 0o755)
    receiver = Receiver()
    status = Status(deployment, pg_user, state, receiver.url("/hooks/drill-T0KEN"))
    try:
        cluster.start()
        runner.ok("stanza-create")
        write_batch(cluster, 1)
        runner.ok("backup", "--type=full")
        runner.ok("check")
        code, report, _ = status("--format", "json")
        assert code == 0, report
        status("--watch")
        receiver.take()

        with steps("outage"):
            os.killpg(s3_server.pid or 0, signal.SIGSTOP)
            outage_started = time.monotonic()
            try:
                warning = None
                batch, target, before_target = 1, "", ""
                while time.monotonic() - outage_started < OUTAGE_SECONDS:
                    batch += 1
                    write_batch(cluster, batch)  # PostgreSQL keeps accepting writes
                    cluster.switch_wal()
                    if batch == 4:
                        cluster.psql("SELECT pg_sleep(1.1)")
                        before_target, target = fingerprint(cluster), cluster.now()
                        cluster.psql("SELECT pg_sleep(1.1)")
                    if warning is None:
                        code, report, elapsed = status("--format", "json")
                        warning = (code, report, elapsed, time.monotonic() - outage_started)
                    time.sleep(3)
                failing = int(cluster.archiver_stats()["failed_count"]) > 0
                code, during, during_elapsed = status("--format", "json")
                _c, critical, _e = status("--format", "json", now=time.time() + 3700)
                status("--watch")
                down_posts = receiver.take()
            finally:
                os.killpg(s3_server.pid or 0, signal.SIGCONT)
        returned = time.monotonic()

        # During: answers within seconds (the store hangs; BACKUP_STATUS_TIMEOUT is 10 s).
        code, report, elapsed, after = warning
        assert (code, checks(report)["repository"]) == (1, "WARNING"), report
        assert elapsed < 60 and during_elapsed < 60
        assert failing and checks(during)["archiving"] == "WARNING", during
        assert checks(critical)["repository"] == "CRITICAL" and critical["status"] == "CRITICAL", critical
        events = [p.payload["event"] for p in down_posts]
        assert events[:1] == ["repository-unreachable"] and "archiving-failing" in events, events
        for post in down_posts:
            assert s3_server.secret_key not in post.body and "T0KEN" not in post.body

        # Back: the queue drains by itself and backup-status is good again.
        with steps("drain"):
            deadline = time.monotonic() + 300
            while True:
                code, report, _ = status("--format", "json")
                good = {k: v for k, v in checks(report).items() if k != "outage"}
                if set(good.values()) == {"OK"}:
                    break
                assert time.monotonic() < deadline, report
                time.sleep(2)
        drained = time.monotonic() - returned
        status("--watch")
        up = [p.payload["event"] for p in receiver.take()]
        assert "repository-reachable" in up and "archiving-recovered" in up, up
        print(f"outage drill: WARNING after {after:.0f} s (answered in {elapsed:.1f} s), "
              f"CRITICAL an hour on, drained and good {drained:.0f} s after the store returned")

        # Point-in-time recovery into the outage window.
        runner.ok("check")
        restore_and_start(deployment, steps, "PITR into the outage", "--type=time", f"--target={target}",
                          "--target-action=promote")
        assert fingerprint(cluster) == before_target
    finally:
        receiver.stop()

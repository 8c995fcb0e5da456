"""The object store goes away under write load, and comes back (the guide's resilience chapter,
automated): PostgreSQL keeps accepting writes; backup-status answers within seconds and turns
WARNING at once and CRITICAL after BACKUP_STATUS_CRITICAL_AFTER (60 s here, an hour by default),
in real time, and the watch posts each step once; when the store returns the queue drains,
backup-status is OK again, and point-in-time recovery into the outage window reaches its target
with every row before it.

The store is an s3rver (TLS, signatures checked) frozen with SIGSTOP: connections hang, as with a
black-holed endpoint, the hard case for timeouts (a refused connection fails fast).

With a small archive-push-queue-max, the store refusing every request (its credentials turned
away): pgBackRest drops the WAL piled past the cap, a tail under the cap waits for the store,
backup-status is CRITICAL from pgBackRest's own log while the store still refuses, the watch
posts wal-dropped naming the hole; when the store takes requests again the tail is pushed, the
watch takes a full backup and posts gap-closed, backup-status is OK, and point-in-time recovery
after that backup works.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.backup.test_backup_status_e2e import (SEGMENT, archiver_paused, by_check as checks, dropped_segments,
                                                 push_log, ready_segments, wait_drained, waited)
from tests.backup.webhook import Receiver
from tests.e2e.harness.osuser import OsUser
from tests.e2e.harness.s3 import S3rverServer, new_secret_key
from tests.e2e.harness.steps import StepTimer
from tests.e2e.test_backup_restore import (Deploy, Deployment, deploy, fingerprint,  # noqa: F401 (deploy: the fixture)
                                          restore_and_start, write_batch)

pytestmark = pytest.mark.e2e

STATUS = Path(__file__).resolve().parents[2] / "bin" / "backup" / "backup-status"
OUTAGE_SECONDS = 90
CRITICAL_AFTER = 60  # BACKUP_STATUS_CRITICAL_AFTER for the drill: CRITICAL within the outage
WEEKLY = {"BACKUP_SCHEDULE_FULL": "0 2 * * 0", "BACKUP_SCHEDULE_DIFF": "0 2 * * 1-6"}


class Status:
    """backup-status as the backup container runs it: as the postgres user, over the socket."""

    def __init__(self, deployment: Deployment, user: OsUser, state: Path, hook: str) -> None:
        cluster = deployment.cluster
        self.user, self.cwd = user, state
        self.env = {**user.base_env(), "PGBR_CONFIG_DIR": str(deployment.volume), "PGDATA": str(cluster.data),
                    "PGHOST": str(cluster.socket_dir), "PGPORT": str(cluster.port), "PGUSER": "postgres",
                    "BACKUP_STATE_DIR": str(state), "BACKUP_WEBHOOK_URL": hook,
                    "BACKUP_STATUS_CRITICAL_AFTER": str(CRITICAL_AFTER)}

    def __call__(self, *args: str, **extra: str) -> tuple[int, dict[str, Any], float]:
        env = dict(self.env, **extra)
        started = time.monotonic()
        result = self.user.run([str(STATUS), *args], env=env, cwd=self.cwd, timeout=300)
        elapsed = time.monotonic() - started
        report = json.loads(result.stdout) if "--format" in args else {}
        return result.returncode, report, elapsed

    def wait_ok(self) -> dict[str, Any]:
        """Until the overall status is OK with nothing left in the queue. The outage margin is a
        sizing check (the drills write WAL at a rate no sizing survives): its threshold is off."""
        deadline = time.monotonic() + 300
        while True:
            code, report, _ = self("--format", "json", BACKUP_STATUS_OUTAGE_WARNING="0")
            if code == 0 and report["archive"]["queue_bytes"] == 0:
                return report
            assert time.monotonic() < deadline, report
            time.sleep(2)


def backed_up(deployment: Deployment, pg_user: OsUser, e2e_tmp: Path, receiver: Receiver) -> Status:
    """The cluster started, the stanza created, a full backup taken, and the watch's first run
    recorded (nothing posted after it is about the start)."""
    deployment.cluster.start()
    deployment.runner.ok("stanza-create")
    write_batch(deployment.cluster, 1)
    deployment.runner.ok("backup", "--type=full")
    deployment.runner.ok("check")
    status = Status(deployment, pg_user, pg_user.make_dir(e2e_tmp / "state", 0o755),
                    receiver.url("/hooks/drill-T0KEN"))
    status("--watch")
    receiver.take()
    return status


def test_the_object_store_goes_away_under_writes_and_comes_back(
        deploy: Deploy, s3_server: S3rverServer, pg_user: OsUser, e2e_tmp: Path, steps: StepTimer) -> None:
    deployment = deploy({**s3_server.env(), **WEEKLY})
    cluster, runner = deployment.cluster, deployment.runner
    receiver = Receiver()
    try:
        status = backed_up(deployment, pg_user, e2e_tmp, receiver)
        code, report, _ = status("--format", "json")
        assert code == 0, report

        with steps("outage"):
            os.killpg(s3_server.pid or 0, signal.SIGSTOP)
            outage_started = time.monotonic()
            try:
                first: dict[str, tuple[float, float]] = {}  # status -> (seconds into the outage, answered in)
                down_posts: list[Any] = []
                batch, target, before_target = 1, "", ""
                while (time.monotonic() - outage_started < OUTAGE_SECONDS or "CRITICAL" not in first) \
                        and time.monotonic() - outage_started < 4 * OUTAGE_SECONDS:
                    batch += 1
                    write_batch(cluster, batch)  # PostgreSQL keeps accepting writes
                    cluster.switch_wal()
                    if batch == 4:
                        cluster.psql("SELECT pg_sleep(1.1)")
                        before_target, target = fingerprint(cluster), cluster.now()
                        cluster.psql("SELECT pg_sleep(1.1)")
                    asked = time.monotonic() - outage_started
                    code, report, elapsed = status("--format", "json")
                    first.setdefault(checks(report)["repository"], (asked, elapsed))
                    assert code >= 1 and elapsed < 60, report  # answers within seconds (10 s timeout)
                    status("--watch")  # as the backup service does, every BACKUP_WATCH_MINUTES
                    down_posts += receiver.take()
                failing = int(cluster.archiver_stats()["failed_count"]) > 0
                _code, during, _elapsed = status("--format", "json")
            finally:
                os.killpg(s3_server.pid or 0, signal.SIGCONT)
        returned = time.monotonic()

        # During: WARNING at once, CRITICAL once the outage is CRITICAL_AFTER old, each posted once.
        assert first["WARNING"][0] < 15 and CRITICAL_AFTER <= first["CRITICAL"][0] < CRITICAL_AFTER + 60, first
        assert failing and during["status"] == "CRITICAL", during
        steps_posted = [(p.payload["event"], p.payload["level"]) for p in down_posts]
        assert steps_posted.count(("repository-unreachable", "WARNING")) == 1, steps_posted
        assert steps_posted.count(("repository-unreachable", "CRITICAL")) == 1, steps_posted
        assert steps_posted.index(("repository-unreachable", "WARNING")) < \
            steps_posted.index(("repository-unreachable", "CRITICAL")), steps_posted
        assert "archiving-failing" in [event for event, _ in steps_posted], steps_posted
        assert len(steps_posted) == len(set(steps_posted)), steps_posted  # once each
        for post in down_posts:
            assert s3_server.secret_key not in post.body and "T0KEN" not in post.body

        # Back: the queue drains by itself, and backup-status is OK again.
        with steps("drain"):
            status.wait_ok()
        drained = time.monotonic() - returned
        status("--watch")
        up = [(p.payload["event"], p.payload["level"]) for p in receiver.take()]
        assert ("repository-reachable", "OK") in up and ("archiving-recovered", "OK") in up, up
        print(f"outage drill: WARNING {first['WARNING'][0]:.0f} s into the outage (answered in "
              f"{first['WARNING'][1]:.1f} s), CRITICAL at {first['CRITICAL'][0]:.0f} s "
              f"(BACKUP_STATUS_CRITICAL_AFTER={CRITICAL_AFTER}), drained and OK {drained:.0f} s after the store returned")

        # Point-in-time recovery into the outage window.
        runner.ok("check")
        restore_and_start(deployment, steps, "PITR into the outage", "--type=time", f"--target={target}",
                          "--target-action=promote")
        assert fingerprint(cluster) == before_target
    finally:
        receiver.stop()


def test_wal_dropped_past_a_small_queue_cap_on_the_object_store_then_healed(
        deploy: Deploy, s3_server: S3rverServer, pg_user: OsUser, e2e_tmp: Path, steps: StepTimer) -> None:
    deployment = deploy({**s3_server.env(), **WEEKLY, "PGBACKREST_ARCHIVE_PUSH_QUEUE_MAX": "48MiB"})
    cluster, runner = deployment.cluster, deployment.runner
    receiver = Receiver()
    try:
        status = backed_up(deployment, pg_user, e2e_tmp, receiver)
        secret = s3_server.secret_key

        with steps("store refusing, WAL past the cap"):
            def log_tail() -> str:
                return push_log(cluster.pgbackrest_log)[-6000:]

            # Caught up first: `check` returns once the segment is in the store, a moment before
            # PostgreSQL's archiver hears so and retires its .ready.
            wait_drained(cluster.data, 60, log_tail)
            s3_server.rotate_credentials(secret_key=new_secret_key())  # every request refused from now
            refused_at = time.monotonic()
            try:
                with archiver_paused(cluster.psql):
                    for batch in range(2, 10):  # 8 segments of 16 MiB: past the 48 MiB cap
                        write_batch(cluster, batch)  # PostgreSQL keeps accepting writes
                        cluster.switch_wal()
                    piled = ready_segments(cluster.data)
                    assert len(piled) == 8, piled
                wait_drained(cluster.data, 120, log_tail)  # dropped, all of it at once: the store took nothing
                logs = push_log(cluster.pgbackrest_log)
                dropped = dropped_segments(logs)
                assert len(dropped) == 8, logs[-3000:]
                # A tail under the cap is not dropped: it waits for the store, archiving failing.
                write_batch(cluster, 10)
                # the segment switched out (not pg_current_wal_lsn(): with synchronous_commit off
                # the write position can still stand at the end of the segment before)
                tail = cluster.switch_wal()
                waited("archiving the tail to fail", lambda: cluster.archiver_stats()["last_failed_wal"] == tail, 60,
                       log_tail)
                code, report, elapsed = status("--format", "json")
                critical_at = time.monotonic() - refused_at
                assert (code, checks(report)["continuity"], checks(report)["repository"], checks(report)["queue"]) \
                    == (2, "CRITICAL", "WARNING", "OK"), report
                assert checks(report)["archiving"] in ("WARNING", "CRITICAL"), report
                assert report["archive"]["gap"] == {"missing_segments": 8, "first_missing": dropped[0],
                                                    "after_newest_backup": True}, (report, dropped)
                assert report["archive"]["queue_bytes"] == SEGMENT, report
                status("--watch")
                down = receiver.take()
                events = {p.payload["event"]: p.payload for p in down}
                assert set(events) == {"repository-unreachable", "archiving-failing", "wal-dropped"}, events
                assert events["wal-dropped"]["level"] == "CRITICAL"
                assert events["wal-dropped"]["gap"]["first_missing"] == dropped[0]
                assert any(dropped[0] in problem for problem in events["wal-dropped"]["problems"]), events
                for post in down:
                    assert s3_server.secret_key not in post.body and secret not in post.body and "T0KEN" not in post.body
            finally:
                s3_server.rotate_credentials(secret_key=secret)
        returned = time.monotonic()
        assert cluster.psql("SELECT count(DISTINCT batch) FROM items") == "10"

        with steps("healed by the watch"):
            status("--watch")
            posts = receiver.take()
            healed = [(p.payload.get("event"), p.payload.get("level")) for p in posts if "event" in p.payload]
            assert healed == [("repository-reachable", "OK"), ("archiving-recovered", "OK"), ("gap-closed", "OK")], healed
            [backup] = [p.payload for p in posts if "event" not in p.payload]  # run-backup's report
            assert (backup["status"], backup["type"]) == ("success", "full"), backup
            report = status.wait_ok()  # the healing backup's own WAL drains too
            # The hole is the dropped pile alone: the tail reached the store when it came back.
            assert report["archive"]["gap"] == {"missing_segments": 8, "first_missing": dropped[0],
                                                "after_newest_backup": False}, report
            assert report["restore_points"]["point_in_time"]["from_backup"] == backup["label"]
        ok_after = time.monotonic() - returned
        # Backups that stop coming, judged by the published schedule on this repository too:
        # weekly full, diff Monday to Saturday (longest gap 2 days), one hour of grace.
        for days, expected in ((3, (1, "WARNING")), (8, (2, "CRITICAL"))):
            code, report, _ = status("--format", "json", BACKUP_STATUS_NOW=str(time.time() + days * 86400),
                                     BACKUP_STATUS_OUTAGE_WARNING="0")
            assert (code, checks(report)["backup-age"]) == expected, report
        print(f"WAL-dropped drill (s3rver): {len(dropped)} segments dropped, CRITICAL {critical_at:.0f} s after "
              f"the store began refusing; healed and OK {ok_after:.0f} s after it took requests again")

        # Point-in-time recovery after the healing backup.
        write_batch(cluster, 11)
        cluster.psql("SELECT pg_sleep(1.1)")
        before_target, target = fingerprint(cluster), cluster.now()
        cluster.psql("SELECT pg_sleep(1.1)")
        write_batch(cluster, 12)
        cluster.switch_wal()
        runner.ok("check")
        restore_and_start(deployment, steps, "PITR after the healing backup", "--type=time", f"--target={target}",
                          "--target-action=promote")
        assert fingerprint(cluster) == before_target
    finally:
        receiver.stop()

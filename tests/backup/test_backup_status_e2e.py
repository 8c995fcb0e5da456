"""backup-status against a real cluster and repository: OK after a backup, stale backups by the
published schedule, archiving failing (and recovering), the archive queue against
archive-push-queue-max, a hole in the WAL archive, and an unreachable repository. Time is moved
with BACKUP_STATUS_NOW, as the scheduler's tests move it with SCHEDULER_NOW."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.deploy.cluster import Deployment
from tests.deploy.tools import BACKUP_COMMANDS, REPO

pytestmark = pytest.mark.e2e

STATUS = str(BACKUP_COMMANDS / "backup-status")
WEEKLY = {"BACKUP_SCHEDULE_FULL": "0 2 * * 0", "BACKUP_SCHEDULE_DIFF": "0 2 * * 1-6"}
DAY = 86400


def status(deployment: Deployment, *args: str, now: float | None = None,
           **env: str) -> tuple[int, Any, float]:
    extra = {"BACKUP_STATE_DIR": str(deployment.base / "log"), **env}
    if now is not None:
        extra["BACKUP_STATUS_NOW"] = str(now)
    started = time.monotonic()
    result = deployment.run([STATUS, *args], extra)
    elapsed = time.monotonic() - started
    assert result.stderr == "", result.stderr
    output = json.loads(result.stdout) if "json" in args else result.stdout
    return result.returncode, output, elapsed


def _shape(text: str) -> list[str]:
    """backup-status's text output without what changes from run to run (labels, WAL names,
    numbers): what README's example must still match."""
    text = re.sub(r"[0-9]{8}-[0-9]{6}F", "LABEL", text)
    text = re.sub(r"\(schedule [^;)]*", "(schedule CRON", text)  # the drill's: the tests' never fires
    text = re.sub(r"[0-9A-F]{24}", "WAL", text)
    return [re.sub(r"[0-9]+(\.[0-9]+)?", "N", line).rstrip() for line in text.strip().splitlines()]


def by_check(report: dict[str, Any]) -> dict[str, str]:
    worst: dict[str, str] = {}
    order = ["OK", "WARNING", "CRITICAL", "UNKNOWN"]
    for check in report["checks"]:
        if order.index(check["status"]) >= order.index(worst.get(check["name"], "OK")):
            worst[check["name"]] = check["status"]
    return worst


def switch_wal(deployment: Deployment, times: int = 1) -> None:
    for _ in range(times):
        deployment.psql("INSERT INTO t SELECT 'x' || g FROM generate_series(1, 100) g; SELECT pg_switch_wal()")


def wait_archived(deployment: Deployment) -> str:
    """The segment being written was switched out and archived: returns its name."""
    name = deployment.psql("SELECT pg_walfile_name(pg_current_wal_lsn())")
    deployment.psql("SELECT pg_switch_wal()")
    for _ in range(600):
        archived = deployment.psql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")
        if archived >= name:
            return name
        time.sleep(0.1)
    pytest.fail(f"{name} was not archived in 60 s")


SEGMENT = 16 * 1024 ** 2  # PostgreSQL's WAL segment size here


def waited(what: str, done: Callable[[], Any], seconds: float, diagnosis: Callable[[], str] = str) -> Any:
    """done()'s first true answer, polled; a failure after `seconds` says what and diagnosis()."""
    deadline = time.monotonic() + seconds
    while not (result := done()):
        assert time.monotonic() < deadline, f"{what}: not within {seconds:.0f} s\n{diagnosis()}"
        time.sleep(0.1)
    return result


def ready_segments(data: Path) -> list[str]:
    """The WAL segments waiting for the archiver (.ready in pg_wal/archive_status), in order."""
    return sorted(n for n in os.listdir(data / "pg_wal" / "archive_status") if n.endswith(".ready"))


def wait_drained(data: Path, seconds: float = 180, diagnosis: Callable[[], str] = str) -> None:
    """No WAL segment waits for the archiver."""
    waited("the archive queue to drain", lambda: not ready_segments(data), seconds, diagnosis)


def push_log(log_dir: Path) -> str:
    """pgBackRest's archive-push logs (the foreground's and the async process's)."""
    return "".join(p.read_text(errors="replace") for p in sorted(log_dir.glob("*archive-push*.log")))


def dropped_segments(log: str) -> list[str]:
    """The segments pgBackRest says it dropped past archive-push-queue-max, in its own words."""
    return sorted(set(re.findall(r"dropped WAL file '([0-9A-F]{24})' because archive queue exceeded", log)))


@contextlib.contextmanager
def archiving_failing(deployment: Deployment, segments: int = 1) -> Iterator[None]:
    """archive_command fails until the block ends; it starts once the first of `segments` new
    WAL segments failed to be archived."""
    deployment.psql("ALTER SYSTEM SET archive_command = 'false'")
    deployment.psql("SELECT pg_reload_conf()")
    try:
        switch_wal(deployment, segments)
        waited("archiving to fail", lambda: deployment.psql(
            "SELECT last_failed_time > coalesce(last_archived_time, 'epoch') FROM pg_stat_archiver") == "t", 60)
        yield
    finally:
        deployment.psql("ALTER SYSTEM RESET archive_command")
        deployment.psql("SELECT pg_reload_conf()")


@contextlib.contextmanager
def archiver_paused(psql: Callable[[str], str]) -> Iterator[None]:
    """PostgreSQL's archiver stopped (SIGSTOP) until the block ends. pgBackRest drops WAL only when
    its async process starts and finds the queue past archive-push-queue-max, and then drops what
    it finds; the archiver starts one for each segment as it arrives, so which segments one run
    finds is timing, and a tail under the cap waits for the repository. Paused while a pile is
    written, the first run finds all of it."""
    pid = int(psql("SELECT pid FROM pg_stat_activity WHERE backend_type = 'archiver'"))
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


@pytest.fixture(scope="module")
def healthy(backed_up: Deployment) -> Deployment:
    backed_up.publish(**WEEKLY)
    switch_wal(backed_up, 2)
    wait_archived(backed_up)
    return backed_up


def test_ok_after_a_full_backup_in_every_format(healthy: Deployment) -> None:
    now = time.time()
    code, report, _ = status(healthy, "--format", "json", now=now)
    assert code == 0, report
    assert report["status"] == "OK"
    assert by_check(report) == {"repository": "OK", "backup-age": "OK", "restore-drill": "OK", "archiving": "OK",
                                "continuity": "OK", "queue": "OK", "outage": "OK"}
    full = report["last_backup"]["full"]
    assert full["label"].endswith("F") and 0 <= full["age_seconds"] < 600
    archive = report["archive"]
    assert archive["failed_count"] == 0 and archive["last_archived_wal"]
    assert archive["gap"] == {"missing_segments": 0, "first_missing": None, "after_newest_backup": False}
    assert archive["queue_max_bytes"] == 8 * 1024 ** 3  # the catalogue's default archive-push-queue-max
    assert report["repositories"] == [{"key": 1, "reachable": True, "message": "ok"}]

    # A second sample "ten minutes later" (and at least 16 MiB of WAL more): the rate is the WAL
    # written between the two samples, per hour, and the safe outage what is left of the queue
    # cap or of pg_wal's free space at that rate.
    lsn = "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn"
    own = str(healthy.base / "log" / "rate-samples")  # only this test's two samples (made by the script)
    first = int(healthy.psql(lsn))
    status(healthy, "--format", "json", now=now + 1, BACKUP_STATE_DIR=own)  # the first sample
    first_after = int(healthy.psql(lsn))
    switch_wal(healthy, 1)
    wait_archived(healthy)
    second = int(healthy.psql(lsn))
    code, report, _ = status(healthy, "--format", "json", now=now + 601, BACKUP_STATE_DIR=own)
    second_after = int(healthy.psql(lsn))
    archive = report["archive"]
    written = archive["wal_bytes_per_hour"] * 600 / 3600
    assert code == 0 and second - first_after - 1 <= written <= second_after - first + 1, (report, first, second)
    assert written >= SEGMENT - 1  # a whole segment switched in between
    free_or_queue = min(archive["free_bytes"], archive["queue_max_bytes"] - archive["queue_bytes"])
    assert archive["safe_outage_hours"] == pytest.approx(free_or_queue / archive["wal_bytes_per_hour"], rel=0.01)

    # The thresholds of the safe outage: below BACKUP_STATUS_OUTAGE_WARNING hours WARNING; below
    # BACKUP_STATUS_OUTAGE_CRITICAL only WARNING too while storage is up (a sizing question)...
    hours = archive["safe_outage_hours"]
    warn, critical = str(hours * 3), str(hours * 2)
    code, report, _ = status(healthy, "--format", "json", now=now + 602, BACKUP_STATE_DIR=own,
                             BACKUP_STATUS_OUTAGE_WARNING=warn)
    assert (code, by_check(report)["outage"]) == (1, "WARNING"), report
    code, report, _ = status(healthy, "--format", "json", now=now + 603, BACKUP_STATE_DIR=own,
                             BACKUP_STATUS_OUTAGE_WARNING=warn, BACKUP_STATUS_OUTAGE_CRITICAL=critical)
    assert (code, by_check(report)["outage"]) == (1, "WARNING"), report
    # ...and CRITICAL while an outage is under way: the time left before WAL is dropped.
    repo = healthy.base / "repo"
    repo.chmod(0o000)
    try:
        code, report, _ = status(healthy, "--format", "json", now=now + 604, BACKUP_STATE_DIR=own,
                                 BACKUP_STATUS_TIMEOUT="5", BACKUP_STATUS_OUTAGE_WARNING=warn,
                                 BACKUP_STATUS_OUTAGE_CRITICAL=critical)
        assert (code, by_check(report)["outage"]) == (2, "CRITICAL"), report
    finally:
        repo.chmod(0o750)

    code, text, _ = status(healthy, now=now + 600)
    assert code == 0 and text.startswith("BACKUP OK: backups and archive are good")
    # README's OK example is this output: the same lines, but for labels, names and figures
    shown = (REPO / "README.md").read_text().split("$ make backup-status\n", 1)[1].split("```", 1)[0]
    assert _shape(shown) == _shape(text), (shown, text)

    code, exposition, _ = status(healthy, "--format", "prometheus", now=now + 600)
    families = {f.name: f for f in text_string_to_metric_families(exposition)}
    assert {"pgbackrest_status", "pgbackrest_check_status", "pgbackrest_last_backup_age_seconds",
            "pgbackrest_archive_failed_count", "pgbackrest_archive_queue_bytes",
            "pgbackrest_safe_outage_hours", "pgbackrest_repository_reachable"} <= set(families)
    assert [s.value for s in families["pgbackrest_status"].samples] == [0]
    assert {s.labels["check"]: s.value for s in families["pgbackrest_check_status"].samples}["continuity"] == 0


def test_postgresql_not_answering_is_unknown_with_every_field(healthy: Deployment) -> None:
    """PostgreSQL down (here: a port nobody listens on): UNKNOWN, exit 3, and the JSON still has
    every archive field (null where it could not be measured)."""
    code, report, _ = status(healthy, "--format", "json", PGPORT="1", PGHOST="127.0.0.1")
    assert (code, report["status"], by_check(report)["archiving"]) == (3, "UNKNOWN", "UNKNOWN"), report
    assert set(report["archive"]) == {"last_archived_wal", "last_archived_age_seconds", "failed_count",
                                      "last_failed_wal", "queue_bytes", "queue_max_bytes", "free_bytes",
                                      "wal_bytes_per_hour", "safe_outage_hours", "gap"}, report
    assert report["archive"]["failed_count"] is None and report["repositories"][0]["reachable"]


def test_stale_backups_by_the_published_schedule(healthy: Deployment) -> None:
    """Weekly full (Sunday), diff Monday to Saturday: the diff schedule's longest gap is 2 days."""
    now = time.time()
    code, report, _ = status(healthy, "--format", "json", now=now + 3 * DAY)
    assert code == 1 and report["status"] == "WARNING"
    messages = {c["message"].split(":")[0]: c["status"] for c in report["checks"] if c["name"] == "backup-age"}
    assert messages == {"full": "OK", "diff": "WARNING"}
    code, report, _ = status(healthy, "--format", "json", now=now + 8 * DAY)
    messages = {c["message"].split(":")[0]: c["status"] for c in report["checks"] if c["name"] == "backup-age"}
    assert (code, messages) == (2, {"full": "WARNING", "diff": "CRITICAL"})
    code, report, _ = status(healthy, "--format", "json", now=now + 16 * DAY)
    messages = {c["message"].split(":")[0]: c["status"] for c in report["checks"] if c["name"] == "backup-age"}
    assert (code, messages) == (2, {"full": "CRITICAL", "diff": "CRITICAL"})


def test_archiving_failing_then_recovered_and_the_queue(healthy: Deployment) -> None:
    healthy.publish(**WEEKLY, PGBACKREST_ARCHIVE_PUSH_QUEUE_MAX="64MiB")
    try:
        with archiving_failing(healthy, segments=4):
            _queue_and_archiving_while_failing(healthy)
    finally:
        healthy.publish(**WEEKLY)
    wait_archived(healthy)
    wait_drained(healthy.data)
    code, report, _ = status(healthy, "--format", "json")
    assert (code, by_check(report)["archiving"], by_check(report)["queue"]) == (0, "OK", "OK"), report


def _queue_and_archiving_while_failing(healthy: Deployment) -> None:
    """While archiving fails: WARNING, the queue against archive-push-queue-max (its 80 % and
    50 % thresholds), CRITICAL after BACKUP_STATUS_CRITICAL_AFTER."""
    now = time.time()
    code, report, _ = status(healthy, "--format", "json", now=now)
    checks = by_check(report)
    assert checks["archiving"] == "WARNING", report
    assert report["archive"]["failed_count"] > 0 and report["archive"]["last_failed_wal"]
    assert report["archive"]["queue_bytes"] >= 4 * SEGMENT
    assert (checks["queue"], code) == ("CRITICAL", 2)  # 64 MiB waiting of 64 MiB allowed
    waiting = report["archive"]["queue_bytes"]
    # the queue's thresholds: WARNING from 50 % of archive-push-queue-max, OK below (the
    # margins hold if one more segment is queued meanwhile: 60 % -> 75 %, 30 % -> 37.5 %)
    healthy.publish(**WEEKLY, PGBACKREST_ARCHIVE_PUSH_QUEUE_MAX=f"{waiting * 100 // 60 // 1024}KiB")
    _code, report, _ = status(healthy, "--format", "json", now=now)
    assert by_check(report)["queue"] == "WARNING" and report["archive"]["queue_bytes"] >= waiting, report
    healthy.publish(**WEEKLY, PGBACKREST_ARCHIVE_PUSH_QUEUE_MAX=f"{waiting * 100 // 30 // 1024}KiB")
    _code, report, _ = status(healthy, "--format", "json", now=now)
    assert by_check(report)["queue"] == "OK" and report["archive"]["queue_bytes"] >= waiting, report
    code, report, _ = status(healthy, "--format", "json", now=now + 7200)
    assert by_check(report)["archiving"] == "CRITICAL"


def _archived_file(deployment: Deployment, segment: str) -> Path:
    [path] = list((deployment.base / "repo" / "archive" / deployment.stanza).glob(f"*/{segment[:16]}/{segment}-*"))
    return path


def archived_between_two(deployment: Deployment) -> tuple[str, Path]:
    """A segment archived between two others, and its file in the repository (for a test to
    take away: a hole in the archive)."""
    switch_wal(deployment, 1)
    segment = wait_archived(deployment)
    switch_wal(deployment, 1)
    wait_archived(deployment)
    return segment, _archived_file(deployment, segment)


def test_a_hole_in_the_archive_is_critical_until_a_new_backup(healthy: Deployment) -> None:
    hole, moved = archived_between_two(healthy)
    aside = healthy.base / moved.name
    moved.rename(aside)  # as if pgBackRest had dropped it past archive-push-queue-max
    try:
        code, report, _ = status(healthy, "--format", "json")
        assert (code, by_check(report)["continuity"]) == (2, "CRITICAL"), report
        assert report["archive"]["gap"] == {"missing_segments": 1, "first_missing": hole, "after_newest_backup": True}
        healthy.check(["run-backup", "full"])
        code, report, _ = status(healthy, "--format", "json")
        # Recovery to now works again: OK; restore points before the new backup still miss the
        # segment, which the message, archive.gap and the restore points say.
        assert (code, by_check(report)["continuity"]) == (0, "OK"), report
        [continuity] = [c["message"] for c in report["checks"] if c["name"] == "continuity"]
        assert f"1 WAL segment(s) missing before it, from {hole}" in continuity, continuity
        assert report["archive"]["gap"] == {"missing_segments": 1, "first_missing": hole, "after_newest_backup": False}
        newest = json.loads(healthy.check(["pgbackrest-stanza", "info", "--output=json"]).stdout)[0]["backup"][-1]
        assert report["restore_points"]["point_in_time"]["from_backup"] == newest["label"]
    finally:
        aside.rename(moved)
    code, report, _ = status(healthy, "--format", "json")
    assert (code, by_check(report)["continuity"]) == (0, "OK"), report


def test_an_unreachable_repository_is_warning_at_once_and_critical_after_an_hour(healthy: Deployment) -> None:
    """backup-status answers within seconds while the repository is away; the outage is
    remembered between runs (the healthcheck runs every minute), so an hour later it is CRITICAL."""
    repo = healthy.base / "repo"
    now = time.time()
    repo.chmod(0o000)
    try:
        code, report, elapsed = status(healthy, "--format", "json", now=now, BACKUP_STATUS_TIMEOUT="5")
        assert code == 1 and by_check(report)["repository"] == "WARNING", report
        assert elapsed < 30
        code, report, _ = status(healthy, "--format", "json", now=now + 1800, BACKUP_STATUS_TIMEOUT="5")
        assert code == 1 and "(for 30 min)" in str(report["checks"]), report
        code, report, _ = status(healthy, "--format", "json", now=now + 3700, BACKUP_STATUS_TIMEOUT="5")
        assert code == 2 and by_check(report)["repository"] == "CRITICAL", report
    finally:
        repo.chmod(0o750)
    code, report, _ = status(healthy, "--format", "json", now=now + 3800)
    assert by_check(report)["repository"] == "OK", report
    repo.chmod(0o000)
    try:  # a new outage starts its own clock
        code, report, _ = status(healthy, "--format", "json", now=now + 3900, BACKUP_STATUS_TIMEOUT="5")
        assert by_check(report)["repository"] == "WARNING", report
    finally:
        repo.chmod(0o750)
    assert status(healthy, "--format", "json")[0] == 0


def test_restore_points_list_the_backups_and_the_recovery_span(healthy: Deployment) -> None:
    code, points, _ = status(healthy, "--restore-points", "--format", "json")
    info = json.loads(healthy.check(["pgbackrest-stanza", "info", "--output=json"]).stdout)[0]
    assert code == 0
    assert [b["label"] for b in points["backups"]] == [b["label"] for b in info["backup"]]
    oldest = info["backup"][0]
    assert points["point_in_time"]["from_backup"] == oldest["label"]
    assert points["point_in_time"]["from"].startswith(time.strftime("%Y-%m-%dT", time.gmtime(oldest["timestamp"]["stop"])))
    last = healthy.psql("SELECT extract(epoch from last_archived_time)::bigint FROM pg_stat_archiver")
    assert points["point_in_time"]["to"] == \
        time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(max(int(last), oldest["timestamp"]["stop"])))
    # and the archived WAL that span rests on: from the oldest backup's first segment to the last archived
    last_wal = healthy.psql("SELECT last_archived_wal FROM pg_stat_archiver")
    assert (points["point_in_time"]["wal_from"], points["point_in_time"]["wal_to"]) == (oldest["archive"]["start"], last_wal)
    code, text, _ = status(healthy, "--restore-points")
    assert code == 0 and oldest["label"] in text and "point-in-time recovery: any time from" in text
    assert f"archived WAL {oldest['archive']['start']} to {last_wal}" in text, text



def test_a_new_repository_without_a_backup_is_due_one_interval_after_it_was_created(e2e_tools: None) -> None:
    """Right after deploy (stanza created, no backup yet): WARNING until the first full backup is
    overdue by the schedule, then CRITICAL. Here: the full schedule is weekly."""
    import secrets

    from tests.deploy.cluster import unprivileged_user

    fresh = Deployment(unprivileged_user(), stanza="fresh", cipher_pass=secrets.token_hex(16))
    try:
        fresh.publish(**WEEKLY)
        fresh.initdb()
        fresh.start()
        fresh.check(["pgbackrest-stanza", "stanza-create"])
        now = time.time()
        code, report, _ = status(fresh, "--format", "json", now=now)
        ages = [c for c in report["checks"] if c["name"] == "backup-age"]
        assert code == 1 and {c["status"] for c in ages} == {"WARNING"}, report
        assert all("no backup yet" in c["message"] and "due by" in c["message"] for c in ages)
        code, report, _ = status(fresh, "--format", "json", now=now + 8 * DAY)
        assert code == 2 and by_check(report)["backup-age"] == "CRITICAL"
    finally:
        fresh.close()


# --- the watch: state changes posted once each, and a full backup that closes a gap ---------------

HOOK = "/hooks/watch-T0KEN"


def watch(deployment: Deployment, webhook: Any, **env: str) -> tuple[int, list[Any]]:
    code, payloads, _log = watch_logged(deployment, webhook, **env)
    return code, payloads


def watch_logged(deployment: Deployment, webhook: Any, **env: str) -> tuple[int, list[Any], str]:
    """backup-status --watch: its exit status, what it posted (never a secret), what it logged."""
    result = deployment.run([STATUS, "--watch"], {"BACKUP_STATE_DIR": str(deployment.base / "log"),
                                                  "BACKUP_WEBHOOK_URL": webhook.url(HOOK), **env})
    posts = webhook.take()
    for post in posts:
        assert post.path == HOOK and post.content_type == "application/json"
        assert deployment.cipher_pass not in post.body and "T0KEN" not in post.body
    return result.returncode, [p.payload for p in posts], result.stderr


def test_the_watch_posts_each_change_once_and_closes_a_gap_with_a_full_backup(healthy: Deployment,
                                                                               webhook: Any) -> None:
    watch(healthy, webhook)  # whatever the state was, it is recorded now
    assert watch(healthy, webhook) == (0, [])  # nothing changed: nothing posted

    hole, moved = archived_between_two(healthy)
    moved.unlink()  # dropped: pgBackRest never pushed it
    before = [b["label"] for b in json.loads(healthy.check(["pgbackrest-stanza", "info", "--output=json"]).stdout)[0]["backup"]]

    code, posts, logged = watch_logged(healthy, webhook)
    assert f"1 WAL segment(s) missing after the newest backup, from {hole}: taking a full backup" in logged, logged
    assert "the gap is closed: recovery to now works again" in logged, logged
    events = [p for p in posts if "event" in p]
    results = [p for p in posts if "event" not in p]  # run-backup's own post of the backup it took
    assert [(r["status"], r["type"]) for r in results] == [("success", "full")], posts
    names = [e["event"] for e in events]
    assert names[0] == "wal-dropped" and "gap-closed" in names, events
    assert events[0]["gap"] == {"missing_segments": 1, "first_missing": hole, "after_newest_backup": True}
    assert events[0]["status"] == "CRITICAL" and events[-1]["gap"]["after_newest_backup"] is False
    info = json.loads(healthy.check(["pgbackrest-stanza", "info", "--output=json"]).stdout)[0]["backup"]
    assert info[-1]["label"] not in before and info[-1]["type"] == "full"  # the watch took it
    assert results[0]["label"] == info[-1]["label"]
    assert code == 0  # recovery to now works again (older restore points keep the hole, said in the message)

    assert watch(healthy, webhook) == (0, [])  # once per change, not every run


def test_the_watch_posts_archiving_failing_and_recovered(healthy: Deployment, webhook: Any) -> None:
    watch(healthy, webhook)
    with archiving_failing(healthy):
        _code, events = watch(healthy, webhook)
        assert [(e["event"], e["level"]) for e in events] == [("archiving-failing", "WARNING")], events
        assert watch(healthy, webhook)[1] == []
        # failing for longer than BACKUP_STATUS_CRITICAL_AFTER: the same event again, at CRITICAL, once
        later = str(time.time() + 7200)
        _code, events = watch(healthy, webhook, BACKUP_STATUS_NOW=later)
        assert [(e["event"], e["level"], e["status"]) for e in events] == [("archiving-failing", "CRITICAL", "CRITICAL")]
        assert watch(healthy, webhook, BACKUP_STATUS_NOW=later)[1] == []
    wait_archived(healthy)
    _code, events = watch(healthy, webhook)
    assert [(e["event"], e["level"]) for e in events] == [("archiving-recovered", "OK")], events


def test_the_watch_posts_stale_backups_as_they_get_worse_and_fresh_again(healthy: Deployment, webhook: Any) -> None:
    """Weekly full, diff Monday to Saturday: 3 days without a backup is WARNING, 8 days CRITICAL
    (the clock moved with BACKUP_STATUS_NOW); each step posted once, and fresh again at once."""
    watch(healthy, webhook)
    now = time.time()
    _code, events = watch(healthy, webhook, BACKUP_STATUS_NOW=str(now + 3 * DAY))
    assert [(e["event"], e["level"]) for e in events] == [("backups-stale", "WARNING")], events
    assert any("diff: newest" in problem for problem in events[0]["problems"]), events
    assert watch(healthy, webhook, BACKUP_STATUS_NOW=str(now + 3 * DAY + 60))[1] == []
    _code, events = watch(healthy, webhook, BACKUP_STATUS_NOW=str(now + 8 * DAY))
    assert [(e["event"], e["level"]) for e in events] == [("backups-stale", "CRITICAL")], events
    _code, events = watch(healthy, webhook, BACKUP_STATUS_NOW=str(now + 8 * DAY + 60))
    assert events == []
    _code, events = watch(healthy, webhook)
    assert [(e["event"], e["level"]) for e in events] == [("backups-fresh", "OK")], events


def test_a_hole_while_archiving_fails_is_still_critical(healthy: Deployment) -> None:
    """Archiving failing and a segment missing from the repository at once: both are reported
    (the continuity check once went quiet while archiving failed, so the watch posted the gap
    closed while it was not)."""
    holes_before = status(healthy, "--format", "json")[1]["archive"]["gap"]["missing_segments"]
    hole, moved = archived_between_two(healthy)
    aside = healthy.base / moved.name
    moved.rename(aside)
    try:
        with archiving_failing(healthy):
            code, report, _ = status(healthy, "--format", "json")
            assert (code, by_check(report)["archiving"], by_check(report)["continuity"]) == (2, "WARNING", "CRITICAL"), report
            [continuity] = [c["message"] for c in report["checks"] if c["name"] == "continuity"]
            assert continuity.startswith(f"1 WAL segment(s) missing after the newest backup started, from {hole}"), report
            gap = report["archive"]["gap"]  # the count holds earlier holes too, from before the newest backup
            assert gap["after_newest_backup"] and gap["missing_segments"] == holes_before + 1, report
    finally:
        aside.rename(moved)
    wait_archived(healthy)
    code, report, _ = status(healthy, "--format", "json")
    assert by_check(report)["continuity"] == "OK" and by_check(report)["archiving"] == "OK", report


def test_on_minute_runs_the_watch_every_backup_watch_minutes(healthy: Deployment) -> None:
    state = healthy.base / "log" / "backup-status.state.json"
    state.unlink(missing_ok=True)
    env = {"BACKUP_STATE_DIR": str(healthy.base / "log")}
    off = healthy.run([str(BACKUP_COMMANDS / "on-minute")], {**env, "BACKUP_WATCH_MINUTES": "0"})
    assert off.returncode == 0 and not state.exists(), off.stderr
    every = healthy.run([str(BACKUP_COMMANDS / "on-minute")], {**env, "BACKUP_WATCH_MINUTES": "1"})
    assert every.returncode == 0 and json.loads(state.read_text()) == {
        "repository_unreachable": "OK", "archiving_failing": "OK", "wal_missing": "OK",
        "backups_stale": "OK"}, every.stderr


def test_drill_wal_dropped_past_the_queue_cap_then_healed(healthy: Deployment, webhook: Any) -> None:
    """The repository goes away under writes with a small archive-push-queue-max: PostgreSQL keeps
    accepting writes, pgBackRest drops WAL past the cap (reporting success), and while the
    repository is still away backup-status turns CRITICAL from pgBackRest's own log, naming the
    hole, and the watch posts wal-dropped; the repository comes back, the watch takes a full
    backup and posts the gap closed, backup-status is OK, and point-in-time recovery after that
    backup reaches its target."""
    healthy.publish(**WEEKLY, PGBACKREST_ARCHIVE_PUSH_QUEUE_MAX="48MiB")
    watch(healthy, webhook)
    holes_before = status(healthy, "--format", "json")[1]["archive"]["gap"]["missing_segments"]
    repo = healthy.base / "repo"
    wait_drained(healthy.data)  # caught up before the outage: the pile below is all there is
    started = time.monotonic()
    repo.chmod(0o000)
    try:
        healthy.psql("CREATE TABLE IF NOT EXISTS outage (i int)")
        with archiver_paused(healthy.psql):
            for i in range(8):  # 8 segments: past the 48 MiB cap
                healthy.psql(f"INSERT INTO outage VALUES ({i}); SELECT pg_switch_wal()")
            # The repository does not answer (WARNING) and the queue is past the cap (CRITICAL).
            code, report, elapsed = status(healthy, "--format", "json", BACKUP_STATUS_TIMEOUT="5")
            assert (code, by_check(report)["repository"], by_check(report)["queue"]) == (2, "WARNING", "CRITICAL"), report
            assert report["archive"]["queue_bytes"] == 8 * SEGMENT and elapsed < 30, report
        # PostgreSQL kept accepting writes; pgBackRest drops the whole pile at once.
        wait_drained(healthy.data)
        log = push_log(healthy.base / "log")
        dropped_names = dropped_segments(log)
        assert len(dropped_names) == 8, log[-3000:]  # pgBackRest's own words: the whole pile
        dropped_after = time.monotonic() - started

        # Still away: CRITICAL now, the hole named from pgBackRest's log, and the watch says so.
        code, report, elapsed = status(healthy, "--format", "json", BACKUP_STATUS_TIMEOUT="5")
        assert (code, by_check(report)["continuity"], by_check(report)["repository"]) == (2, "CRITICAL", "WARNING"), report
        assert report["archive"]["gap"] == {"missing_segments": len(dropped_names), "first_missing": dropped_names[0],
                                            "after_newest_backup": True}, (report, dropped_names)
        critical_after = time.monotonic() - started
        _code, posts = watch(healthy, webhook, BACKUP_STATUS_TIMEOUT="5")
        events = {p["event"]: p for p in posts}
        assert set(events) == {"repository-unreachable", "wal-dropped"}, posts
        assert events["wal-dropped"]["level"] == "CRITICAL" and events["wal-dropped"]["gap"]["first_missing"] == dropped_names[0]
        assert any(dropped_names[0] in problem for problem in events["wal-dropped"]["problems"]), posts
        assert watch(healthy, webhook, BACKUP_STATUS_TIMEOUT="5")[1] == []  # once, not every run
    finally:
        repo.chmod(0o750)
    returned = time.monotonic()
    assert int(healthy.psql("SELECT count(*) FROM outage")) == 8
    code, report, _ = status(healthy, "--format", "json")
    assert (code, by_check(report)["continuity"]) == (2, "CRITICAL"), report
    dropped = report["archive"]["gap"]  # every segment pgBackRest dropped, and the holes there were
    assert dropped["after_newest_backup"] and dropped["missing_segments"] == holes_before + len(dropped_names)

    code, posts = watch(healthy, webhook)
    healed = [p["event"] for p in posts if "event" in p]
    assert healed == ["repository-reachable", "gap-closed"], posts  # wal-dropped was posted while away
    assert [(p["status"], p["type"]) for p in posts if "event" not in p] == [("success", "full")], posts
    # The queue drains (the healing backup's own WAL too), then OK again. The outage margin is a
    # sizing check (the drill wrote 128 MiB in seconds, a rate no sizing survives), checked on
    # its own elsewhere: its threshold is off here.
    wait_drained(healthy.data)
    code, report, _ = status(healthy, "--format", "json", BACKUP_STATUS_OUTAGE_WARNING="0")
    assert (code, report["status"]) == (0, "OK"), report
    assert not report["archive"]["gap"]["after_newest_backup"] and report["archive"]["queue_bytes"] == 0
    ok_after_return = time.monotonic() - returned

    # Point-in-time recovery after the healing backup reaches its target with every row before it.
    report = healthy.restore_between("INSERT INTO outage VALUES (100)", "INSERT INTO outage VALUES (101)")
    assert re.search(r"recovery finished: timeline \d+", report), report
    assert healthy.psql("SELECT array_agg(i ORDER BY i) FROM outage") == "{0,1,2,3,4,5,6,7,100}"
    print(f"drill: WAL dropped {dropped_after:.0f} s after the repository went away, CRITICAL at "
          f"{critical_after:.0f} s; back: healed and OK {ok_after_return:.0f} s after it returned")


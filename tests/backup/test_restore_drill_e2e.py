"""restore-drill against a real cluster and repository (pgBackRest, PostgreSQL): a healthy backup
passes and the probe sees a transaction archived after it; a WAL segment missing after the newest
backup, a corrupted file of the newest backup, and a page corrupted on disk before the backup are
CRITICAL; a drill killed with -9 is cleaned up by the next; too little space is WARNING with
nothing written; one drill at a time; backups run during a drill; BACKUP_DRILL_TIMEOUT. Each test
proves what the drill did not touch: the same postmaster, an open connection still open, every row
there, and nothing pushed into the repository."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.cluster import Deployment, unprivileged_user

from .webhook import Receiver

pytestmark = pytest.mark.e2e

CHECKS = ["restore", "end-of-archive", "databases", "probe", "amcheck", "checksums"]
PROBE = ("SELECT count(*) = 1 AND current_setting('archive_mode') = 'off' AND current_setting('listen_addresses') = '' "
         "FROM t WHERE v = 'after-backup'")


def _new(stanza: str) -> Deployment:
    cluster = Deployment(unprivileged_user(), stanza=stanza, cipher_pass=secrets.token_hex(16))
    cluster.publish()
    cluster.initdb("--data-checksums")
    cluster.start()
    cluster.check(["pgbackrest-stanza", "stanza-create"])
    for path in ("drill", "drill-state"):
        (cluster.base / path).mkdir()
        os.chown(cluster.base / path, cluster.user.uid, cluster.user.gid)
    return cluster


@pytest.fixture(scope="module")
def production(e2e_tools: None) -> Iterator[Deployment]:
    """A cluster with data checksums, a second database, table t holding 'base', a full backup."""
    cluster = _new("drill")
    try:
        cluster.psql("CREATE TABLE t (v text PRIMARY KEY); INSERT INTO t VALUES ('base')")
        cluster.psql("CREATE DATABASE shop")
        cluster.check(["run-backup", "full"])
        yield cluster
    finally:
        cluster.close()


def drill_env(cluster: Deployment, **extra: str) -> dict[str, str]:
    return {"BACKUP_DRILL_SCRATCH": str(cluster.base / "drill"), "BACKUP_STATE_DIR": str(cluster.base / "drill-state"),
            "POSTGRES_DB": "postgres", **extra}


def drill(cluster: Deployment, *args: str, **extra: str) -> tuple[int, dict[str, Any], str]:
    result = cluster.run(["restore-drill", "--format", "json", *args], drill_env(cluster, **extra), timeout=600)
    return result.returncode, json.loads(result.stdout), result.stderr


def by_name(report: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["status"] for c in report["checks"]}


def repository_files(cluster: Deployment) -> dict[str, tuple[int, int]]:
    root = cluster.base / "repo"
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


def archived_segments(cluster: Deployment) -> list[Path]:
    return sorted(p for p in (cluster.base / "repo" / "archive").rglob("*") if p.is_file() and len(p.name) > 40
                  and p.name[:24].isalnum())


class Untouched:
    """Production before a drill: its postmaster, an open session, its rows, its repository; check()
    proves after the drill that none of it changed but for WAL production itself archived."""

    def __init__(self, cluster: Deployment) -> None:
        self.cluster = cluster
        self.pid = cluster.pid()
        self.started = cluster.psql("SELECT pg_postmaster_start_time()")
        self.rows = cluster.psql("SELECT string_agg(v, ',' ORDER BY v) FROM t")
        self.timeline = cluster.psql("SELECT timeline_id FROM pg_control_checkpoint()")
        self.repository = repository_files(cluster)
        self.session = subprocess.Popen(cluster.as_user(["psql", "-X", "-A", "-t", "-q", "-d", "postgres"]),
                                        env=cluster.env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.backend = self.ask("SELECT pg_backend_pid();")

    def ask(self, sql: str) -> str:
        assert self.session.stdin is not None and self.session.stdout is not None
        self.session.stdin.write(sql + "\n")
        self.session.stdin.flush()
        return self.session.stdout.readline().strip()

    def check(self) -> None:
        try:
            assert self.cluster.pid() == self.pid
            assert self.cluster.psql("SELECT pg_postmaster_start_time()") == self.started
            assert self.ask("SELECT pg_backend_pid();") == self.backend, "the open connection was lost"
            assert self.cluster.psql("SELECT string_agg(v, ',' ORDER BY v) FROM t").startswith(self.rows)
            after = repository_files(self.cluster)
            changed = {path for path, stat in self.repository.items() if after.get(path) != stat}
            assert changed <= {p for p in self.repository if p.endswith(("archive.info", "archive.info.copy"))}, changed
            added = set(after) - set(self.repository)
            assert not [p for p in added if ".history" in p], added
            timeline = f"{int(self.timeline):08X}"
            assert all(Path(p).name.startswith(timeline) for p in added if p.startswith("archive/")
                       and not Path(p).name.startswith("archive.info")), added
            assert not [p for p in added if p.startswith("backup/")], added
        finally:
            self.session.kill()
            self.session.wait()


def scratch_is_empty(cluster: Deployment) -> bool:
    return list((cluster.base / "drill").iterdir()) == []


def test_a_healthy_backup_passes_and_production_is_untouched(production: Deployment) -> None:
    production.psql("INSERT INTO t VALUES ('after-backup')")
    production.check(["pgbackrest-stanza", "check"])  # archived: the probe must see it
    untouched = Untouched(production)
    # The probe also asks the scratch cluster itself: it archives nothing and listens on no TCP port.
    code, report, log = drill(production, "--sql", PROBE)
    untouched.check()
    assert code == 0, (report, log)
    assert report["status"] == "ok" and [c["name"] for c in report["checks"]] == CHECKS, report
    assert set(by_name(report).values()) == {"ok"}
    assert report["probe"] == {"sql": PROBE, "result": "t", "ok": True}
    assert report["backup_label"].endswith("F")
    for field in ("restore_seconds", "recovery_seconds", "rto_seconds", "rpo_seconds"):
        assert isinstance(report[field], (int, float)) and report[field] >= 0, field
    assert report["rto_seconds"] >= report["restore_seconds"] + report["recovery_seconds"] - 0.2
    assert scratch_is_empty(production)
    assert "every page's checksum is correct" in " ".join(c["message"] for c in report["checks"])

    status = production.run(["backup-status", "--format", "json"], drill_env(production))
    summary = json.loads(status.stdout)["restore_drill"]
    assert (summary["status"], summary["backup_label"], summary["rto_seconds"]) == \
        ("ok", report["backup_label"], report["rto_seconds"])
    exposition = production.run(["backup-status", "--format", "prometheus"], drill_env(production)).stdout
    for gauge in ("status", "last_success_timestamp_seconds", "rto_seconds", "rpo_seconds"):
        assert f"pgbackrest_restore_drill_{gauge}{{" in exposition, gauge


def test_backups_run_during_a_drill_and_only_one_drill_runs_at_once(production: Deployment) -> None:
    slow = production.popen(["restore-drill", "--format", "json", "--sql", "SELECT true FROM pg_sleep(4)"],
                            drill_env(production))
    try:
        pid_file = production.base / "drill" / "data" / "postmaster.pid"
        deadline = time.monotonic() + 120
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert pid_file.exists(), "the first drill never started its scratch cluster"
        code, second, _ = drill(production)
        assert (code, second["status"], by_name(second)) == (3, "unknown", {"lock": "unknown"}), second
        production.check(["run-backup", "incr"])  # the schedule goes on
    finally:
        output, _ = slow.communicate(timeout=600)
    assert slow.returncode == 0, output
    assert scratch_is_empty(production)


def test_a_drill_killed_midway_is_cleaned_up_by_the_next(production: Deployment) -> None:
    killed = production.popen(["restore-drill", "--sql", "SELECT true FROM pg_sleep(60)"], drill_env(production))
    pid_file = production.base / "drill" / "data" / "postmaster.pid"
    deadline = time.monotonic() + 120
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1)
    assert pid_file.exists()
    os.kill(killed.pid, signal.SIGKILL)  # setpriv execs the drill: the same PID
    killed.wait(timeout=30)
    leftover = int(pid_file.read_text().split("\n", 1)[0])
    os.kill(leftover, 0)  # the scratch PostgreSQL outlived its drill

    untouched = Untouched(production)
    code, report, log = drill(production)
    untouched.check()
    assert code == 0, (report, log)
    assert "removed what an earlier drill left" in log
    with pytest.raises(ProcessLookupError):
        os.kill(leftover, 0)
    assert scratch_is_empty(production)


def test_the_drill_timeout_stops_and_removes_the_scratch_cluster(production: Deployment) -> None:
    started = time.monotonic()
    code, report, _ = drill(production, "--sql", "SELECT true FROM pg_sleep(30)", BACKUP_DRILL_TIMEOUT="8")
    assert code == 2 and report["status"] == "critical", report
    assert "BACKUP_DRILL_TIMEOUT" in json.dumps(report["checks"])
    assert time.monotonic() - started < 60
    assert scratch_is_empty(production)


def test_an_rto_over_target_is_warning(production: Deployment) -> None:
    code, report, _ = drill(production, "--sql", "SELECT true FROM pg_sleep(1.5)", BACKUP_DRILL_RTO_TARGET="1")
    assert (code, by_name(report)["rto"]) == (1, "warning"), report
    status = production.run(["backup-status", "--format", "json"], drill_env(production, BACKUP_DRILL_RTO_TARGET="1"))
    checks = [c for c in json.loads(status.stdout)["checks"] if c["name"] == "restore-drill"]
    assert [c["status"] for c in checks] == ["WARNING"] and "exceeds BACKUP_DRILL_RTO_TARGET" in checks[0]["message"]


def test_too_little_space_is_a_warning_and_writes_nothing(production: Deployment) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")  # CI runs as root
    scratch = production.base / "drill"
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size=1m,mode=0700,uid={production.user.uid},"
                    f"gid={production.user.gid}", "tmpfs", str(scratch)], check=True)
    try:
        untouched = Untouched(production)
        code, report, _ = drill(production)
        untouched.check()
        assert (code, report["status"]) == (1, "warning"), report
        [check] = report["checks"]
        assert check["name"] == "space" and check["message"].startswith("skipped: needs ") \
            and f"GiB in {scratch}" in check["message"], check
        assert list(scratch.iterdir()) == []
    finally:
        subprocess.run(["umount", str(scratch)], check=True)
    status = json.loads(production.run(["backup-status", "--format", "json"], drill_env(production)).stdout)
    assert [c["status"] for c in status["checks"] if c["name"] == "restore-drill"] == ["WARNING"]


def test_a_wal_segment_missing_after_the_newest_backup_is_critical(production: Deployment) -> None:
    hook = Receiver()
    try:
        env = {"BACKUP_WEBHOOK_URL": hook.url("/drill")}
        code, _, _ = drill(production, **env)
        assert code == 0
        before = {p.name for p in archived_segments(production)}
        for value in ("w1", "w2", "w3"):
            production.psql(f"INSERT INTO t VALUES ('{value}'); SELECT pg_switch_wal()")
        production.check(["pgbackrest-stanza", "check"])
        new = sorted(p for p in archived_segments(production) if p.name not in before)
        assert len(new) >= 3, new
        victim = new[1]
        victim.unlink()
        untouched = Untouched(production)
        code, report, _ = drill(production, **env)
        untouched.check()
        assert (code, by_name(report)["end-of-archive"]) == (2, "critical"), report
        message = next(c["message"] for c in report["checks"] if c["name"] == "end-of-archive")
        assert victim.name[:24] in message, (victim.name, message)
        assert scratch_is_empty(production)
        status = production.run(["backup-status", "--format", "json"], drill_env(production))
        assert status.returncode == 2
        assert [c["status"] for c in json.loads(status.stdout)["checks"] if c["name"] == "restore-drill"] == ["CRITICAL"]
        drill(production, **env)  # still failing: posted once
        events = [post.payload["event"] for post in hook.take()]
        assert events == ["restore-drill-passed", "restore-drill-failed"], events
    finally:
        hook.stop()
    production.check(["run-backup", "full"])  # the hole is before the newest backup now
    code, report, _ = drill(production)
    assert code == 0, report


def test_a_corrupted_file_of_the_newest_backup_is_critical(production: Deployment) -> None:
    production.check(["run-backup", "full"])
    label = json.loads(production.check(["pgbackrest-stanza", "info", "--output=json"]).stdout)[0]["backup"][-1]["label"]
    files = sorted((production.base / "repo" / "backup" / production.stanza / label / "pg_data").rglob("*"),
                   key=lambda p: p.stat().st_size if p.is_file() else 0)
    victim = files[-1]
    data = bytearray(victim.read_bytes())
    for offset in range(len(data) // 2, min(len(data), len(data) // 2 + 64)):
        data[offset] ^= 0xFF
    victim.write_bytes(bytes(data))
    untouched = Untouched(production)
    code, report, _ = drill(production)
    untouched.check()
    assert (code, report["status"], by_name(report)["restore"]) == (2, "critical", "critical"), report
    assert scratch_is_empty(production)
    production.check(["run-backup", "full"])


def test_a_page_corrupted_on_disk_before_the_backup_is_critical(e2e_tools: None) -> None:
    cluster = _new("corrupt")
    try:
        cluster.psql("CREATE TABLE c (id int PRIMARY KEY, v text); "
                     "INSERT INTO c SELECT g, repeat('x', 100) FROM generate_series(1, 2000) g; CHECKPOINT")
        relation = cluster.data / cluster.psql("SELECT pg_relation_filepath('c')")
        cluster.stop()
        with relation.open("r+b") as handle:  # the middle of the first page, checksum unchanged
            handle.seek(4000)
            handle.write(b"\xde\xad\xbe\xef" * 16)
        cluster.start()
        cluster.check(["run-backup", "full"])  # pgBackRest warns of the checksum and backs it up
        code, report, _ = drill(cluster)
        assert (code, report["status"]) == (2, "critical"), report
        assert "critical" in (by_name(report)["checksums"], by_name(report)["amcheck"]), report
        assert scratch_is_empty(cluster)
    finally:
        cluster.close()


def test_other_points_a_set_and_a_time(production: Deployment) -> None:
    """--set LABEL recovers that backup to its end, --target TIME to that time; the end of the
    archive is not theirs to check."""
    production.check(["run-backup", "full"])
    production.check(["run-backup", "incr"])
    info = json.loads(production.check(["pgbackrest-stanza", "info", "--output=json"]).stdout)[0]
    full = info["backup"][-2]  # not the newest: the incr after it is (an earlier test corrupted an older full)
    assert full["type"] == "full", info["backup"]
    code, report, _ = drill(production, "--set", full["label"], "--sql", "SELECT count(*) >= 1 FROM t")
    assert (code, report["backup_label"]) == (0, full["label"]), report
    assert "not checked" in next(c["message"] for c in report["checks"] if c["name"] == "end-of-archive")
    target = production.psql("SELECT now()")
    time.sleep(1.1)
    production.psql("INSERT INTO t VALUES ('after-target')")
    production.check(["pgbackrest-stanza", "check"])
    code, report, _ = drill(production, "--target", target, "--sql",
                            "SELECT count(*) = 0 FROM t WHERE v = 'after-target'")
    assert code == 0 and report["probe"]["ok"], report


def test_no_drill_passed_within_the_schedule_is_warning(production: Deployment) -> None:
    """The tests' drill schedule (0 0 31 2 *) never runs: its interval is the 800 days the cron
    module gives a schedule without two runs in two years; 801 days on, backup-status warns."""
    code, _, _ = drill(production)
    assert code == 0
    later = str(time.time() + 801 * 86400)
    status = production.run(["backup-status", "--format", "json"],
                            drill_env(production, BACKUP_STATUS_NOW=later, BACKUP_STATE_DIR=str(production.base / "drill-state")))
    checks = [c for c in json.loads(status.stdout)["checks"] if c["name"] == "restore-drill"]
    assert [c["status"] for c in checks] == ["WARNING"], checks
    assert "no restore drill has passed within its schedule (0 0 31 2 *)" in checks[0]["message"]

"""`make restore-drill` on the deployment as shipped, with the S3 repository on its emulator:
the drill passes, its probe sees a transaction archived after the backup, and it touched nothing of
production (the same PostgreSQL container and postmaster, an open connection still open, no
timeline history or WAL of another timeline in the repository, the scratch volume empty again).
The posix deployment's drill is one of the guide's operations (test_posix_operations.py)."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from . import s3_emulator
from .deployment import BACKUP, POSTGRES, Deployment, run
from .test_outage import Session, deployed_on_the_emulator

pytestmark = pytest.mark.compose

PROBE = "SELECT count(*) = 1 FROM writes WHERE v = 'after-backup'"


def repository_archive(deployment: Deployment) -> list[str]:
    """The archive's file names as pgBackRest lists them (the object store, through its API)."""
    out = deployment.compose("exec", "-T", "backup", "pgbackrest", "--config=/etc/pgbackrest/pgbackrest.conf",
                             "--config-include-path=/etc/pgbackrest/conf.d", "--output=json", "--recurse",
                             "repo-ls", "archive").stdout
    return sorted(name.rsplit("/", 1)[-1] for name in json.loads(out))


def drilled(deployment: Deployment, *make_args: str) -> tuple[int, dict[str, Any]]:
    result = deployment.make("-s", "restore-drill", "FORMAT=json", *make_args, check=False)
    return result.returncode, json.loads(result.stdout)


def test_the_drill_passes_on_the_object_store_and_touches_nothing(deployment: Deployment) -> None:
    deployed_on_the_emulator(deployment, "v text", BACKUP_METRICS_PORT="9854")
    deployment.psql("INSERT INTO writes VALUES ('after-backup')")
    deployment.switch_wal_and_wait_archived()
    held = Session()
    try:
        before = (deployment.state(POSTGRES).started_at, deployment.psql("SELECT pg_postmaster_start_time()"),
                  held.ask("SELECT pg_backend_pid()"))
        archive = repository_archive(deployment)
        code, report = drilled(deployment, f"SQL={PROBE}")
        assert code == 0 and report["status"] == "ok", report
        assert report["probe"] == {"sql": PROBE, "result": "t", "ok": True}
        assert {c["name"]: c["status"] for c in report["checks"]} == {
            "restore": "ok", "end-of-archive": "ok", "databases": "ok", "probe": "ok", "amcheck": "ok",
            "checksums": "ok"}
        after = (deployment.state(POSTGRES).started_at, deployment.psql("SELECT pg_postmaster_start_time()"),
                 held.ask("SELECT pg_backend_pid()"))
        assert after == before
    finally:
        held.close()
    added = set(repository_archive(deployment)) - set(archive)
    assert not [name for name in added if ".history" in name or not name.startswith(("00000001", "archive."))], added
    assert deployment.compose("exec", "-T", "backup", "ls", "-A", "/var/lib/restore-drill").stdout == ""
    status = json.loads(deployment.make("-s", "backup-status", "FORMAT=json").stdout)
    assert status["restore_drill"]["status"] == "ok" and status["restore_drill"]["backup_label"] == report["backup_label"]
    events = [p["payload"].get("event") for p in s3_emulator.posts(deployment)]
    assert events.count("restore-drill-passed") == 1, events  # the webhook receiver service got it once

    # The scrape endpoint: the same gauges, from the last refresh (the watch runs every minute here).
    scrape = ("import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:9854/metrics', timeout=10)"
              ".read().decode())")
    deployment.wait_for("the drill's gauges at /metrics", lambda: "pgbackrest_restore_drill_rto_seconds" in
                        deployment.compose("exec", "-T", "backup", "python3", "-c", scrape).stdout, timeout=150)

    # Within the backup container's limits: the scratch PostgreSQL is one of its processes.
    slow = subprocess.Popen(["make", "-s", "restore-drill", "SQL=SELECT true FROM pg_sleep(6)"], cwd=deployment.dir,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deployment.wait_for("the scratch PostgreSQL in the backup container", lambda: "/var/lib/restore-drill/data" in
                            run(["docker", "top", BACKUP, "-o", "pid,args"]).stdout, timeout=120, interval=0.5)
    finally:
        output, _ = slow.communicate(timeout=600)
    assert slow.returncode == 0, output
    limits = json.loads("[" + run(["docker", "inspect", "--format", "{{json .HostConfig.Memory}} {{json .HostConfig.NanoCpus}} "
                             "{{json .State.OOMKilled}}", BACKUP]).stdout.strip().replace(" ", ",") + "]")
    assert limits == [512 * 1024 ** 2, 10 ** 9, False], limits

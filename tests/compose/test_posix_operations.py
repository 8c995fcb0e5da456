"""The guide's operations on one posix deployment, in the order a user meets them: deploy,
backups, the three restores, `make config` for a changed setting and for an invalid `.env`, and
`docker compose down` + `up`. Each step builds on the one before (one deployment, module scope).
"""

from __future__ import annotations

import json
import re
import time
from typing import Iterator

import pytest

from tests.backup.test_backup_status_e2e import _shape

from .conftest import fresh_deployment
from .deployment import BACKUP, POSTGRES, REPO, Deployment, run

pytestmark = pytest.mark.compose


@pytest.fixture(scope="module")
def posix(engine: None) -> Iterator[Deployment]:
    with fresh_deployment("posix-operations") as deployment:
        deployment.use_example("posix")
        deployment.make("deploy")
        deployment.wait_for("the scheduler", lambda: "scheduler: running" in deployment.logs(BACKUP),
                            timeout=180)
        deployment.psql("CREATE TABLE drill (step int PRIMARY KEY)")
        yield deployment


def _rows(deployment: Deployment) -> list[int]:
    return [int(r) for r in deployment.psql("SELECT step FROM drill ORDER BY step").split()]


# What the steps hand on to each other.
found: dict[str, str] = {}


def test_backup_info_and_check(posix: Deployment) -> None:
    posix.psql("INSERT INTO drill VALUES (1)")
    posix.make("backup")
    info = posix.make("backup-info").stdout
    labels = re.findall(r"full backup: (\S+)", info)
    assert len(labels) == 1, info
    found["full"] = labels[0]
    assert "status: ok" in info
    posix.make("backup-check")
    assert posix.archiver()["failed_count"] == "0"


def test_backup_status_restore_points_and_the_healthcheck(posix: Deployment) -> None:
    """After the first backup: `make backup-status` answers OK in every format, `make
    restore-points` lists the backup and the recovery span, and the container is healthy."""
    text = posix.make("-s", "backup-status").stdout
    assert text.startswith("BACKUP OK: backups and archive are good"), text
    report = json.loads(posix.make("-s", "backup-status", "FORMAT=json").stdout)
    assert report["status"] == "OK" and report["last_backup"]["full"]["label"] == found["full"]
    assert {c["name"] for c in report["checks"]} == {"repository", "backup-age", "restore-drill", "archiving",
                                                      "continuity", "queue", "outage"}
    exposition = posix.make("-s", "backup-status", "FORMAT=prometheus").stdout
    from prometheus_client.parser import text_string_to_metric_families

    status = {f.name: f for f in text_string_to_metric_families(exposition)}["pgbackrest_status"]
    assert [s.value for s in status.samples] == [0]
    points = posix.make("-s", "restore-points").stdout
    assert found["full"] in points and "point-in-time recovery: any time from" in points
    posix.wait_for("the backup container to be healthy", lambda: posix.state(BACKUP).health == "healthy",
                   timeout=150)

    # The healthcheck as the engine holds it, run in the container: healthy now; unhealthy
    # (exit 1, what Docker counts as a failed probe) once backups are two intervals overdue
    # (CRITICAL), here 30 days on through BACKUP_STATUS_NOW (its state kept apart, in /tmp).
    later = (f"BACKUP_STATUS_NOW={time.time() + 30 * 86400:.0f}", "BACKUP_STATE_DIR=/tmp")
    stale = json.loads(posix.compose("exec", "-T", "-e", later[0], "-e", later[1], "backup", "backup-status",
                                     "--format", "json", check=False).stdout)
    assert stale["status"] == "CRITICAL" and {c["name"]: c["status"] for c in stale["checks"]}["backup-age"] \
        == "CRITICAL", stale
    assert (posix.healthcheck(BACKUP), posix.healthcheck(BACKUP, *later)) == (0, 1)


def test_every_service_runs_with_least_privilege(posix: Deployment) -> None:
    """As docs/deployment.md says: every capability dropped (the setup job adds back the three it
    reads .env and becomes 999 with), no privilege gained through exec, a read-only root (the
    engine's configuration, and what the running services' processes can do)."""
    fmt = ("{{json .HostConfig.CapDrop}} {{json .HostConfig.SecurityOpt}} {{json .HostConfig.ReadonlyRootfs}} "
           "{{json .HostConfig.CapAdd}} {{json .Config.User}}")
    expected = {posix.setup_container(): ["CAP_DAC_READ_SEARCH", "CAP_SETGID", "CAP_SETUID"], POSTGRES: None,
                BACKUP: None}
    for container, added in expected.items():
        found = [json.loads(part) for part in run(["docker", "inspect", "--format", fmt, container]).stdout.split()]
        user = "0:0" if added else "999:999"
        assert found == [["ALL"], ["no-new-privileges:true"], True, added, user], (container, found)
    for service in ("postgres", "backup"):  # every process of theirs: 999, no capability
        processes = posix.compose("exec", "-T", service, "sh", "-c",
                                  "grep -hs -E '^(Uid|CapEff):' /proc/[0-9]*/status; true").stdout.split("\n")
        assert {line.split()[0] for line in processes if line} == {"Uid:", "CapEff:"}
        assert {" ".join(line.split()[1:]) for line in processes if line} == {"999 999 999 999", "0000000000000000"}, service
        refused = posix.compose("exec", "-T", service, "touch", "/usr/local/bin/x", check=False)
        assert refused.returncode != 0 and "Read-only file system" in refused.stdout + refused.stderr


def test_make_restore_drill_passes_and_leaves_production_alone(posix: Deployment) -> None:
    """`make restore-drill` (README, "Do the backups restore?"): the newest backup restored in the
    restore-drill volume, recovered past a transaction archived after it, checked, and removed; the
    PostgreSQL container not restarted, and the text output has README's lines."""
    posix.psql("CREATE TABLE probe (v text); INSERT INTO probe VALUES ('after-backup')")
    posix.switch_wal_and_wait_archived()
    started = (posix.state(POSTGRES).started_at, posix.psql("SELECT pg_postmaster_start_time()"))
    result = posix.make("-s", "restore-drill", "SQL=SELECT count(*) = 1 FROM probe WHERE v = 'after-backup'")
    text = result.stdout
    assert text.startswith("RESTORE DRILL OK: backup ") and "probe: the probe on salespider returned 't'" in text, text
    shown = (REPO / "README.md").read_text().split("$ make restore-drill SQL=", 1)[1].split("```", 1)[0]
    assert _shape(shown.split("\n", 1)[1]) == _shape(text), (shown, text)
    assert (posix.state(POSTGRES).started_at, posix.psql("SELECT pg_postmaster_start_time()")) == started
    assert posix.compose("exec", "-T", "backup", "ls", "-A", "/var/lib/restore-drill").stdout == ""
    posix.compose("exec", "-T", "backup", "sh", "-c", "! find /var/lib/pgbackrest/archive -name '*.history' | grep .")
    # The drill's own check, and the overall answer from the report: make exits 2 for any
    # failing recipe, whether backup-status said 1 (WARNING) or 2 (CRITICAL).
    report = json.loads(posix.make("-s", "backup-status", "FORMAT=json", check=False).stdout)
    checks = {c["name"]: c["status"] for c in report["checks"]}
    assert checks["restore-drill"] == "OK" and report["restore_drill"]["status"] == "ok", report
    assert report["status"] in ("OK", "WARNING"), checks  # the drill's concern: not CRITICAL
    assert posix.healthcheck(BACKUP) == 0


def test_restore_latest_brings_back_everything_archived(posix: Deployment) -> None:
    found["xid"] = posix.psql("INSERT INTO drill VALUES (2) RETURNING xmin").splitlines()[0]  # wrote 2
    posix.psql("SELECT pg_sleep(1.1)")
    found["target"] = posix.psql("SELECT clock_timestamp()::text")
    posix.psql("SELECT pg_sleep(1.1)")
    posix.psql("INSERT INTO drill VALUES (3)")
    posix.switch_wal_and_wait_archived()
    result = posix.make("restore-latest")
    assert "recovery finished" in result.stdout
    assert _rows(posix) == [1, 2, 3]


def test_restore_pitr_stops_at_the_target(posix: Deployment) -> None:
    result = posix.make("restore-pitr", f"TARGET={found['target']}")
    assert "recovery finished" in result.stdout
    assert _rows(posix) == [1, 2]


def test_restore_xid_stops_after_that_transaction(posix: Deployment) -> None:
    """`make restore-xid XID=...`: recovery up to and including the transaction that wrote 2."""
    result = posix.make("restore-xid", f"XID={found['xid']}")
    assert "recovery finished" in result.stdout
    assert _rows(posix) == [1, 2]


def test_restore_backup_returns_that_set(posix: Deployment) -> None:
    result = posix.make("restore-backup", f"BACKUP_SET={found['full']}")
    assert "recovery finished" in result.stdout
    assert _rows(posix) == [1]
    # Archiving goes on, on the new timeline.
    posix.switch_wal_and_wait_archived()


def test_config_after_a_retention_change_reloads_without_a_restart(posix: Deployment) -> None:
    before, started = posix.status()["generation"], posix.state(POSTGRES).started_at
    posix.edit_env(BACKUP_RETENTION_FULL="3", BACKUP_STATUS_CRITICAL_AFTER="7200")
    result = posix.make("config")
    # A backup service tunable set in .env reaches the recreated backup container.
    env = posix.compose("exec", "-T", "backup", "printenv", "BACKUP_STATUS_CRITICAL_AFTER").stdout
    assert env.strip() == "7200"
    assert "configuration reloaded" in result.stdout
    status = posix.status()
    assert (status["result"], status["generation"]) == ("written", before + 1)
    published = posix.compose("exec", "-T", "backup", "cat", "/etc/pgbackrest/conf.d/repo.conf").stdout
    assert "repo1-retention-full=3" in published.splitlines()
    assert posix.state(POSTGRES).started_at == started  # no restart
    posix.switch_wal_and_wait_archived()
    assert posix.crash_restarts() == 0


def test_an_invalid_env_fails_config_and_leaves_the_services_alone(posix: Deployment) -> None:
    before = posix.status()
    started = {c: posix.state(c).started_at for c in (POSTGRES, BACKUP)}
    posix.edit_env(BACKUP_RETENTION_FULL="many", AWS_S3_BUCKT="typo")
    result = posix.make("config", check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "exit 78" in output or "Error 78" in output, output
    assert "BACKUP_RETENTION_FULL" in output and "did you mean AWS_S3_BUCKET?" in output
    assert posix.status()["generation"] == before["generation"]
    for container, at in started.items():
        state = posix.state(container)
        assert (state.status, state.started_at) == ("running", at)
    posix.switch_wal_and_wait_archived()  # archiving works on the previous generation
    posix.edit_env(BACKUP_RETENTION_FULL="3", AWS_S3_BUCKT=None)


def test_a_repository_identity_change_is_refused_by_make_config(posix: Deployment) -> None:
    before = posix.status()
    started = {c: posix.state(c).started_at for c in (POSTGRES, BACKUP)}
    posix.edit_env(PGBACKREST_STANZA="renamed")
    result = posix.make("config", check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and ("Error 78" in output or "exit 78" in output), output
    assert "PGBACKREST_STANZA" in output and "SETUP_ALLOW_REPOSITORY_CHANGE=true" in output
    assert posix.status()["generation"] == before["generation"]
    for container, at in started.items():
        assert (posix.state(container).status, posix.state(container).started_at) == ("running", at)
    posix.edit_env(PGBACKREST_STANZA=None)
    posix.make("backup-check")


def test_down_and_up_keeps_data_and_config(posix: Deployment) -> None:
    generation = posix.status()["generation"]
    posix.compose("down")
    posix.make("deploy")
    logs = posix.compose("logs", "setup").stdout
    assert "result: unchanged" in logs
    assert posix.status()["generation"] == generation
    assert _rows(posix) == [1]
    assert posix.state(POSTGRES).health == "healthy"

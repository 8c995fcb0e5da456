"""The restore script against a real cluster and repository: the latest backup, a named set
and a time target, each followed by PostgreSQL's recovery as the postgres service runs it.
One scenario: the tests run in this order, each on the timeline the previous one left."""

from __future__ import annotations

import json
import re
import time

import pytest

from tests.deploy.cluster import Deployment

pytestmark = pytest.mark.e2e


def rows(deployment: Deployment) -> list[str]:
    return deployment.psql("SELECT v FROM t ORDER BY v").split()


def archive_all(deployment: Deployment) -> None:
    """Switches WAL and waits until it is in the repository (pgbackrest check does both)."""
    deployment.check(["pgbackrest-stanza", "check"])


def timeline(deployment: Deployment) -> int:
    report = deployment.check(["recovery-report"]).stdout
    match = re.search(r"recovery finished: timeline (\d+)", report)
    assert match, report
    return int(match[1])


def restore(deployment: Deployment, *args: str) -> None:
    """As `make restore-*` does: stop, restore, start, wait for recovery to end (which, after
    a recovery to a target or to the end of the archive, starts a new timeline)."""
    before = timeline(deployment)
    deployment.stop()
    result = deployment.run(["restore", *args])
    deployment.start()
    assert result.returncode == 0, result.stdout + result.stderr
    assert timeline(deployment) == before + 1


def only_full_label(deployment: Deployment) -> str:
    info = json.loads(deployment.check(["pgbackrest-stanza", "info", "--output=json"]).stdout)
    [backup] = info[0]["backup"]
    return str(backup["label"])


def test_restore_refuses_while_postgresql_runs(backed_up: Deployment) -> None:
    result = backed_up.run(["restore", "latest"])
    assert result.returncode != 0
    assert "running" in result.stdout + result.stderr
    assert rows(backed_up) == ["base"]


def test_restore_to_a_time_target(backed_up: Deployment) -> None:
    backed_up.psql("INSERT INTO t VALUES ('before-target')")
    time.sleep(1.1)
    target = backed_up.psql("SELECT now()")
    time.sleep(1.1)
    backed_up.psql("INSERT INTO t VALUES ('after-target')")
    archive_all(backed_up)

    restore(backed_up, "time", target)

    assert rows(backed_up) == ["base", "before-target"]


def test_restore_a_named_backup_set(backed_up: Deployment) -> None:
    backed_up.psql("INSERT INTO t VALUES ('after-set')")
    archive_all(backed_up)

    restore(backed_up, "set", only_full_label(backed_up))

    assert rows(backed_up) == ["base"]


def test_restore_latest_replays_every_archived_timeline(backed_up: Deployment) -> None:
    backed_up.psql("INSERT INTO t VALUES ('latest')")
    archive_all(backed_up)

    restore(backed_up, "latest")

    assert rows(backed_up) == ["base", "latest"]


def test_restore_to_a_transaction_id(backed_up: Deployment) -> None:
    """make restore-xid XID=...: the state just after that transaction committed."""
    xid = backed_up.psql("INSERT INTO t VALUES ('in-xid') RETURNING txid_current()").splitlines()[0]
    backed_up.psql("INSERT INTO t VALUES ('after-xid')")
    archive_all(backed_up)

    restore(backed_up, "xid", xid)

    assert rows(backed_up) == ["base", "in-xid", "latest"]


@pytest.mark.parametrize("args", [[], ["latest", "x"], ["set"], ["set", "nonsense"],
                                  ["time", ""], ["yesterday"], ["xid"], ["xid", "12a"]])
def test_bad_arguments_are_usage_errors(backed_up: Deployment, args: list[str]) -> None:
    result = backed_up.run(["restore", *args])
    assert result.returncode == 64
    assert "usage" in result.stderr or "not a backup label" in result.stderr \
        or "not a transaction id" in result.stderr

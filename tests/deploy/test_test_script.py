"""scripts/test.sh's own logic (the README's second command, as .ci/run calls it): with no
arguments the compose suite runs in a second pytest beside the rest, its report follows the main
one, and a failure in either fails the run; with arguments one pytest runs them as given.

The script runs as shipped, in a copy of the tree whose installer steps and pytest are stand-ins
that record how they were called (the real ones run in every CI run)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from .tools import REPO

# Stands in for `.venv/bin/python -m pytest ...`: reports its arguments, and exits with the code
# named for its selection (COMPOSE_EXIT for -m compose, MAIN_EXIT for the rest).
FAKE_PYTHON = """#!/usr/bin/env bash
shift 2  # -m pytest
case "$*" in
  *"-m compose"*) sleep 0.5; echo "compose suite: $*"; exit "${COMPOSE_EXIT:-0}" ;;
  *) echo "main suite: $*"; exit "${MAIN_EXIT:-0}" ;;
esac
"""


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "scripts").mkdir()
    shutil.copy2(REPO / "scripts" / "test.sh", tmp_path / "scripts" / "test.sh")
    (tmp_path / "scripts" / "install-test-deps.sh").write_text("true\n")
    (tmp_path / "scripts" / "venv.sh").write_text("true\n")
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(FAKE_PYTHON)
    python.chmod(0o755)
    return tmp_path


def run(tree: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(tree / "scripts" / "test.sh"), *args], capture_output=True, text=True,
                          timeout=60, check=False, env={"PATH": "/usr/bin:/bin", **env})


def test_no_arguments_runs_both_suites_and_the_compose_report_follows(tree: Path) -> None:
    result = run(tree)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    main = lines.index('main suite: -m not compose')
    assert lines[main + 1:] == ["", "=== the compose suite (pytest -m compose), run beside the above ===",
                                "compose suite: -m compose -p no:cacheprovider"], lines


@pytest.mark.parametrize(("main", "compose", "expected"), [(1, 0, 1), (0, 1, 1), (0, 2, 2), (1, 2, 1)])
def test_a_failure_in_either_suite_fails_the_run(tree: Path, main: int, compose: int, expected: int) -> None:
    result = run(tree, MAIN_EXIT=str(main), COMPOSE_EXIT=str(compose))
    assert result.returncode == expected, result.stdout + result.stderr
    assert "compose suite: -m compose" in result.stdout  # reported even when the main suite failed


def test_arguments_go_to_one_pytest_as_given(tree: Path) -> None:
    result = run(tree, "-m", "e2e", "-x", MAIN_EXIT="3")
    assert (result.returncode, result.stdout.splitlines()) == (3, ["main suite: -m e2e -x"]), result.stderr

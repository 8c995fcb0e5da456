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


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A checkout holding .ci/run as shipped and a stand-in scripts/test.sh."""
    root = tmp_path / "work" / "main"
    (root / ".ci").mkdir(parents=True)
    shutil.copy2(REPO / ".ci" / "run", root / ".ci" / "run")
    (root / "scripts").mkdir()
    (root / "scripts" / "test.sh").write_text("#!/usr/bin/env bash\necho \"tests ran (CI=$CI)\"\n")
    (root / "scripts" / "test.sh").chmod(0o755)
    return root


def _ci_run(checkout: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(checkout / ".ci" / "run")], capture_output=True, text=True,
                          timeout=60, env={"PATH": "/usr/bin:/bin", **env})


def test_ci_run_finds_the_lab_beside_the_checkout(checkout: Path) -> None:
    lab = checkout.parent / "shared" / "lab" / "containers"
    lab.mkdir(parents=True)
    (lab / "engine.sh").write_text('echo "engine $1 (beside)"\n')
    result = _ci_run(checkout)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["engine up (beside)", "tests ran (CI=true)"]


def test_ci_run_takes_lab_engine_and_nothing_else(checkout: Path, tmp_path: Path) -> None:
    """No absolute fallback: without ../shared and LAB_ENGINE it stops (this machine has a lab
    at /work/shared, which the script must not go looking for)."""
    missing = _ci_run(checkout)
    assert missing.returncode == 1 and "beside the checkout" in missing.stderr, missing.stderr
    assert "tests ran" not in missing.stdout
    elsewhere = tmp_path / "lab.sh"
    elsewhere.write_text('echo "engine $1 (LAB_ENGINE)"\n')
    result = _ci_run(checkout, LAB_ENGINE=str(elsewhere))
    assert result.stdout.splitlines() == ["engine up (LAB_ENGINE)", "tests ran (CI=true)"]

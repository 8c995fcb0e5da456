"""The README's first command, as a new user runs it: scripts/demo.sh on each bundled example."""

from __future__ import annotations

import subprocess

import pytest

from .tools import REPO

pytestmark = pytest.mark.e2e  # installs into .venv and runs the job


def test_demo_runs_the_bundled_examples() -> None:
    """The default one, and GCS, whose key the demo makes (the others differ only in variables;
    `make deploy` runs every example in tests/compose)."""
    for repo_type in ("posix", "gcs"):
        result = subprocess.run(["bash", "scripts/demo.sh", f"examples/{repo_type}.env"], cwd=REPO,
                                capture_output=True, text=True, timeout=600, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "result: written" in result.stdout or "result: unchanged" in result.stdout
        assert "--- " + str(REPO / "out" / "pgbackrest.conf") in result.stdout

"""Reliability with small counts for CI; benchmarks/reliability.py runs the long counts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.reliability import drills

pytestmark = pytest.mark.e2e  # real processes killed, pgBackRest parses every state


@pytest.fixture(autouse=True)
def _pgbackrest() -> None:
    if shutil.which("pgbackrest") is None:
        pytest.fail("pgbackrest is not installed (scripts/install-test-deps.sh)")


def test_kill_9_at_random_moments_leaves_a_complete_set(tmp_path: Path) -> None:
    counts = drills.kill_drill(tmp_path / "out", kills=25)
    assert counts == {"tried": 25, "held": 25, "recovered": 1}


def test_concurrent_runs_exit_0_or_75_and_leave_a_consistent_set(tmp_path: Path) -> None:
    counts = drills.concurrency_drill(tmp_path / "out", runs=20)
    assert counts == {"tried": 20, "exit_0_or_75": 20, "consistent": 1}


def test_readers_never_see_a_torn_set(tmp_path: Path) -> None:
    counts = drills.reader_drill(tmp_path / "out", publishes=15)
    assert counts["torn"] == 0 and counts["reads"] > 0, counts


def test_the_long_count_script_runs_every_drill() -> None:
    """benchmarks/reliability.py with tiny counts: every drill runs and reports its figures (the
    script once crashed on its last drill, after ten minutes, with nothing printed)."""
    import json
    import subprocess
    import sys

    script = Path(__file__).resolve().parents[2] / "benchmarks" / "reliability.py"
    result = subprocess.run([sys.executable, str(script), "--kills", "3", "--runs", "2", "--publishes", "2",
                             "--hostile", "2", "--changes", "1", "--json"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout)
    assert list(figures) == ["kill -9", "concurrent runs", "readers during swaps", "hostile environments",
                             "fast path = fresh run"]
    assert figures["kill -9"]["tried"] == figures["kill -9"]["held"] == 3
    for searched in ("hostile environments", "fast path = fresh run"):  # counted, not assumed
        assert figures[searched]["held"] == figures[searched]["tried"] >= 1, figures[searched]

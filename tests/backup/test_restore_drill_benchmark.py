"""benchmarks/restore_drill.py with tiny counts: it runs end to end on the real pgBackRest and
PostgreSQL and reports every figure (the README's figures come from its default counts)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "restore_drill.py"


def test_the_benchmark_reports_its_figures(e2e_tools: None) -> None:
    result = subprocess.run([sys.executable, str(SCRIPT), "--scale", "1", "--transactions", "3000", "--json"],
                            capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    figures = json.loads(result.stdout)
    assert figures["scale"] == 1 and figures["replayed_segments"] >= 1, figures
    for name in ("restore_seconds", "baseline_lz4_tar_seconds", "restore_ratio", "recovery_seconds",
                 "recovery_seconds_per_segment", "rto_seconds", "rpo_seconds"):
        assert isinstance(figures[name], (int, float)) and figures[name] >= 0, name
    assert figures["baseline_bytes"] > 20 * 1024 ** 2  # the data directory of pgbench at scale 1

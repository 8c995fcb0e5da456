#!/usr/bin/env python3
"""Cold-start benchmark: `setup-service generate` against the bare interpreter, in one run.

The setup job runs on every `docker compose up`, so its start-up is measured as a ratio to
`python -c pass` on the same interpreter, timed interleaved in the same run (target: an
unchanged rerun at most 1.5x). Also reported: the first generation into an empty volume and
`validate`, which do the full work (validation, rendering, pgBackRest self-check).

Usage: python benchmarks/cold_start.py [--runs N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "s3.env"
TARGET_RATIO = 1.5


def _console_script() -> list[str]:
    beside = Path(sys.executable).with_name("setup-service")
    found = str(beside) if beside.exists() else shutil.which("setup-service")
    if found is None:
        sys.exit("setup-service is not installed for this interpreter: pip install .")
    return [found]


def _time(cmd: list[str], env: dict[str, str], check: bool = True) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if check and proc.returncode != 0:
        sys.exit(f"{cmd} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    return elapsed


def measure(runs: int) -> dict[str, object]:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/root")}
    tool = _console_script()
    work = Path(tempfile.mkdtemp(prefix="setup-bench-"))
    out = work / "out"
    generate = [*tool, "generate", "--env-file", str(EXAMPLE), "--output-dir", str(out),
                "--mount-path", "/etc/pgbackrest"]
    samples: dict[str, list[float]] = {"baseline": [], "generate_unchanged": [],
                                       "generate_first": [], "validate": []}
    try:
        _time(generate, env)  # warm the page cache and write the first set
        for i in range(runs):
            samples["baseline"].append(_time([sys.executable, "-c", "pass"], env))
            samples["generate_unchanged"].append(_time(generate, env))
            fresh = work / f"fresh-{i}"
            samples["generate_first"].append(_time([*generate[:-4], "--output-dir", str(fresh),
                                                    "--mount-path", "/etc/pgbackrest"], env))
            samples["validate"].append(_time([*tool, "validate", "--env-file", str(EXAMPLE)], env))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    base = medians["baseline"]
    return {
        "runs": runs,
        "interpreter": sys.executable,
        "median_seconds": {k: round(v, 4) for k, v in medians.items()},
        "ratio_to_baseline": {k: round(v / base, 2) for k, v in medians.items() if k != "baseline"},
        "target": {"generate_unchanged": TARGET_RATIO},
        "meets_target": medians["generate_unchanged"] / base <= TARGET_RATIO,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = measure(args.runs)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for name, seconds in report["median_seconds"].items():  # type: ignore[union-attr]
            ratio = report["ratio_to_baseline"].get(name, 1.0)  # type: ignore[union-attr]
            print(f"{name:20s} {seconds * 1000:8.1f} ms  {ratio:5.2f}x")
        print(f"target: generate_unchanged <= {TARGET_RATIO}x baseline: "
              f"{'met' if report['meets_target'] else 'NOT met'}")
    return 0 if report["meets_target"] else 1


if __name__ == "__main__":
    raise SystemExit(main())

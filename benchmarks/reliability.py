#!/usr/bin/env python3
"""Reliability figures with the long counts (CI runs the same drills with small ones):
kill -9 at random moments, concurrent runs, readers during swaps, hostile environments, and the
fast path agreeing with a fresh run after random changes to every input.

Usage: python benchmarks/reliability.py [--kills 1000] [--runs 20] [--publishes 200]
                                        [--hostile 10000] [--changes 1000] [--json]
Prints tried/held per category; exits 1 if anything did not hold.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.reliability import drills  # noqa: E402


def _counted(function: Callable[[Any], None], counts: dict[str, Any]) -> Callable[[Any], None]:
    """function, counting the examples hypothesis ran through it and those that held."""
    def run(example: Any) -> None:
        counts["tried"] += 1
        function(example)
        counts["held"] += 1
    return run


def _search(tests: list[Callable[[], None]], counts: dict[str, Any]) -> None:
    try:
        for test in tests:
            test()
    except Exception as exc:  # hypothesis re-raises the shrunk failing example: report it
        found = list(exc.exceptions) if isinstance(exc, BaseExceptionGroup) else [exc]
        counts["failure"] = " | ".join(  # each with its falsifying example
            f"{type(e).__name__}: {e} {' '.join(getattr(e, '__notes__', []))}"[:3000] for e in found)


def hostile(examples: int) -> dict[str, Any]:
    from hypothesis import HealthCheck, given, settings

    from tests.corpus import effective
    from tests.property import test_hostile_input as cases

    counts: dict[str, Any] = {"tried": 0, "held": 0, "read_by_pgbackrest": 0}
    read = effective.options_read

    def reading(*args: Any, **kwargs: Any) -> Any:
        counts["read_by_pgbackrest"] += 1
        return read(*args, **kwargs)

    effective.options_read = reading  # type: ignore[assignment]
    check = _counted(lambda case: cases._check(*case), counts)
    long_count = settings(max_examples=examples, deadline=None, database=None,
                          suppress_health_check=list(HealthCheck))
    try:
        _search([long_count(given(strategy)(check))
                 for strategy in (cases.environments, cases.secret_environments)], counts)
    finally:
        effective.options_read = read
    return counts


def agreement(examples: int) -> dict[str, Any]:
    from hypothesis import HealthCheck, given, settings

    from tests.property import test_fast_path_agrees as cases

    # The test itself carries CI's settings (which hypothesis refuses to override): the same
    # property, given the same strategy, with the long count.
    counts: dict[str, Any] = {"tried": 0, "held": 0}
    long_count = settings(max_examples=examples, deadline=None, database=None,
                          suppress_health_check=list(HealthCheck))
    _search([long_count(given(cases.changes)(_counted(cases.agree_after, counts)))], counts)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--publishes", type=int, default=200)
    parser.add_argument("--hostile", type=int, default=10000)
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures: dict[str, dict[str, Any]] = {}
    drills_: list[tuple[str, Callable[[Path], dict[str, int]]]] = [
        ("kill -9", lambda d: drills.kill_drill(d, args.kills)),
        ("concurrent runs", lambda d: drills.concurrency_drill(d, args.runs)),
        ("readers during swaps", lambda d: drills.reader_drill(d, args.publishes))]
    for name, drill in drills_:
        with tempfile.TemporaryDirectory() as tmp:
            started = time.monotonic()
            figures[name] = {**drill(Path(tmp) / "out"), "seconds": round(time.monotonic() - started, 1)}
    started = time.monotonic()
    figures["hostile environments"] = {**hostile(args.hostile),
                                       "seconds": round(time.monotonic() - started, 1)}
    started = time.monotonic()
    figures["fast path = fresh run"] = {**agreement(args.changes), "seconds": round(time.monotonic() - started, 1)}
    searched = (figures["hostile environments"], figures["fast path = fresh run"])
    ok = (all(f["held"] == f["tried"] >= 1 and "failure" not in f for f in searched)
          and figures["kill -9"]["held"] == figures["kill -9"]["tried"] and figures["kill -9"]["recovered"] == 1
          and figures["concurrent runs"]["exit_0_or_75"] == args.runs
          and figures["concurrent runs"]["consistent"] == 1
          and figures["readers during swaps"]["torn"] == figures["readers during swaps"]["vanished"] == 0)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for name, counts in figures.items():
            print(f"{name:22} " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Wall time and result of each step of an e2e test, for the table printed after the run."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class StepRecord:
    case: str
    step: str
    seconds: float
    result: str


STEP_RECORDS: list[StepRecord] = []


class StepTimer:
    """``with steps("backup full"): ...`` records the step's time and whether it raised."""

    def __init__(self, case: str) -> None:
        self.case = case

    @contextmanager
    def __call__(self, step: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        except BaseException:
            STEP_RECORDS.append(StepRecord(self.case, step, time.monotonic() - started, "FAILED"))
            raise
        STEP_RECORDS.append(StepRecord(self.case, step, time.monotonic() - started, "ok"))

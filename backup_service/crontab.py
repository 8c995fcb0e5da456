"""The published crontab read as jobs: a schedule (the one cron of setup_service.cron) and the
shell command it runs. Comments, blank lines and NAME=value lines are skipped; a line this
scheduler cannot run is reported with its reason, never guessed at."""

from __future__ import annotations

import dataclasses
import re

from setup_service import cron

_LINE = re.compile(r"^\s*(@\S+|(?:\S+\s+){4}\S+)\s+(\S.*?)\s*$")
_SKIPPED = re.compile(r"^\s*(#|$)|^[A-Za-z_][A-Za-z0-9_]*=")


@dataclasses.dataclass(frozen=True)
class Job:
    line: str  # as written: also what identifies the job (one run of it at a time)
    schedule: cron.Schedule
    command: str


@dataclasses.dataclass(frozen=True)
class Unsupported:
    line: str
    reason: str


def parse(text: str) -> list[Job | Unsupported]:
    entries: list[Job | Unsupported] = []
    for line in text.splitlines():
        if _SKIPPED.match(line):
            continue
        match = _LINE.match(line)
        if not match:
            entries.append(Unsupported(line, "unsupported line"))
            continue
        try:
            entries.append(Job(line, cron.parse(" ".join(match[1].split())), match[2]))
        except cron.CronError as exc:
            kind = "unsupported line" if match[1].startswith("@") else "unsupported schedule"
            entries.append(Unsupported(line, f"{kind} ({exc})"))
    return entries

"""The container log: one line per event on stderr, UTC time and the command's name."""

from __future__ import annotations

import sys
import time

_program = ["backup-service"]


def set_program(name: str) -> None:
    """The name each line carries (the command users typed: run-backup, scheduler, ...)."""
    _program[0] = name


def log(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {_program[0]}: {message}",
          file=sys.stderr, flush=True)

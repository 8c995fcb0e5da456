"""The container log: one line per event on stderr, UTC time and the command's name."""

from __future__ import annotations

import sys
import time

_program = ["backup-service"]


def set_program(name: str) -> None:
    """The name each line carries (the command users typed: run-backup, scheduler, ...)."""
    _program[0] = name


def utc_now() -> str:
    """Now as the log lines and the webhook payloads write it: 2024-01-07T02:00:14Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def log(message: str) -> None:
    print(f"{utc_now()} {_program[0]}: {message}",
          file=sys.stderr, flush=True)

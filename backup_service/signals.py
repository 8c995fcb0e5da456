"""Stopping at once on TERM or INT: docker stop sends the postgres image's stop signal (SIGINT) to
every process of the container (tini -g). The handler raises, so whatever is waiting (a sleep, a
pgBackRest run, which subprocess then kills) ends now, and the command exits 128 + the signal."""

from __future__ import annotations

import signal
from types import FrameType

from backup_service.exit_codes import ExitCode


class Stopped(BaseException):
    """Not an Exception: no handler of failures may swallow a stop."""

    def __init__(self, code: ExitCode) -> None:
        super().__init__(code.name)
        self.code = code


def _stop(signum: int, _frame: FrameType | None) -> None:
    raise Stopped(ExitCode.TERMINATED if signum == signal.SIGTERM else ExitCode.INTERRUPTED)


def stop_on_signals() -> None:
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)

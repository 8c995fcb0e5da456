"""The backup service's exit codes, in one place: the Nagios plugin convention for answers about
health (backup-status, and a scheduler's once-mode counts), sysexits for usage."""

from __future__ import annotations

import enum


class Status(enum.IntEnum):
    """A check's or a report's status; as an exit code, what monitoring systems expect."""

    OK = 0
    WARNING = 1
    CRITICAL = 2
    UNKNOWN = 3


class ExitCode(enum.IntEnum):
    """Exit codes of the commands besides a Status or a failed pgBackRest's own code."""

    OK = 0
    FAILURE = 1  # a step failed (its message says which); e.g. the stanza never came up
    USAGE = 64  # bad arguments
    INTERNAL = 70  # an unexpected error: a bug (its type and message are logged)
    INTERRUPTED = 130  # SIGINT (docker stop: the postgres image's stop signal)
    TERMINATED = 143  # SIGTERM

"""Process exit codes (sysexits(3)); the one place they are defined."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """What a run of the setup job ended with; docker compose and CI read it."""

    OK = 0  # config written, unchanged, or valid
    USAGE = 64  # bad command line
    INTERNAL = 70  # unexpected error: a bug (traceback only with --debug)
    CANT_CREATE = 73  # the output directory cannot be written
    TEMP_FAIL = 75  # another run holds the lock; try again
    CONFIG = 78  # the environment is invalid; nothing was written

    @property
    def meaning(self) -> str:
        return _MEANINGS[self]


_MEANINGS = {
    ExitCode.OK: "success: the configuration was written, is unchanged, or is valid",
    ExitCode.USAGE: "usage error: bad command-line arguments",
    ExitCode.INTERNAL: "internal error: a bug; rerun with --debug for the traceback",
    ExitCode.CANT_CREATE: "cannot write the output directory; the previous config is untouched",
    ExitCode.TEMP_FAIL: "another run holds the lock on the output directory; try again",
    ExitCode.CONFIG: "invalid configuration; nothing was written",
}


def exit_code_table() -> str:
    """The exit codes as text, for --help and the README."""
    return "\n".join(f"{code.value:>3}  {code.meaning}" for code in ExitCode)

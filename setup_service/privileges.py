"""Reading the .env file as root, then running as SETUP_USER (an edge module: file reads and
setuid, first thing at start).

The bundled compose file hands the project's .env to the job as a file secret
(SETUP_ENV_FILE=/run/secrets/dotenv) instead of as container environment, so that no secret
value sits in `docker inspect`. A file secret is a bind mount: a .env kept at 0600 by the user
who runs compose stays unreadable to uid 999. So the job starts as root with three
capabilities (DAC_READ_SEARCH, SETUID, SETGID), reads that one file into memory, and becomes
SETUP_USER (999:999) before anything else runs; setuid clears every capability. Readers of the
env file go through text(), which answers from that copy.

Standard library only, and cheap: entry.py runs it before the fast path.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import MutableMapping

ENV_FILE = "SETUP_ENV_FILE"
USER = "SETUP_USER"

_read_as_root: dict[str, bytes] = {}  # absolute path -> content, filled once by lower()


def uid_gid(value: str) -> tuple[int, int] | None:
    """"999:999" as numbers; None when it is not of that form."""
    uid, sep, gid = value.partition(":")
    if not (sep and uid.isdigit() and gid.isdigit()):
        return None  # the catalogue's pattern reports it; the job stays as it was started
    return int(uid), int(gid)


def lower(environ: MutableMapping[str, str]) -> None:
    """Started as root with SETUP_USER set: read SETUP_ENV_FILE, then become SETUP_USER. A file
    that cannot be read is left to the reader that reports it (as SETUP_USER, it fails there)."""
    user = uid_gid(environ.get(USER, ""))
    if os.geteuid() != 0 or user is None:
        return
    path = environ.get(ENV_FILE, "")
    if path:
        try:
            from setup_service.regular_file import read_regular_file

            _read_as_root[os.path.abspath(path)] = read_regular_file(path)
        except OSError:
            pass
    uid, gid = user
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)


def content(path: str) -> bytes | None:
    """The bytes lower() read as root for this path, if it did."""
    return _read_as_root.get(os.path.abspath(path))

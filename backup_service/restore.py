"""restore: the published stanza restored into its pg1-path with --delta. PostgreSQL must be
stopped (pgBackRest refuses otherwise); when it starts, it recovers and, for a set, a time or a
transaction, promotes at the target.

  restore latest        the newest backup, then all archived WAL
  restore set LABEL     that backup set (e.g. 20240101-120000F), recovered to its end
  restore time TARGET   the state at TARGET (e.g. "2024-01-01 12:00:00+00")
  restore xid XID       the state just after transaction XID committed (pgBackRest --type=xid)
"""

from __future__ import annotations

import dataclasses
import re

from backup_service import pgbackrest, published
from backup_service.log import log
from backup_service.settings import Settings

USAGE = "latest | set LABEL | time TARGET | xid XID"
LABEL = re.compile(r"[0-9]{8}-[0-9]{6}F(_[0-9]{8}-[0-9]{6}[DI])?")
XID = re.compile(r"[0-9]{1,20}")


class UsageError(ValueError):
    """Arguments that name no restore; the message says why."""


@dataclasses.dataclass(frozen=True)
class Plan:
    options: tuple[str, ...]
    what: str


def plan(args: list[str]) -> Plan:
    """The pgBackRest options and a description of a restore request; raises UsageError."""
    mode, rest = (args[0], args[1:]) if args else ("", [])
    promote = ("--target-action=promote",)
    if mode == "latest" and not rest:
        return Plan((), "the latest backup and all archived WAL")
    if mode in ("set", "time", "xid") and len(rest) == 1 and rest[0]:
        value = rest[0]
        if mode == "set":
            if not LABEL.fullmatch(value):
                raise UsageError(f"'{value}' is not a backup label (see pgbackrest-stanza info)")
            return Plan((f"--set={value}", "--type=immediate", *promote), f"backup set {value}")
        if mode == "time":
            return Plan(("--type=time", f"--target={value}", *promote), f"the state at {value}")
        if not XID.fullmatch(value):
            raise UsageError(f"'{value}' is not a transaction id (a number, e.g. from txid_current())")
        return Plan(("--type=xid", f"--target={value}", *promote), f"the state after transaction {value}")
    raise UsageError(f"usage: restore {USAGE}")


def run(settings: Settings, request: Plan) -> int:
    stanza = str(published.field(settings, "stanza"))
    log(f"restoring {request.what} (stanza {stanza})")
    code = pgbackrest.run(settings, f"--stanza={stanza}", "--delta", *request.options, "restore")
    if code == 0:
        log(f"restored {request.what}; start PostgreSQL to recover")
    return code

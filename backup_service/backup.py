"""run-backup TYPE: one backup (full, diff or incr) of the published stanza, then expire. The
published crontab calls it, `make backup` too, and the watch when WAL is missing. When
BACKUP_WEBHOOK_URL is set, posts
  {status, type, label, duration_seconds, error, stanza, host, timestamp}
on success and on failure; never a secret. Exit status: 0, or pgBackRest's failure."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from backup_service import pgbackrest, published, webhook
from backup_service.log import log, utc_now
from backup_service.settings import Settings

TYPES = ("full", "diff", "incr")
ERROR_LINES, ERROR_CHARS = 20, 2000


def last_error(stderr: str) -> str:
    """The end of pgBackRest's stderr, at most 20 lines and 2000 characters."""
    text = "\n".join(stderr.rstrip("\n").split("\n")[-ERROR_LINES:]) if stderr.strip() else ""
    return text[-ERROR_CHARS:]


def newest(settings: Settings, stanza: str) -> tuple[str, str] | None:
    """The newest backup's label and type (pgBackRest turns a diff or incr into a full when there
    is no full yet, so the type is taken from there too)."""
    backups = pgbackrest.stanza_info(settings, stanza).backups
    return (str(backups[-1]["label"]), str(backups[-1]["type"])) if backups else None


def _echo(text: str) -> None:
    """pgBackRest's stderr onto ours (the container log)."""
    if text:
        sys.stderr.write(text)
        sys.stderr.flush()


def run(settings: Settings, kind: str) -> int:
    stanza = str(published.field(settings, "stanza"))
    pgbackrest.environment(settings, say=True)
    log(f"starting {kind} backup of stanza {stanza}")
    started = time.monotonic()
    outcome = pgbackrest.capture(settings, f"--stanza={stanza}", f"--type={kind}", "backup", stdout=False)
    _echo(outcome.stderr)
    code, label, error = outcome.code, None, last_error(outcome.stderr) if outcome.code else ""
    if code == 0:
        found = newest(settings, stanza)
        if found:
            label, kind = found
        expired = pgbackrest.capture(settings, f"--stanza={stanza}", "expire", stdout=False)
        _echo(expired.stderr)
        if expired.code != 0:
            code, error = 1, f"expire failed: {last_error(expired.stderr)}"
    outcome_word = "success" if code == 0 else "failure"
    payload: dict[str, Any] = {
        "status": outcome_word, "type": kind, "label": label,
        "duration_seconds": round(time.monotonic() - started, 3), "error": error or None,
        "stanza": stanza, "host": os.uname().nodename,
        "timestamp": utc_now()}
    log(f"{kind} backup {outcome_word}{f' ({label})' if label else ''}")
    webhook.post(settings, payload, "the result")
    return code

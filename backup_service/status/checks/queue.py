"""queue: WAL waiting in pg_wal for the archiver against archive-push-queue-max: WARNING at 50 %,
CRITICAL at 80 % (past 100 % pgBackRest drops WAL)."""

from __future__ import annotations

import dataclasses
import os

from backup_service import published
from backup_service.exit_codes import Status
from backup_service.settings import Settings
from backup_service.status.report import Check

MiB = 1048576


@dataclasses.dataclass(frozen=True)
class Queue:
    queued_bytes: int
    max_bytes: int | None  # archive-push-queue-max, None when unset
    free_bytes: int  # free space where pg_wal is


def read(settings: Settings, stanza: str, segment_size: int) -> Queue:
    """Raises OSError when pg_wal cannot be read."""
    wal_dir = os.path.join(settings.pgdata, "pg_wal")
    ready = sum(1 for n in os.listdir(os.path.join(wal_dir, "archive_status")) if n.endswith(".ready"))
    space = os.statvfs(wal_dir)
    cap = published.size_bytes(published.config_value(
        settings, "archive-push-queue-max",
        ("global", "global:archive-push", stanza, f"{stanza}:archive-push")))
    return Queue(ready * segment_size, cap, space.f_bavail * space.f_frsize)


def check(queue: Queue) -> list[Check]:
    if not queue.max_bytes:
        return []
    share = queue.queued_bytes / queue.max_bytes
    status = Status.CRITICAL if share >= 0.8 else Status.WARNING if share >= 0.5 else Status.OK
    return [Check("queue", status, f"{queue.queued_bytes // MiB} MiB of WAL waiting, {share:.0%} of "
                  f"archive-push-queue-max ({queue.max_bytes // MiB} MiB; past it pgBackRest drops WAL)")]

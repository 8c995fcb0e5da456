"""archiving: pg_stat_archiver. Failing now is WARNING; failing for longer than
BACKUP_STATUS_CRITICAL_AFTER seconds is CRITICAL; archive_mode off is CRITICAL."""

from __future__ import annotations

import dataclasses
from typing import Any

from backup_service import postgres
from backup_service.exit_codes import Status
from backup_service.settings import Settings
from backup_service.status.report import Check, age

QUERY = (
    "SELECT coalesce(last_archived_wal, ''), coalesce(extract(epoch from last_archived_time)::bigint, 0), "
    "failed_count, coalesce(last_failed_wal, ''), coalesce(extract(epoch from last_failed_time)::bigint, 0), "
    "pg_current_wal_lsn() - '0/0'::pg_lsn, current_setting('archive_mode'), "
    "(SELECT setting FROM pg_settings WHERE name = 'wal_segment_size'), "
    # compared in full precision: a failure and a success within one second are ordered
    "coalesce(last_failed_time > coalesce(last_archived_time, '-infinity'), false) FROM pg_stat_archiver")


@dataclasses.dataclass(frozen=True)
class Archiver:
    """pg_stat_archiver and what goes with it, as PostgreSQL said."""

    last_wal: str
    last_time: int  # epoch seconds, 0 when nothing was archived yet
    failed_count: int
    failed_wal: str
    failed_time: int
    lsn: int  # bytes of WAL written so far
    mode: str
    segment_size: int
    failing: bool  # the last failure is newer than the last success


def read(settings: Settings) -> Archiver | None:
    """None when PostgreSQL did not answer."""
    row = postgres.row(settings, QUERY)
    if row is None or len(row) != 9:
        return None
    last_wal, last_time, failed, failed_wal, failed_time, lsn, mode, segment, failing = row
    return Archiver(last_wal, int(last_time), int(failed), failed_wal, int(failed_time), int(lsn),
                    mode, int(segment), failing == "t")


def fields(settings: Settings, archiver: Archiver) -> dict[str, Any]:
    return {"last_archived_wal": archiver.last_wal or None,
            "last_archived_age_seconds": round(settings.now - archiver.last_time) if archiver.last_time else None,
            "failed_count": archiver.failed_count, "last_failed_wal": archiver.failed_wal or None}


def check(settings: Settings, archiver: Archiver) -> Check:
    if archiver.mode == "off":
        return Check("archiving", Status.CRITICAL, "archive_mode is off: no WAL reaches the repository")
    if archiver.failing:
        since = archiver.last_time or archiver.failed_time
        failing_for = settings.now - since
        return Check("archiving", Status.CRITICAL if failing_for > settings.critical_after else Status.WARNING,
                     f"failing: {archiver.failed_wal} could not be archived; nothing archived for {age(failing_for)}")
    return Check("archiving", Status.OK, f"last archived {archiver.last_wal or 'nothing yet'}")

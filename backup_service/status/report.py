"""The health answer as typed data: checks, each with a status, and the measured fields."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from typing import Any

from backup_service.exit_codes import Status

# Every archive field is in every report: null where it could not be measured (PostgreSQL down).
ARCHIVE_FIELDS = ("last_archived_wal", "last_archived_age_seconds", "failed_count",
                  "last_failed_wal", "queue_bytes", "queue_max_bytes", "free_bytes",
                  "wal_bytes_per_hour", "safe_outage_hours", "gap")
# The last restore drill's fields in every report: null before the first drill.
DRILL_FIELDS = ("status", "finished", "age_seconds", "backup_label", "rto_seconds", "rpo_seconds")


@dataclasses.dataclass(frozen=True)
class Check:
    name: str
    status: Status
    message: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status.name, "message": self.message}


@dataclasses.dataclass
class Report:
    checks: list[Check] = dataclasses.field(default_factory=list)
    stanza: str | None = None
    last_backup: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    archive: dict[str, Any] = dataclasses.field(
        default_factory=lambda: {key: None for key in ARCHIVE_FIELDS})
    repositories: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    restore_points: dict[str, Any] | None = None
    restore_drill: dict[str, Any] = dataclasses.field(
        default_factory=lambda: {key: None for key in DRILL_FIELDS})
    drill_last_success: float | None = None  # epoch seconds, for the Prometheus gauge

    @property
    def status(self) -> Status:
        """The worst check's; UNKNOWN when nothing could be checked."""
        return max((c.status for c in self.checks), default=Status.UNKNOWN)

    def worst(self, name: str) -> Status | None:
        """The worst status of the checks of that name, None when there is none."""
        return max((c.status for c in self.checks if c.name == name), default=None)

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "status": self.status.name, "checks": [c.to_json() for c in self.checks],
            "last_backup": self.last_backup, "archive": self.archive,
            "repositories": self.repositories, "restore_drill": self.restore_drill}
        if self.stanza is not None:
            document["stanza"] = self.stanza
        if self.restore_points is not None:
            document["restore_points"] = self.restore_points
        return document


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat()


def age(seconds: float) -> str:
    """A duration in words; PostgreSQL's times are rounded to the second: never "-0 min"."""
    seconds = max(seconds, 0.0)
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"

"""backup-age: the newest backup of each scheduled type against its schedule's interval (from the
published crontab): WARNING past interval + grace, CRITICAL past two intervals + grace. A full
backup counts for a diff schedule, any for incr. A new repository is due one interval after it
was created. Not judged while the repository is away (its backups are not known then)."""

from __future__ import annotations

from typing import Any

from setup_service import cron

from backup_service.exit_codes import Status
from backup_service.settings import Settings
from backup_service.status.report import Check, age, iso

TYPES = ("full", "diff", "incr")
COUNTS_FOR = {"full": ("full",), "diff": ("full", "diff"), "incr": ("full", "diff", "incr")}


def last_backups(settings: Settings, backups: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The newest backup of each type: label, stop time and age."""
    found = {}
    for kind in TYPES:
        newest = [b for b in backups if b["type"] == kind]
        if newest:
            stop = newest[-1]["timestamp"]["stop"]
            found[kind] = {"label": newest[-1]["label"], "stop": stop, "stop_time": iso(stop),
                           "age_seconds": round(settings.now - stop)}
    return found


def check(settings: Settings, schedules: dict[str, tuple[str, cron.Schedule]], backups: list[dict[str, Any]],
          answered: bool, created: float | None) -> list[Check]:
    checks = []
    for kind, (written, schedule) in sorted(schedules.items()):
        interval = schedule.interval_seconds()
        counting = [b for b in backups if b["type"] in COUNTS_FOR[kind]]
        if not counting:
            existed = settings.now - created if created else None
            status = Status.UNKNOWN if not answered else Status.CRITICAL \
                if existed is None or existed > interval + settings.grace else Status.WARNING
            due = f"; due by {iso(created + interval + settings.grace)}" if created else ""
            checks.append(Check("backup-age", status, f"{kind}: no backup yet (schedule {written}"
                                f"{due}; make backup takes a full one now)"))
            continue
        stale = settings.now - counting[-1]["timestamp"]["stop"]
        status = Status.CRITICAL if stale > 2 * interval + settings.grace else \
            Status.WARNING if stale > interval + settings.grace else Status.OK
        checks.append(Check("backup-age", status, f"{kind}: newest {counting[-1]['label']} is {age(stale)} "
                            f"old; the schedule ({written}) runs every {age(interval)} at most"))
    return checks

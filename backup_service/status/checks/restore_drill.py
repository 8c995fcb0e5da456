"""restore-drill: what the last restore drill said (recorded by restore-drill in
BACKUP_STATE_DIR). CRITICAL when it failed; WARNING when it was skipped, when no drill has passed
within the drill schedule's interval plus grace once backups exist, or when its RTO exceeds
BACKUP_DRILL_RTO_TARGET. No check when no drill is scheduled and none ever ran."""

from __future__ import annotations

from typing import Any

from setup_service import cron

from backup_service import state
from backup_service.drill.result import RECORD
from backup_service.exit_codes import Status
from backup_service.settings import Settings
from backup_service.status.report import DRILL_FIELDS, Check, age


def summary(settings: Settings, last: dict[str, Any] | None) -> dict[str, Any]:
    """The report's restore_drill object: every field, null where there was no drill."""
    if not last:
        return {key: None for key in DRILL_FIELDS}
    finished = last.get("finished_epoch")
    return {"status": last.get("status"), "finished": last.get("finished"),
            "age_seconds": round(settings.now - finished) if finished else None,
            "backup_label": last.get("backup_label"), "rto_seconds": last.get("rto_seconds"),
            "rpo_seconds": last.get("rpo_seconds")}


def last_passed_epoch(record: dict[str, Any]) -> float | None:
    passed = record.get("last_passed") or {}
    finished = passed.get("finished_epoch")
    return float(finished) if finished else None


def check(settings: Settings, record: dict[str, Any], schedule: tuple[str, cron.Schedule] | None,
          oldest_backup: float | None) -> list[Check]:
    last = record.get("last") or {}
    if not last and schedule is None:
        return []
    checks: list[Check] = []
    status = last.get("status")
    if status == "critical":
        problems = [c["message"] for c in last.get("checks", []) if c.get("status") == "critical"]
        checks.append(Check("restore-drill", Status.CRITICAL, f"the last drill ({last.get('finished')}, backup "
                            f"{last.get('backup_label')}) failed: {'; '.join(problems) or 'see restore-drill'}"))
    elif status == "warning":
        problems = [c["message"] for c in last.get("checks", []) if c.get("status") == "warning"]
        checks.append(Check("restore-drill", Status.WARNING, f"the last drill ({last.get('finished')}): "
                            + "; ".join(problems)))
    if schedule is not None and oldest_backup is not None:
        written, parsed = schedule
        allowed = parsed.interval_seconds() + settings.grace
        passed = last_passed_epoch(record)
        since = passed if passed is not None else oldest_backup
        if settings.now - since > allowed:
            what = f"the last passed {age(settings.now - passed)} ago" if passed is not None else "none has passed yet"
            checks.append(Check("restore-drill", Status.WARNING, f"no restore drill has passed within its schedule "
                                f"({written}) plus grace: {what} (make restore-drill runs one now)"))
    target = settings.drill_rto_target
    rto = last.get("rto_seconds")
    if status == "ok" and target is not None and rto is not None and rto > target:
        checks.append(Check("restore-drill", Status.WARNING,
                            f"the last drill's RTO, {rto:.0f} s, exceeds BACKUP_DRILL_RTO_TARGET ({target:g} s)"))
    if not last and not checks:
        checks.append(Check("restore-drill", Status.OK, "no restore drill has run yet (schedule "
                            f"{schedule[0] if schedule else 'none'}; make restore-drill runs one now)"))
    elif status == "ok" and not checks:
        checks.append(Check("restore-drill", Status.OK, f"the last drill passed ({last.get('finished')}, backup "
                            f"{last.get('backup_label')}, RTO {rto} s, RPO {last.get('rpo_seconds')} s)"))
    return checks


def read(settings: Settings) -> dict[str, Any]:
    recorded = state.load(settings, RECORD)
    return recorded if isinstance(recorded, dict) else {}

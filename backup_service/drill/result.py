"""A drill's result as typed data, its JSON and text forms, and the record backup-status reads."""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Callable

from backup_service import state
from backup_service.exit_codes import Status
from backup_service.settings import Settings
from backup_service.status.report import Check, iso

RECORD = "restore-drill.json"  # the last drill, and the last one that passed


@dataclasses.dataclass
class DrillResult:
    started: float
    checks: list[Check] = dataclasses.field(default_factory=list)
    backup_label: str | None = None
    finished: float | None = None
    restore_seconds: float | None = None
    recovery_seconds: float | None = None
    rto_seconds: float | None = None
    rpo_seconds: float | None = None
    probe: dict[str, Any] | None = None
    skipped: bool = False  # not run (no space, no backup, another drill): not a verdict

    @property
    def status(self) -> Status:
        return max((c.status for c in self.checks), default=Status.UNKNOWN)

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "status": self.status.name.lower(), "backup_label": self.backup_label,
            "started": iso(self.started), "finished": iso(self.finished) if self.finished else None,
            "restore_seconds": _round(self.restore_seconds), "recovery_seconds": _round(self.recovery_seconds),
            "rto_seconds": _round(self.rto_seconds), "rpo_seconds": _round(self.rpo_seconds),
            "checks": [{**c.to_json(), "status": c.status.name.lower()} for c in self.checks]}
        if self.probe is not None:
            document["probe"] = self.probe
        return document


def _round(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def text(result: DrillResult) -> str:
    document = result.to_json()
    head = f"RESTORE DRILL {result.status.name}"
    problems = [c.message for c in result.checks if c.status is not Status.OK]
    if problems:
        head += ": " + "; ".join(problems)
    elif result.backup_label:
        head += (f": backup {result.backup_label} restored in {document['restore_seconds']} s, recovered in "
                 f"{document['recovery_seconds']} s; RTO {document['rto_seconds']} s, RPO {document['rpo_seconds']} s")
    return "\n".join([head, *(f"  {c.status.name:8} {c.name}: {c.message}" for c in result.checks)])


def json_report(result: DrillResult) -> str:
    return json.dumps(result.to_json(), indent=2, sort_keys=True)


REPORTERS: dict[str, Callable[[DrillResult], str]] = {"text": text, "json": json_report}


def record(settings: Settings, result: DrillResult) -> dict[str, Any]:
    """Records the drill (a skipped one too: backup-status says it was skipped); returns the
    record as it was before, for the webhook's change of state."""
    before = state.load(settings, RECORD)
    previous: dict[str, Any] = before if isinstance(before, dict) else {}
    document = {"last": {**result.to_json(), "finished_epoch": result.finished},
                "last_passed": previous.get("last_passed")}
    if result.status is Status.OK:
        document["last_passed"] = document["last"]
    state.save(settings, RECORD, document)
    return previous

"""The watch (backup-status --watch, run by the service every BACKUP_WATCH_MINUTES): posts each
change of state to the webhook once, and takes a full backup when WAL is missing after the newest
backup as soon as the repository answers: only a new full backup makes point-in-time recovery to
now possible again.

A condition that starts or gets worse (WARNING, then CRITICAL) posts its start event with its
level; one that ends posts its end event; easing off (CRITICAL to WARNING) posts nothing.
"""

from __future__ import annotations

import os
from typing import Any

from backup_service import backup, state, webhook
from backup_service.exit_codes import Status
from backup_service.log import log, utc_now
from backup_service.settings import Settings
from backup_service.status.evaluate import evaluate
from backup_service.status.report import Report

STATE = "backup-status.state.json"
CONDITIONS = {  # condition -> (event when it starts, event when it ends)
    "repository_unreachable": ("repository-unreachable", "repository-reachable"),
    "archiving_failing": ("archiving-failing", "archiving-recovered"),
    "wal_missing": ("wal-dropped", "gap-closed"),
    "backups_stale": ("backups-stale", "backups-fresh"),
}
LEVELS = ("OK", "WARNING", "CRITICAL")


def conditions(report: Report) -> dict[str, str]:
    """Each condition's level: OK, WARNING or CRITICAL (an UNKNOWN check counts as OK here)."""
    def level(name: str) -> str:
        found = [c.status for c in report.checks if c.name == name and c.status is not Status.UNKNOWN]
        return max(found, default=Status.OK).name
    gap = report.archive.get("gap") or {}
    return {"repository_unreachable": level("repository"), "archiving_failing": level("archiving"),
            "wal_missing": "CRITICAL" if gap.get("after_newest_backup") else "OK",
            "backups_stale": level("backup-age")}


def recorded_level(value: object) -> str:
    """A recorded level (True/False from before levels were recorded: WARNING/OK)."""
    if isinstance(value, bool):
        return "WARNING" if value else "OK"
    return str(value) if value in LEVELS else "OK"


def event(name: str, report: Report) -> dict[str, Any]:
    """A webhook payload: this command's own words only (no pgBackRest output, no secret)."""
    own = [c for c in report.checks if c.name != "repository"]
    return {"event": name, "status": report.status.name, "stanza": report.stanza,
            "host": os.uname().nodename, "timestamp": utc_now(),
            "checks": [{"name": c.name, "status": c.status.name} for c in report.checks],
            "problems": [c.message for c in own if c.status is not Status.OK],
            "gap": report.archive.get("gap")}


def changes(previous: dict[str, Any], now: dict[str, str], report: Report) -> list[dict[str, Any]]:
    """The payloads to post for the change from previous to now."""
    payloads = []
    for name, level in now.items():
        before = recorded_level(previous.get(name, "OK"))
        if LEVELS.index(level) > LEVELS.index(before):
            payloads.append({**event(CONDITIONS[name][0], report), "level": level})
        elif level == "OK" and before != "OK":
            payloads.append({**event(CONDITIONS[name][1], report), "level": level})
    return payloads


def announce(settings: Settings, previous: dict[str, Any], now: dict[str, str], report: Report) -> None:
    for payload in changes(previous, now, report):
        webhook.post(settings, payload, payload["event"])


def watch(settings: Settings) -> Report:
    recorded = state.load(settings, STATE)
    previous: dict[str, Any] = recorded if isinstance(recorded, dict) else {}
    report = evaluate(settings)
    now = conditions(report)
    if report.worst("backup-age") is None:  # not known while the repository is away
        now["backups_stale"] = recorded_level(previous.get("backups_stale", "OK"))
    announce(settings, previous, now, report)
    if now["wal_missing"] != "OK" and now["repository_unreachable"] == "OK":
        gap = report.archive["gap"]
        log(f"{gap['missing_segments']} WAL segment(s) missing after the newest backup, from "
            f"{gap['first_missing']}: taking a full backup")
        code = backup.run(settings, "full")
        report = evaluate(settings)
        healed = conditions(report)
        announce(settings, now, healed, report)
        now = healed
        log("the gap is closed: recovery to now works again" if now["wal_missing"] == "OK"
            else f"the full backup did not close the gap (run-backup exited {code}); retrying next time")
    try:
        state.save(settings, STATE, now)
    except OSError as exc:
        log(f"cannot record the state in {settings.state_dir}: {exc.strerror}")
    return report

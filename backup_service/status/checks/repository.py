"""repository: every repository answers pgBackRest's `info` within BACKUP_STATUS_TIMEOUT seconds,
so the answer comes in seconds during an outage, not minutes. Unreachable is WARNING, and CRITICAL
once it has been unreachable for BACKUP_STATUS_CRITICAL_AFTER seconds (the outage's start is
remembered between runs in BACKUP_STATE_DIR; the healthcheck runs every minute)."""

from __future__ import annotations

from typing import Any

from backup_service import state
from backup_service.pgbackrest import StanzaInfo
from backup_service.exit_codes import Status
from backup_service.settings import Settings
from backup_service.status.report import Check, age

OUTAGE_STATE = "backup-status-outage.json"


def outage_since(settings: Settings, unreachable: bool) -> float | None:
    """Since when the repository has not answered (remembered between runs), or None."""
    recorded = state.load(settings, OUTAGE_STATE)
    try:
        since: float | None = float(recorded["since"])
    except (TypeError, KeyError, ValueError):
        since = None
    try:
        if not unreachable:
            if since is not None:
                state.remove(settings, OUTAGE_STATE)
            return None
        if since is None or since > settings.now:
            since = settings.now
            state.save(settings, OUTAGE_STATE, {"since": since})
    except OSError:
        pass
    return since


def check(settings: Settings, answer: StanzaInfo) -> tuple[list[Check], list[dict[str, Any]], float | None]:
    """The checks, the repositories' entries, and since when the repository is away (or None)."""
    repos = answer.repos
    away_since = outage_since(settings, not answer.info or not all(answer.reachable(r) for r in repos))
    away = f" (for {age(settings.now - away_since)})" if away_since is not None else ""
    level = Status.CRITICAL if away_since is not None and \
        settings.now - away_since >= settings.critical_after else Status.WARNING
    checks, entries = [], []
    if not answer.info:
        message = (answer.stderr.strip().splitlines() or [f"pgbackrest info exited {answer.code}"])[-1]
        checks.append(Check("repository", level, f"pgBackRest cannot read the repository{away}: {message}"))
    for repo in repos:
        reachable = answer.reachable(repo)
        said = repo.get("status", {}).get("message", "")
        entries.append({"key": repo.get("key"), "reachable": reachable, "message": said})
        checks.append(Check("repository", Status.OK if reachable else level,
                            f"repo{repo.get('key')}{'' if reachable else away}: " + said))
    return checks, entries, away_since

"""The backup service itself (the container's main process): exits 0 at once when the published
status.json says backups are disabled; otherwise removes what a killed restore drill left, creates
the stanza (retrying while PostgreSQL
starts, for BACKUP_STARTUP_TIMEOUT seconds), checks it, and runs the scheduler over the published
crontab with the minute task below; with BACKUP_METRICS_PORT, it serves /metrics (metrics.py)."""

from __future__ import annotations

import dataclasses
import time
from datetime import datetime

from backup_service import metrics, pgbackrest, published, repository_change
from backup_service.drill.run import clean_leftover
from backup_service.exit_codes import ExitCode
from backup_service.log import log, set_program
from backup_service.scheduler import Scheduler
from backup_service.settings import Settings
from backup_service.status import watch
from backup_service.status.evaluate import evaluate


def every_minute(settings: Settings, epoch: float) -> None:
    """Before the due jobs, every minute: a repository changed on purpose gets its stanza and a
    full backup (retried each minute until it succeeds); every BACKUP_WATCH_MINUTES minutes (0:
    never) the watch posts state changes and takes a full backup when WAL is missing."""
    now = dataclasses.replace(settings, now=epoch)
    try:
        if repository_change.handle(now) != 0:
            log("repository-change failed; retrying next minute")
    except (OSError, ValueError, published.NotPublished) as exc:
        log(f"repository-change failed ({exc}); retrying next minute")
    every = settings.watch_minutes
    minute = int(epoch // 60)
    try:
        if every > 0 and minute % every == 0:
            report = watch.watch(now)
            if settings.metrics_port:
                metrics.refresh(now, report)
        elif every == 0 and settings.metrics_port and minute % metrics.EVERY_MINUTES_WITHOUT_WATCH == 0:
            metrics.refresh(now, evaluate(now))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log(f"the watch failed ({type(exc).__name__}: {exc}); next time")


def wait_for_stanza(settings: Settings, stanza: str) -> bool:
    deadline = time.monotonic() + settings.startup_timeout
    while pgbackrest.run(settings, f"--stanza={stanza}", "stanza-create") != 0:
        if time.monotonic() >= deadline:
            log(f"could not create stanza {stanza} within {settings.startup_timeout:g}s")
            return False
        log("PostgreSQL or the repository is not ready; retrying")
        time.sleep(settings.retry_interval)
    return True


def serve(settings: Settings) -> int:
    if published.field(settings, "backups_enabled") is not True:
        log(f"backups are disabled in {settings.config_dir}/status.json: nothing to run")
        return ExitCode.OK
    stanza = str(published.field(settings, "stanza"))
    clean_leftover(settings)
    if not wait_for_stanza(settings, stanza):
        return ExitCode.FAILURE
    if pgbackrest.run(settings, f"--stanza={stanza}", "check") != 0:
        log("WARNING: pgbackrest check failed (is WAL archiving working?); scheduling anyway")
    if settings.metrics_port:
        metrics.refresh(settings, evaluate(settings))
        metrics.serve(settings)
        log(f"serving backup-status's Prometheus text on port {settings.metrics_port} at /metrics")
    scheduler = Scheduler(published.crontab_path(settings))
    set_program("scheduler")  # from here the log lines are the scheduler's, as users grep them
    if settings.scheduler_once:
        return scheduler.once(datetime.now())
    scheduler.serve(lambda epoch: every_minute(settings, epoch))
    return ExitCode.OK

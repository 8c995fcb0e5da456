"""The backup service's commands, one table: the names users and the guide type (backup-status,
run-backup, restore, restore-drill, pgbackrest-stanza), the service itself, and the parts it runs (scheduler,
on-minute, repository-change). One launcher (bin/backup-service) runs them, by the name it was
called as (a link in the image's PATH) or by its first argument.

Each command parses its own arguments, builds the settings once from the environment, and exits
with a code of exit_codes.py; an unexpected error is logged in one line and exits INTERNAL."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from datetime import datetime

from backup_service import backup, pgbackrest, published, repository_change, restore, service
from backup_service.drill import result as drill_result
from backup_service.drill import run as drill_run
from backup_service.exit_codes import ExitCode, Status
from backup_service.log import log, set_program
from backup_service.scheduler import Scheduler
from backup_service.settings import Settings
from backup_service.signals import Stopped, stop_on_signals
from backup_service.status import formats, restore_points, watch
from backup_service.status.evaluate import evaluate
from backup_service.status.report import Check, Report


def backup_status(settings: Settings, args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="backup-status", description=(
        "Are the backups good right now? Exit codes as Nagios plugins: 0 OK, 1 WARNING, "
        "2 CRITICAL, 3 UNKNOWN."))
    parser.add_argument("--format", choices=sorted(formats.REPORTERS), default="text")
    parser.add_argument("--restore-points", action="store_true",
                        help="list the backups with their time ranges and the point-in-time recovery span")
    parser.add_argument("--watch", action="store_true",
                        help="post state changes to BACKUP_WEBHOOK_URL once each, and take a full backup "
                             "when WAL is missing (the backup service runs this every BACKUP_WATCH_MINUTES)")
    options = parser.parse_args(args)
    if options.watch:
        return watch.watch(settings).status
    try:
        report = evaluate(settings)
    except Exception as exc:  # noqa: BLE001 - a monitoring plugin answers UNKNOWN, never a traceback
        report = Report(checks=[Check("backup-status", Status.UNKNOWN, f"{type(exc).__name__}: {exc}")])
    if options.restore_points:
        points = report.restore_points or restore_points.EMPTY
        print(json.dumps(points, indent=2, sort_keys=True) if options.format == "json"
              else restore_points.text(points))
        return Status.OK if points["backups"] else Status.CRITICAL
    print(formats.REPORTERS[options.format](report))
    return report.status


def restore_drill(settings: Settings, args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="restore-drill", description=(
        "Restore a backup into scratch space, recover it, check it, measure RTO and RPO, and remove "
        "it. Exit codes as backup-status: 0 passed, 1 WARNING (e.g. RTO over target, or skipped for "
        "lack of scratch space), 2 CRITICAL (failed), 3 UNKNOWN (no backup yet, or a drill already "
        "running)."))
    parser.add_argument("--format", choices=sorted(drill_result.REPORTERS), default="text")
    parser.add_argument("--sql", default=None, help="the probe: SQL run on POSTGRES_DB in the restored "
                        "cluster, passing when the first column of the first row is true (default: BACKUP_DRILL_SQL)")
    parser.add_argument("--set", dest="backup_set", default=None, help="restore this backup set (a label) instead "
                        "of the newest, recovered to its end")
    parser.add_argument("--target", default=None, help="recover to this time instead of the end of the archive")
    options = parser.parse_args(args)
    request = drill_run.Request(sql=options.sql if options.sql is not None else (settings.drill_sql or None),
                                backup_set=options.backup_set, target=options.target)
    result = drill_run.drill(settings, request)
    print(drill_result.REPORTERS[options.format](result))
    return result.status


def run_backup(settings: Settings, args: list[str]) -> int:
    if len(args) != 1 or args[0] not in backup.TYPES:
        print("usage: run-backup full|diff|incr", file=sys.stderr)
        return ExitCode.USAGE
    return backup.run(settings, args[0])


def restore_command(settings: Settings, args: list[str]) -> int:
    try:
        plan = restore.plan(args)
    except restore.UsageError as exc:
        print(f"restore: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    return restore.run(settings, plan)


def pgbackrest_stanza(settings: Settings, args: list[str]) -> int:
    if not args:
        print("usage: pgbackrest-stanza COMMAND [OPTION...]   (e.g. info, check)", file=sys.stderr)
        return ExitCode.USAGE
    pgbackrest.exec_(settings, f"--stanza={published.field(settings, 'stanza')}", *args)
    return ExitCode.INTERNAL  # not reached: exec replaced this process


def scheduler(settings: Settings, args: list[str]) -> int:
    """scheduler [CRONTAB]: the scheduler alone (no stanza, no minute task). SCHEDULER_ONCE=1
    runs the current minute's jobs (SCHEDULER_NOW: another minute, for tests), waits for them,
    and exits with the number that failed."""
    path = args[0] if args else published.crontab_path(settings)
    jobs = Scheduler(path)
    if settings.scheduler_once:
        moment = datetime.fromisoformat(settings.scheduler_now) if settings.scheduler_now else datetime.now()
        return jobs.once(moment)
    jobs.serve()
    return ExitCode.OK


def on_minute(settings: Settings, args: list[str]) -> int:
    service.every_minute(settings, settings.now)
    return ExitCode.OK


def repository_change_command(settings: Settings, args: list[str]) -> int:
    return repository_change.handle(settings)


def serve(settings: Settings, args: list[str]) -> int:
    return service.serve(settings)


COMMANDS: dict[str, Callable[[Settings, list[str]], int]] = {
    "backup-status": backup_status,
    "run-backup": run_backup,
    "restore-drill": restore_drill,
    "restore": restore_command,
    "pgbackrest-stanza": pgbackrest_stanza,
    "backup-service": serve,
    "scheduler": scheduler,
    "on-minute": on_minute,
    "repository-change": repository_change_command,
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    name, args = os.path.basename(argv[0]), argv[1:]
    if name not in COMMANDS or name == "backup-service":
        if args and args[0] in COMMANDS:
            name, args = args[0], args[1:]
        elif name not in COMMANDS:
            print(f"usage: backup-service [{' | '.join(COMMANDS)}] [ARG...]", file=sys.stderr)
            return ExitCode.USAGE
    set_program("backup-entrypoint" if name == "backup-service" else name)
    stop_on_signals()
    try:
        return COMMANDS[name](Settings.from_environ(os.environ), args)
    except Stopped as stop:
        log("stopping")
        return stop.code
    except published.NotPublished as exc:
        log(str(exc))
        return ExitCode.FAILURE
    except Exception as exc:  # noqa: BLE001 - the one top-level handler
        log(f"internal error: {type(exc).__name__}: {exc}")
        return ExitCode.INTERNAL

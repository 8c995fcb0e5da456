"""The health answer: the facts gathered once, in order, and each check run over them.

PostgreSQL not answering stops the evaluation after backup-age (UNKNOWN archiving), and an
unreadable pg_wal after continuity (UNKNOWN queue): what was measured is still reported.
"""

from __future__ import annotations

from backup_service import pgbackrest, published, wal
from backup_service.exit_codes import Status
from backup_service.settings import Settings
from backup_service.status import restore_points as points
from backup_service.status.checks import (archiving, backup_age, continuity, outage, queue, repository,
                                          restore_drill)
from backup_service.status.report import Check, Report


def evaluate(settings: Settings) -> Report:
    report = Report()
    try:
        stanza = str(published.field(settings, "stanza"))
    except published.NotPublished as exc:
        report.checks.append(Check("configuration", Status.UNKNOWN, str(exc)))
        return report
    report.stanza = stanza

    answer = pgbackrest.stanza_info(settings, stanza, timeout=settings.timeout)
    checks, report.repositories, away_since = repository.check(settings, answer)
    report.checks += checks

    info = answer.info
    backups = sorted(info.get("backup", []), key=lambda b: b["timestamp"]["stop"])
    report.last_backup = backup_age.last_backups(settings, backups)
    archive_ids = sorted({a["id"] for a in info.get("archive", []) if "id" in a})
    repos = answer.repos
    listing = continuity.archive_listing(settings, stanza, int(repos[0].get("key", 1)), archive_ids) \
        if info and repos else None
    if away_since is None:  # the backups are not known while the repository is away
        report.checks += backup_age.check(settings, published.backup_schedules(settings), backups,
                                          bool(info), listing.created if listing else None)

    drills = restore_drill.read(settings)
    report.restore_drill = restore_drill.summary(settings, drills.get("last"))
    report.drill_last_success = restore_drill.last_passed_epoch(drills)
    report.checks += restore_drill.check(settings, drills, published.drill_schedule(settings),
                                         backups[0]["timestamp"]["stop"] if backups else None)

    archiver = archiving.read(settings)
    if archiver is None:
        report.checks.append(Check("archiving", Status.UNKNOWN, "PostgreSQL did not answer (pg_stat_archiver)"))
        return report
    report.archive.update(archiving.fields(settings, archiver))
    report.checks.append(archiving.check(settings, archiver))

    size = archiver.segment_size
    newest_start = continuity.remembered_newest_start(
        settings, backups[-1]["archive"]["start"] if backups else None)
    dropped = [name for name in continuity.dropped_wal(settings, stanza)
               if newest_start is None or wal.segment_number(name, size)
               >= wal.segment_number(newest_start, size)]
    checks, gap = continuity.check(backups, archiver.last_wal, listing,
                                   bool(info) and away_since is None, dropped, size)
    report.checks += checks
    report.restore_points = points.restore_points(backups, gap.missing, archiver.last_time,
                                                  archiver.last_wal, size)
    report.archive["gap"] = gap.to_json()

    try:
        waiting = queue.read(settings, stanza, size)
    except OSError as exc:
        report.checks.append(Check("queue", Status.UNKNOWN, f"cannot read {settings.pgdata}/pg_wal: {exc.strerror}"))
        return report
    report.archive.update({"queue_bytes": waiting.queued_bytes, "queue_max_bytes": waiting.max_bytes,
                           "free_bytes": waiting.free_bytes})
    report.checks += queue.check(waiting)
    measured = outage.wal_rate(settings, archiver.lsn)
    rate = measured[0] if measured is not None else None
    hours = outage.safe_hours(waiting, rate)
    report.archive["wal_bytes_per_hour"] = round(rate) if rate is not None else None
    report.archive["safe_outage_hours"] = round(hours, 1) if hours is not None else None
    report.checks.append(outage.check(settings, waiting, measured, away_since is not None or archiver.failing))
    return report

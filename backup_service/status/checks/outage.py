"""outage: the safe outage duration, the WAL rate (measured between runs of backup-status, over up
to a day) against the free space of pg_wal and the queue cap. WARNING below
BACKUP_STATUS_OUTAGE_WARNING hours once the rate is measured over SIZING_WINDOW; CRITICAL below BACKUP_STATUS_OUTAGE_CRITICAL while an outage
is under way (the repository away or archiving failing: the time left before WAL is dropped)."""

from __future__ import annotations

from backup_service import state
from backup_service.exit_codes import Status
from backup_service.settings import Settings
from backup_service.status.checks.queue import MiB, Queue
from backup_service.status.report import Check

SAMPLES_STATE = "backup-status-samples.json"


# A sizing WARNING needs the rate measured over ten minutes or more. Right after a deploy the
# first backup's forced WAL switches (a few 16 MiB segments within a minute or two) would read as
# gigabytes an hour and warn of an outage safe for "2.8 h". CRITICAL during an outage is an
# emergency and takes the rate from a minute on.
SIZING_WINDOW = 600


def wal_rate(settings: Settings, lsn: int) -> tuple[float, float] | None:
    """Bytes of WAL per hour, and the seconds it was measured over, from this run's and earlier
    runs' (time, LSN) samples."""
    now = settings.now
    recorded = state.load(settings, SAMPLES_STATE)
    try:
        samples = [s for s in recorded if now - 86400 <= s[0] < now and s[1] <= lsn]
    except (TypeError, IndexError):
        samples = []
    try:
        state.save(settings, SAMPLES_STATE, (samples + [[now, lsn]])[-500:])
    except OSError:
        pass
    usable = [s for s in samples if now - s[0] >= 60]
    if not usable:
        return None
    oldest = min(usable)
    return float((lsn - oldest[1]) * 3600 / (now - oldest[0])), float(now - oldest[0])


def safe_hours(queue: Queue, rate: float | None) -> float | None:
    room = min(queue.free_bytes, queue.max_bytes - queue.queued_bytes) if queue.max_bytes else queue.free_bytes
    return room / rate if rate else None


def check(settings: Settings, queue: Queue, measured: tuple[float, float] | None, in_outage: bool) -> Check:
    rate, window = measured if measured is not None else (None, 0.0)
    hours = safe_hours(queue, rate)
    if hours is None or rate is None:
        return Check("outage", Status.OK, "WAL rate not measured yet (needs a sample a minute or more old)"
                     if rate is None else "no WAL written: any outage is safe")
    # CRITICAL only while an outage is under way (the time left before WAL is dropped or pg_wal
    # fills); a short margin with storage up is a sizing question: WARNING, once measured long enough.
    low = hours < settings.outage_warning_hours
    status = Status.CRITICAL if in_outage and hours < settings.outage_critical_hours else \
        Status.WARNING if low and window >= SIZING_WINDOW else Status.OK
    limit = "archive-push-queue-max" if queue.max_bytes and queue.max_bytes - queue.queued_bytes < queue.free_bytes \
        else "free space in pg_wal"
    over = f"; measured over {window / 60:.0f} min, a warning needs {SIZING_WINDOW // 60}" \
        if low and window < SIZING_WINDOW else ""
    return Check("outage", status, f"a repository outage is safe for {hours:.1f} h "
                 f"({rate / MiB:.1f} MiB of WAL per hour; limit: {limit}{over})")

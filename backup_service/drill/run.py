"""One drill, start to end: one at a time (a lock), whatever an earlier drill left removed first,
the space checked before anything is written, the restore into scratch with --archive-mode=off
(the scratch cluster never pushes WAL or timeline history into the repository), recovery, the
checks, and the scratch cluster always removed: after a failure, after BACKUP_DRILL_TIMEOUT, and
on TERM or INT. Production is only read: pgBackRest's info and repository listing, and two queries
(the last archived segment, the databases) through libpq."""

from __future__ import annotations

import dataclasses
import fcntl
import os
import time
from datetime import datetime
from typing import Any

from backup_service import pgbackrest, postgres, published, state, webhook
from backup_service.drill import checks
from backup_service.drill.cluster import Failed, ScratchCluster, bindir, last_commit
from backup_service.drill.result import DrillResult, record
from backup_service.drill.scratch import GiB, Scratch
from backup_service.exit_codes import Status
from backup_service.log import log, utc_now
from backup_service.settings import Settings
from backup_service.status.checks.continuity import archive_listing
from backup_service.status.report import Check

LOCK = "restore-drill.lock"
# Besides the database's size: WAL replayed (recovery recycles segments at restartpoints) and
# pgBackRest's and PostgreSQL's own files.
HEADROOM, MARGIN = 1.1, 256 * 1024 ** 2


@dataclasses.dataclass(frozen=True)
class Request:
    sql: str | None = None  # the probe
    backup_set: str | None = None  # --set LABEL, else the newest backup
    target: str | None = None  # --target TIME: recover to that time instead of the archive's end


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        """Seconds left; raises Failed when none are."""
        left = self.end - time.monotonic()
        if left <= 0:
            raise Failed(f"timed out after {self.seconds:g} s (BACKUP_DRILL_TIMEOUT)")
        return left


def _lock(settings: Settings) -> int | None:
    os.makedirs(settings.state_dir, exist_ok=True)
    handle = os.open(os.path.join(settings.state_dir, LOCK), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(handle)
        return None
    return handle


def _info(settings: Settings, stanza: str, deadline: Deadline) -> dict[str, Any]:
    answer = pgbackrest.stanza_info(settings, stanza, timeout=min(deadline.left(), max(settings.timeout, 60)))
    if answer.code != 0:
        raise Failed(f"pgbackrest info failed: {checks.tail(answer.stderr)}")
    return answer.info


def _choose(info: dict[str, Any], request: Request) -> dict[str, Any] | None:
    backups = sorted(info.get("backup", []), key=lambda b: b["timestamp"]["stop"])
    if request.backup_set:
        return next((b for b in backups if b["label"] == request.backup_set), None)
    return backups[-1] if backups else None


def _restore_options(scratch: Scratch, request: Request) -> list[str]:
    options = [f"--pg1-path={scratch.data}", "--archive-mode=off",
               f"--tablespace-map-all={os.path.join(scratch.root, 'tablespaces')}"]
    if request.backup_set:
        options.append(f"--set={request.backup_set}")
    if request.target:
        options += ["--type=time", f"--target={request.target}", "--target-action=promote"]
    elif request.backup_set:
        options += ["--type=immediate", "--target-action=promote"]
    return options


def _rpo(result: DrillResult, cluster: ScratchCluster, backup: dict[str, Any]) -> float:
    """The drill's start minus the last replayed commit (the backup's end when none was)."""
    committed = last_commit(cluster.log_text())
    newest = datetime.fromisoformat(committed).timestamp() if committed else float(backup["timestamp"]["stop"])
    return max(result.started - newest, 0.0)


def _skip(result: DrillResult, status: Status, name: str, message: str) -> DrillResult:
    result.checks.append(Check(name, status, message))
    result.skipped = True
    return result


@dataclasses.dataclass(frozen=True)
class Plan:
    """What a drill restores and what it expects, read before anything is written."""

    stanza: str
    backup: dict[str, Any]
    last_archived: str | None  # the archive's newest segment when the drill started
    primary_databases: list[str] | None  # None: the primary did not answer


def _plan(settings: Settings, request: Request, scratch: Scratch, result: DrillResult,
          deadline: Deadline) -> Plan | None:
    """None when the drill cannot run (no backup, too little space): result says why."""
    stanza = str(published.field(settings, "stanza"))
    info = _info(settings, stanza, deadline)
    backup = _choose(info, request)
    if backup is None:
        _skip(result, Status.UNKNOWN, "backup", f"no backup set {request.backup_set}"
              if request.backup_set else "no backup yet: nothing to restore")
        return None
    result.backup_label = str(backup["label"])
    needed = int(backup.get("info", {}).get("size", 0) * HEADROOM + MARGIN)
    if scratch.free_bytes() < needed:
        _skip(result, Status.WARNING, "space", f"skipped: needs {needed / GiB:.1f} GiB in {scratch.root} "
              f"({scratch.free_bytes() / GiB:.1f} GiB free)")
        return None
    repos = info.get("repo", [{}])
    archive_ids = sorted({a["id"] for a in info.get("archive", []) if "id" in a})
    listing = archive_listing(dataclasses.replace(settings, timeout=min(deadline.left(), 120)), stanza,
                              int(repos[0].get("key", 1)), archive_ids)
    return Plan(stanza, backup, max(listing.segments) if listing and listing.segments else None,
                postgres.column(settings, "SELECT datname FROM pg_database"))


def _restore(settings: Settings, request: Request, scratch: Scratch, result: DrillResult, plan: Plan,
             deadline: Deadline) -> bool:
    scratch.prepare()
    restoring = time.monotonic()
    outcome = pgbackrest.capture(settings, f"--stanza={plan.stanza}", *_restore_options(scratch, request),
                                 "restore", timeout=deadline.left())
    if outcome.code != 0:
        result.checks.append(Check("restore", Status.CRITICAL, "pgbackrest restore failed: "
                                   + checks.tail(outcome.stderr or outcome.stdout)))
        return False
    result.restore_seconds = time.monotonic() - restoring
    result.checks.append(Check("restore", Status.OK, f"backup {result.backup_label} restored into {scratch.data}"))
    return True


def _recover_and_check(settings: Settings, request: Request, cluster: ScratchCluster, result: DrillResult,
                       plan: Plan, deadline: Deadline, started: float) -> None:
    recovering = time.monotonic()
    cluster.start()
    cluster.wait_recovered(deadline.end)
    result.recovery_seconds = time.monotonic() - recovering
    segment_size = int(cluster.control.get("Bytes per WAL segment", 16 * 1024 ** 2))
    if request.target or request.backup_set:
        result.checks.append(Check("end-of-archive", Status.OK, "not checked: recovery stops at the target"))
    else:
        result.checks.append(checks.end_of_archive(cluster.log_text(), plan.last_archived, segment_size))
    result.checks.append(checks.databases(cluster, plan.primary_databases, deadline.left()))
    if request.sql:
        check, result.probe = checks.probe(cluster, request.sql, settings.postgres_db, deadline.left())
        result.checks.append(check)
    result.checks.append(checks.amcheck(cluster, deadline.left()))
    result.rto_seconds = time.monotonic() - started  # recovered, checked, answering queries
    result.rpo_seconds = _rpo(result, cluster, plan.backup)
    clean = cluster.stop(deadline.left())
    result.checks.append(checks.checksums(cluster, clean, deadline.left()))
    target = settings.drill_rto_target
    if target is not None:
        over = result.rto_seconds > target
        result.checks.append(Check("rto", Status.WARNING if over else Status.OK,
                                   f"RTO {result.rto_seconds:.0f} s {'exceeds' if over else 'is within'} "
                                   f"BACKUP_DRILL_RTO_TARGET ({target:g} s)"))


def clean_leftover(settings: Settings) -> None:
    """What a killed drill left (its scratch PostgreSQL, its files), removed at the service's
    start; nothing when a drill is running."""
    try:
        lock = _lock(settings)
    except OSError:
        return
    if lock is None:
        return
    try:
        if Scratch(settings.drill_scratch).clean():
            log(f"removed what an earlier drill left in {settings.drill_scratch}")
    except OSError as exc:
        log(f"cannot clean {settings.drill_scratch}: {exc.strerror}")
    finally:
        os.close(lock)


def drill(settings: Settings, request: Request) -> DrillResult:
    result = DrillResult(started=time.time())
    started = time.monotonic()
    lock = _lock(settings)
    if lock is None:
        result.finished = time.time()
        return _skip(result, Status.UNKNOWN, "lock", "another drill is running")
    scratch = Scratch(settings.drill_scratch)
    cluster = ScratchCluster(scratch, bindir(settings.environ), settings.environ.get("PATH", os.defpath))
    try:
        if scratch.clean():
            log(f"removed what an earlier drill left in {scratch.root}")
        deadline = Deadline(settings.drill_timeout)
        plan = _plan(settings, request, scratch, result, deadline)
        if plan is not None and _restore(settings, request, scratch, result, plan, deadline):
            _recover_and_check(settings, request, cluster, result, plan, deadline, started)
    except (Failed, published.NotPublished, OSError, ValueError) as exc:
        result.checks.append(Check("recovery" if result.restore_seconds else "drill", Status.CRITICAL, str(exc)))
    finally:
        cluster.stop(30)
        scratch.clean()
        os.close(lock)
        result.finished = time.time()
    if not result.skipped or result.status is Status.WARNING:
        _announce(settings, record(settings, result), result)
    return result


def _announce(settings: Settings, previous: dict[str, Any], result: DrillResult) -> None:
    """restore-drill-failed / restore-drill-passed, on a change of state only."""
    before = ((previous.get("last") or {}).get("status")) or "unknown"
    now = result.status
    if now is Status.CRITICAL and before != "critical":
        name = "restore-drill-failed"
    elif now is Status.OK and before != "ok":
        name = "restore-drill-passed"
    else:
        return
    payload = {"event": name, "status": now.name, "stanza": _stanza(settings), "host": os.uname().nodename,
               "timestamp": utc_now(),
               "backup_label": result.backup_label, "rto_seconds": result.to_json()["rto_seconds"],
               "rpo_seconds": result.to_json()["rpo_seconds"],
               "problems": [c.message for c in result.checks if c.status is not Status.OK]}
    webhook.post(settings, payload, name)


def _stanza(settings: Settings) -> str | None:
    try:
        return str(published.field(settings, "stanza"))
    except published.NotPublished:
        return None

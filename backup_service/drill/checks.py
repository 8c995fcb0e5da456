"""What a drill checks on the restored cluster, each a function returning a Check: recovery
reached the end of the archive, every database of the primary is there, pg_amcheck (heap and
btree) and pg_checksums pass, and the probe's first column is true."""

from __future__ import annotations

import os
import subprocess

from backup_service import wal
from backup_service.drill.cluster import Failed, ScratchCluster, redo_done_lsn
from backup_service.exit_codes import Status
from backup_service.status.report import Check

OUTPUT_LINES = 5  # of a failing tool's output, in the message


def tail(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return "; ".join(lines[:OUTPUT_LINES]) or "no output"


def end_of_archive(log_text: str, last_archived: str | None, segment_size: int) -> Check:
    """A missing segment makes PostgreSQL end recovery early and promote without a word: replay
    must have reached the last segment archived when the drill started."""
    if last_archived is None:
        return Check("end-of-archive", Status.WARNING, "not checked: the archive could not be listed")
    lsn = redo_done_lsn(log_text)
    if lsn is None:
        return Check("end-of-archive", Status.CRITICAL, "PostgreSQL did not log where replay ended")
    timeline, wanted = wal.segment_number(last_archived, segment_size)
    reached = lsn // segment_size
    if reached < wanted:
        missing = wal.segment_name(timeline, reached + 1, segment_size)
        return Check("end-of-archive", Status.CRITICAL,
                     f"recovery ended early, in {wal.segment_name(timeline, reached, segment_size)}: WAL segment "
                     f"{missing} is missing or unreadable (the archive held up to {last_archived} when the drill started)")
    return Check("end-of-archive", Status.OK, f"replayed up to {last_archived}, the last archived segment")


def databases(cluster: ScratchCluster, primary: list[str] | None, timeout: float) -> Check:
    if primary is None:
        return Check("databases", Status.WARNING, "not checked: the primary did not answer")
    restored = {row[0] for row in cluster.query("SELECT datname FROM pg_database", timeout=timeout)}
    missing = sorted(set(primary) - restored)
    if missing:
        return Check("databases", Status.CRITICAL, f"missing from the restored cluster: {', '.join(missing)}")
    return Check("databases", Status.OK, f"all {len(primary)} databases of the primary are there")


def amcheck(cluster: ScratchCluster, timeout: float) -> Check:
    """pg_amcheck on every database (heap and btree), installing amcheck in the scratch cluster."""
    try:
        proc = subprocess.run([os.path.join(cluster.programs, "pg_amcheck"), "--all", "--install-missing",
                               "--no-strict-names"], capture_output=True, text=True, env=cluster.env(),
                              timeout=max(timeout, 1), check=False)
    except subprocess.TimeoutExpired:
        return Check("amcheck", Status.CRITICAL, f"pg_amcheck did not finish within {timeout:.0f} s")
    if proc.returncode != 0:
        return Check("amcheck", Status.CRITICAL, f"pg_amcheck found corruption: {tail(proc.stdout + proc.stderr)}")
    return Check("amcheck", Status.OK, "pg_amcheck: heap and btree indexes of every database are consistent")


def checksums(cluster: ScratchCluster, clean: bool, timeout: float) -> Check:
    """pg_checksums --check after a clean shutdown, when the cluster has data checksums."""
    if cluster.control.get("Data page checksum version", "0") == "0":
        return Check("checksums", Status.OK, "data checksums are off in this cluster: not checked")
    if not clean:
        return Check("checksums", Status.CRITICAL, "the scratch cluster did not shut down cleanly: not checked")
    try:
        proc = subprocess.run([os.path.join(cluster.programs, "pg_checksums"), "--check", "-D", cluster.scratch.data],
                              capture_output=True, text=True, timeout=max(timeout, 1), check=False)
    except subprocess.TimeoutExpired:
        return Check("checksums", Status.CRITICAL, f"pg_checksums did not finish within {timeout:.0f} s")
    if proc.returncode != 0:
        return Check("checksums", Status.CRITICAL, f"pg_checksums: {tail(proc.stderr + proc.stdout)}")
    return Check("checksums", Status.OK, "pg_checksums: every page's checksum is correct")


def probe(cluster: ScratchCluster, sql: str, database: str, timeout: float) -> tuple[Check, dict[str, object]]:
    """The first column of the first row must be true."""
    try:
        rows = cluster.query(sql, database, timeout)
    except Failed as exc:
        return Check("probe", Status.CRITICAL, f"the probe failed on {database}: {exc}"), \
            {"sql": sql, "result": None, "ok": False}
    result = rows[0][0] if rows and rows[0] else None
    ok = result == "t"
    return Check("probe", Status.OK if ok else Status.CRITICAL,
                 f"the probe on {database} returned {result!r}" + ("" if ok else ", not true")), \
        {"sql": sql, "result": result, "ok": ok}

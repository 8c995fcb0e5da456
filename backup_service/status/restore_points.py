"""Restore points: each backup (restore set) with its time range, and the span point-in-time
recovery can reach (what `make restore-pitr` / `make restore-xid` may target)."""

from __future__ import annotations

from typing import Any

from backup_service import wal
from backup_service.status.report import iso


def restore_points(backups: list[dict[str, Any]], missing: list[str], last_archived: int, last_wal: str,
                   segment_size: int) -> dict[str, Any]:
    """From the end of the oldest backup with no missing WAL after it to the last archived segment."""
    sets = [{"label": b["label"], "type": b["type"], "start_time": iso(b["timestamp"]["start"]),
             "stop_time": iso(b["timestamp"]["stop"]), "wal_start": b["archive"]["start"],
             "wal_stop": b["archive"]["stop"]} for b in backups]
    last_hole = max((wal.segment_number(n, segment_size) for n in missing), default=None)
    usable = [b for b in backups
              if last_hole is None or wal.segment_number(b["archive"]["start"], segment_size) > last_hole]
    pitr = None
    if usable and last_archived:
        first = usable[0]
        pitr = {"from": iso(first["timestamp"]["stop"]),
                "to": iso(max(last_archived, first["timestamp"]["stop"])),
                "from_backup": first["label"], "wal_from": first["archive"]["start"],
                "wal_to": max(last_wal or first["archive"]["stop"], first["archive"]["stop"])}
    return {"backups": sets, "point_in_time": pitr}


EMPTY: dict[str, Any] = {"backups": [], "point_in_time": None}


def text(points: dict[str, Any]) -> str:
    lines = [f"{'label':28} {'type':5} {'start':25} {'stop':25} WAL"]
    lines += [f"{b['label']:28} {b['type']:5} {b['start_time']:25} {b['stop_time']:25} "
              f"{b['wal_start']}-{b['wal_stop']}" for b in points["backups"]]
    pitr = points["point_in_time"]
    lines.append(f"point-in-time recovery: any time from {pitr['from']} to {pitr['to']} (from backup "
                 f"{pitr['from_backup']}; archived WAL {pitr['wal_from']} to {pitr['wal_to']})"
                 if pitr else "point-in-time recovery: not possible (no backup with continuous WAL after it)")
    return "\n".join(lines)

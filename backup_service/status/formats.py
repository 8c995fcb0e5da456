"""The output formats of the health answer, one table of reporters: text for people, JSON for
machines, Prometheus' text exposition for scrapers (names as pgbackrest_exporter users expect)."""

from __future__ import annotations

import json
from typing import Callable

from backup_service.status.report import Report


def text(report: Report) -> str:
    problems = [c for c in report.checks if c.status.name != "OK"]
    lines = [f"BACKUP {report.status.name}: " + ("; ".join(c.message for c in problems) if problems
                                                   else "backups and archive are good")]
    lines += [f"  {c.status.name:8} {c.name}: {c.message}" for c in report.checks]
    return "\n".join(lines)


def json_report(report: Report) -> str:
    return json.dumps(report.to_json(), indent=2, sort_keys=True)


def _number(value: float) -> str:
    """Exact: integers as integers (8589934592, not 8.58993e+09), floats as Python writes them."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def prometheus(report: Report) -> str:
    out: list[str] = []

    def metric(name: str, help_text: str, samples: list[tuple[str, float | None]]) -> None:
        present = [(labels, value) for labels, value in samples if value is not None]
        if present:
            out.extend([f"# HELP pgbackrest_{name} {help_text}", f"# TYPE pgbackrest_{name} gauge"])
            out.extend(f"pgbackrest_{name}{labels} {_number(value)}" for labels, value in present)

    stanza = report.stanza or ""
    only = f'{{stanza="{stanza}"}}'
    archive = report.archive
    metric("status", "Overall status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.", [(only, report.status)])
    names = sorted({c.name for c in report.checks})
    metric("check_status", "Status of each check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
           [(f'{{stanza="{stanza}",check="{name}"}}', report.worst(name)) for name in names])
    metric("last_backup_age_seconds", "Age of the newest backup of each type.",
           [(f'{{stanza="{stanza}",type="{kind}"}}', entry["age_seconds"])
            for kind, entry in sorted(report.last_backup.items())])
    metric("archive_last_age_seconds", "Seconds since PostgreSQL last archived a WAL segment.",
           [(only, archive.get("last_archived_age_seconds"))])
    metric("archive_failed_count", "pg_stat_archiver.failed_count.", [(only, archive.get("failed_count"))])
    metric("archive_queue_bytes", "WAL waiting in pg_wal for the archiver.", [(only, archive.get("queue_bytes"))])
    metric("archive_queue_max_bytes", "archive-push-queue-max.", [(only, archive.get("queue_max_bytes"))])
    metric("wal_bytes_per_hour", "WAL written per hour.", [(only, archive.get("wal_bytes_per_hour"))])
    metric("safe_outage_hours", "How long a repository outage is safe.", [(only, archive.get("safe_outage_hours"))])
    gap = archive.get("gap") or {}
    metric("archive_missing_segments", "WAL segments missing from the archive.",
           [(only, gap.get("missing_segments"))])
    metric("repository_reachable", "1 when the repository answered.",
           [(f'{{stanza="{stanza}",repo="{r["key"]}"}}', int(r["reachable"])) for r in report.repositories])
    drill = report.restore_drill
    levels = {"ok": 0, "warning": 1, "critical": 2, "unknown": 3}
    metric("restore_drill_status", "The last restore drill: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
           [(only, levels.get(drill.get("status") or "", None))])
    metric("restore_drill_last_success_timestamp_seconds", "When the last restore drill that passed finished.",
           [(only, report.drill_last_success)])
    metric("restore_drill_rto_seconds", "The last restore drill's RTO: from its start to a recovered, checked "
           "cluster that accepts queries.", [(only, drill.get("rto_seconds"))])
    metric("restore_drill_rpo_seconds", "The last restore drill's RPO: its start minus the last commit the "
           "restored cluster holds (an upper bound).", [(only, drill.get("rpo_seconds"))])
    return "\n".join(out)


REPORTERS: dict[str, Callable[[Report], str]] = {"text": text, "json": json_report, "prometheus": prometheus}

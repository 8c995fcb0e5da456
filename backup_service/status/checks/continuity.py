"""continuity: every WAL segment from the oldest backup's start to the last archived one is in
the repository.

A hole after the newest backup started (WAL dropped past archive-push-queue-max, a deleted
segment) breaks point-in-time recovery to now: CRITICAL. While the repository is away,
pgBackRest's own log says which WAL it dropped (archive-push's "dropped WAL file"): CRITICAL at
once. A hole only before the newest backup leaves recovery to now intact and only removes older
restore points (--restore-points shows the span left): OK, with the hole in the message and in
archive.gap.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from typing import Any

from backup_service import pgbackrest, published, state, wal
from backup_service.exit_codes import Status
from backup_service.settings import LOG_PATH_DEFAULT, Settings
from backup_service.status.report import Check

NEWEST_STATE = "backup-status-newest.json"
_DROPPED = re.compile(r"dropped WAL file '([0-9A-F]{24})' because archive queue exceeded")
_SEGMENT_FILE = re.compile(r"[0-9A-F]{24}-[0-9a-f]{40}(\..*)?")
LOG_TAIL = 32 * 1024 ** 2  # pgBackRest appends to its logs: the recent part says what matters


@dataclasses.dataclass(frozen=True)
class Listing:
    segments: set[str]
    created: float | None  # when the archive was created (its oldest file: archive.info)


def archive_listing(settings: Settings, stanza: str, repo: int, archive_ids: list[str]) -> Listing | None:
    """The WAL segments in a repository's archive. None when it cannot be listed. Each archive id
    (15-1, ...) is listed on its own: on S3 a recursive listing from the stanza's directory does
    not descend into them."""
    names, times = set(), []
    for path in [f"archive/{stanza}", *(f"archive/{stanza}/{i}" for i in archive_ids)]:
        outcome = pgbackrest.capture(settings, f"--stanza={stanza}", f"--repo={repo}", "--output=json",
                                     "--recurse", "repo-ls", path, timeout=settings.timeout)
        if outcome.code != 0:
            return None
        for name, entry in json.loads(outcome.stdout or "{}").items():
            name = name.rsplit("/", 1)[-1]
            if path == f"archive/{stanza}" and isinstance(entry, dict) and entry.get("type") == "file" \
                    and "time" in entry:
                times.append(float(entry["time"]))
            if _SEGMENT_FILE.fullmatch(name):
                names.add(name[:24])
    return Listing(names, min(times, default=None))


def dropped_wal(settings: Settings, stanza: str) -> list[str]:
    """The WAL segments pgBackRest says it dropped past archive-push-queue-max (archive-push's
    logs, which PostgreSQL's side writes into the shared log volume), oldest first."""
    log_dir = published.config_value(settings, "log-path", ("global", stanza)) or LOG_PATH_DEFAULT
    found: set[str] = set()
    pattern = re.compile(re.escape(stanza) + r"-archive-push(-async)?\.log")
    try:
        names = [n for n in os.listdir(log_dir) if pattern.fullmatch(n)]
    except OSError:
        return []
    for name in names:
        try:
            with open(os.path.join(log_dir, name), "rb") as handle:
                handle.seek(max(0, os.fstat(handle.fileno()).st_size - LOG_TAIL))
                found.update(_DROPPED.findall(handle.read().decode(errors="replace")))
        except OSError:
            continue
    return sorted(found)


def remembered_newest_start(settings: Settings, start: str | None) -> str | None:
    """The newest backup's first WAL segment: from pgBackRest when it answers (and remembered),
    else as last seen, so dropped WAL is judged during an outage too."""
    if start is not None:
        try:
            state.save(settings, NEWEST_STATE, {"archive_start": start})
        except OSError:
            pass
        return start
    recorded = state.load(settings, NEWEST_STATE)
    try:
        return str(recorded["archive_start"])
    except (TypeError, KeyError):
        return None


@dataclasses.dataclass(frozen=True)
class Gap:
    before: list[str]  # missing before the newest backup started
    after: list[str]  # missing after it: recovery to now is broken

    @property
    def missing(self) -> list[str]:
        return self.before + self.after

    def to_json(self) -> dict[str, Any]:
        return {"missing_segments": len(self.missing),
                "first_missing": self.missing[0] if self.missing else None,
                "after_newest_backup": bool(self.after)}


def check(backups: list[dict[str, Any]], last_wal: str, listing: Listing | None, reachable: bool,
          dropped: list[str], segment_size: int) -> tuple[list[Check], Gap]:
    """reachable: the repository answered (its listing is judged); else pgBackRest's log is."""
    if backups and last_wal and reachable:
        if listing is None:
            return [Check("continuity", Status.UNKNOWN, "the archive could not be listed")], Gap([], [])
        missing = wal.holes(listing.segments, backups[0]["archive"]["start"], last_wal, segment_size)
        newest = wal.segment_number(backups[-1]["archive"]["start"], segment_size)
        gap = Gap([n for n in missing if wal.segment_number(n, segment_size) < newest],
                  [n for n in missing if wal.segment_number(n, segment_size) >= newest])
        if gap.after:
            return [Check("continuity", Status.CRITICAL, f"{len(gap.after)} WAL segment(s) missing after "
                          f"the newest backup started, from {gap.after[0]}: point-in-time recovery to now "
                          "is impossible until a new full backup")], gap
        if gap.before:
            # Recovery to now works; the hole was alerted when it happened (wal-dropped) and only
            # removes older restore points until retention expires them: said, not alarmed.
            return [Check("continuity", Status.OK, f"continuous since the newest backup; {len(gap.before)} "
                          f"WAL segment(s) missing before it, from {gap.before[0]}: point-in-time recovery "
                          "cannot reach times before the newest backup (see --restore-points)")], gap
        return [Check("continuity", Status.OK,
                      f"continuous from {backups[0]['archive']['start']} to {last_wal}")], gap
    if dropped:  # the repository is away: pgBackRest's own log says what it dropped
        return [Check("continuity", Status.CRITICAL, f"pgBackRest dropped {len(dropped)} WAL segment(s) "
                      f"past archive-push-queue-max, from {dropped[0]}: point-in-time recovery to now is "
                      "impossible until a new full backup (the watch takes one once the repository "
                      "answers)")], Gap([], dropped)
    return [], Gap([], [])

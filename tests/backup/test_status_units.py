"""The pure parts behind backup-status: a cron schedule's longest interval (the one cron), WAL
segment arithmetic across timelines, pgBackRest's sizes, and state files written at once (the
rest runs against a real cluster in test_backup_status_e2e.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from backup_service import published, state, wal
from backup_service.settings import Settings
from setup_service import cron

HOUR, DAY = 3600, 86400
MiB16 = 16 * 1024 * 1024


@pytest.mark.parametrize("expression, interval", [
    ("0 2 * * 0", 7 * DAY), ("0 2 * * 7", 7 * DAY), ("0 2 * * 1-6", 2 * DAY), ("0 */6 * * *", 6 * HOUR),
    ("*/15 * * * *", 900), ("* * * * *", 60), ("@daily", DAY), ("@hourly", HOUR), ("@weekly", 7 * DAY),
    ("15 3 1 * *", 31 * DAY), ("0 0 1 1 *", 366 * DAY), ("30 1 * * 6", 7 * DAY), ("0 2,14 * * *", 12 * HOUR),
    ("0 2 1,15 * *", 17 * DAY), ("0 0 * * 1,3,5", 3 * DAY),
])
def test_the_longest_interval_of_a_schedule(expression: str, interval: int) -> None:
    assert cron.parse(expression).interval_seconds() == interval


def test_segment_names_round_trip() -> None:
    name = "000000020000000A000000FF"
    timeline, number = wal.segment_number(name, MiB16)
    assert (timeline, number) == (2, 0xA * 256 + 0xFF)
    assert wal.segment_name(timeline, number, MiB16) == name
    assert wal.segment_name(2, number + 1, MiB16) == "000000020000000B00000000"
    assert wal.segment_number("000000010000000100000003", 64 * 1024 * 1024) == (1, 64 + 3)


def test_holes_follow_timeline_switches() -> None:
    present = {"0000000100000000000000FE", "0000000100000000000000FF", "000000010000000100000000",
               "000000020000000100000000", "000000020000000100000002"}
    assert wal.holes(present, "0000000100000000000000FE", "000000020000000100000002", MiB16) == \
        ["000000020000000100000001"]
    assert wal.holes(present - {"0000000100000000000000FF"}, "0000000100000000000000FE",
                        "000000010000000100000000", MiB16) == ["0000000100000000000000FF"]
    assert wal.holes(present, "0000000100000000000000FE", "000000010000000100000000", MiB16) == []


@pytest.mark.parametrize("text, size", [("8GiB", 8 * 1024 ** 3), ("64MiB", 64 * 1024 ** 2), ("512MB", 512 * 1024 ** 2),
                                        ("1024", 1024), ("4gb", 4 * 1024 ** 3), ("2T", 2 * 1024 ** 4),
                                        (None, None), ("lots", None)])
def test_sizes_as_pgbackrest_reads_them(text: str | None, size: int | None) -> None:
    assert published.size_bytes(text) == size


def test_state_files_written_at_once_by_several_runs_stay_whole(tmp_path: Path) -> None:
    """The healthcheck, the watch and `make backup-status` run at the same time and write the same
    state files: every read sees a whole document (a shared temporary file once let one run
    replace another's half-written one, and a lost outage start restarts the clock to CRITICAL)."""
    import json
    import multiprocessing
    import os

    path = str(tmp_path / "backup-status-outage.json")
    settings = Settings.from_environ({"BACKUP_STATE_DIR": str(tmp_path)})
    context = multiprocessing.get_context("fork")
    writers = [context.Process(target=_write_many, args=(settings, n)) for n in range(4)]
    for writer in writers:
        writer.start()
    reads = torn = 0
    while any(w.is_alive() for w in writers):
        try:
            with open(path, encoding="utf-8") as handle:
                json.load(handle)
            reads += 1
        except FileNotFoundError:
            continue
        except ValueError:
            torn += 1
    assert [w.exitcode for w in writers] == [0, 0, 0, 0]
    assert (torn, reads > 0) == (0, True)
    assert sorted(os.listdir(tmp_path)) == ["backup-status-outage.json"]  # no temporary left behind


def _write_many(settings: Settings, writer: int) -> None:
    for i in range(300):
        state.save(settings, "backup-status-outage.json",
                   {"since": writer * 1000 + i, "padding": "x" * (4096 * (1 + i % 8))})


def test_a_sizing_warning_needs_ten_minutes_of_measurement() -> None:
    """Right after a deploy, the first backup's forced WAL switches within a minute or two read as
    gigabytes an hour (a compose CI run: 957 MiB/h, "safe for 8.6 h", WARNING). A sizing warning
    waits for ten minutes of samples; CRITICAL during an outage does not wait."""
    from backup_service.exit_codes import Status
    from backup_service.status.checks import outage
    from backup_service.status.checks.queue import Queue

    settings = Settings.from_environ({})  # warning below 12 h, critical below 2 h
    queue = Queue(queued_bytes=0, max_bytes=8 * 1024 ** 3, free_bytes=100 * 1024 ** 3)
    burst = 957 * 1024 ** 2  # bytes per hour: 8.6 h of queue
    early = outage.check(settings, queue, (burst, 120.0), in_outage=False)
    assert early.status is Status.OK
    assert early.message.endswith("measured over 2 min, a warning needs 10)"), early.message
    assert outage.check(settings, queue, (burst, 600.0), in_outage=False).status is Status.WARNING
    flood = 8 * 1024 ** 3  # 1 h left
    assert outage.check(settings, queue, (flood, 60.0), in_outage=True).status is Status.CRITICAL
    assert outage.check(settings, queue, (flood, 60.0), in_outage=False).status is Status.OK
    assert outage.check(settings, queue, None, in_outage=False).message.startswith("WAL rate not measured yet")

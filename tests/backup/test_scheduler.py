"""The backup service's scheduler: cron matching, firing at once, and stopping on TERM."""

from __future__ import annotations

import pathlib
import signal
import subprocess
import time

import pytest

from tests.deploy.tools import BACKUP_COMMANDS, run

SCHEDULER = str(BACKUP_COMMANDS / "scheduler")
CRONTAB = """\
# the published crontab's form, and more
SHELL=/bin/sh
* * * * * echo every-minute
0 2 * * 0 echo full
0 2 * * 1-6 echo diff
*/15 * * * * echo quarter-hour
5/10 * * * * echo five-past-every-ten
0 2 1 * sun echo first-or-sunday
0 2 * * SUN echo sunday-by-name
0 2 * * 7 echo sunday-as-7
0 2 * jan,feb mon echo monday-in-winter
@daily echo daily
"""


def fired(tmp_path: pathlib.Path, now: str, crontab: str = CRONTAB) -> list[str]:
    (tmp_path / "crontab").write_text(crontab)
    result = run([SCHEDULER], env={"PATH": "/usr/bin:/bin", "PGBR_CONFIG_DIR": str(tmp_path),
                                   "SCHEDULER_ONCE": "1", "SCHEDULER_NOW": now, "TZ": "UTC"})
    assert result.returncode == 0, result.stderr
    return sorted(result.stdout.split())


@pytest.mark.parametrize(("now", "jobs"), [
    ("2024-01-07 02:00", ["every-minute", "first-or-sunday", "full",
                          "quarter-hour", "sunday-as-7", "sunday-by-name"]),
    ("2024-01-08 02:00", ["diff", "every-minute", "monday-in-winter", "quarter-hour"]),
    ("2024-03-01 02:00", ["diff", "every-minute", "first-or-sunday", "quarter-hour"]),
    ("2024-03-04 00:00", ["daily", "every-minute", "quarter-hour"]),
    ("2024-03-04 00:25", ["every-minute", "five-past-every-ten"]),
    ("2024-03-04 13:07", ["every-minute"]),
])
def test_jobs_fire_when_their_fields_match(tmp_path: pathlib.Path, now: str,
                                           jobs: list[str]) -> None:
    assert fired(tmp_path, now) == jobs


def test_unsupported_lines_are_reported_and_skipped(tmp_path: pathlib.Path) -> None:
    crontab = "* * * * */0 echo bad-step\n@reboot echo never\nnot a schedule\n* * * * * echo ok\n"
    (tmp_path / "crontab").write_text(crontab)
    result = run([SCHEDULER, str(tmp_path / "crontab")],
                 env={"PATH": "/usr/bin:/bin", "SCHEDULER_ONCE": "1"})
    assert result.returncode == 0
    assert result.stdout.split() == ["ok"]
    for line in ("* * * * */0 echo bad-step", "@reboot echo never", "not a schedule"):
        assert line in result.stderr


def test_once_mode_exits_with_the_number_of_failed_jobs(tmp_path: pathlib.Path) -> None:
    (tmp_path / "crontab").write_text("* * * * * false\n* * * * * exit 3\n* * * * * true\n")
    result = run([SCHEDULER, str(tmp_path / "crontab")],
                 env={"PATH": "/usr/bin:/bin", "SCHEDULER_ONCE": "1"})
    assert result.returncode == 2


def test_the_service_fires_at_once_and_stops_on_term(tmp_path: pathlib.Path) -> None:
    marker = tmp_path / "fired"
    (tmp_path / "crontab").write_text(f"* * * * * touch {marker}\n")
    process = subprocess.Popen([SCHEDULER, str(tmp_path / "crontab")],
                               env={"PATH": "/usr/bin:/bin"}, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marker.exists(), "the first minute's job did not run"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 143
    finally:
        process.kill()
        process.wait()
    assert process.stderr is not None
    assert "stopping" in process.stderr.read()


def test_the_service_stops_on_int_too(tmp_path: pathlib.Path) -> None:
    """docker stop sends SIGINT (the postgres image's stop signal): at once, with 143 as on TERM
    (the exit code the scheduler always had)."""
    (tmp_path / "crontab").write_text("* * * * * sleep 300\n")
    process = subprocess.Popen([SCHEDULER, str(tmp_path / "crontab")], env={"PATH": "/usr/bin:/bin"},
                               stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        assert "scheduler: running" in process.stderr.readline()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 143
    finally:
        process.kill()
        process.wait()


def test_int_just_after_the_running_line_still_ends_with_143(tmp_path: pathlib.Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The line above is the test's cue to signal: a signal landing right after it was written
    once ended the scheduler with 130 (CI, a loaded machine). Delivered here deterministically."""
    from backup_service import scheduler
    from backup_service.exit_codes import ExitCode
    from backup_service.signals import Stopped

    def log_then_interrupted(message: str) -> None:
        if message.startswith("running "):
            raise Stopped(ExitCode.INTERRUPTED)

    monkeypatch.setattr(scheduler, "log", log_then_interrupted)
    with pytest.raises(Stopped) as stopped:
        scheduler.Scheduler(str(tmp_path / "crontab")).serve()
    assert stopped.value.code == ExitCode.TERMINATED


def test_a_job_still_running_is_not_started_again(tmp_path: pathlib.Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import datetime, timedelta

    from backup_service.scheduler import Scheduler

    (tmp_path / "crontab").write_text(f"* * * * * sleep 30\n* * * * * echo quick >>{tmp_path}/quick\n")
    scheduler = Scheduler(str(tmp_path / "crontab"))
    minute = datetime(2024, 1, 1, 2, 0)
    first = scheduler.start_due(minute)
    try:
        assert len(first) == 2
        first[1].wait(timeout=10)
        again = scheduler.start_due(minute + timedelta(minutes=1))
        assert [p.args for p in again] == [["/bin/sh", "-c", f"echo quick >>{tmp_path}/quick"]]
        again[0].wait(timeout=10)
        assert "still running, not started again: sleep 30" in capsys.readouterr().err
        assert (tmp_path / "quick").read_text() == "quick\nquick\n"
    finally:
        for process in first:
            process.kill()
            process.wait()

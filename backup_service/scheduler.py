"""The scheduler: runs the published crontab's jobs whenever their schedules match the current
minute, in the process time zone (TZ). The crontab is re-read every minute, so a regenerated
config takes effect without a restart. Each job runs with /bin/sh in the background, its output
on ours (the container log); a job still running when it is due again is not started twice.
Every minute, before the due jobs, the service's own minute task runs (service.py). TERM and INT
stop it at once (signals.py), with 143 either way."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from datetime import datetime

from backup_service import crontab
from backup_service.exit_codes import ExitCode
from backup_service.log import log
from backup_service.signals import Stopped


class Scheduler:
    def __init__(self, path: str) -> None:
        self.path = path
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def jobs(self) -> list[crontab.Job]:
        try:
            with open(self.path, encoding="utf-8") as handle:
                entries = crontab.parse(handle.read())
        except OSError:
            log(f"cannot read {self.path}; nothing to run")
            return []
        jobs = []
        for entry in entries:
            if isinstance(entry, crontab.Unsupported):
                log(f"{entry.reason}: {entry.line}")
            else:
                jobs.append(entry)
        return jobs

    def start_due(self, moment: datetime) -> list[subprocess.Popen[bytes]]:
        """Starts every job due in moment's minute; returns the processes started."""
        self.reap()
        started = []
        for job in self.jobs():
            if not job.schedule.matches(moment):
                continue
            if job.line in self.running:
                log(f"still running, not started again: {job.command}")
                continue
            log(f"starting: {job.command}")
            process = subprocess.Popen(["/bin/sh", "-c", job.command])
            self.running[job.line] = process
            started.append(process)
        return started

    def reap(self) -> None:
        for line, process in list(self.running.items()):
            if process.poll() is not None:
                del self.running[line]

    def once(self, moment: datetime) -> int:
        """Runs the jobs due in moment's minute and waits for them: the number that failed."""
        return sum(1 for process in self.start_due(moment) if process.wait() != 0)

    def serve(self, every_minute: Callable[[float], None] | None = None) -> None:
        """Forever, until a signal stops it; every_minute(epoch) first in each minute. TERM and
        INT both end it with 143, as the scheduler always has (docker stop sends INT)."""
        try:  # the log line inside: a signal right after it (a test's cue to stop us) is a stop too
            log(f"running {self.path} (re-read every minute)")
            self._loop(every_minute)
        except Stopped as stop:
            raise Stopped(ExitCode.TERMINATED) from stop

    def _loop(self, every_minute: Callable[[float], None] | None) -> None:
        last = None
        while True:
            epoch = time.time()
            minute = int(epoch // 60)
            if minute != last:
                last = minute
                if every_minute is not None:
                    every_minute(epoch)
                self.start_due(datetime.fromtimestamp(minute * 60))
            self.reap()
            time.sleep(max(0.05, 60 - time.time() % 60))

"""Background servers started by the tests and stopped by PID, whatever happens."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any


class ProcessFailed(Exception):
    """A server exited or did not become ready in time; the message carries its log tail."""


class ManagedProcess:
    """One server process in its own session, its output in a log file.

    ``stop()`` signals the process group whose id is the PID (SIGTERM, then SIGKILL after
    ``timeout``), so nothing it spawned outlives the test.
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_file: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_file = log_file
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def start(self) -> None:
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
            )

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_text(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def wait_until(self, ready: Callable[[str], Any], timeout: float = 30.0) -> Any:
        """Poll the log until ``ready(log_text)`` returns a true value, and return that value."""
        deadline = time.monotonic() + timeout
        while True:
            result = ready(self.log_text())
            if result:
                return result
            if not self.running():
                code = self.process.returncode if self.process else None
                raise ProcessFailed(f"{self.name} exited with {code}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise ProcessFailed(f"{self.name} not ready after {timeout:.0f}s:\n{self.log_tail()}")
            time.sleep(0.05)

    def json_events(self) -> list[dict[str, Any]]:
        """The JSON object lines a launcher printed (other lines are ignored)."""
        events = []
        for line in self.log_text().splitlines():
            if line.startswith("{"):
                try:
                    events.append(json.loads(line))
                except ValueError:
                    continue
        return events

    def send_signal(self, signum: int) -> None:
        if self.running() and self.process is not None:
            os.kill(self.process.pid, signum)

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        pid = self.process.pid
        for signum, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(pid, signum)
            except ProcessLookupError:
                return
            try:
                self.process.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def __enter__(self) -> ManagedProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class ServerProcess:
    """Mixin for an emulator run as one ManagedProcess: stop() and pid for the fixtures."""

    _process: ManagedProcess | None = None

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

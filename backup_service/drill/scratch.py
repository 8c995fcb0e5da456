"""The scratch space a drill restores into: its layout, the free-space check, and removing what a
drill left (a scratch PostgreSQL still running after the drill was killed, its files)."""

from __future__ import annotations

import os
import shutil
import signal
import time

from backup_service.log import log

GiB = 1024 ** 3


class Scratch:
    """BACKUP_DRILL_SCRATCH: data/ (the restored cluster), socket/ (its private socket directory,
    0700), postgres.log (its server log)."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.data = os.path.join(root, "data")
        self.socket = os.path.join(root, "socket")
        self.log = os.path.join(root, "postgres.log")

    def entries(self) -> list[str]:
        try:
            return sorted(os.listdir(self.root))
        except FileNotFoundError:
            return []

    def free_bytes(self) -> int:
        space = os.statvfs(self.root)
        return space.f_bavail * space.f_frsize

    def prepare(self) -> None:
        os.makedirs(self.data, mode=0o700)
        os.makedirs(self.socket, mode=0o700)

    def postmaster_pid(self) -> int | None:
        """The PID in the scratch cluster's postmaster.pid, when that process still runs in the
        scratch data directory (a postmaster works in its data directory: a PID reused by any
        other process, production's PostgreSQL above all, is never taken for it)."""
        try:
            with open(os.path.join(self.data, "postmaster.pid"), encoding="utf-8") as handle:
                pid = int(handle.readline().strip())
            if os.readlink(f"/proc/{pid}/cwd") != os.path.realpath(self.data):
                return None
        except (OSError, ValueError):
            return None
        return pid

    def stop_leftover(self, seconds: float = 30) -> bool:
        """Stops a scratch PostgreSQL that outlived its drill (immediate shutdown, then KILL).
        True when there was one."""
        pid = self.postmaster_pid()
        if pid is None:
            return False
        for sig, wait in ((signal.SIGQUIT, seconds), (signal.SIGKILL, seconds)):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return True
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                if self.postmaster_pid() != pid:
                    return True
                time.sleep(0.1)
        return True

    def clean(self) -> bool:
        """Removes everything a drill left; True when there was something."""
        found = bool(self.entries())
        if not found:
            return False
        if self.stop_leftover():
            log(f"stopped a scratch PostgreSQL left in {self.root}")
        for name in self.entries():
            path = os.path.join(self.root, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.unlink(path)
        return True

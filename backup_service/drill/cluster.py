"""The scratch PostgreSQL of a drill: started on the restored data directory with no TCP, a
private socket directory and trust on that socket only, at least the primary's minimums (read from
pg_controldata: a standby-style recovery with less refuses "insufficient parameter settings"), and
small memory so that it fits the backup container's limits. It never sees production's libpq
variables: every connection names the scratch socket."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping

from backup_service.drill.scratch import Scratch

PORT = 5432  # on the private socket only
# pg_controldata's names of the settings recovery needs at least as large as the primary's.
MINIMUMS = {"max_connections": "max_connections setting",
            "max_worker_processes": "max_worker_processes setting",
            "max_wal_senders": "max_wal_senders setting",
            "max_prepared_transactions": "max_prepared_xacts setting",
            "max_locks_per_transaction": "max_locks_per_xact setting"}
_LSN = re.compile(r"redo done at ([0-9A-F]+)/([0-9A-F]+)")
_LAST_COMMIT = re.compile(r"last completed transaction was at log time (\S+ \S+)")


class Failed(Exception):
    """The scratch cluster did not come up or answer; the message says what happened."""


def bindir(environ: Mapping[str, str]) -> str:
    """Where PostgreSQL's server programs are: PG_BINDIR, else beside pg_ctl on PATH, else
    Debian's PostgreSQL 15."""
    given = environ.get("PG_BINDIR")
    if given:
        return given
    found = shutil.which("pg_ctl", path=environ.get("PATH", os.defpath))
    return os.path.dirname(found) if found else "/usr/lib/postgresql/15/bin"


def controldata(programs: str, data: str) -> dict[str, str]:
    proc = subprocess.run([os.path.join(programs, "pg_controldata"), "-D", data], capture_output=True,
                          text=True, check=False, env={"LANG": "C", "LC_ALL": "C", "PATH": os.defpath})
    if proc.returncode != 0:
        raise Failed(f"pg_controldata failed: {proc.stderr.strip()}")
    return {key.strip(): value.strip() for key, _, value in
            (line.partition(":") for line in proc.stdout.splitlines()) if value}


def redo_done_lsn(log_text: str) -> int | None:
    """Where replay ended ("redo done at X/Y"), as a byte position."""
    found = _LSN.findall(log_text)
    return (int(found[-1][0], 16) << 32 | int(found[-1][1], 16)) if found else None


def last_commit(log_text: str) -> str | None:
    """The commit time of the last transaction replayed, as PostgreSQL logged it."""
    found = _LAST_COMMIT.findall(log_text)
    return found[-1] if found else None


class ScratchCluster:
    def __init__(self, scratch: Scratch, programs: str, search_path: str = os.defpath) -> None:
        self.scratch = scratch
        self.programs = programs
        self.search_path = search_path  # the command's PATH (from its settings)
        self.process: subprocess.Popen[bytes] | None = None
        self.control: dict[str, str] = {}

    def env(self) -> dict[str, str]:
        """No PG* of production's: only the scratch socket."""
        return {"PATH": self.search_path, "LANG": "C.UTF-8", "PGHOST": self.scratch.socket,
                "PGPORT": str(PORT), "PGUSER": "postgres", "PGCONNECT_TIMEOUT": "10"}

    def options(self) -> list[str]:
        hba = os.path.join(self.scratch.root, "pg_hba.conf")
        with open(hba, "w", encoding="utf-8") as handle:
            handle.write("local all all trust\n")  # the socket directory is 0700: only us
        settings = {"listen_addresses": "", "unix_socket_directories": self.scratch.socket,
                    "unix_socket_permissions": "0700", "port": str(PORT), "hba_file": hba,
                    "archive_mode": "off", "shared_preload_libraries": "", "shared_buffers": "32MB",
                    "huge_pages": "off", "logging_collector": "off", "log_destination": "stderr",
                    "hot_standby": "on", "ssl": "off", "timezone": "UTC", "log_timezone": "UTC", "max_parallel_workers_per_gather": "0"}
        for setting, name in MINIMUMS.items():
            if self.control.get(name, "").isdigit():
                settings[setting] = self.control[name]
        return [part for key, value in settings.items() for part in ("-c", f"{key}={value}")]

    def start(self) -> None:
        self.control = controldata(self.programs, self.scratch.data)
        with open(self.scratch.log, "ab") as log:
            self.process = subprocess.Popen(
                [os.path.join(self.programs, "postgres"), "-D", self.scratch.data, *self.options()],
                stdout=log, stderr=subprocess.STDOUT, env=self.env(), cwd=self.scratch.root)

    def log_text(self) -> str:
        try:
            with open(self.scratch.log, encoding="utf-8", errors="replace") as handle:
                return handle.read()
        except OSError:
            return ""

    def _exited(self) -> str:
        lines = [line for line in self.log_text().splitlines() if "FATAL" in line or "PANIC" in line]
        return f"the scratch PostgreSQL stopped: {(lines or ['see ' + self.scratch.log])[-1].strip()}"

    def query(self, sql: str, database: str = "postgres", timeout: float = 60) -> list[list[str]]:
        """Rows of an SQL statement's result; raises Failed."""
        try:
            proc = subprocess.run([os.path.join(self.programs, "psql"), "-X", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-d", database,
                                   "-c", sql], capture_output=True, text=True, env=self.env(),
                                  timeout=max(timeout, 1), check=False)
        except subprocess.TimeoutExpired as exc:
            raise Failed(f"no answer to {sql!r} within {timeout:.0f} s") from exc
        if proc.returncode != 0:
            raise Failed((proc.stderr.strip().splitlines() or [f"psql exited {proc.returncode}"])[-1])
        return [line.split("\t") for line in proc.stdout.splitlines() if line]

    def wait_recovered(self, deadline: float) -> None:
        """Until recovery has ended (promoted) and the cluster answers; raises Failed."""
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise Failed(self._exited())
            try:
                if self.query("SELECT pg_is_in_recovery()", timeout=deadline - time.monotonic()) == [["f"]]:
                    return
            except Failed:
                pass
            if time.monotonic() >= deadline:
                raise Failed("recovery did not end in time")
            time.sleep(0.5)

    def stop(self, timeout: float = 120) -> bool:
        """A clean (fast) shutdown; True when it was clean."""
        if self.process is None or self.process.poll() is not None:
            return False
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=max(timeout, 1)) == 0
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return False

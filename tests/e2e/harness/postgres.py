"""A small throwaway PostgreSQL cluster owned by the unprivileged test user.

Configured the way the product's PostgreSQL service is: ``include_if_exists = '<volume>/
postgresql-archive.conf'`` appended to postgresql.conf, so WAL archiving follows whatever the
setup job published. It listens on 127.0.0.1 and on a unix socket in its own directory.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from .osuser import OsUser
from .ports import free_port_below_ephemeral

SUPERUSER = "postgres"
MAX_SOCKET_DIR = 107 - len("/.s.PGSQL.65535.lock")
TEST_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "shared_buffers": "16MB",
    "max_connections": "20",
    "fsync": "off",  # throwaway data; pgBackRest still reads real WAL and data files
    "synchronous_commit": "off",
    "timezone": "'UTC'",
    "log_timezone": "'UTC'",
    "log_line_prefix": "'%m [%p] '",
}


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent to reap it counts as ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class PgError(RuntimeError):
    """A PostgreSQL command failed; the message has its output."""


class PgCluster:
    """``initdb`` + start/stop/psql for one cluster below ``base``.

    Layout: ``base/data`` (pg1-path), ``base/socket`` (pg1-socket-path), ``base/server.log``, and
    ``base/pgbackrest/{log,lock,spool}`` for the pgBackRest paths of this test.
    """

    def __init__(self, user: OsUser, base: Path, bindir: Path,
                 include_files: Sequence[Path] = (),
                 settings: Mapping[str, str] | None = None) -> None:
        self.user = user
        self.base = base
        self.bindir = bindir
        self.include_files = list(include_files)
        self.settings = {**TEST_SETTINGS, **(settings or {})}
        self.data = base / "data"
        self.socket_dir = base / "socket"
        self._private_socket_dir = len(str(self.socket_dir)) > MAX_SOCKET_DIR
        if self._private_socket_dir:  # a unix socket path holds at most 107 bytes
            self.socket_dir = Path(tempfile.mkdtemp(prefix="pgsock-"))
        self.server_log = base / "server.log"
        self.pgbackrest_log = base / "pgbackrest" / "log"
        self.pgbackrest_lock = base / "pgbackrest" / "lock"
        self.pgbackrest_spool = base / "pgbackrest" / "spool"
        self.port = free_port_below_ephemeral()
        self.env_extra: dict[str, str] = {}

    # -- commands as the cluster owner ----------------------------------------------------
    def _env(self) -> dict[str, str]:
        return {**self.user.base_env([self.bindir]), **self.env_extra}

    def _run(self, argv: Sequence[str], timeout: float = 120.0, check: bool = True,
             input_text: str | None = None) -> str:
        result = self.user.run(argv, env=self._env(), cwd=self.base, timeout=timeout,
                               input_text=input_text)
        if check and result.returncode != 0:
            raise PgError(f"{' '.join(argv)} exited {result.returncode}:\n{result.stdout}{result.stderr}")
        return result.stdout

    # -- life cycle -------------------------------------------------------------------------
    def init(self) -> PgCluster:
        self.user.make_dir(self.base, 0o755)
        for directory in (self.socket_dir, self.pgbackrest_log, self.pgbackrest_lock,
                          self.pgbackrest_spool, self.base / "pgbackrest"):
            self.user.make_dir(directory, 0o750)
        self._run([str(self.bindir / "initdb"), "-D", str(self.data), "-U", SUPERUSER,
                   "--auth=trust", "--no-sync", "--encoding=UTF8", "--locale=C.UTF-8"])
        lines = [f"{name} = {value}" for name, value in self.settings.items()]
        lines += [f"port = {self.port}", f"unix_socket_directories = '{self.socket_dir}'"]
        # As the PostgreSQL service does: the setup job's fragment is included last.
        lines += [f"include_if_exists = '{path}'" for path in self.include_files]
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write("\n# setup-service e2e harness\n" + "\n".join(lines) + "\n")
        return self

    def start(self, timeout: int = 60) -> None:
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.server_log),
                   "-w", "-t", str(timeout), "start"], timeout=timeout + 30)

    def stop(self, mode: str = "fast", timeout: int = 60) -> None:
        if not self.is_running():
            return
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w",
                   "-t", str(timeout), "stop"], timeout=timeout + 30)

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
        except (FileNotFoundError, ValueError, IndexError):
            return None

    def is_running(self) -> bool:
        pid = self.postmaster_pid()
        if pid is None:
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True

    def close(self) -> None:
        """Teardown: an immediate stop, then SIGKILL of the postmaster by PID.

        Not "fast": with archive_mode on, a fast shutdown waits for the archiver, which retries
        for as long as the storage is unreachable (emulators may be stopped first).
        """
        if self.is_running():
            try:
                self.stop(mode="immediate", timeout=30)
            except (PgError, OSError, subprocess.TimeoutExpired):
                pass
        pid = self.postmaster_pid()
        if pid is not None and self.is_running():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.kill_leftover_helpers()
        if self._private_socket_dir:
            shutil.rmtree(self.socket_dir, ignore_errors=True)

    def leftover_helpers(self) -> list[int]:
        """PIDs of this user's processes that name the data directory, and their descendants.

        pgBackRest's ``archive-push:async`` daemon (started by archive_command with archive-async)
        leaves the postmaster's process group: an immediate stop does not end it, and it was
        seen to wait for its ``archive-push:local`` child for many minutes.
        """
        marker = str(self.data).encode()
        parents: dict[int, int] = {}
        roots: set[int] = set()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if entry.stat().st_uid != self.user.uid:
                    continue
                cmdline = (entry / "cmdline").read_bytes()
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            pid = int(entry.name)
            parents[pid] = int(stat.rsplit(")", 1)[1].split()[1])
            if marker in cmdline:
                roots.add(pid)
        found = set(roots)
        while True:
            children = {pid for pid, ppid in parents.items() if ppid in found} - found
            if not children:
                return sorted(found)
            found |= children

    def kill_leftover_helpers(self, timeout: float = 5.0) -> None:
        pids = self.leftover_helpers()
        for signum in (signal.SIGTERM, signal.SIGKILL):
            for pid in pids:
                try:
                    os.kill(pid, signum)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
                time.sleep(0.1)
            pids = [pid for pid in pids if _alive(pid)]
            if not pids:
                return

    def wipe_data(self) -> None:
        """Empty the data directory (kept, mode 0700) so a restore can go into it."""
        if self.is_running():
            raise PgError("wipe_data on a running cluster")
        for entry in self.data.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()

    # -- SQL --------------------------------------------------------------------------------
    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run ``sql`` (stop on the first error); return unaligned, tuples-only output."""
        return self._run([str(self.bindir / "psql"), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
                          "-h", str(self.socket_dir), "-p", str(self.port), "-U", SUPERUSER,
                          "-d", database, "-f", "-"], input_text=sql).strip()

    def now(self) -> str:
        """The server's clock as a restore target: ``2026-11-26 01:53:47.385462+00``."""
        return self.psql("SELECT clock_timestamp()::text")

    def in_recovery(self) -> bool:
        return self.psql("SELECT pg_is_in_recovery()") == "t"

    def wait_until_promoted(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while self.in_recovery():
            if time.monotonic() > deadline:
                raise PgError(f"still in recovery after {timeout:.0f}s:\n{self.server_log_tail()}")
            time.sleep(0.2)

    def switch_wal(self) -> str:
        return self.psql("SELECT pg_walfile_name(pg_switch_wal())")

    def archiver_stats(self) -> dict[str, str]:
        row = self.psql("SELECT archived_count, failed_count, coalesce(last_archived_wal, ''), "
                        "coalesce(last_failed_wal, '') FROM pg_stat_archiver")
        archived, failed, last_archived, last_failed = row.split("|")
        return {"archived_count": archived, "failed_count": failed,
                "last_archived_wal": last_archived, "last_failed_wal": last_failed}

    def wait_until_archived(self, more_than: int, timeout: float = 60.0) -> int:
        """Poll pg_stat_archiver until archived_count > ``more_than``; return the count.

        With archive-async, ``pgbackrest check`` can return before the archive_command that
        PostgreSQL runs has reported success, so the counter lags a little behind the repository.
        """
        deadline = time.monotonic() + timeout
        while True:
            count = int(self.archiver_stats()["archived_count"])
            if count > more_than:
                return count
            if time.monotonic() > deadline:
                raise PgError(f"archived_count still {count} after {timeout:.0f}s:\n"
                              f"{self.server_log_tail()}")
            time.sleep(0.2)

    def server_log_text(self) -> str:
        try:
            return self.server_log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def server_log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.server_log_text().splitlines()[-lines:])

    # -- what the setup service needs -------------------------------------------------------
    def env(self) -> dict[str, str]:
        """PGBACKREST_PG1_* and the pgBackRest log/lock/spool paths, for the setup job's .env."""
        return {
            "PGBACKREST_PG1_PATH": str(self.data),
            "PGBACKREST_PG1_PORT": str(self.port),
            "PGBACKREST_PG1_SOCKET_PATH": str(self.socket_dir),
            "PGBACKREST_PG1_USER": SUPERUSER,
            "PGBACKREST_LOG_PATH": str(self.pgbackrest_log),
            "PGBACKREST_LOCK_PATH": str(self.pgbackrest_lock),
            "PGBACKREST_SPOOL_PATH": str(self.pgbackrest_spool),
        }

    def stanza_options(self) -> dict[str, str]:
        """pg1-* options (stanza section) for hand-written configs."""
        return {
            "pg1-path": str(self.data),
            "pg1-port": str(self.port),
            "pg1-socket-path": str(self.socket_dir),
            "pg1-user": SUPERUSER,
        }

    def global_options(self) -> dict[str, str]:
        """log/lock/spool paths ([global] section) for hand-written configs."""
        return {
            "log-path": str(self.pgbackrest_log),
            "lock-path": str(self.pgbackrest_lock),
            "spool-path": str(self.pgbackrest_spool),
        }

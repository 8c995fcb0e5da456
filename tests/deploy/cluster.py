"""A real PostgreSQL cluster and posix pgBackRest repository, run natively by an unprivileged
OS user and configured by the setup job (`python -m setup_service generate`) as the containers
are, with every path in a temporary directory. The backup service's commands (bin/backup) and the
containers' scripts run against it as they are in the repository."""

from __future__ import annotations

import dataclasses
import os
import pathlib
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from .tools import BACKUP_COMMANDS, BACKUP_SCRIPTS, POSTGRES_SCRIPTS, REPO, run

E2E_USER = "pgbr-e2e"
PG_BINDIR = pathlib.Path(os.environ.get("PG_BINDIR", "/usr/lib/postgresql/15/bin"))


@dataclasses.dataclass(frozen=True)
class OsUser:
    name: str
    uid: int
    gid: int


def unprivileged_user() -> OsUser:
    """PostgreSQL refuses to run as root: as root, a system user made for the tests."""
    if os.geteuid() != 0:
        entry = pwd.getpwuid(os.geteuid())
    else:
        try:
            entry = pwd.getpwnam(E2E_USER)
        except KeyError:
            subprocess.run(["useradd", "--system", "--user-group", "--no-create-home",
                            "--shell", "/usr/sbin/nologin", E2E_USER], check=True)
            entry = pwd.getpwnam(E2E_USER)
    return OsUser(entry.pw_name, entry.pw_uid, entry.pw_gid)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Deployment:
    """One cluster, its repository and its published config, under one temporary directory."""

    def __init__(self, user: OsUser, stanza: str, cipher_pass: str) -> None:
        self.user = user
        self.stanza = stanza
        self.cipher_pass = cipher_pass
        self.base = pathlib.Path(tempfile.mkdtemp(prefix="deploy-e2e-", dir="/tmp"))
        self.base.chmod(0o755)
        self.config = self.base / "pgbackrest-config"  # the volume, "mounted" where it is
        self.data = self.base / "data"
        self.socket_dir = self.base / "run"
        self.port = free_port()
        for name in ("run", "repo", "log", "spool", "lock", "pgbackrest-config"):
            (self.base / name).mkdir()
        for path in self.base.iterdir():
            os.chown(path, user.uid, user.gid)
        os.chown(self.base, user.uid, user.gid)

    # -- the setup job -------------------------------------------------------------------

    def settings(self) -> dict[str, str]:
        """The .env a user would write for a posix repository, with paths of this machine."""
        return {
            "SETUP_BACKUP": "true",
            "PGBACKREST_REPO1_TYPE": "posix",
            "PGBACKREST_REPO1_PATH": str(self.base / "repo"),
            "PGBACKREST_REPO1_CIPHER_TYPE": "aes-256-cbc",
            "PGBACKREST_REPO1_CIPHER_PASS": self.cipher_pass,
            "PGBACKREST_STANZA": self.stanza,
            "PGBACKREST_PG1_PATH": str(self.data),
            "PGBACKREST_PG1_PORT": str(self.port),
            "PGBACKREST_PG1_SOCKET_PATH": str(self.socket_dir),
            "PGBACKREST_LOG_PATH": str(self.base / "log"),
            "PGBACKREST_SPOOL_PATH": str(self.base / "spool"),
            "PGBACKREST_LOCK_PATH": str(self.base / "lock"),
            # A full backup fires at once; the others never get in its way.
            "BACKUP_SCHEDULE_FULL": "* * * * *",
            "BACKUP_SCHEDULE_DIFF": "0 0 1 1 *",
            "BACKUP_SCHEDULE_DRILL": "0 0 31 2 *",  # never: February has no 31st (drills run on demand)
            "BACKUP_RETENTION_FULL": "2",
        }

    def publish(self, **changes: str) -> subprocess.CompletedProcess[str]:
        """Runs the setup job over settings() updated by changes ('' removes a variable)."""
        result = self.generate(**changes)
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    def generate(self, *args: str, **changes: str) -> subprocess.CompletedProcess[str]:
        """The setup job as publish() runs it, whatever its exit status."""
        settings = {**self.settings(), **changes}
        env_file = self.base / "setup.env"
        env_file.write_text("".join(f'{k}="{v}"\n' for k, v in settings.items() if v))
        return run([sys.executable, "-m", "setup_service", "generate",
                    "--env-file", str(env_file), "--output-dir", str(self.config),
                    "--mount-path", str(self.config), "--no-pgbackrest-check",
                    "--owner", f"{self.user.uid}:{self.user.gid}", *args],
                   cwd=REPO, env={"PATH": os.environ["PATH"], "HOME": str(self.base)})

    # -- running things as the unprivileged user -----------------------------------------

    def env(self) -> dict[str, str]:
        """What the containers' scripts see: the published config and the cluster's socket."""
        path = [BACKUP_COMMANDS, BACKUP_SCRIPTS, POSTGRES_SCRIPTS, PG_BINDIR, "/usr/local/bin", "/usr/bin", "/bin"]
        return {
            "PATH": ":".join(map(str, path)),
            "HOME": str(self.base),
            "LANG": "C.UTF-8",
            "PGBR_CONFIG_DIR": str(self.config),
            "PGDATA": str(self.data),
            "PGHOST": str(self.socket_dir),
            "PGPORT": str(self.port),
            "PGUSER": "postgres",
        }

    def as_user(self, args: list[str]) -> list[str]:
        if os.geteuid() != 0:
            return args
        return ["setpriv", f"--reuid={self.user.uid}", f"--regid={self.user.gid}",
                "--clear-groups", "--", *args]

    def run(self, args: list[str], extra_env: dict[str, str] | None = None,
            timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return run(self.as_user(args), env={**self.env(), **(extra_env or {})}, timeout=timeout,
                   cwd=self.base)

    def popen(self, args: list[str], extra_env: dict[str, str]) -> subprocess.Popen[str]:
        return subprocess.Popen(self.as_user(args), env={**self.env(), **extra_env},
                                cwd=self.base, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)

    def check(self, args: list[str], extra_env: dict[str, str] | None = None,
              timeout: float = 180) -> subprocess.CompletedProcess[str]:
        result = self.run(args, extra_env, timeout)
        assert result.returncode == 0, f"{args}: {result.returncode}\n{result.stdout}{result.stderr}"
        return result

    # -- the cluster -------------------------------------------------------------------------

    def initdb(self, *options: str) -> None:
        self.check([str(PG_BINDIR / "initdb"), "--no-sync", "-U", "postgres", "--auth=trust",
                    "-E", "UTF8", "-D", str(self.data), *options])
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                       f"unix_socket_directories = '{self.socket_dir}'\nfsync = off\n")
        # As the postgres image's entrypoint does.
        self.check([str(POSTGRES_SCRIPTS / "ensure-archive-include")])

    def start(self) -> None:
        self.check([str(PG_BINDIR / "pg_ctl"), "-D", str(self.data), "-l",
                    str(self.base / "postgres.log"), "-w", "-t", "120", "start"])

    def pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
        except (FileNotFoundError, ValueError):
            return None

    def stop(self) -> None:
        """Fast shutdown by the postmaster's PID."""
        pid = self.pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGINT)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)

    def psql(self, sql: str) -> str:
        return self.check(["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", "postgres",
                           "-c", sql]).stdout.strip()

    def restore_between(self, before_sql: str, after_sql: str) -> str:
        """Point-in-time recovery as `make restore-pitr` does it: runs before_sql, takes a target
        a second later, runs after_sql, archives, then stops, restores to the target and starts
        (recovery-report waits for the end of recovery and returns its report)."""
        self.psql(before_sql)
        time.sleep(1.1)
        target = self.psql("SELECT now()")
        time.sleep(1.1)
        self.psql(after_sql)
        self.check(["pgbackrest-stanza", "check"])
        self.stop()
        restored = self.run(["restore", "time", target])
        self.start()
        assert restored.returncode == 0, restored.stdout + restored.stderr
        return self.check(["recovery-report"]).stdout

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

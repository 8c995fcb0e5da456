"""Run pgBackRest as the cluster owner on a published config, and insist on a clean log.

Only ``--config``, ``--config-include-path`` and ``--stanza`` are put on the command line; the
caller adds the command and, for restores, the target. The environment is clean (no
PGBACKREST_* variable reaches pgBackRest).

"Clean" means no `` WARN: `` / ``ERROR:`` line in the console output, in the log files under the
log path, or (for archive-push, which logs to no file) from pgBackRest in the PostgreSQL server
log, nor any "archive command failed" there.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .osuser import OsUser

# " WARN: " / " ERROR: " after pgBackRest's process id ("P00   WARN: ..."), and the bare
# "ERROR: [055]: ..." / "WARN: ..." lines it prints at the start of a line.
PROBLEM_LINE = re.compile(r"(^|\s)(WARN|ERROR):\s")
PG_LOG_PROBLEM = re.compile(r"archive command failed|P\d\d\s+(WARN|ERROR):|^(WARN|ERROR): ")


class PgBackRestProblem(AssertionError):
    """pgBackRest failed or wrote a WARN/ERROR line."""


@dataclass
class PgBackRestResult:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def problems(self) -> list[str]:
        return problem_lines(self.output)

    def describe(self) -> str:
        return (f"$ {' '.join(self.argv)}\nexit {self.returncode} after {self.seconds:.1f}s\n"
                f"{self.output}")


def problem_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if PROBLEM_LINE.search(line)]


@dataclass
class LogMark:
    """Where each log file ended when the mark was taken."""

    sizes: dict[Path, int] = field(default_factory=dict)
    pg_log_size: int = 0


class PgBackRest:
    """pgBackRest on the config published in ``config_dir`` (pgbackrest.conf + conf.d)."""

    def __init__(self, user: OsUser, config_dir: Path, stanza: str, log_path: Path,
                 cwd: Path, pg_server_log: Path | None = None,
                 binary: str | None = None) -> None:
        self.user = user
        self.config_dir = config_dir
        self.stanza = stanza
        self.log_path = log_path
        self.cwd = cwd
        self.pg_server_log = pg_server_log
        self.binary = binary or shutil.which("pgbackrest") or "pgbackrest"
        self.history: list[PgBackRestResult] = []

    def argv(self, command: str, *args: str, stanza: bool = True) -> list[str]:
        argv = [self.binary, f"--config={self.config_dir / 'pgbackrest.conf'}",
                f"--config-include-path={self.config_dir / 'conf.d'}"]
        if stanza:  # repo-ls / repo-get take no stanza
            argv.append(f"--stanza={self.stanza}")
        return [*argv, *args, command]

    def run(self, command: str, *args: str, timeout: float = 600.0,
            stanza: bool = True) -> PgBackRestResult:
        """Run one command; never raises on failure (see :meth:`ok`)."""
        argv = self.argv(command, *args, stanza=stanza)
        started = time.monotonic()
        done = self.user.run(argv, env=self.user.base_env(), cwd=self.cwd, timeout=timeout)
        result = PgBackRestResult(argv, done.returncode, done.stdout, done.stderr,
                                  time.monotonic() - started)
        self.history.append(result)
        return result

    def ok(self, command: str, *args: str, timeout: float = 600.0,
           stanza: bool = True) -> PgBackRestResult:
        """Run one command and raise PgBackRestProblem unless it succeeded with a clean log."""
        mark = self.mark()
        result = self.run(command, *args, timeout=timeout, stanza=stanza)
        problems = result.problems + self.log_problems(mark)
        if result.returncode != 0 or problems:
            raise PgBackRestProblem(
                result.describe() + "\nWARN/ERROR lines:\n" + "\n".join(problems)
            )
        return result

    def info(self) -> list[dict[str, Any]]:
        """``info --output=json`` for this stanza (must succeed cleanly)."""
        return json.loads(self.ok("info", "--output=json").stdout)  # type: ignore[no-any-return]

    # -- logs -------------------------------------------------------------------------------
    def _log_files(self) -> list[Path]:
        if not self.log_path.is_dir():
            return []
        return sorted(p for p in self.log_path.rglob("*") if p.is_file())

    def mark(self) -> LogMark:
        pg_size = self.pg_server_log.stat().st_size if self.pg_server_log and self.pg_server_log.exists() else 0
        return LogMark({p: p.stat().st_size for p in self._log_files()}, pg_size)

    def log_problems(self, since: LogMark | None = None) -> list[str]:
        """WARN/ERROR lines written to the log files (and server log) since ``since``."""
        since = since or LogMark()
        problems: list[str] = []
        for path in self._log_files():
            with open(path, "rb") as handle:
                handle.seek(since.sizes.get(path, 0))
                text = handle.read().decode(errors="replace")
            problems += [f"{path.name}: {line}" for line in problem_lines(text)]
        if self.pg_server_log and self.pg_server_log.exists():
            with open(self.pg_server_log, "rb") as handle:
                handle.seek(since.pg_log_size)
                text = handle.read().decode(errors="replace")
            problems += [f"{self.pg_server_log.name}: {line}" for line in text.splitlines()
                         if PG_LOG_PROBLEM.search(line)]
        return problems

    def assert_clean_logs(self, since: LogMark | None = None) -> None:
        problems = self.log_problems(since)
        if problems:
            raise PgBackRestProblem("WARN/ERROR lines in the logs:\n" + "\n".join(problems))


def write_config(config_dir: Path, global_options: dict[str, str],
                 stanza: str, stanza_options: dict[str, str],
                 repo_options: dict[str, str], user: OsUser | None = None) -> Path:
    """A hand-written config in the published layout: pgbackrest.conf + conf.d/repo.conf.

    For harness self-tests and experiments only; the product's e2e tests use the setup job's.
    """
    conf_d = config_dir / "conf.d"
    conf_d.mkdir(parents=True, exist_ok=True)

    def section(name: str, options: dict[str, str]) -> str:
        return f"[{name}]\n" + "".join(f"{k}={v}\n" for k, v in options.items())

    (config_dir / "pgbackrest.conf").write_text(
        section("global", global_options) + "\n" + section(stanza, stanza_options)
    )
    (conf_d / "repo.conf").write_text(section("global", repo_options))
    if user is not None:
        for path in (config_dir, conf_d, config_dir / "pgbackrest.conf", conf_d / "repo.conf"):
            user.chown(path)
    (conf_d / "repo.conf").chmod(0o640)
    return config_dir


def archive_conf_text(config_dir: Path, stanza: str) -> str:
    """postgresql-archive.conf as the contract describes it, for a hand-written config."""
    command = (f"pgbackrest --config={config_dir / 'pgbackrest.conf'} "
               f"--config-include-path={config_dir / 'conf.d'} --stanza={stanza} archive-push %p")
    return f"archive_mode = on\narchive_command = '{command}'\nwal_level = replica\n"


def backups_of(info: Sequence[dict[str, Any]], stanza: str) -> list[dict[str, Any]]:
    """The backup list of ``stanza`` in ``info --output=json`` (label, type, ...)."""
    for entry in info:
        if entry.get("name") == stanza:
            return list(entry.get("backup", []))
    return []

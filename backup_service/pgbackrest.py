"""Running pgBackRest with the published configuration and nothing else.

pgBackRest reads PGBACKREST_* variables itself and they would override the published files,
which are the single source of truth: they are dropped from its environment, never passed on.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
from typing import Any

from backup_service.log import log
from backup_service.settings import Settings

PREFIX = "PGBACKREST_"


@dataclasses.dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str


def command(settings: Settings, *args: str) -> list[str]:
    return [settings.pgbackrest_bin, f"--config={settings.config_dir}/pgbackrest.conf",
            f"--config-include-path={settings.config_dir}/conf.d", *args]


def environment(settings: Settings, *, say: bool = False) -> dict[str, str]:
    """The environment without PGBACKREST_*; say=True logs how many were dropped."""
    dropped = sorted(name for name in settings.environ if name.startswith(PREFIX))
    if dropped and say:
        log(f"ignoring {len(dropped)} PGBACKREST_* variable(s): the published files are the configuration")
    return {k: v for k, v in settings.environ.items() if not k.startswith(PREFIX)}


def run(settings: Settings, *args: str) -> int:
    """pgBackRest with its output on ours (the container log): its exit code."""
    return subprocess.run(command(settings, *args), env=environment(settings, say=True),
                          check=False).returncode


def capture(settings: Settings, *args: str, timeout: float | None = None,
            stdout: bool = True) -> Outcome:
    """pgBackRest's exit code and output; with a timeout, 124 when it did not answer in time
    (and --io-timeout at half of it, so a dead repository is noticed before the kill).
    stdout=False leaves its stdout on ours (a backup's progress in the container log as it goes)."""
    options = [f"--io-timeout={max(timeout / 2, 0.5)}"] if timeout is not None else []
    try:
        proc = subprocess.run(command(settings, *options, *args), env=environment(settings),
                              stdout=subprocess.PIPE if stdout else None, stderr=subprocess.PIPE,
                              text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return Outcome(124, "", f"no answer within {timeout:g} s")
    except OSError as exc:
        return Outcome(127, "", str(exc))
    return Outcome(proc.returncode, proc.stdout or "", proc.stderr)


def exec_(settings: Settings, *args: str) -> None:
    """Replace this process by pgBackRest (pgbackrest-stanza: its exit code is the answer)."""
    argv = command(settings, *args)
    os.execvpe(argv[0], argv, environment(settings, say=True))


@dataclasses.dataclass(frozen=True)
class StanzaInfo:
    """`pgbackrest info --output=json` for one stanza: its object ({} when pgBackRest failed or
    answered nothing readable), with the exit code and stderr."""

    info: dict[str, Any]
    code: int
    stderr: str

    @property
    def backups(self) -> list[dict[str, Any]]:
        found = self.info.get("backup", [])
        return found if isinstance(found, list) else []

    @property
    def repos(self) -> list[dict[str, Any]]:
        return list(self.info.get("repo", []))

    @staticmethod
    def reachable(repo: dict[str, Any]) -> bool:
        return repo.get("status", {}).get("code", 99) in (0, 2)  # 2: no backup yet


def stanza_info(settings: Settings, stanza: str, timeout: float | None = None) -> StanzaInfo:
    """The one reader of `info --output=json` (backup-status, run-backup, the restore drill)."""
    outcome = capture(settings, f"--stanza={stanza}", "--output=json", "info", timeout=timeout)
    info: dict[str, Any] = {}
    if outcome.code == 0:
        try:
            found = json.loads(outcome.stdout)[0]
            info = found if isinstance(found, dict) else {}
        except (ValueError, IndexError, KeyError, TypeError):
            info = {}
    return StanzaInfo(info, outcome.code, outcome.stderr)

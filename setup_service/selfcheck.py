"""pgBackRest's own parser as a last check: the staged files must load without a warning."""

from __future__ import annotations

import dataclasses
import functools
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from setup_service.render import RenderedFile

COMMANDS = ("backup", "archive-push", "restore", "check")
_COMPLAINT = re.compile(r"^\s*(?:P\d+\s+)?(WARN|ERROR)(?:: |\s*\[)")
TIMEOUT_SECONDS = 30


@dataclasses.dataclass(frozen=True)
class CheckResult:
    ran: bool
    result: str  # passed, failed, skipped, disabled
    version: str = ""
    messages: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {"ran": self.ran, "result": self.result, "version": self.version,
                "messages": list(self.messages)}


def _clean_env() -> dict[str, str]:
    """pgBackRest reads PGBACKREST_* itself; the staged files alone must be what it checks."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PGBACKREST_")}


@functools.lru_cache(maxsize=4)
def _version_output(binary: str) -> str:
    """`pgbackrest version`, once per run: the target version and the check both need it."""
    try:
        return subprocess.run([binary, "version"], capture_output=True, text=True, env=_clean_env(),
                              timeout=TIMEOUT_SECONDS, check=False).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def installed_version(binary: str | None = None) -> tuple[int, ...] | None:
    """The version of the pgbackrest on PATH (the one the setup image shares with the others)."""
    from setup_service import option_table

    binary = binary or shutil.which("pgbackrest")
    return option_table.parse_version(_version_output(binary)) if binary else None


def run(files: dict[str, RenderedFile], stanza: str, binary: str | None = None) -> CheckResult:
    binary = binary or shutil.which("pgbackrest")
    if binary is None:
        return CheckResult(False, "skipped", messages=("pgbackrest is not installed here",))
    env = _clean_env()
    version = _version_output(binary)
    messages: list[str] = []
    with tempfile.TemporaryDirectory(prefix="setup-service-check-") as tmp:
        root = Path(tmp)
        for relative in ("pgbackrest.conf", "conf.d/repo.conf"):
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            (root / relative).write_bytes(files[relative].content)
        for command in COMMANDS:
            proc = subprocess.run(
                [binary, f"--config={root}/pgbackrest.conf", f"--config-include-path={root}/conf.d",
                 f"--stanza={stanza}", "help", command],
                capture_output=True, text=True, env=env, timeout=TIMEOUT_SECONDS)
            output = (proc.stdout + proc.stderr).replace(str(root), "<staged>")
            complaints = [line.strip() for line in output.splitlines() if _COMPLAINT.match(line)]
            if proc.returncode != 0 and not complaints:
                complaints = [f"pgbackrest help {command} exited {proc.returncode}"]
            messages += [f"{command}: {line}" for line in complaints]
    return CheckResult(True, "failed" if messages else "passed", version, tuple(messages))

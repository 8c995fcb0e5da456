"""Finding the tools the deployment tests need, and running them."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
BACKUP_SCRIPTS = REPO / "docker" / "backup"  # the backup image's shell: its entrypoint only
BACKUP_COMMANDS = REPO / "bin" / "backup"  # the backup service's launcher and its command links
POSTGRES_SCRIPTS = REPO / "docker" / "postgres"


def require_tool(name: str, hint: str) -> str:
    """The tool's path; a missing tool skips the test, or fails it under CI."""
    path = shutil.which(name) or shutil.which(name, path=str(pathlib.Path(sys.executable).parent))
    if path:
        return path
    message = f"{name} is not installed ({hint})"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def run(args: list[str], *, env: dict[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Runs a command, capturing text output; never raises on a failure exit."""
    return subprocess.run(args, capture_output=True, text=True, check=False, env=env, cwd=cwd,
                          timeout=timeout)

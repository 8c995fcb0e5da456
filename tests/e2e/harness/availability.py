"""Where the harness finds its tools, and what happens when one is missing.

Under ``CI`` (any non-empty value) a missing component fails the test: CI installs everything
with ``scripts/install-test-deps.sh``, so a gap there is a broken install, not a reason to skip.
Elsewhere the test is skipped with the reason.
"""

from __future__ import annotations

import glob
import os
import shutil
from pathlib import Path
from typing import NoReturn

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
NODE_BIN = REPO_ROOT / ".cache" / "node" / "node_modules" / ".bin"
NODE_MODULES = REPO_ROOT / ".cache" / "node" / "node_modules"


class ComponentMissing(Exception):
    """A binary, package or emulator the test needs is not available."""


def in_ci() -> bool:
    return bool(os.environ.get("CI"))


def missing(reason: str) -> NoReturn:
    """Fail (under CI) or skip (elsewhere) the current test because ``reason``."""
    if in_ci():
        pytest.fail(f"{reason} (CI is set, so a missing component is a failure)", pytrace=False)
    pytest.skip(f"{reason}; run scripts/install-test-deps.sh")


def find_executable(name: str, *extra_dirs: Path) -> str:
    """Return the path of ``name`` from PATH or ``extra_dirs``; raise ComponentMissing."""
    found = shutil.which(name)
    if found:
        return found
    for directory in extra_dirs:
        candidate = directory / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise ComponentMissing(f"executable {name!r} not found on PATH or in {[str(d) for d in extra_dirs]}")


def node_executable(name: str) -> str:
    """An executable of the npm packages installed under .cache/node (or on PATH)."""
    return find_executable(name, NODE_BIN)


def node_module_dir(package: str) -> Path:
    directory = NODE_MODULES / package
    if not (directory / "package.json").is_file():
        raise ComponentMissing(f"npm package {package!r} not found in {NODE_MODULES}")
    return directory


def postgres_bindir() -> Path:
    """The newest /usr/lib/postgresql/N/bin with initdb (or PG_BINDIR, or initdb on PATH)."""
    if os.environ.get("PG_BINDIR"):
        bindir = Path(os.environ["PG_BINDIR"])
        if not (bindir / "initdb").is_file():
            raise ComponentMissing(f"PG_BINDIR={bindir} has no initdb")
        return bindir
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if candidates:
        return Path(candidates[-1]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise ComponentMissing("PostgreSQL server binaries (initdb) not found")

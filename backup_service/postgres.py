"""Asking the running PostgreSQL (through psql and the libpq variables, PGHOST etc.)."""

from __future__ import annotations

import subprocess

from backup_service.settings import Settings


def row(settings: Settings, sql: str) -> list[str] | None:
    """The first row's columns as text, or None when PostgreSQL did not answer in time."""
    try:
        proc = subprocess.run(["psql", "-X", "-A", "-t", "-F", "|", "-v", "ON_ERROR_STOP=1", "-d",
                               settings.database, "-c", sql],
                              capture_output=True, text=True, timeout=settings.timeout, check=False)
    except (subprocess.TimeoutExpired, OSError):
        return None
    return proc.stdout.strip().split("|") if proc.returncode == 0 else None


def column(settings: Settings, sql: str) -> list[str] | None:
    """The first column of every row, or None when PostgreSQL did not answer in time."""
    try:
        proc = subprocess.run(["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", settings.database, "-c", sql],
                              capture_output=True, text=True, timeout=settings.timeout, check=False)
    except (subprocess.TimeoutExpired, OSError):
        return None
    return proc.stdout.splitlines() if proc.returncode == 0 else None

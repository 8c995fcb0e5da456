"""Asking the running PostgreSQL (through psql and the libpq variables, PGHOST etc.)."""

from __future__ import annotations

import subprocess

from backup_service.settings import Settings


def _lines(settings: Settings, sql: str) -> list[str] | None:
    """psql's unaligned rows (columns split by |), or None when PostgreSQL did not answer in time."""
    try:
        proc = subprocess.run(["psql", "-X", "-A", "-t", "-F", "|", "-v", "ON_ERROR_STOP=1", "-d",
                               settings.database, "-c", sql],
                              capture_output=True, text=True, timeout=settings.timeout, check=False)
    except (subprocess.TimeoutExpired, OSError):
        return None
    return proc.stdout.strip().splitlines() if proc.returncode == 0 else None


def row(settings: Settings, sql: str) -> list[str] | None:
    """The first row's columns as text."""
    lines = _lines(settings, sql)
    return None if lines is None else (lines[0] if lines else "").split("|")


def column(settings: Settings, sql: str) -> list[str] | None:
    """The first column of every row."""
    lines = _lines(settings, sql)
    return None if lines is None else [line.split("|", 1)[0] for line in lines]

"""Where the templates and schemas are: packaged beside the code, or at the top of a checkout."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    installed = _HERE / name  # pip install . maps templates/ -> setup_service/templates
    if installed.is_dir():
        return installed
    return _HERE.parent / name  # a source checkout


def templates_dir() -> Path:
    return _find("templates")


def schemas_dir() -> Path:
    return _find("schemas")

"""The state the backup service keeps between runs (outage start, WAL-rate samples, the watch's
last conditions), one JSON document per file in BACKUP_STATE_DIR."""

from __future__ import annotations

import json
import os
from typing import Any

from backup_service.settings import Settings


def path(settings: Settings, name: str) -> str:
    return os.path.join(settings.state_dir, name)


def load(settings: Settings, name: str) -> Any:
    """The document, or None when there is none or it cannot be read."""
    try:
        with open(path(settings, name), encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def save(settings: Settings, name: str, data: object) -> None:
    """Replace a state file whole. The healthcheck, the watch and `make backup-status` run at the
    same time: each writes its own temporary file (a shared one could be replaced half written
    by another, and a lost outage start restarts the clock to CRITICAL). Raises OSError."""
    os.makedirs(settings.state_dir, exist_ok=True)
    target = path(settings, name)
    temporary = f"{target}.{os.getpid()}.tmp"
    try:
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def remove(settings: Settings, name: str) -> None:
    try:
        os.unlink(path(settings, name))
    except FileNotFoundError:
        pass

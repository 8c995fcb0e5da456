"""Reading what the setup job published: status.json, the INI files and the crontab."""

from __future__ import annotations

import json
import os
import re
from typing import Any

from setup_service import cron, namespace

from backup_service.settings import Settings

_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4,
               "p": 1024 ** 5}


class NotPublished(Exception):
    """status.json is missing, unreadable, or lacks a field."""


def status(settings: Settings) -> dict[str, Any]:
    path = os.path.join(settings.config_dir, "status.json")
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except (OSError, ValueError) as exc:
        raise NotPublished(f"no published status.json in {settings.config_dir}: {exc}") from exc
    if not isinstance(document, dict):
        raise NotPublished(f"{path} is not a JSON object")
    return document


def field(settings: Settings, name: str) -> Any:
    document = status(settings)
    if name not in document:
        raise NotPublished(f"status.json has no field {name}")
    return document[name]


def webhook_url(settings: Settings) -> str:
    """BACKUP_WEBHOOK_URL: from our environment if set there (Kubernetes, by secret reference),
    else as the setup job published it (compose: no secret is container environment). Read at
    each post, so that a URL rotated through `make config` is used without a restart."""
    if settings.webhook_url:
        return settings.webhook_url
    try:
        with open(os.path.join(settings.config_dir, namespace.WEBHOOK_URL_FILE), encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def config_files(settings: Settings) -> list[str]:
    """pgbackrest.conf, then conf.d/*.conf in order: as pgBackRest reads them."""
    files = [os.path.join(settings.config_dir, "pgbackrest.conf")]
    conf_d = os.path.join(settings.config_dir, "conf.d")
    if os.path.isdir(conf_d):
        files += [os.path.join(conf_d, n) for n in sorted(os.listdir(conf_d)) if n.endswith(".conf")]
    return files


def config_value(settings: Settings, key: str, sections: tuple[str, ...]) -> str | None:
    """An option from the published INI files, the last one read winning."""
    found: str | None = None
    for path in config_files(settings):
        section = ""
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                line = line.strip()
                if line.startswith("[") and line.endswith("]"):
                    section = line[1:-1]
                elif section in sections and line.partition("=")[0].strip() == key:
                    found = line.partition("=")[2].strip()
    return found


def size_bytes(text: str | None) -> int | None:
    """A pgBackRest size (8GiB, 512MB, 1024) in bytes; None when there is none or it is unreadable."""
    match = re.fullmatch(r"([0-9]+)\s*([kmgtpb]?)i?b?", (text or "").strip().lower())
    return int(match[1]) * _SIZE_UNITS[match[2]] if match else None


def crontab_path(settings: Settings) -> str:
    return os.path.join(settings.config_dir, "crontab")


_SCHEDULE = r"^\s*(@\w+|\S+\s+\S+\s+\S+\s+\S+\s+\S+)\s+"
_BACKUP_LINE = re.compile(_SCHEDULE + r"run-backup\s+(full|diff|incr)\b")
_DRILL_LINE = re.compile(_SCHEDULE + r"(restore-drill)\b")


def backup_schedules(settings: Settings) -> dict[str, tuple[str, cron.Schedule]]:
    """backup type -> its schedule as written and as parsed, from the published crontab."""
    return _schedules(settings, _BACKUP_LINE)


def drill_schedule(settings: Settings) -> tuple[str, cron.Schedule] | None:
    """The restore drill's schedule in the published crontab, if it has one."""
    return _schedules(settings, _DRILL_LINE).get("restore-drill")


def _schedules(settings: Settings, pattern: re.Pattern[str]) -> dict[str, tuple[str, cron.Schedule]]:
    found = {}
    try:
        with open(crontab_path(settings), encoding="utf-8") as handle:
            for line in handle:
                match = pattern.match(line)
                if match:
                    written = " ".join(match[1].split())
                    try:
                        found[match[2]] = (written, cron.parse(written))
                    except cron.CronError:
                        continue
    except FileNotFoundError:
        pass
    return found

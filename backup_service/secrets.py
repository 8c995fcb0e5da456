"""The secret values this service could leak, by the catalogue's secret flags: those of the
published INI files' secret options, the catalogue's secret variables in our environment, and
the webhook URL the setup job published."""

from __future__ import annotations

from setup_service import redaction

from backup_service import published
from backup_service.settings import Settings

MARK = "[REDACTED]"  # the webhook payloads' mark (their documented form)


def values(settings: Settings) -> list[str]:
    found = redaction.environment_secret_values(settings.environ)
    url = published.webhook_url(settings)
    if url:
        found.append(url)
    for path in published.config_files(settings):
        try:
            with open(path, encoding="utf-8") as handle:
                found += redaction.ini_secret_values(handle.read())
        except OSError:
            continue  # a file this user cannot read holds nothing we could have printed
    return found


def redact(settings: Settings, text: str) -> str:
    return redaction.redact(text, values(settings), MARK)

"""The one webhook poster: backups, the watch and anything that posts later send their JSON
payloads to BACKUP_WEBHOOK_URL (published.webhook_url) through here, redacted by the catalogue's secret flags.

The URL itself is never printed or logged: its path is often its credential (Slack, Teams).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

from setup_service import redaction

from backup_service import published, secrets
from backup_service.log import log
from backup_service.settings import Settings

RETRIES = 2  # after the first attempt, on a transient failure (as curl --retry 2)
_TRANSIENT = {408, 429, 500, 502, 503, 504}


def _attempt(settings: Settings, url: str, body: bytes) -> str | None:
    """None on success, else why not (no URL in it) and whether to retry."""
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=settings.webhook_timeout):
            return None
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return type(exc).__name__


def _redacted(value: Any, secret_values: list[str]) -> Any:
    """Every string in a JSON document with the secrets cut out (before encoding: an escaped
    quote in a secret would otherwise hide it from the search)."""
    if isinstance(value, str):
        return redaction.redact(value, secret_values, secrets.MARK)
    if isinstance(value, dict):
        return {key: _redacted(item, secret_values) for key, item in value.items()}
    if isinstance(value, list):
        return [_redacted(item, secret_values) for item in value]
    return value


def post(settings: Settings, payload: dict[str, Any], what: str) -> bool:
    """Posts payload once it is redacted; True when the receiver took it. A failure is logged
    (naming what, never the URL) and never raised: a webhook must not stop a backup."""
    url = published.webhook_url(settings)
    if not url:
        return False
    body = json.dumps(_redacted(payload, secrets.values(settings))).encode()
    delay = 1.0
    for attempt in range(RETRIES + 1):
        failure = _attempt(settings, url, body)
        if failure is None:
            return True
        transient = not failure.startswith("HTTP ") or int(failure[5:]) in _TRANSIENT
        if attempt == RETRIES or not transient:
            break
        time.sleep(delay)
        delay *= 2
    log(f"could not post {what} to BACKUP_WEBHOOK_URL ({failure})")
    return False

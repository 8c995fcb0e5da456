"""One redaction, driven by the catalogue: which config keys and variables hold secrets, and
cutting their values out of any text that leaves the process (status, diffs, webhooks, logs).

Dependency-free on purpose: the backup service imports it without the setup job's libraries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from setup_service import catalogue, option_table

REDACTED = "<redacted>"


def is_secret_key(key: str) -> bool:
    """Whether a config-file key (repo2-s3-key-secret) holds a secret: a secure pgBackRest option,
    or one a secret variable of the catalogue sets."""
    parsed = option_table.parse_env_name(option_table.ENV_PREFIX + key.strip().upper().replace("-", "_"))
    if not parsed.known:
        return False
    friendly = catalogue.BY_OPTION.get(parsed.option)
    return option_table.options()[parsed.option].secure or bool(friendly and friendly.secret)


def _secret_assignments(text: str) -> list[tuple[str, str, str]]:
    """(section, key, value) of each secret key in a pgBackRest INI file, in file order (split at
    LF only, as pgBackRest does)."""
    found, section = [], ""
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1]
            continue
        key, sep, value = line.partition("=")
        if sep and is_secret_key(key):
            found.append((section, key.strip(), value.strip()))
    return found


def ini_secret_values(text: str) -> list[str]:
    """The values of secret keys in a pgBackRest INI file."""
    return [value for _section, _key, value in _secret_assignments(text) if value]


def changed_secret_keys(before: str, after: str) -> list[str]:
    """The secret keys whose value differs between two versions of an INI file (added and
    removed ones too): what a redacted diff can name without showing a value."""
    old = {(section, key): value for section, key, value in _secret_assignments(before)}
    new = {(section, key): value for section, key, value in _secret_assignments(after)}
    return sorted({key for (section, key) in old.keys() | new.keys() if old.get((section, key)) != new.get((section, key))})


def environment_secret_values(environ: Mapping[str, str]) -> list[str]:
    """The values of the catalogue's secret variables in an environment (BACKUP_WEBHOOK_URL,
    POSTGRES_PASSWORD, ...)."""
    return [environ[name] for name in sorted(catalogue.SECRET_NAMES) if environ.get(name)]


def redact(text: str, secrets: Iterable[str], mark: str = REDACTED) -> str:
    """text with every secret value replaced by mark, longest first (a secret that contains
    another is cut whole)."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, mark)
    return text

"""A repository's identity: the options whose change points pgBackRest at other (or unreadable)
backups. Changing one in place orphans every backup and the WAL archive, so the job refuses it
unless the user says they mean it (SETUP_ALLOW_REPOSITORY_CHANGE).

Pure: takes the published files and the new ones (both this job's own INI output), returns
data. Secrets are compared in memory, from files the job already owns; nothing new is stored.
"""

from __future__ import annotations

import dataclasses
import re

from setup_service.render import RenderedFile

# Unindexed repository options that decide where the backups are and whether they can be read,
# and why. Not identity: credentials (the same bucket with a new key), retention, schedules,
# compression, process-max, TLS verification and CA files, ports and URI styles (the same
# storage reached differently), repo-storage-host (a different address for the same endpoint).
REPO_IDENTITY = {
    "repo-type": "the kind of storage",
    "repo-path": "the path of the repository",
    "repo-s3-bucket": "the S3 bucket",
    "repo-s3-endpoint": "the S3 endpoint",
    "repo-s3-region": "the S3 region",
    "repo-azure-account": "the Azure storage account",
    "repo-azure-container": "the Azure container",
    "repo-azure-endpoint": "the Azure endpoint",
    "repo-gcs-bucket": "the GCS bucket",
    "repo-gcs-endpoint": "the GCS endpoint",
    "repo-host": "the repository host",
    "repo-cipher-type": "the encryption",
    "repo-cipher-pass": "the encryption passphrase",
}
# pg1-path: another data directory is another cluster (pgBackRest checks the system id).
STANZA_IDENTITY = {"pg1-path": "the PostgreSQL data directory"}
SECRET = {"repo-cipher-pass"}
_REPO_KEY = re.compile(r"^repo([0-9]+)-(.+)$")


@dataclasses.dataclass(frozen=True)
class Change:
    """One identity option that differs between the published and the new configuration."""

    key: str  # repo1-cipher-pass, pg1-path, or "stanza"
    index: int | None  # the repository, for repo options
    what: str  # in words: "the encryption passphrase"


def _sections(text: str) -> dict[str, dict[str, str]]:
    """This job's INI output: [section] headers and key=value lines (one value per key here)."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in text.split("\n"):
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
        elif current is not None and "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            current.setdefault(key.strip(), value.strip())
    return sections


def identity(files: dict[str, RenderedFile]) -> dict[str, str]:
    """The identity options of a published set: {"stanza": ..., "repo1-path": ..., "pg1-path": ...}."""
    found: dict[str, str] = {}
    for path in ("pgbackrest.conf", "conf.d/repo.conf"):
        if path not in files:
            continue
        for section, options in _sections(files[path].content.decode(errors="replace")).items():
            if section != "global" and not section.startswith("global:"):
                found["stanza"] = section
            for key, value in options.items():
                match = _REPO_KEY.match(key)
                if (match and f"repo-{match[2]}" in REPO_IDENTITY) or key in STANZA_IDENTITY:
                    found[key] = value
    return found


def changes(published: dict[str, RenderedFile], new: dict[str, RenderedFile]) -> list[Change]:
    """Identity options that differ for repositories in both sets. A repository added or removed
    is no change (retiring an old repository is the safe way to move), nor is a first publish."""
    old_id, new_id = identity(published), identity(new)
    if not old_id:
        return []
    repos = {m[1] for k in old_id if (m := _REPO_KEY.match(k)) and m[2] == "type"} & \
        {m[1] for k in new_id if (m := _REPO_KEY.match(k)) and m[2] == "type"}
    found = []
    if repos and old_id.get("stanza") != new_id.get("stanza"):
        found.append(Change("stanza", None, "the stanza"))
    for key in sorted(set(old_id) | set(new_id)):
        match = _REPO_KEY.match(key)
        if match and match[1] in repos and old_id.get(key) != new_id.get(key):
            found.append(Change(key, int(match[1]), REPO_IDENTITY[f"repo-{match[2]}"]))
        elif key in STANZA_IDENTITY and repos and old_id.get(key) != new_id.get(key):
            found.append(Change(key, None, STANZA_IDENTITY[key]))
    return found

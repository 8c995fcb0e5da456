"""When the published status.json records a change of a repository's identity (published with
SETUP_ALLOW_REPOSITORY_CHANGE) that this service has not handled yet: the stanza is created on
the new repository and a full backup taken at once, so the new repository is usable for recovery
right away. The handled generation is recorded in BACKUP_STATE_DIR; the service retries every
minute until it succeeds."""

from __future__ import annotations

import os

from backup_service import backup, pgbackrest, published
from backup_service.log import log
from backup_service.settings import Settings

HANDLED = "repository-change.handled"


def pending(settings: Settings) -> tuple[str, str] | None:
    """The generation to handle and what it changed, or None."""
    change = published.status(settings).get("repository_change") or {}
    generation = str(change.get("generation") or "")
    if not generation:
        return None
    try:
        with open(os.path.join(settings.state_dir, HANDLED), encoding="utf-8") as handle:
            if handle.read().strip() == generation:
                return None
    except OSError:
        pass
    return generation, ", ".join(str(c.get("key")) for c in change.get("changes", []))


def handle(settings: Settings) -> int:
    """0 when nothing is pending or the new repository has its full backup, else the failing
    command's exit code."""
    found = pending(settings)
    if found is None:
        return 0
    generation, changed = found
    stanza = str(published.field(settings, "stanza"))
    log(f"generation {generation} changed the repository ({changed}): creating the stanza and "
        "taking a full backup")
    code = pgbackrest.run(settings, f"--stanza={stanza}", "stanza-create")
    if code == 0:
        code = backup.run(settings, "full")
    if code != 0:
        return code
    os.makedirs(settings.state_dir, exist_ok=True)
    with open(os.path.join(settings.state_dir, HANDLED), "w", encoding="utf-8") as handle_file:
        handle_file.write(generation + "\n")
    log(f"the new repository has a full backup (generation {generation})")
    return 0

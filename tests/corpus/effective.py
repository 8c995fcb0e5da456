"""What pgBackRest itself makes of a configuration: `pgbackrest help <command> <option>`'s
"current:" line, with the files given and no PGBACKREST_* variable in the environment."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from setup_service import option_table

COMMANDS = ("archive-push", "archive-get", "backup", "restore", "check", "expire")
_CURRENT = re.compile(r"^current: (.*)$", re.M)
_INDEXED = re.compile(r"^(repo|pg)([0-9]+)-(.+)$")


def canonical(key: str) -> tuple[str, int | None] | None:
    """(unindexed option, index) for a config key, deprecated names resolved; None if unknown."""
    table = option_table.options()
    match = _INDEXED.match(key)
    if match and f"{match[1]}-{match[3]}" in table:
        return f"{match[1]}-{match[3]}", int(match[2])
    if key in table:
        option = table[key]
        return key, (1 if option.group else None)
    current = option_table.deprecated_alias(key)
    if current is None:
        return None
    index = int(match[2]) if match else 1
    return current, (index if table[current].group else None)


def current(config: Path, include: Path, stanza: str, command: str, key: str) -> str | None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PGBACKREST_")}
    args = ["pgbackrest", f"--config={config}", f"--stanza={stanza}"]
    args.append(f"--config-include-path={include}")
    result = subprocess.run([*args, "help", command, key], capture_output=True, text=True,
                            env=env, timeout=30, check=False)
    if "is not valid for command" in result.stdout + result.stderr:
        return None  # a remote-only option (repo1-host-user for backup): nothing to compare
    if result.returncode != 0:
        raise AssertionError(f"pgbackrest help {command} {key}: {result.stdout}{result.stderr}")
    found = _CURRENT.search(result.stdout)
    return found[1] if found else None

"""What pgBackRest itself makes of a configuration: `pgbackrest help <command> <option>`'s
"current:" line, with the files given and no PGBACKREST_* variable in the environment."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from setup_service import option_table
from setup_service.values import as_config

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


_ENTRY = re.compile(r"^  --([a-z0-9-]+)\s")
_COMPLAINT = re.compile(r"\b(WARN|ERROR)\b")
LISTED = ("backup", "archive-push", "restore")  # between them, nearly every option pgBackRest has
ALWAYS_CURRENT = {"config", "config-include-path", "stanza"}  # set on the command line below


def options_read(directory: Path, stanza: str, hidden: dict[str, set[str]] | None = None
                 ) -> tuple[dict[str, set[str]], list[str]]:
    """The options pgBackRest read from directory's pgbackrest.conf and conf.d, per command of
    LISTED (`help <command>` lists repo1/pg1 as unindexed names, marking each set one
    "[current=...]"), and every warning or error it printed. The list leaves out options internal
    to a command (repo-host for backup): those of hidden[command] it does not list are asked
    for one by one (`help <command> <option>`'s "current:")."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PGBACKREST_")}
    args = ["pgbackrest", f"--config={directory}/pgbackrest.conf",
            f"--config-include-path={directory}/conf.d", f"--stanza={stanza}", "help"]
    seen: dict[str, set[str]] = {}
    complaints: list[str] = []
    for command in LISTED:
        result = subprocess.run([*args, command], capture_output=True, text=True, env=env, timeout=30,
                                check=False)
        output = result.stdout + result.stderr
        complaints += [line for line in output.splitlines() if _COMPLAINT.search(line)]
        if result.returncode != 0:
            complaints.append(f"help {command} exited {result.returncode}")
        entries: dict[str, str] = {}
        name = None
        for line in result.stdout.splitlines():
            match = _ENTRY.match(line)
            if match:
                name = match[1]
                entries[name] = line
            elif name is not None and line.startswith(" " * 10):
                entries[name] += " " + line.strip()
            else:
                name = None
        seen[command] = {n for n, text in entries.items() if "[current=" in text} - ALWAYS_CURRENT
        for name in sorted((hidden or {}).get(command, set()) - seen[command] - set(entries)):
            option = option_table.options()[name]
            if current(directory / "pgbackrest.conf", directory / "conf.d", stanza, command,
                       option.key(1 if option.group else None)) is not None:
                seen[command].add(name)
    return seen, complaints


def expected_read(config: dict[str, dict[str, list[str]]], stanza: str) -> dict[str, set[str]]:
    """What options_read should find for a config (section -> key -> values): each repo1/pg1 or
    unindexed option, under each command of LISTED it is valid for and whose dependency holds
    there ([global:<command>] overriding [global]), leaving out options newer than the
    images' pgBackRest (which it ignores, with a warning)."""
    table = option_table.options()
    found = {}
    for command in LISTED:
        values: dict[str, str] = {}
        for section in ("global", f"global:{command}", stanza, f"{stanza}:{command}"):
            for key, given in config.get(section, {}).items():
                resolved = canonical(key)
                assert resolved is not None, key
                if (resolved[1] or 1) == 1:
                    values[resolved[0]] = given[0]
        found[command] = {name for name in values
                          if command in table[name].commands and _depend_holds(name, values, command)
                          and (option_table.introduced(table[name]) or (99, 0)) <= option_table.BASELINE}
    return found


def _depend_holds(name: str, values: dict[str, str], command: str) -> bool:
    option = option_table.options()[name]
    depend = (option.command_depend or {}).get(command, option.depend)
    if depend is None:
        return True
    target = option_table.options()[depend["option"]]
    value = values.get(target.name, as_config(target.default))
    if value is None:
        return False
    return ((depend["values"] is None or value in [as_config(v) for v in depend["values"]])
            and _depend_holds(target.name, values, command))


def written(config: dict[str, dict[str, list[str]]]) -> set[str]:
    """The options a config sets for repo1/pg1 or unindexed, in any section: the most that
    options_read may find (the commands an option is valid for changed between releases:
    2.45's archive-push still lists db-timeout)."""
    return {resolved[0] for section in config.values() for key in section
            if (resolved := canonical(key)) is not None and (resolved[1] or 1) == 1}


def newer_than_the_images(config: dict[str, dict[str, list[str]]]) -> set[str]:
    """The config's keys whose option the images' pgBackRest does not know yet."""
    return {key for section in config.values() for key in section
            if (option_table.introduced(option_table.options()[canonical(key)[0]]) or (99, 0))  # type: ignore[index]
            > option_table.BASELINE}

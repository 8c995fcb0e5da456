"""pgBackRest's own option definitions, as shipped in pgbackrest_options.json.

The table is derived from the shared option reference by scripts/build-option-table.py; this
module only loads it and maps pgBackRest's environment names (PGBACKREST_REPO2_S3_BUCKET) to
option names (repo-s3-bucket, index 2).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from pathlib import Path
from typing import Any

from setup_service import namespace

ENV_PREFIX = namespace.PGBACKREST_PREFIX
INDEX_MAX = 256  # pgBackRest's CFG_OPTION_KEY_MAX for the repo and pg groups
TABLE_PATH = Path(__file__).with_name("pgbackrest_options.json")
_INDEXED = re.compile(r"^(repo|pg)([0-9]+)-(.+)$")


@dataclasses.dataclass(frozen=True)
class Option:
    """One pgBackRest option (unindexed name: repo-s3-bucket, pg-path)."""

    name: str
    type: str  # string, integer, boolean, size, time, path, list, hash
    group: str | None  # "repo" / "pg" for indexed options
    section: str  # global, stanza, command-line
    secure: bool
    internal: bool
    internal_2_45: bool  # as pgBackRest 2.45 has it (stop-auto: internal only from 2.58)
    beta_2_45: bool  # needs beta=y in 2.45 (repo-block)
    beta: bool  # needs beta=y in the newest release
    commands: tuple[str, ...]  # the commands the option is valid for
    command_sections: bool  # may be set in a [global:<command>] section
    unindexed: bool  # pgBackRest still reads the unindexed name (repo-path for repo1-path)
    required: bool  # required by backup/archive-push when its depend holds and no default
    default: Any
    allow: tuple[str, ...] | None
    allow_2_45: tuple[str, ...] | None
    type_2_45: str
    range: Any
    range_2_45: Any
    depend: dict[str, Any] | None
    command_depend: dict[str, dict[str, Any]] | None  # command -> its own depend, where it differs
    since: str | None  # None: not in any release yet
    deprecated: tuple[str, ...]
    summary: str

    def key(self, index: int | None) -> str:
        """The name as written in the config file: repo2-s3-bucket."""
        if self.group is None or index is None:
            return self.name
        return f"{self.group}{index}{self.name[len(self.group):]}"

    def env_name(self, index: int | None) -> str:
        return ENV_PREFIX + self.key(index).upper().replace("-", "_")

    @property
    def multi(self) -> bool:
        return self.type in ("list", "hash")


@functools.lru_cache(maxsize=1)
def options() -> dict[str, Option]:
    raw: dict[str, dict[str, Any]] = json.loads(TABLE_PATH.read_text())
    table = {}
    for name, spec in raw.items():
        spec = dict(spec)
        for field in ("allow", "allow_2_45", "deprecated", "commands"):
            if spec[field] is not None:
                spec[field] = tuple(spec[field])
        table[name] = Option(name=name, **spec)
    return table


# PGBACKREST_<COMMAND>__<OPTION>: the option in the [global:<command>] section.
COMMAND_SEPARATOR = "__"


@dataclasses.dataclass(frozen=True)
class ParsedName:
    option: str  # unindexed option name as in the table, or the raw name when unknown
    index: int | None
    known: bool
    command: str | None = None  # archive-push for PGBACKREST_ARCHIVE_PUSH__PROCESS_MAX


@functools.lru_cache(maxsize=1)
def commands() -> frozenset[str]:
    """Every pgBackRest command some option is valid for."""
    return frozenset(c for option in options().values() for c in option.commands)


def command_env_prefix(command: str) -> str:
    return ENV_PREFIX + command.upper().replace("-", "_") + COMMAND_SEPARATOR


def index_of(digits: str) -> int:
    """An index as written; past INDEX_MAX it only has to stay out of range (int() refuses
    strings of thousands of digits)."""
    return int(digits) if len(digits) <= 6 else 10**6


def parse_env_name(variable: str) -> ParsedName:
    """Map PGBACKREST_REPO2_S3_BUCKET to (repo-s3-bucket, 2), and
    PGBACKREST_ARCHIVE_PUSH__PROCESS_MAX to (process-max, command archive-push)."""
    rest = variable[len(ENV_PREFIX):]
    if COMMAND_SEPARATOR in rest:
        command_part, _, option_part = rest.partition(COMMAND_SEPARATOR)
        command = command_part.lower().replace("_", "-")
        parsed = parse_env_name(ENV_PREFIX + option_part)
        if COMMAND_SEPARATOR in option_part:
            return ParsedName(rest.lower(), None, False, command)
        return ParsedName(parsed.option, parsed.index, parsed.known and command in commands(), command)
    key = rest.lower().replace("_", "-")
    table = options()
    match = _INDEXED.match(key)
    if match and f"{match[1]}-{match[3]}" in table:
        return ParsedName(f"{match[1]}-{match[3]}", index_of(match[2]), True)
    if key in table:
        return ParsedName(key, None, True)
    return ParsedName(key, None, False)


def deprecated_alias(name: str) -> str | None:
    """The current option a deprecated name stands for (repo-s3-verify-ssl -> repo-storage-verify-tls)."""
    match = _INDEXED.match(name)
    bare = f"{match[1]}-{match[3]}" if match else name
    for option in options().values():
        if bare in option.deprecated or name in option.deprecated:
            return option.name
    return None


def all_env_names(index: int = 1) -> list[str]:
    """Every settable option's environment name, with group options at the given index."""
    return sorted(o.env_name(index if o.group else None) for o in options().values()
                  if settable(o))


Version = tuple[int, ...]
BASELINE: Version = (2, 45)  # Debian 12's pgBackRest, which every image runs
_VERSION = re.compile(r"([0-9]{1,3})\.([0-9]{1,3})(?:\.([0-9]{1,3}))?")


def parse_version(text: str) -> Version | None:
    """(2, 45) from "2.45", "pgBackRest 2.45" or "2.59.1"; None when there is no version."""
    match = _VERSION.search(text)
    return tuple(int(part) for part in match.groups() if part is not None) if match else None


def version_text(version: Version) -> str:
    return ".".join(map(str, version))


def _table_of(version: Version) -> str:
    """The table holds two versions: 2.45's attributes, and the newest release's for the rest."""
    return "2.45" if version < (2, 46) else "newest"


def settable(option: Option, version: Version = BASELINE) -> bool:
    """Whether a user may set the option in the target version's config files. Internal options
    are refused, but 2.45 knew some as public (stop-auto, internal from 2.58), and options public
    in the newest release count as public for 2.45 too (pg-version-force); beta itself is
    internal, but beta options (repo-block in 2.45) cannot be used without it."""
    if _table_of(version) == "2.45":
        internal = option.internal and option.internal_2_45
    else:
        internal = option.internal
    return not (internal and option.name != "beta") and option.section != "command-line"


def as_of(option: Option, version: Version) -> Option | None:
    """The option with the target version's type, allow list and range, when the table holds
    them apart from the newest release's (2.45); None when they are the newest's."""
    if _table_of(version) != "2.45":
        return None
    return dataclasses.replace(option, type=option.type_2_45, allow=option.allow_2_45, range=option.range_2_45)


def is_beta(option: Option, version: Version = BASELINE) -> bool:
    return option.beta_2_45 if _table_of(version) == "2.45" else option.beta


def introduced(option: Option) -> Version | None:
    """The first release with the option; None: not released yet. "<=2.45" counts as 2.45."""
    return None if option.since is None else parse_version(option.since)


def command_env_names(command: str) -> list[str]:
    """The environment names of the options a [global:<command>] section may hold."""
    return sorted(command_env_prefix(command) + o.env_name(None)[len(ENV_PREFIX):]
                  for o in options().values()
                  if settable(o) and o.command_sections and command in o.commands and not o.group)

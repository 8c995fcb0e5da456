"""Sorting variables into the pgBackRest options they set, and catching names that fit nothing."""

from __future__ import annotations

import dataclasses
import difflib
import re

from setup_service import catalogue, option_table
from setup_service.env_sources import Setting
from setup_service.option_table import Option
from setup_service.problems import Problem, Severity

_INDEX = re.compile(r"^PGBACKREST_(REPO|PG)([0-9]+)_")


@dataclasses.dataclass(frozen=True)
class Assignment:
    """A variable that sets a pgBackRest option."""

    variable: str
    option: Option
    index: int | None
    value: str
    secret: bool


def _did_you_mean(name: str) -> str:
    candidates = list(catalogue.BY_NAME)
    if name.startswith(option_table.ENV_PREFIX):
        match = _INDEX.match(name)
        candidates += option_table.all_env_names(int(match[2]) if match else 1)
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.8)
    return close[0] if close else ""


def _unknown(name: str, setting: Setting) -> Problem:
    guess = _did_you_mean(name)
    hint = f"did you mean {guess}?" if guess else ""
    if name.startswith(option_table.ENV_PREFIX):
        parsed = option_table.parse_env_name(name)
        renamed = option_table.deprecated_alias(parsed.option)
        if renamed:
            match = _INDEX.match(name)
            new = option_table.options()[renamed].env_name(int(match[2]) if match else 1)
            hint = f"this pgBackRest option was renamed: use {new}"
        return Problem(name, "is not a pgBackRest option", hint=hint or
                       "see `pgbackrest help` for option names", code="unknown",
                       source=setting.source)
    if guess:
        return Problem(name, "is not a variable the setup job knows", hint=hint,
                       code="unknown", source=setting.source)
    return Problem(name, "is not used by the setup job", code="unused", source=setting.source,
                   severity=Severity.WARNING, hint="remove it if you meant something else")


def _generic(name: str, setting: Setting) -> Assignment | Problem:
    parsed = option_table.parse_env_name(name)
    if not parsed.known:
        return _unknown(name, setting)
    option = option_table.options()[parsed.option]
    if option.group and parsed.index is None:
        return Problem(name, "needs an index", code="unknown", source=setting.source,
                       hint=f"use {option.env_name(1)}")
    if parsed.index is not None and not 1 <= parsed.index <= option_table.INDEX_MAX:
        return Problem(name, f"index {parsed.index} is out of range", code="invalid",
                       source=setting.source, hint=f"use an index from 1 to {option_table.INDEX_MAX}")
    if option.internal:
        return Problem(name, "is an internal pgBackRest option", code="unknown",
                       source=setting.source, hint="remove it")
    if option.section == "command-line":
        return Problem(name, "is a command-line option of pgBackRest and cannot be set in its "
                       "configuration file", code="misplaced", source=setting.source,
                       hint="pass it on the pgbackrest command line instead, and remove it here")
    return Assignment(name, option, parsed.index, setting.value, option.secure)


def classify(settings: dict[str, Setting]) -> tuple[list[Assignment], list[Problem]]:
    """The option assignments in the settings, and the names that are unknown or misplaced."""
    assignments: list[Assignment] = []
    problems: list[Problem] = []
    for name, setting in sorted(settings.items()):
        variable = catalogue.BY_NAME.get(name)
        if variable is not None:
            if variable.option:
                option = option_table.options()[variable.option]
                index = 1 if option.group else None
                assignments.append(Assignment(name, option, index, setting.value, variable.secret))
            continue
        result = _generic(name, setting) if name.startswith(option_table.ENV_PREFIX) \
            else _unknown(name, setting)
        (assignments if isinstance(result, Assignment) else problems).append(result)  # type: ignore[arg-type]
    return assignments, problems + _conflicts(assignments, settings)


def _conflicts(assignments: list[Assignment], settings: dict[str, Setting]) -> list[Problem]:
    """Two variables for one option (AWS_S3_BUCKET and PGBACKREST_REPO1_S3_BUCKET). A default for
    every repository (BACKUP_RETENTION_FULL) is overridden by PGBACKREST_REPO<N>_..., not a conflict."""
    seen: dict[str, str] = {}
    problems = []
    for a in assignments:
        friendly = catalogue.BY_NAME.get(a.variable)
        if friendly is not None and friendly.every_repo:
            continue
        key = a.option.key(a.index)
        if key in seen and settings[seen[key]].value == a.value:
            continue  # both spellings, one value: nothing to choose between
        if key in seen:
            problems.append(Problem(a.variable, f"sets the same option ({key}) as {seen[key]}",
                                    code="conflict", source=settings[a.variable].source,
                                    hint=f"set only one of {seen[key]} and {a.variable}"))
        else:
            seen[key] = a.variable
    return problems

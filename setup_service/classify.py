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
    command: str | None = None  # set in the [global:<command>] section


def _did_you_mean(name: str) -> str:
    candidates = list(catalogue.BY_NAME)
    parsed = option_table.parse_env_name(name) if name.startswith(option_table.ENV_PREFIX) else None
    if parsed is not None and parsed.command is not None:
        command_names = [option_table.command_env_prefix(c) for c in option_table.commands()]
        prefix = name.split(option_table.COMMAND_SEPARATOR)[0] + option_table.COMMAND_SEPARATOR
        close = difflib.get_close_matches(prefix, command_names, n=1, cutoff=0.8)
        command = parsed.command if parsed.command in option_table.commands() else (
            option_table.parse_env_name(close[0] + "X").command if close else None)
        candidates = option_table.command_env_names(command) if command else []
    elif name.startswith(option_table.ENV_PREFIX):
        match = _INDEX.match(name)
        candidates += option_table.all_env_names(option_table.index_of(match[2]) if match else 1)
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.8)
    return close[0] if close else ""


def _unknown(name: str, setting: Setting) -> Problem:
    guess = _did_you_mean(name)
    hint = f"did you mean {guess}?" if guess else ""
    if name.startswith(option_table.ENV_PREFIX):
        parsed = option_table.parse_env_name(name)
        if parsed.command is not None and parsed.command not in option_table.commands():
            return Problem(name, f"{parsed.command!r} is not a pgBackRest command", code="unknown",
                           source=setting.source, hint=hint or "PGBACKREST_<COMMAND>__<OPTION> "
                           "sets an option for one command, e.g. PGBACKREST_ARCHIVE_PUSH__PROCESS_MAX")
        renamed = option_table.deprecated_alias(parsed.option)
        if renamed:
            match = _INDEX.match(name)
            new = option_table.options()[renamed].env_name(option_table.index_of(match[2]) if match else 1)
            hint = f"this pgBackRest option was renamed: use {new}"
        return Problem(name, "is not a pgBackRest option", hint=hint or
                       "see `pgbackrest help` for option names", code="unknown",
                       source=setting.source)
    if guess:
        return Problem(name, "is not a variable the setup job knows", hint=hint,
                       code="unknown", source=setting.source)
    return Problem(name, "is not used by the setup job", code="unused", source=setting.source,
                   severity=Severity.WARNING, hint="remove it if you meant something else")


def _command_problem(name: str, option: Option, command: str, setting: Setting) -> Problem | None:
    """Why the option cannot go in the [global:<command>] section, if it cannot."""
    def problem(message: str, hint: str, code: str = "misplaced") -> Problem:
        return Problem(name, message, hint=hint, code=code, source=setting.source)

    plain = option.env_name(1 if option.group else None)
    if option.section == "command-line":
        return None  # refused below, as for the plain name
    if option.group or not option.command_sections:
        return problem(f"{option.name} cannot be set per command", f"use {plain}")
    if command not in option.commands:
        return problem(f"{option.name} is not an option of the {command} command",
                       "it applies to: " + ", ".join(option.commands) + f"; or use {plain}",
                       "invalid")
    return None


def _renamed(name: str, setting: Setting) -> list[Assignment | Problem]:
    """A deprecated name pgBackRest 2.45 still accepts (db-path, retention-full,
    repo1-s3-verify-ssl, repo-path): published under its current name, with a warning."""
    parsed = option_table.parse_env_name(name)
    if parsed.known:  # an unindexed repo-path
        current: str | None = parsed.option
    else:
        current = option_table.deprecated_alias(parsed.option) if parsed.command is None else None
    if current is None:
        return [_unknown(name, setting)]
    if current == "repo-type":  # the type chooses the schema: one name for it
        return [Problem(name, "is pgBackRest's deprecated name of repo1-type", code="deprecated",
                        hint=f"rename it to {catalogue.TYPE_VARIABLE}", source=setting.source)]
    option = option_table.options()[current]
    index = (parsed.index or 1) if option.group else None
    match = _INDEX.match(name)
    if match and option.group:
        index = option_table.index_of(match[2])
    new = option.env_name(index)
    warning = Problem(name, f"is pgBackRest's deprecated name of {option.key(index)}; it is "
                      "published under the current name", hint=f"rename it to {new}",
                      code="deprecated", source=setting.source, severity=Severity.WARNING)
    return [warning, Assignment(name, option, index, setting.value, option.secure)]


def _deprecated_form(parsed: option_table.ParsedName) -> bool:
    if not parsed.known:
        return True
    option = option_table.options()[parsed.option]
    return bool(option.group and parsed.index is None and option.unindexed and parsed.command is None)


def _generic(name: str, setting: Setting, version: option_table.Version) -> Assignment | Problem:
    parsed = option_table.parse_env_name(name)
    if not parsed.known:
        return _unknown(name, setting)
    option = option_table.options()[parsed.option]
    if parsed.command is not None:
        problem = _command_problem(name, option, parsed.command, setting)
        if problem is not None:
            return problem
    if option.group and parsed.index is None:
        return Problem(name, "needs an index", code="unknown", source=setting.source,
                       hint=f"use {option.env_name(1)}")
    if parsed.index is not None and not 1 <= parsed.index <= option_table.INDEX_MAX:
        return Problem(name, f"index {parsed.index} is out of range", code="invalid",
                       source=setting.source, hint=f"use an index from 1 to {option_table.INDEX_MAX}")
    if not option_table.settable(option, version) and option.section != "command-line":
        return Problem(name, "is an internal pgBackRest option", code="unknown",
                       source=setting.source, hint="remove it")
    if option.section == "command-line":
        return Problem(name, "is a command-line option of pgBackRest and cannot be set in its "
                       "configuration file", code="misplaced", source=setting.source,
                       hint="pass it on the pgbackrest command line instead, and remove it here")
    return Assignment(name, option, parsed.index, setting.value, option.secure, parsed.command)


def classify(settings: dict[str, Setting],
             version: option_table.Version = option_table.BASELINE) -> tuple[list[Assignment], list[Problem]]:
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
        if not name.startswith(option_table.ENV_PREFIX):
            results: list[Assignment | Problem] = [_unknown(name, setting)]
        elif _deprecated_form(option_table.parse_env_name(name)):
            results = _renamed(name, setting)
        else:
            results = [_generic(name, setting, version)]
        for result in results:
            if isinstance(result, Assignment):
                assignments.append(result)
            else:
                problems.append(result)
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
        key = (f"{a.command}:" if a.command else "") + a.option.key(a.index)
        if key in seen and settings[seen[key]].value == a.value:
            continue  # both spellings, one value: nothing to choose between
        if key in seen:
            problems.append(Problem(a.variable, f"sets the same option ({key}) as {seen[key]}",
                                    code="conflict", source=settings[a.variable].source,
                                    hint=f"set only one of {seen[key]} and {a.variable}"))
        else:
            seen[key] = a.variable
    return problems

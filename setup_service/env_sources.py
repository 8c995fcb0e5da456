"""Reading the environment: the process environment over a .env file, and NAME_FILE secrets.

This is an edge module (it reads files); everything it finds goes into Settings and Problems.
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
from pathlib import Path
from typing import Mapping

from setup_service import catalogue, namespace, option_table, privileges
from setup_service.exit_codes import ExitCode
from setup_service.problems import Problem
from setup_service.regular_file import FILE_SIZE_CAP as FILE_SIZE_CAP, read_regular_file as read_regular_file

FILE_SUFFIX = namespace.FILE_SUFFIX
PROCESS = "environment"


@dataclasses.dataclass(frozen=True)
class Setting:
    """A variable's value and where it came from."""

    value: str
    source: str  # "environment", ".env file PATH", "file PATH (NAME_FILE)"


def is_known(name: str) -> bool:
    if name in catalogue.BY_NAME:
        return True
    return name.startswith(option_table.ENV_PREFIX) and option_table.parse_env_name(name).known


def file_target(name: str) -> str | None:
    """For NAME_FILE, the variable NAME it stands for (None when NAME_FILE is itself a name)."""
    if not name.endswith(FILE_SUFFIX) or is_known(name):
        return None
    target = name[: -len(FILE_SUFFIX)]
    return target if is_known(target) else None


def env_file_text(env_file: Path) -> str:
    """The env file's text: the copy privileges.lower() read as root, else the file itself."""
    data = privileges.content(str(env_file))
    return data.decode("utf-8") if data is not None else env_file.read_text(encoding="utf-8")


def env_file_exists(env_file: Path) -> bool:
    return privileges.content(str(env_file)) is not None or env_file.is_file()


def layered(environ: Mapping[str, str], env_file: Path | None) -> dict[str, Setting]:
    """The process environment wins over the .env file, as in docker compose."""
    settings: dict[str, Setting] = {}
    if env_file is not None:
        from dotenv import dotenv_values  # lazy: only runs that read a .env pay for it

        text = io.StringIO(env_file_text(env_file))
        for name, value in dotenv_values(stream=text, interpolate=False).items():
            settings[name] = Setting(value or "", f".env file {env_file}")
    for name, value in environ.items():
        settings[name] = Setting(value, PROCESS)
    return {name: s for name, s in settings.items() if namespace.is_owned(name)}


ENV_FILE_OPTION = "--env-file"  # how an env file is given, unless as validate's FILE argument
_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")


def env_file_problems(env_file: Path, argument: str) -> list[Problem]:
    """Lines python-dotenv cannot parse (an unterminated quote): it only warns and drops them,
    which would silently lose a setting, so each is an error naming the file and line."""
    from dotenv.parser import parse_stream  # lazy, as in layered()

    problems = []
    with io.StringIO(env_file_text(env_file)) as stream:
        for binding in parse_stream(stream):
            if not binding.error:
                continue
            match = _ASSIGNMENT.match(binding.original.string)
            line = binding.original.line
            problems.append(Problem(
                match[1] if match else argument,
                f"line {line} of {env_file} cannot be read (an unterminated quote?), so the "
                "setting on it would be lost", code="format", source=f".env file {env_file}",
                hint="close the quote, or remove the line"))
    return problems


def assignment_lines(env_file: Path) -> dict[str, int]:
    """Where each variable is written in an env file (its last assignment wins, as in
    python-dotenv): 1-based line numbers, for annotations that point at the line."""
    from dotenv.parser import parse_stream  # lazy, as in layered()

    lines: dict[str, int] = {}
    try:
        with io.StringIO(env_file_text(env_file)) as stream:
            for binding in parse_stream(stream):
                if binding.key is not None:  # the binding's text starts with the blank lines before it
                    text = binding.original.string
                    lines[binding.key] = binding.original.line + text.count("\n", 0, len(text) - len(text.lstrip()))
    except (OSError, UnicodeDecodeError):
        return {}
    return lines


def _read_secret_file(path: str) -> str:
    text = read_regular_file(path).decode("utf-8")
    if text.endswith("\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith("\n") else text


def resolve_files(settings: dict[str, Setting]) -> tuple[dict[str, Setting], list[Problem]]:
    """Replace NAME_FILE by NAME with the file's content; empty values count as unset (but for
    namespace.EMPTY_IS_A_VALUE: an empty drill schedule turns drills off)."""
    resolved: dict[str, Setting] = {}
    problems: list[Problem] = []
    for name, setting in settings.items():
        target = file_target(name)
        if target is None:
            if setting.value != "" or name in namespace.EMPTY_IS_A_VALUE:
                resolved.setdefault(name, setting)
            continue
        if setting.value == "":
            continue
        if settings.get(target, Setting("", "")).value != "":
            problems.append(Problem(
                target, f"both {target} and {name} are set", code="conflict",
                hint=f"set only one of {target} and {name}", source=setting.source))
            continue
        try:
            content = _read_secret_file(setting.value)
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(
                name, f"cannot read the file it names: {getattr(exc, 'strerror', None) or type(exc).__name__}",
                code="file", hint=f"mount the secret file, or set {target} directly",
                source=setting.source))
            continue
        if content != "":
            resolved[target] = Setting(content, f"file {setting.value} ({name})")
    return resolved, problems


def read_environment(environ: Mapping[str, str], env_file: Path | None,
                     argument: str = ENV_FILE_OPTION) -> tuple[dict[str, Setting], list[Problem]]:
    """Everything the setup job reads, layered and with secret files resolved. argument: how the
    file was given (--env-file, or validate's FILE), the name problems with the file carry."""
    if env_file is not None and not env_file_exists(env_file):
        return {}, [Problem(argument, f"{env_file} is not a readable file", code="usage",
                            exit_code=ExitCode.USAGE, hint="pass the path of an existing .env file")]
    try:
        broken = env_file_problems(env_file, argument) if env_file is not None else []
        settings, problems = resolve_files(layered(environ, env_file))
        return settings, broken + problems
    except (OSError, UnicodeDecodeError) as exc:
        reason = "is not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else "cannot be read"
        return {}, [Problem(argument, f"{env_file} {reason}", code="file",
                            hint="save the .env file as UTF-8 and make it readable")]

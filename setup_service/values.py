"""Checking and normalising one pgBackRest option value against its definition.

pgBackRest's rules (from its config parser): booleans are y/n, integers base 10, sizes take
KiB-style suffixes, times are seconds (2.45) or integer+unit (2.53+), paths are absolute without
'//', string-ids must be in the allow list. Values are normalised to a form every release from
2.45 on accepts.
"""

from __future__ import annotations

import re
from typing import Any

from setup_service.option_table import Option

_TRUE = {"y", "yes", "true", "on", "1"}
_FALSE = {"n", "no", "false", "off", "0"}
_SIZE = re.compile(r"^([0-9]+)(kib|kb|k|mib|mb|m|gib|gb|g|tib|tb|t|pib|pb|p|b)?$", re.I)
_SIZE_UNITS = {"": 0, "b": 0, "k": 1, "m": 2, "g": 3, "t": 4, "p": 5}
_TIME = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d|w)?$")
_TIME_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


class ValueProblem(ValueError):
    """The value is not valid for the option; the message never repeats the value."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


def ini_safety(value: str) -> str | None:
    """Why a value cannot be written as an INI value pgBackRest reads back verbatim, or None."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid UTF-8"
    if UNSAFE.search(value):
        return "contains a control character (newline, carriage return, tab or NUL)"
    if value != value.strip():
        return "has leading or trailing white space, which pgBackRest would trim"
    return None


NUMBER_CHARS = 24  # a 64-bit integer with sign and unit; longer is no number pgBackRest reads


def _boolean(value: str) -> str:
    lowered = value.lower()
    if lowered in _TRUE:
        return "y"
    if lowered in _FALSE:
        return "n"
    raise ValueProblem("is not a boolean", "use y or n (true/false also accepted)")


def size_bytes(value: str) -> int:
    match = _SIZE.match(value)
    if not match:
        raise ValueProblem("is not a size", "use a number with an optional unit, e.g. 512MiB or 4GiB")
    unit = (match[2] or "").lower()[:1]
    return int(match[1]) * int(1024 ** _SIZE_UNITS[unit])


def time_ms(value: str) -> int:
    match = _TIME.match(value)
    if not match:
        raise ValueProblem("is not a duration", "use whole seconds, e.g. 60, or a unit: 90s, 5m, 1h")
    return round(float(match[1]) * _TIME_MS[match[2] or "s"])


def _check_range(option: Option, number: int, context: dict[str, str], shown: str) -> None:
    bounds = option.range
    if isinstance(bounds, dict):
        bounds = bounds["map"].get(context.get(bounds["by_option"], ""))
    if bounds and not bounds[0] <= number <= bounds[1]:
        raise ValueProblem(f"{shown} is outside the allowed range",
                           f"use a value from {_show(option, bounds[0])} to {_show(option, bounds[1])}")


def _show(option: Option, number: int) -> str:
    if option.type == "size":
        return f"{number} bytes"
    if option.type == "time":
        return f"{number / 1000:g}s"
    return str(number)


def normalise(option: Option, value: str, context: dict[str, str], secret: bool) -> str:
    """The value as it will be written, or ValueProblem; context holds other options' values."""
    shown = "the value" if secret else repr(value)
    if option.type == "boolean":
        return _boolean(value)
    if option.type in ("integer", "size", "time") and len(value) > NUMBER_CHARS:
        raise ValueProblem(f"{shown} is too long for a number",
                           "pgBackRest's numbers are 64-bit: use at most 19 digits")
    if option.type == "integer":
        if not _INTEGER.match(value):
            raise ValueProblem(f"{shown} is not a whole number")
        _check_range(option, int(value), context, shown)
        return str(int(value))
    if option.type == "size":
        _check_range(option, size_bytes(value), context, shown)
        return value
    if option.type == "time":
        ms = time_ms(value)
        if ms % 1000:
            raise ValueProblem(f"{shown} is not a whole number of seconds",
                               "pgBackRest 2.53+ rejects fractions of a second; use whole seconds")
        _check_range(option, ms, context, shown)
        return str(ms // 1000)
    if option.type == "path":
        if not value.startswith("/") or "//" in value:
            raise ValueProblem(f"{shown} is not an absolute path",
                               "use an absolute path such as /var/lib/pgbackrest, without '//'")
        return value.rstrip("/") or "/"
    if option.allow is not None and value not in option.allow:
        raise ValueProblem(f"{shown} is not one of the allowed values",
                           "use one of: " + ", ".join(option.allow))
    return value


def split_multi(option: Option, value: str) -> list[str]:
    """List and hash options take several values, separated by ':' as pgBackRest's env does."""
    parts = value.split(":")
    if "" in parts:
        raise ValueProblem("has an empty element", "separate the values with single ':'")
    if option.type == "hash" and any("=" not in part for part in parts):
        raise ValueProblem("needs key=value pairs separated by ':'")
    return parts


def as_config(value: Any) -> str | None:
    """A value from the option table as pgBackRest's config file spells it (True -> y)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "y" if value else "n"
    return str(value)


def default_for(option: Option, context: dict[str, str]) -> Any:
    default = option.default
    if isinstance(default, dict):
        return default["map"].get(context.get(default["by_option"], ""))
    return default

"""Problems are data: each names the variable, where its value came from, and how to fix it."""

from __future__ import annotations

import dataclasses
import enum
from typing import Iterable

from setup_service.exit_codes import ExitCode


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclasses.dataclass(frozen=True)
class Problem:
    """One thing wrong with the input. Never carries a secret's value."""

    variable: str  # the environment variable (or command-line option) the user set
    message: str  # what is wrong
    hint: str = ""  # how to fix it
    source: str = ""  # where the value came from: "environment", ".env file X", "file X"
    severity: Severity = Severity.ERROR
    code: str = "invalid"  # machine-readable kind: missing, unknown, conflict, format, ...
    exit_code: ExitCode = ExitCode.CONFIG

    def as_dict(self) -> dict[str, str]:
        data = {
            "variable": self.variable,
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
            "source": self.source,
        }
        return {key: value for key, value in data.items() if value}


def errors(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity is Severity.ERROR]


def warnings(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity is Severity.WARNING]


def exit_code_for(problems: Iterable[Problem]) -> ExitCode:
    """The most severe error decides: higher sysexits codes here are not more severe, so rank."""
    found = {p.exit_code for p in errors(problems)}
    for code in _SEVERITY_ORDER:
        if code in found:
            return code
    return ExitCode.OK


_SEVERITY_ORDER = (ExitCode.INTERNAL, ExitCode.CANT_CREATE, ExitCode.USAGE,
                   ExitCode.CONFIG, ExitCode.TEMP_FAIL)

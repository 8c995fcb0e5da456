"""Problems as data, and the exit code the most severe error decides."""

from __future__ import annotations

import pytest

from setup_service.exit_codes import ExitCode
from setup_service.problems import Problem, Severity, errors, exit_code_for, warnings

WARN = Problem("A", "w", severity=Severity.WARNING, exit_code=ExitCode.INTERNAL)


def test_defaults_and_as_dict() -> None:
    problem = Problem("AWS_S3_BUCKET", "is required")
    assert (problem.severity, problem.code, problem.exit_code) == (Severity.ERROR, "invalid", ExitCode.CONFIG)
    assert problem.as_dict() == {"variable": "AWS_S3_BUCKET", "severity": "error", "code": "invalid",
                                 "message": "is required"}
    full = Problem("V", "m", hint="h", source="environment", code="format")
    assert full.as_dict() == {"variable": "V", "severity": "error", "code": "format", "message": "m",
                              "hint": "h", "source": "environment"}


def test_errors_and_warnings() -> None:
    error = Problem("B", "e")
    assert errors([WARN, error]) == [error]
    assert warnings([WARN, error]) == [WARN]


@pytest.mark.parametrize("codes, expected", [
    ([], ExitCode.OK),
    ([ExitCode.CONFIG], ExitCode.CONFIG),
    ([ExitCode.CONFIG, ExitCode.USAGE], ExitCode.USAGE),
    ([ExitCode.TEMP_FAIL, ExitCode.CONFIG], ExitCode.CONFIG),
    ([ExitCode.CONFIG, ExitCode.CANT_CREATE], ExitCode.CANT_CREATE),
    ([ExitCode.CANT_CREATE, ExitCode.INTERNAL], ExitCode.INTERNAL),
    ([ExitCode.TEMP_FAIL], ExitCode.TEMP_FAIL),
])
def test_exit_code_for_ranks_errors(codes: list[ExitCode], expected: ExitCode) -> None:
    problems = [Problem("X", "m", exit_code=c) for c in codes]
    assert exit_code_for(problems) is expected


def test_warnings_never_decide_the_exit_code() -> None:
    assert exit_code_for([WARN]) is ExitCode.OK

"""Exit codes: one IntEnum with the sysexits values of the contract."""

from __future__ import annotations

from setup_service.exit_codes import ExitCode, exit_code_table


def test_values_are_the_contracts() -> None:
    assert {c.name: c.value for c in ExitCode} == {"OK": 0, "USAGE": 64, "INTERNAL": 70, "CANT_CREATE": 73,
                                                   "TEMP_FAIL": 75, "CONFIG": 78}


def test_every_code_has_a_meaning_in_the_table() -> None:
    table = exit_code_table().splitlines()
    assert len(table) == len(ExitCode)
    for code, line in zip(ExitCode, table):
        assert line.split(None, 1) == [str(code.value), code.meaning]

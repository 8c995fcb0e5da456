"""Cron expressions: the five-field form, macros, and the default differential schedule."""

from __future__ import annotations

import pytest

from setup_service import cron


@pytest.mark.parametrize("expression, days", [
    ("0 2 * * 0", {0}), ("0 2 * * 7", {0}), ("0 2 * * 0,7", {0}), ("0 2 * * 1-5", {1, 2, 3, 4, 5}),
    ("0 2 * * mon-fri", {1, 2, 3, 4, 5}), ("0 2 * * SUN", {0}), ("*/15 * * * *", set(range(7))),
    ("0 */6 * * *", set(range(7))), ("0 2 1,15 jan-jun 1/2", {1, 3, 5, 0}), ("0 2 * * 1-7", set(range(7))),
])
def test_parse(expression: str, days: set[int]) -> None:
    schedule = cron.parse(expression)
    assert schedule.days_of_week == frozenset(days)
    assert schedule.text == expression


@pytest.mark.parametrize("macro, text", [("@weekly", "0 0 * * 0"), ("@daily", "0 0 * * *"),
                                         ("@hourly", "0 * * * *"), ("@yearly", "0 0 1 1 *"),
                                         ("@monthly", "0 0 1 * *"), ("@midnight", "0 0 * * *")])
def test_macros(macro: str, text: str) -> None:
    assert cron.parse(macro).text == text


@pytest.mark.parametrize("expression, words", [
    ("0 2 * *", "needs 5 fields"), ("0 2 * * * *", "needs 5 fields"), ("", "found 0"),
    ("60 2 * * 0", "minute: 60 is outside 0-59"), ("0 24 * * 0", "hour: 24"),
    ("0 2 0 * *", "day of month: 0"), ("0 2 * 13 *", "month: 13"), ("0 2 * * 8", "day of week: 8"),
    ("0 2 * * 5-1", "runs backwards"), ("*/0 * * * *", "step '0'"), ("x 2 * * 0", "'x' is not a number"),
    ("0 2 * * funday", "is not a number"), ("@reboot", "needs 5 fields"), ("0 2 * * -1", "not a number"),
])
def test_invalid(expression: str, words: str) -> None:
    with pytest.raises(cron.CronError) as info:
        cron.parse(expression)
    assert words in str(info.value)


@pytest.mark.parametrize("full, diff", [
    ("0 2 * * 0", "0 2 * * 1-6"), ("30 3 * * 6", "30 3 * * 0-5"), ("0 1 * * 1,4", "0 1 * * 0,2,3,5,6"),
    ("0 2 * * 0,3", "0 2 * * 1,2,4-6"), ("0 2 * * 1-5", "0 2 * * 0,6"), ("@weekly", "0 0 * * 1-6"),
])
def test_complement_days(full: str, diff: str) -> None:
    complement = cron.complement_days(cron.parse(full))
    assert complement is not None
    assert complement.text == diff
    assert complement.days_of_week == frozenset(range(7)) - cron.parse(full).days_of_week


@pytest.mark.parametrize("full", ["0 2 * * *", "0 2 1 * *", "0 2 * 1 0", "@daily"])
def test_no_complement(full: str) -> None:
    assert cron.complement_days(cron.parse(full)) is None


@pytest.mark.parametrize("days, text", [([1, 2, 3, 5], "1-3,5"), ([0, 1], "0,1"), ([0, 1, 2], "0-2"),
                                        ([6], "6"), ([0, 2, 4, 6], "0,2,4,6")])
def test_compress(days: list[int], text: str) -> None:
    assert cron._compress(days) == text

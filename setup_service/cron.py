"""Cron expressions, the one implementation: the setup job validates with it, backup-status
computes a schedule's interval with it, and the backup service's scheduler matches minutes with it.

The five-field form and the @macros of Vixie cron (names, ranges, steps, Sunday as 0 or 7, and
day-of-month OR day-of-week when both are restricted). Written here rather than taken from
croniter: croniter accepts more than a crontab line does (a seconds field, L, W, #, H hashing),
so the setup job would need a second grammar to refuse what our scheduler must not be given, and
its errors do not name the field and the reason; the whole of cron we need is the ~60 lines below.
Standard library only: the backup image has no other package.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

# (name, low, high) per field; day-of-week 7 is Sunday too, as in Vixie cron.
FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12),
          ("day of week", 0, 7))
_NAMES = {
    3: {m: i + 1 for i, m in enumerate(
        "jan feb mar apr may jun jul aug sep oct nov dec".split())},
    4: {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())},
}
MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
          "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
          "@hourly": "0 * * * *"}


class CronError(ValueError):
    """A cron expression that a scheduler would reject."""


@dataclasses.dataclass(frozen=True)
class Schedule:
    fields: tuple[str, ...]
    days_of_week: frozenset[int]  # 0..6, Sunday 0
    minutes: frozenset[int] = frozenset(range(60))
    hours: frozenset[int] = frozenset(range(24))
    days_of_month: frozenset[int] = frozenset(range(1, 32))
    months: frozenset[int] = frozenset(range(1, 13))

    @property
    def text(self) -> str:
        return " ".join(self.fields)

    def runs_on(self, day: datetime) -> bool:
        """Whether the schedule runs on day's date. As Vixie cron: when both day fields are
        restricted (neither starts with *), either one matching is enough."""
        if day.month not in self.months:
            return False
        by_month_day = day.day in self.days_of_month
        by_week_day = day.isoweekday() % 7 in self.days_of_week
        if not self.fields[2].startswith("*") and not self.fields[4].startswith("*"):
            return by_month_day or by_week_day
        return by_month_day and by_week_day

    def matches(self, moment: datetime) -> bool:
        """Whether the schedule runs in moment's minute (in moment's own time zone)."""
        return moment.minute in self.minutes and moment.hour in self.hours and self.runs_on(moment)

    def interval_seconds(self) -> float:
        """The longest time between two runs, over 62 days (two years for rarer schedules: a
        yearly one has a gap too); a schedule that never runs in that span gives 800 days."""
        start = datetime(2024, 1, 1, tzinfo=timezone.utc)
        runs: list[float] = []
        for offset in range(800):
            if offset >= 62 and len(runs) > 2:
                break
            day = start + timedelta(days=offset)
            if self.runs_on(day):
                runs += [day.timestamp() + h * 3600 + m * 60 for h in sorted(self.hours)
                         for m in sorted(self.minutes)]
        gaps = [later - earlier for earlier, later in zip(runs, runs[1:])]
        return max(gaps) if gaps else 800 * 86400.0


def _digits(text: str) -> bool:
    """ASCII digits only: cron reads no other (str.isdigit takes '²' and '٢', and int() some)."""
    return text.isascii() and text.isdigit() and len(text) <= 6


def _number(token: str, position: int) -> int:
    names = _NAMES.get(position, {})
    if token.lower() in names:
        return names[token.lower()]
    if not _digits(token):
        raise CronError(f"{FIELDS[position][0]}: {token!r} is not a number")
    return int(token)


def _expand(field: str, position: int) -> set[int]:
    name, low, high = FIELDS[position]
    values: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not _digits(step_text) or int(step_text) == 0:
                raise CronError(f"{name}: step {step_text!r} must be a positive number")
            step = int(step_text)
        if base == "*":
            first, last = low, high
        else:
            first_text, dash, last_text = base.partition("-")
            first = _number(first_text, position)
            last = _number(last_text, position) if dash else (high if step_text else first)
        for bound in (first, last):
            if not low <= bound <= high:
                raise CronError(f"{name}: {bound} is outside {low}-{high}")
        if first > last:
            raise CronError(f"{name}: range {first}-{last} runs backwards")
        values.update(range(first, last + 1, step))
    return values


def parse(expression: str) -> Schedule:
    """Parse a five-field cron expression or an @macro; raise CronError with the reason."""
    text = MACROS.get(expression.strip().lower(), expression)
    fields = tuple(text.split())
    if len(fields) != 5:
        raise CronError(f"needs 5 fields (minute hour day-of-month month day-of-week), "
                        f"found {len(fields)}")
    minutes, hours, days_of_month, months, days_of_week = (
        frozenset(_expand(field, i)) for i, field in enumerate(fields))
    return Schedule(fields, frozenset(d % 7 for d in days_of_week), minutes, hours, days_of_month,
                    months)


def complement_days(full: Schedule) -> Schedule | None:
    """The daily schedule at full's time on the days full does not run, if that is well defined."""
    minute, hour, day_of_month, month, _ = full.fields
    if day_of_month != "*" or month != "*":
        return None
    rest = sorted(set(range(7)) - full.days_of_week)
    if not rest:
        return None
    return parse(" ".join((minute, hour, "*", "*", _compress(rest))))


def _compress(days: list[int]) -> str:
    """[1, 2, 3, 5] -> '1-3,5'."""
    runs: list[list[int]] = []
    for day in days:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ",".join(f"{r[0]}-{r[-1]}" if len(r) > 2 else ",".join(map(str, r)) for r in runs)

"""A CloudWatch alarm mute rule's schedule (`AWS::CloudWatch::AlarmMuteRule`, the API's `Schedule`) evaluated:
which of its windows covers a moment.

What the API reference documents, and so all that is accepted:

- `cron(Minutes Hours Day-of-month Month Day-of-week)`: five fields; `*`, `-` and `,` in every field; the
  English names JAN-DEC and SUN-SAT in the month and day-of-week fields. Minutes 0-59, hours 0-23,
  day-of-month 1-31, month 1-12. Anything else (`/`, `?`, `L`, `W`, `#`, a year field, a range that wraps)
  is refused, as is a day of the week by number (whether 0 or 1 is Sunday is not documented) and a rule that
  restricts both the day of the month and the day of the week (whether both or either must match is not);
- `at(yyyy-mm-ddThh:mm)`: one window;
- `Duration`: ISO 8601 days, hours, minutes, seconds (`PT4H`, `P2DT12H`, `P7D`), from `PT1M` to `P15D`;
- `Timezone`: an IANA zone, UTC when absent. The expression's times are wall-clock times in it.

Daylight saving time (choices the reference does not make for us):

- a start in the hour the clocks skip (02:30 on a spring-forward night) starts as far past the change as it
  was meant to be past the hour before it: 03:30 of the new time (PEP 495's fold=0, what zoneinfo gives);
- a start in the hour that happens twice (01:30 on a fall-back night) starts once, at the first of them;
- a duration's days are calendar days in the zone (Friday 18:00 + `P2DT12H` ends Monday 06:00 local, a
  daylight saving change that weekend or not); its hours, minutes and seconds are elapsed time after them.

StartDate and ExpireDate bound the rule: a window counts only while the rule is in effect, so it is cut to
[StartDate, ExpireDate).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from alertrouter.models.alert import MuteWindow

MIN_DURATION = timedelta(minutes=1)
MAX_DURATION = timedelta(days=15)
_DST_SLACK = timedelta(hours=1)  # how much a calendar day can differ from 24 hours (no zone shifts by more)

_MONTHS = {
    n: i
    for i, n in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1
    )
}
# Python's weekday(): Monday 0 .. Sunday 6
_WEEKDAYS = {n: i for i, n in enumerate(["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"])}
_UNDOCUMENTED = {"/": "step values (/)", "?": "'?'", "#": "'#' (nth weekday)"}
_UNDOCUMENTED_LETTERS = {"L": "'L' (last)", "W": "'W' (nearest weekday)"}
_DURATION = re.compile(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?")
_AT = re.compile(r"at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})\)")
_CRON = re.compile(r"cron\((.*)\)")


class ScheduleError(ValueError):
    """A schedule this module refuses to evaluate (the reason says why); the rule is treated as not muting."""


@dataclass(frozen=True, slots=True)
class Cron:
    """The five fields as sets of values; a day field of None is `*` (any day)."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int] | None
    months: frozenset[int]
    weekdays: frozenset[int] | None  # Python's weekday numbers

    def matches(self, day: date) -> bool:
        return (
            day.month in self.months
            and (self.days is None or day.day in self.days)
            and (self.weekdays is None or day.weekday() in self.weekdays)
        )

    def times(self) -> list[tuple[int, int]]:
        """(hour, minute) of a matching day's starts, latest first."""
        return sorted(((h, m) for h in self.hours for m in self.minutes), reverse=True)


def _value(text: str, low: int, high: int, names: dict[str, int] | None, field: str) -> int:
    upper = text.upper()
    if names is not None and upper in names:
        return names[upper]
    for letter, what in _UNDOCUMENTED_LETTERS.items():
        if (text[:1].isdigit() and upper.endswith(letter)) or upper in ("L", "LW"):
            raise ScheduleError(f"{field} {text!r}: {what} is not documented for mute rule cron expressions")
    if field == "day-of-week":
        raise ScheduleError(
            f"day-of-week {text!r}: only the names SUN-SAT are documented for mute rules "
            "(not which number is Sunday)"
        )
    if not text.isdigit():
        raise ScheduleError(f"{field} {text!r} is not a number{' or a name' if names else ''}")
    value = int(text)
    if not low <= value <= high:
        raise ScheduleError(f"{field} {value} is outside {low}-{high}")
    return value


def _field(text: str, low: int, high: int, field: str, names: dict[str, int] | None = None) -> frozenset[int]:
    """One cron field: `*`, values, ranges, separated by commas."""
    for char, what in _UNDOCUMENTED.items():
        if char in text:
            raise ScheduleError(f"{field} {text!r}: {what} is not documented for mute rule cron expressions")
    if text == "*":
        return frozenset(range(low, high + 1))
    values: set[int] = set()
    for item in text.split(","):
        first, dash, last = item.partition("-")
        if not first or (dash and not last):
            raise ScheduleError(f"{field} {text!r}: empty value")
        start = _value(first, low, high, names, field)
        end = _value(last, low, high, names, field) if dash else start
        if end < start:
            raise ScheduleError(
                f"{field} range {item!r} runs backwards (a range that wraps is not documented)"
            )
        values.update(range(start, end + 1))
    return frozenset(values)


def parse_cron(body: str) -> Cron:
    parts = body.split()
    if len(parts) != 5:
        raise ScheduleError(
            f"a mute rule cron expression has 5 fields (Minutes Hours Day-of-month Month Day-of-week), "
            f"got {len(parts)}"
        )
    minute, hour, day, month, weekday = parts
    cron = Cron(
        minutes=_field(minute, 0, 59, "minutes"),
        hours=_field(hour, 0, 23, "hours"),
        days=None if day == "*" else _field(day, 1, 31, "day-of-month"),
        months=_field(month, 1, 12, "month", _MONTHS),
        weekdays=None if weekday == "*" else _field(weekday, 0, 6, "day-of-week", _WEEKDAYS),
    )
    if cron.days is not None and cron.weekdays is not None:
        raise ScheduleError(
            "both day-of-month and day-of-week are restricted: whether both or either must match is not "
            "documented for mute rules"
        )
    return cron


def parse_duration(text: str) -> tuple[int, timedelta]:
    """(calendar days, elapsed time after them), between PT1M and P15D."""
    found = _DURATION.fullmatch(text.strip())
    if not found or not any(found.groups()) or text.strip().endswith("T"):
        raise ScheduleError(
            f"duration {text[:50]!r} is not an ISO 8601 duration of days, hours, minutes, seconds"
        )
    days, hours, minutes, seconds = (int(g or 0) for g in found.groups())
    elapsed = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    if not MIN_DURATION <= timedelta(days=days) + elapsed <= MAX_DURATION:
        raise ScheduleError(f"duration {text!r} is outside PT1M-P15D")
    return days, elapsed


def zone_of(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError(f"unknown time zone {str(name)[:50]!r}") from exc


@dataclass(frozen=True, slots=True)
class MuteSchedule:
    """A parsed `Schedule`: its windows, as UTC datetimes."""

    expression: str
    zone: ZoneInfo
    days: int
    elapsed: timedelta
    cron: Cron | None = None
    at: datetime | None = None  # naive: a wall-clock time in `zone`

    @classmethod
    def parse(cls, expression: str, duration: str, timezone: str | None = None) -> MuteSchedule:
        zone = zone_of(timezone)
        days, elapsed = parse_duration(duration)
        text = expression.strip()
        one_time = _AT.fullmatch(text)
        if one_time:
            try:
                year, month, day, hour, minute = (int(g) for g in one_time.groups())
                when = datetime(year, month, day, hour, minute)  # noqa: DTZ001 - wall clock in `zone`
            except ValueError as exc:
                raise ScheduleError(f"{text!r}: {exc}") from exc
            return cls(text, zone, days, elapsed, at=when)
        recurring = _CRON.fullmatch(text)
        if recurring:
            return cls(text, zone, days, elapsed, cron=parse_cron(recurring.group(1)))
        raise ScheduleError(f"expression {text[:60]!r} is neither cron(...) nor at(yyyy-mm-ddThh:mm)")

    def _utc(self, wall: datetime) -> datetime:
        """A wall-clock time in the zone as UTC (fold=0: a skipped time moves on, a repeated one is the first)."""
        return wall.replace(tzinfo=self.zone).astimezone(UTC)

    def window_of(self, wall_start: datetime) -> tuple[datetime, datetime]:
        """The window that starts at a wall-clock time: its days on the calendar, the rest elapsed."""
        start = self._utc(wall_start)
        end = self._utc(wall_start + timedelta(days=self.days)) + self.elapsed
        return start, end

    def _starts(self, at: datetime) -> Iterator[datetime]:
        """Wall-clock starts at or before `at`, latest first, back as far as a window reaching `at` can start."""
        if self.at is not None:
            yield self.at
            return
        assert self.cron is not None
        local = at.astimezone(self.zone).replace(tzinfo=None)
        reach = timedelta(days=self.days) + self.elapsed + _DST_SLACK
        times = self.cron.times()
        day = local.date() + timedelta(
            days=1
        )  # (a skipped hour can put a wall time past `local` before `at`)
        while day >= (local - reach).date() - timedelta(days=1):
            if self.cron.matches(day):
                for hour, minute in times:
                    yield datetime(day.year, day.month, day.day, hour, minute)  # noqa: DTZ001 - wall clock
            day -= timedelta(days=1)

    def window_at(self, at: datetime) -> tuple[datetime, datetime] | None:
        """The window [start, end) that covers `at` (tz-aware), the one ending last if several; None if none."""
        at = at.astimezone(UTC)
        reach = timedelta(days=self.days) + self.elapsed + _DST_SLACK
        found: tuple[datetime, datetime] | None = None
        for wall in self._starts(at):
            start, end = self.window_of(wall)
            if start > at:
                continue
            if start < at - reach:
                break  # every earlier start ends earlier still
            if at < end and (found is None or end > found[1]):
                found = (start, end)
        return found

    def next_window(self, at: datetime, horizon: timedelta) -> tuple[datetime, datetime] | None:
        """The window covering `at`, else the first that starts after it within `horizon`; None if none."""
        at = at.astimezone(UTC)
        covering = self.window_at(at)
        if covering is not None:
            return covering
        if self.at is not None:
            start, end = self.window_of(self.at)
            return (start, end) if at < start <= at + horizon else None
        assert self.cron is not None
        day = at.astimezone(self.zone).date()
        last = (at + horizon).astimezone(self.zone).date()
        times = sorted(self.cron.times())
        while day <= last:
            if self.cron.matches(day):
                for hour, minute in times:
                    start, end = self.window_of(datetime(day.year, day.month, day.day, hour, minute))  # noqa: DTZ001
                    if at < start <= at + horizon:
                        return start, end
            day += timedelta(days=1)
        return None


@dataclass(frozen=True, slots=True)
class MuteRule:
    """An alarm mute rule as GetAlarmMuteRule describes it, with its schedule parsed."""

    name: str
    arn: str
    schedule: MuteSchedule
    alarms: frozenset[str]
    start_date: datetime | None = None
    expire_date: datetime | None = None
    description: str = ""

    def window_at(self, at: datetime) -> MuteWindow | None:
        """The rule's window that covers `at`, cut to the time the rule is in effect; None if none does."""
        window = self.schedule.window_at(at)
        if window is None:
            return None
        start, end = self._in_effect(*window)
        if not start <= at < end:
            return None
        return self._window(start, end)

    def _in_effect(self, start: datetime, end: datetime) -> tuple[datetime, datetime]:
        """A window cut to the time the rule is in effect (its StartDate and ExpireDate)."""
        if self.start_date is not None:
            start = max(start, self.start_date)
        if self.expire_date is not None:
            end = min(end, self.expire_date)
        return start, end

    def _window(self, start: datetime, end: datetime) -> MuteWindow:
        return MuteWindow(
            rule=self.name,
            rule_arn=self.arn,
            starts_at_ms=int(start.timestamp() * 1000),
            ends_at_ms=int(end.timestamp() * 1000),
        )

    def next_window(self, at: datetime, horizon: timedelta) -> MuteWindow | None:
        """The rule's window covering `at`, else its next within `horizon`, cut to when the rule is in effect
        (its StartDate and ExpireDate); None if none."""
        limit = at + horizon
        while at < limit:
            found = self.schedule.next_window(at, limit - at)
            if found is None:
                return None
            start, end = self._in_effect(*found)
            if start < end and end > at:
                return self._window(start, end)
            if self.expire_date is not None and found[1] >= self.expire_date:
                return None  # expired: no later window is in effect either
            at = found[1]
        return None

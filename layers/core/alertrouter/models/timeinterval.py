"""Alertmanager's `time_intervals` as configured: when a period holds (routing/timeintervals.py finds when
that next changes)."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator, model_validator

# Alertmanager numbers weekdays from sunday = 0, so `saturday:sunday` runs backwards there too.
WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
_CLOCK = re.compile(r"^(\d{2}):(\d{2})$")  # two-digit hours, as Alertmanager requires: 09:00, not 9:00

Range = tuple[int, int]


def _split(field: str, item: Any) -> tuple[str, str]:
    if not isinstance(item, str) or not item.strip():
        raise ValueError(f"invalid {field} entry {item!r}: expected a string such as {_EXAMPLES[field]}")
    parts = item.strip().lower().split(":")
    if len(parts) > 2 or not all(p.strip() for p in parts):
        raise ValueError(f"invalid {field} range {item!r}: expected one value or start:end")
    return parts[0], parts[-1]


def _ranges(field: str, value: Any, parse: Callable[[str, Any], int], low: int, high: int) -> Any:
    """Parse `x` and `x:y` entries into inclusive integer ranges, checking bounds and order."""
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise ValueError(f"{field} must be a list, got {value!r}")
    out: list[Range] = []
    for item in value:
        if isinstance(item, list | tuple) and len(item) == 2 and all(type(v) is int for v in item):
            start, end = item  # already parsed, e.g. from model_dump()
        elif isinstance(item, int) and not isinstance(item, bool):
            start = end = parse(str(item), item)
        else:
            first, last = _split(field, item)
            start, end = parse(first, item), parse(last, item)
        for number in (start, end):
            if not (low <= number <= high) or (number == 0 and low < 0):
                raise ValueError(f"invalid {field} entry {item!r}: {number} is outside {low}..{high}")
        if start > end and not start > 0 > end:  # days_of_month checks `5:-1` itself
            raise ValueError(f"invalid {field} range {item!r}: start is after end")
        out.append((start, end))
    return out


def _number(field: str) -> Callable[[str, Any], int]:
    def parse(text: str, item: Any) -> int:
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"invalid {field} entry {item!r}: {text!r} is not a number") from None

    return parse


def _named(
    field: str, names: tuple[str, ...], first: int, numeric: bool = False
) -> Callable[[str, Any], int]:
    def parse(text: str, item: Any) -> int:
        text = text.strip().lower()
        if text in names:
            return names.index(text) + first
        if numeric and text.isdigit():
            return int(text)
        raise ValueError(
            f"invalid {field} entry {item!r}: unknown name {text!r} (use {names[0]}..{names[-1]})"
        )

    return parse


_EXAMPLES = {
    "weekdays": "'monday' or 'monday:friday'",
    "days_of_month": "'1', '1:5' or '-3:-1'",
    "months": "'january:march' or '1:3'",
    "years": "'2020:2022'",
}


def _clock(value: Any, field: str) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        # Minutes after midnight (as a parsed interval holds them)
        if not 0 <= value <= 1440:
            raise ValueError(f"invalid {field} {value!r}: expected HH:MM (as minutes: 0..1440)")
        return value
    found = _CLOCK.match(value.strip()) if isinstance(value, str) else None
    if found is None:
        raise ValueError(f"invalid {field} {value!r}: expected HH:MM, two digits each (09:00)")
    hours, minutes = int(found.group(1)), int(found.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"invalid {field} {value!r}: expected 00:00..23:59 (24:00 as an end)")
    return hours * 60 + minutes


class TimeRange(BaseModel):
    """Minutes after local midnight; `end_time` is exclusive, so 09:00-17:00 ends at 16:59."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start_time: int
    end_time: int

    @field_validator("start_time", "end_time", mode="before")
    @classmethod
    def _parse(cls, v: Any, info: ValidationInfo) -> Any:
        return _clock(v, info.field_name or "time")

    @model_validator(mode="after")
    def _order(self) -> TimeRange:
        if self.start_time >= self.end_time:
            raise ValueError(
                f"start_time {_hhmm(self.start_time)} must be before end_time {_hhmm(self.end_time)}"
            )
        return self


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class TimeIntervalSpec(BaseModel):
    """One period; it holds when every given field matches, read in `location`. Empty fields match anything."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    times: list[TimeRange] = []
    weekdays: list[Range] = []  # sunday = 0
    days_of_month: list[Range] = []  # negative counts from the end: -1 is the last day
    months: list[Range] = []
    years: list[Range] = []
    location: str = "UTC"

    @field_validator("times", mode="before")
    @classmethod
    def _times(cls, v: Any) -> Any:
        return [] if v is None else v

    @field_validator("weekdays", mode="before")
    @classmethod
    def _weekdays(cls, v: Any) -> Any:
        return _ranges("weekdays", v, _named("weekdays", WEEKDAYS, 0), 0, 6)

    @field_validator("days_of_month", mode="before")
    @classmethod
    def _days(cls, v: Any) -> Any:
        ranges = _ranges("days_of_month", v, _number("days_of_month"), -31, 31)
        for start, end in ranges:
            if start < 0 < end:
                raise ValueError(
                    f"invalid days_of_month range {start}:{end}: end must be negative if start is"
                )
            # Only reject what is empty in every month, i.e. in a 31-day one (where day -1 is the 31st).
            if start > 0 > end and start > end + 32:
                raise ValueError(f"invalid days_of_month range {start}:{end}: end is always before start")
        return ranges

    @field_validator("months", mode="before")
    @classmethod
    def _months(cls, v: Any) -> Any:
        return _ranges("months", v, _named("months", MONTHS, 1, numeric=True), 1, 12)

    @field_validator("years", mode="before")
    @classmethod
    def _years(cls, v: Any) -> Any:
        return _ranges("years", v, _number("years"), 1, 9999)

    @field_validator("location", mode="before")
    @classmethod
    def _location(cls, v: Any) -> Any:
        if v is None or v == "":
            return "UTC"  # as Alertmanager reads an empty location
        if v == "Local":
            raise ValueError(
                "location Local (Alertmanager's: the zone of the host it runs on) is not supported: this "
                "router runs in AWS Lambda, whose zone is UTC; name the zone, e.g. Europe/Berlin or UTC"
            )
        if not isinstance(v, str):
            raise ValueError(f"invalid location {v!r}: expected an IANA time zone name such as Europe/Berlin")
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(
                f"unknown time zone {v!r}: use an IANA name such as Europe/Berlin or UTC"
            ) from None
        return v

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.location)  # ZoneInfo caches instances by key

    def contains(self, at: datetime) -> bool:
        """Whether the timezone-aware instant `at` falls in this period."""
        local = at.astimezone(self.zone)
        if self.years and not _within(local.year, self.years):
            return False
        if self.months and not _within(local.month, self.months):
            return False
        if self.weekdays and not _within((local.weekday() + 1) % 7, self.weekdays):
            return False
        if self.days_of_month and not _day_within(local, self.days_of_month):
            return False
        if self.times:
            minute = local.hour * 60 + local.minute
            return any(t.start_time <= minute < t.end_time for t in self.times)
        return True


def _within(value: int, ranges: list[Range]) -> bool:
    return any(start <= value <= end for start, end in ranges)


def _day_within(local: datetime, ranges: list[Range]) -> bool:
    length = calendar.monthrange(local.year, local.month)[1]
    for start, end in ranges:
        # Negative days count from the end: -1 is the last day.
        first = start if start > 0 else length + start + 1
        last = end if end > 0 else length + end + 1
        if first <= local.day <= last:
            return True
    return False


class NamedTimeInterval(BaseModel):
    """A named set of periods, referred to by routes; it holds when any of its periods does."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    time_intervals: list[TimeIntervalSpec] = []

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("time interval name must not be empty")
        return v.strip()

    def contains(self, at: datetime) -> bool:
        """Whether the timezone-aware instant `at` falls in any of the periods."""
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(f"time interval {self.name!r}: need a timezone-aware datetime, got {at!r}")
        return any(spec.contains(at) for spec in self.time_intervals)

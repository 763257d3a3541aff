"""The SLO period as written: `spec.timeWindow`, rolling days or a calendar month."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import field_validator, model_validator

from alertrouter.slo.compiled import TimeWindow
from alertrouter.slo.openslo.base import Document, FieldError
from alertrouter.slo.units import FIXED_UNITS, SHORTHAND

MAX_ROLLING_DAYS = 90


class Calendar(Document):
    start_time: datetime
    time_zone: str = "UTC"

    @field_validator("start_time", mode="before")
    @classmethod
    def _start(cls, v: Any) -> Any:
        if isinstance(v, date) and not isinstance(v, datetime):
            return datetime(v.year, v.month, v.day)
        if isinstance(v, str):
            try:
                return datetime.fromisoformat(v.strip())
            except ValueError:
                raise ValueError(f"{v!r} is not a date and time like 2024-01-01 00:00:00") from None
        return v

    @field_validator("start_time")
    @classmethod
    def _local(cls, v: datetime) -> datetime:
        if v.tzinfo is not None:
            raise ValueError("startTime is local time in timeZone: leave out the UTC offset")
        return v

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # (OSError: "Europe" is a directory of zones)
            raise ValueError(f"unknown time zone {v!r}: use an IANA name like UTC or Europe/Berlin") from None
        return v


class TimeWindowDoc(Document):
    duration: str
    is_rolling: bool | None = None
    calendar: Calendar | None = None

    @model_validator(mode="after")
    def _shape(self) -> Self:
        rolling = self.calendar is None if self.is_rolling is None else self.is_rolling
        if rolling:
            if self.calendar is not None:
                raise FieldError(("calendar",), "a rolling window has no calendar (or set isRolling: false)")
            self._rolling_length()
        else:
            if self.calendar is None:
                raise FieldError(("calendar",), "required for a calendar window: {startTime, timeZone}")
            if self.duration != "1M":
                raise FieldError(
                    ("duration",),
                    f"{self.duration!r}: the only calendar window supported is 1M "
                    "(a month); for other lengths use a rolling window",
                )
            start = self.calendar.start_time
            if (start.day, start.hour, start.minute, start.second, start.microsecond) != (1, 0, 0, 0, 0):
                raise FieldError(
                    ("calendar", "startTime"),
                    "a 1M window starts at the beginning of a month, e.g. 2024-01-01 00:00:00",
                )
        return self

    def _rolling_length(self) -> timedelta:
        found = SHORTHAND.match(self.duration.strip())
        if found is None or found.group(2) not in "dw":
            hint = ""
            if found is not None and found.group(2) == "M":
                hint = (
                    " (a calendar month is duration: 1M, isRolling: false, calendar: {startTime, timeZone})"
                )
            raise FieldError(
                ("duration",),
                f"{self.duration!r}: a rolling window is whole days or weeks, "
                f"e.g. 28d or 30d (1d to 90d){hint}",
            )
        try:
            length = int(found.group(1)) * FIXED_UNITS[found.group(2)]
        except OverflowError:
            length = timedelta.max
        if not timedelta(days=1) <= length <= timedelta(days=MAX_ROLLING_DAYS):
            raise FieldError(
                ("duration",), f"{self.duration!r}: a rolling window is 1d to {MAX_ROLLING_DAYS}d"
            )
        return length

    def compile(self) -> TimeWindow:
        if self.calendar is None:
            return TimeWindow(duration=self.duration, rolling=True, length=self._rolling_length())
        return TimeWindow(
            duration=self.duration,
            rolling=False,
            time_zone=self.calendar.time_zone,
            start=self.calendar.start_time,
        )

"""Time intervals applied: when the configured intervals (models/timeinterval.py) next start or stop holding."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from alertrouter.models.timeinterval import NamedTimeInterval


def next_change(intervals: Sequence[NamedTimeInterval], at: datetime, horizon: timedelta) -> datetime | None:
    """The first whole minute in (at, at + horizon] where `any(contains)` flips, in UTC; None if none."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"need a timezone-aware datetime, got {at!r}")
    # Step in UTC: adding to a zoned datetime is wall-clock arithmetic and goes wrong across DST.
    start = at.astimezone(UTC)
    end = start + horizon
    specs = [spec for interval in intervals for spec in interval.time_intervals]

    def state(t: datetime) -> bool:
        return any(spec.contains(t) for spec in specs)

    initial = state(start)
    t = start.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while t <= end:
        if state(t) != initial:
            return t
        t += timedelta(minutes=1)
    return None

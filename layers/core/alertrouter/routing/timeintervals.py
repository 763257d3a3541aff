"""Time intervals applied: when the configured intervals (models/timeinterval.py) next start or stop holding.

Rather than trying every minute, only the instants where a period can start or stop holding are tried: each
zone's local midnights and the periods' clock boundaries (`times`), as wall-clock times of each local day
turned into UTC (both readings of a time the fall-back hour repeats), and the instants a zone's UTC offset
changes (a clock boundary in the skipped spring-forward hour takes effect then). Between two such instants a
period's local date and clock minute cross none of its boundaries, so whether it holds cannot change; the
holding itself is always `TimeIntervalSpec.contains`, as for routes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from alertrouter.models.silence import Silence
from alertrouter.models.timeinterval import NamedTimeInterval, TimeIntervalSpec

DAY = timedelta(days=1)
# How far back the start of a window already open is looked for (a recurrence with no `times` may hold for
# days; one that holds for longer than this is shown as starting this long ago, or when its silence starts).
LOOK_BACK = timedelta(days=366)


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"need a timezone-aware datetime, got {at!r}")
    return at.astimezone(UTC)


def holds(specs: Sequence[TimeIntervalSpec], at: datetime) -> bool:
    """Alertmanager's time interval: it holds when any of its periods does."""
    return any(spec.contains(at) for spec in specs)


def _offset_changes(zone: ZoneInfo, start: datetime, end: datetime) -> Iterator[datetime]:
    """The instants in [start, end) where the zone's UTC offset changes (found to the second; a zone that
    changes twice within one UTC hour would show one of them: none does)."""
    step = timedelta(hours=1)
    t = start
    before = t.astimezone(zone).utcoffset()
    while t < end:
        nxt = min(t + step, end)
        after = nxt.astimezone(zone).utcoffset()
        if after != before:
            low, high = t, nxt
            while high - low > timedelta(seconds=1):
                mid = low + (high - low) / 2
                if mid.astimezone(zone).utcoffset() == before:
                    low = mid
                else:
                    high = mid
            yield high.replace(microsecond=0)
        t, before = nxt, after


def _wall_times(zone: ZoneInfo, day: date, minutes: Sequence[int]) -> Iterator[datetime]:
    """Each clock minute of a local day in UTC, under both readings (fold) of an ambiguous or missing one."""
    midnight = datetime.combine(day, time())
    for minute in minutes:
        wall = midnight + timedelta(minutes=minute)
        for fold in (0, 1):
            yield wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)


def _candidates(specs: Sequence[TimeIntervalSpec], start: datetime, end: datetime) -> list[datetime]:
    """Every instant in (start, end) where one of the periods may start or stop holding, in order."""
    marks: dict[str, set[int]] = {}
    for spec in specs:
        marks.setdefault(spec.location, {0}).update(
            m % 1440 for t in spec.times for m in (t.start_time, t.end_time)
        )
    found: set[datetime] = set()
    for location, minutes in marks.items():
        zone = ZoneInfo(location)
        found.update(_offset_changes(zone, start, end))
        day = start.astimezone(zone).date() - DAY  # a fall-back across midnight reads the day before
        last = end.astimezone(zone).date()
        ordered = sorted(minutes)
        while day <= last:
            found.update(_wall_times(zone, day, ordered))
            day += DAY
    return sorted(t for t in found if start < t < end)


def changes(specs: Sequence[TimeIntervalSpec], at: datetime, until: datetime) -> Iterator[datetime]:
    """The instants in (at, until] where whether the periods hold flips, in order, in UTC (looked at a day
    at a time: a caller that takes the first few does not pay for a year)."""
    start, end = _aware(at), _aware(until)
    state = holds(specs, start)
    while start < end:
        chunk = min(start + DAY, end)
        for t in (*_candidates(specs, start, chunk), chunk):
            if holds(specs, t) != state:
                state = not state
                yield t
        start = chunk


def next_change(intervals: Sequence[NamedTimeInterval], at: datetime, horizon: timedelta) -> datetime | None:
    """The first whole minute in (at, at + horizon] where `any(contains)` flips, in UTC; None if none."""
    specs = [spec for interval in intervals for spec in interval.time_intervals]
    return next(changes(specs, at, _aware(at) + horizon), None)


def _opened(specs: Sequence[TimeIntervalSpec], at: datetime, since: datetime) -> datetime:
    """When the stretch in which the periods hold that contains `at` began (not before `since`)."""
    start = at
    day_end = at
    while day_end > since:
        day_start = max(day_end - DAY, since)
        for t in reversed((day_start, *_candidates(specs, day_start, day_end))):
            if not holds(specs, t):
                return start
            start = t
        day_end = day_start
    return start


def window(
    specs: Sequence[TimeIntervalSpec], at: datetime, since: datetime, until: datetime
) -> tuple[datetime, datetime] | None:
    """The stretch of [since, until) in which the periods hold that is open at `at`, or else the next one,
    as (start, end) in UTC; None if they hold no more before `until`."""
    at, since, until = _aware(at), _aware(since), _aware(until)
    at = max(at, since)
    if at >= until:
        return None
    if holds(specs, at):
        return _opened(specs, at, max(since, at - LOOK_BACK)), next(changes(specs, at, until), until)
    opened = next(changes(specs, at, until), until)
    if opened >= until:
        return None
    return opened, next(changes(specs, opened, until), until)


def silence_window(silence: Silence, now_ms: int) -> tuple[int, int] | None:
    """The window in which `silence` mutes that is open at `now_ms`, or else its next one, as (start, end)
    epoch milliseconds; None when it mutes no more. A one-off silence has one window: its span."""
    if now_ms >= silence.ends_at_ms:
        return None
    if not silence.every:
        return silence.starts_at_ms, silence.ends_at_ms
    found = window(silence.every, _utc(now_ms), _utc(silence.starts_at_ms), _utc(silence.ends_at_ms))
    if found is None:
        return None
    return int(found[0].timestamp() * 1000), int(found[1].timestamp() * 1000)


def mutes_until(silence: Silence, now_ms: int) -> int:
    """When a silence that mutes at `now_ms` stops muting: the end of its current window if it recurs (found
    forwards only, unlike `silence_window`), else its end."""
    if not silence.every:
        return silence.ends_at_ms
    change = next(changes(silence.every, _utc(now_ms), _utc(silence.ends_at_ms)), None)
    return min(int(change.timestamp() * 1000), silence.ends_at_ms) if change else silence.ends_at_ms


def _utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)

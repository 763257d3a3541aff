"""Recurring silences: `--every` read (the short form and time_intervals entries), their windows found across
DST changes, month ends and midnight, and the Silence model with a recurrence (active, span, extended)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from alertrouter.flush.silences import SilenceCache
from alertrouter.models.recurrence import RecurrenceError, describe_every, parse_entries, parse_every
from alertrouter.models.silence import Silence, extended, silencing
from alertrouter.models.timeinterval import TimeIntervalSpec
from alertrouter.routing.timeintervals import changes, holds, mutes_until, silence_window, window
from support.memory_store import MemoryStore

HOUR = 3_600_000
DAY = 24 * HOUR
SINCE, UNTIL = datetime(2027, 1, 1, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def next_window(every: str, at: datetime, zone: str = "UTC") -> tuple[datetime, datetime] | None:
    return window(parse_every(every, zone), at, SINCE, UNTIL)


def recurring(every: str, zone: str = "UTC", start: datetime = SINCE, days: int = 366, **kw: Any) -> Silence:
    return Silence(
        matchers=['alertname="Backup"'],
        starts_at_ms=ms(start),
        ends_at_ms=ms(start) + days * DAY,
        created_by=kw.pop("created_by", "alice"),
        every=parse_every(every, zone),
        **kw,
    )


# --- the short form ---


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("sun 02:00-04:00", "every sun 02:00-04:00 (UTC)"),
        ("Sunday 02:00-04:00", "every sun 02:00-04:00 (UTC)"),
        ("mon-fri", "every mon-fri (UTC)"),
        ("sat,sun 00:00-24:00", "every sat,sun 00:00-24:00 (UTC)"),
        ("sat sun", "every sat,sun (UTC)"),
        ("mon 1-7", "every mon day 1-7 (UTC)"),
        ("-1", "every last day (UTC)"),
        ("1 jan,jul 2027-2028 9:00-10:30", "every day 1 jan,jul 2027-2028 09:00-10:30 (UTC)"),
        ("fri-mon 09:00-17:00", "every fri-sat,sun-mon 09:00-17:00 (UTC)"),
        # across midnight: the morning belongs to the next day
        ("sun 22:00-02:00", "every sun 22:00-24:00 or mon 00:00-02:00 (UTC)"),
        ("sat 22:00-02:00", "every sat 22:00-24:00 or sun 00:00-02:00 (UTC)"),
        ("mon-fri 22:00-06:00", "every mon-fri 22:00-24:00 or tue-sat 00:00-06:00 (UTC)"),
        ("fri,sat 23:00-01:00", "every fri,sat 23:00-24:00 or sun,sat 00:00-01:00 (UTC)"),
        ("-1 22:00-02:00", "every last day 22:00-24:00 or day 1 00:00-02:00 (UTC)"),
        ("25--1 23:00-01:00", "every day 25-last 23:00-24:00 or day 26-last,1 00:00-01:00 (UTC)"),
        ("1-7 22:00-00:00", "every day 1-7 22:00-24:00 (UTC)"),
        ("12:00-13:00 08:00-09:00", "every 12:00-13:00,08:00-09:00 (UTC)"),
    ],
)
def test_the_short_form_reads_into_periods(text: str, words: str) -> None:
    assert describe_every(parse_every(text)) == words


def test_the_zone_is_every_period_s_location() -> None:
    specs = parse_every("sun 22:00-02:00", "Asia/Tokyo")
    assert {s.location for s in specs} == {"Asia/Tokyo"}
    assert describe_every(specs) == "every sun 22:00-24:00 or mon 00:00-02:00 (Asia/Tokyo)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty recurrence"),
        ("sun 2pm", "cannot read '2pm'"),
        ("funday", "cannot read 'funday'"),
        ("sun 25:00-26:00", "times run 00:00..24:00"),
        ("sun 02:60-03:00", "times run 00:00..24:00"),
        ("sun 02:00-02:00", "must not end when it starts"),
        ("mar-jan", "runs backwards"),
        ("32", "outside -31..31"),
        ("0", "outside -31..31"),
        ("7-1", "start is after end"),
        ("jan 22:00-02:00", "cannot be combined with months or years"),
        ("31 22:00-02:00", "the day after the 28th..31st depends on the month"),
        ("[{weekdays: [funday]}]", "unknown name 'funday'"),
        ("[{times: [{start_time: '9:00', end_time: '10:00'}]}]", "two digits each"),
        ("[1, 2]", "expected time_intervals entries"),
        ("[]", "expected time_intervals entries"),
        ("[{location: Local}]", "location Local"),
        ("[{weekdays: [monday], colour: red}]", "Extra inputs are not permitted"),
        ("[{weekdays: [monday]", "cannot read the time intervals"),
    ],
)
def test_bad_recurrences_say_why(text: str, message: str) -> None:
    with pytest.raises(RecurrenceError, match=message):
        parse_every(text)


def test_an_unknown_zone_is_refused() -> None:
    with pytest.raises(RecurrenceError, match="unknown time zone 'Mars/Olympus'"):
        parse_every("sun 02:00-04:00", "Mars/Olympus")


def test_the_first_monday_of_the_month_three_ways() -> None:
    short = parse_every("mon 1-7", "Europe/Berlin")
    yaml_entries = parse_every("- weekdays: [monday]\n  days_of_month: ['1:7']", "Europe/Berlin")
    json_entries = parse_entries('[{"weekdays": ["monday"], "days_of_month": ["1:7"]}]', "Europe/Berlin")
    named = parse_entries(
        "name: first-monday\ntime_intervals:\n  - weekdays: [monday]\n    days_of_month: ['1:7']\n"
        "    location: Europe/Berlin"
    )
    assert short == yaml_entries == json_entries == named
    # Its windows: 2027-02-01, then 2027-03-01, then 2027-04-05 (local days, Berlin)
    berlin = [utc(2027, 1, 31, 23), utc(2027, 2, 28, 23), utc(2027, 4, 4, 22)]
    found = [window(short, utc(2027, 1, 15), SINCE, UNTIL)]
    for _ in range(2):
        found.append(window(short, found[-1][1], SINCE, UNTIL))  # type: ignore[index]
    assert [w[0] for w in found if w] == berlin
    assert [w[1] - w[0] for w in found if w] == [timedelta(days=1)] * 3


def test_entries_keep_their_own_location_and_take_the_zone_given_otherwise() -> None:
    specs = parse_entries(
        "[{weekdays: [sunday]}, {weekdays: [monday], location: Asia/Tokyo}]", "Europe/Berlin"
    )
    assert [s.location for s in specs] == ["Europe/Berlin", "Asia/Tokyo"]
    assert describe_every(specs) == "every sun (Europe/Berlin) or mon (Asia/Tokyo)"


# --- windows across DST, month ends and midnight ---


@pytest.mark.parametrize(
    ("every", "zone", "at", "expected"),
    [
        # Berlin springs forward on 2027-03-28 (02:00 CET is 03:00 CEST, 01:00 UTC): 02:00-03:00 never happens
        ("sun 02:00-04:00", "Europe/Berlin", utc(2027, 3, 27), (utc(2027, 3, 28, 1), utc(2027, 3, 28, 2))),
        ("sun 02:00-04:00", "Europe/Berlin", utc(2027, 3, 21), (utc(2027, 3, 21, 1), utc(2027, 3, 21, 3))),
        ("sun 02:00-04:00", "Europe/Berlin", utc(2027, 3, 29), (utc(2027, 4, 4, 0), utc(2027, 4, 4, 2))),
        # ... and falls back on 2027-10-31 (03:00 CEST is 02:00 CET, 01:00 UTC): 02:00-03:00 happens twice
        ("sun 02:00-04:00", "Europe/Berlin", utc(2027, 10, 30), (utc(2027, 10, 31, 0), utc(2027, 10, 31, 3))),
        (
            "sun 02:30-02:45",
            "Europe/Berlin",
            utc(2027, 10, 30),
            (utc(2027, 10, 31, 0, 30), utc(2027, 10, 31, 0, 45)),
        ),
        (
            "sun 02:30-02:45",
            "Europe/Berlin",
            utc(2027, 10, 31, 0, 50),
            (utc(2027, 10, 31, 1, 30), utc(2027, 10, 31, 1, 45)),
        ),
        # New York springs forward on 2027-03-14 (02:00 EST is 03:00 EDT, 07:00 UTC)
        ("sun 02:00-04:00", "America/New_York", utc(2027, 3, 13), (utc(2027, 3, 14, 7), utc(2027, 3, 14, 8))),
        # a window wholly inside the skipped hour does not happen that day
        (
            "sun 02:00-02:30",
            "America/New_York",
            utc(2027, 3, 13),
            (utc(2027, 3, 21, 6), utc(2027, 3, 21, 6, 30)),
        ),
        # ... and falls back on 2027-11-07 (02:00 EDT is 01:00 EST, 06:00 UTC): 01:00-02:00 lasts two hours
        ("sun 01:00-02:00", "America/New_York", utc(2027, 11, 6), (utc(2027, 11, 7, 5), utc(2027, 11, 7, 7))),
        ("sun 00:00-03:00", "America/New_York", utc(2027, 11, 6), (utc(2027, 11, 7, 4), utc(2027, 11, 7, 8))),
        # a night across midnight is one window, whatever the zone's offset that night
        ("sun 22:00-02:00", "Europe/Berlin", utc(2027, 3, 27), (utc(2027, 3, 28, 20), utc(2027, 3, 29, 0))),
        ("sat 23:00-03:00", "Europe/Berlin", utc(2027, 3, 27), (utc(2027, 3, 27, 22), utc(2027, 3, 28, 1))),
        ("sat 22:00-02:00", "America/New_York", utc(2027, 11, 6), (utc(2027, 11, 7, 2), utc(2027, 11, 7, 7))),
        # the last day of the month, then into the first: February 2027, and 2028's leap day
        ("-1 22:00-02:00", "UTC", utc(2027, 2, 2), (utc(2027, 2, 28, 22), utc(2027, 3, 1, 2))),
        ("-1 22:00-02:00", "UTC", utc(2028, 2, 2), (utc(2028, 2, 29, 22), utc(2028, 3, 1, 2))),
        ("feb -1", "UTC", utc(2028, 1, 1), (utc(2028, 2, 29), utc(2028, 3, 1))),
        ("feb -1", "Asia/Tokyo", utc(2027, 1, 1), (utc(2027, 2, 27, 15), utc(2027, 2, 28, 15))),
        # held now: the window it is in (its start is found backwards)
        ("mon-fri", "UTC", utc(2027, 2, 3, 12), (utc(2027, 2, 1), utc(2027, 2, 6))),
        (
            "sun 02:00-04:00",
            "Europe/Berlin",
            utc(2027, 10, 31, 2, 59),
            (utc(2027, 10, 31, 0), utc(2027, 10, 31, 3)),
        ),
    ],
)
def test_windows(every: str, zone: str, at: datetime, expected: tuple[datetime, datetime]) -> None:
    assert next_window(every, at, zone) == expected


def test_a_window_is_cut_by_the_span_and_none_once_it_is_over() -> None:
    specs = parse_every("mon-fri")
    # the span starts on a wednesday at noon and ends on the friday at 06:00
    since, until = utc(2027, 2, 3, 12), utc(2027, 2, 5, 6)
    assert window(specs, utc(2027, 2, 1), since, until) == (since, until)
    assert window(specs, until, since, until) is None
    assert window(parse_every("sat"), utc(2027, 2, 1), since, until) is None
    assert window(parse_every("2030"), utc(2027, 2, 1), SINCE, UNTIL) is None


def reference_changes(specs: tuple[TimeIntervalSpec, ...], start: datetime, end: datetime) -> list[datetime]:
    """Minute by minute in UTC: slow and plainly right."""
    found, state, t = [], holds(specs, start), start + timedelta(minutes=1)
    while t <= end:
        if holds(specs, t) != state:
            state = not state
            found.append(t)
        t += timedelta(minutes=1)
    return found


@pytest.mark.parametrize(
    ("every", "zone", "start"),
    [
        ("sun 02:00-04:00", "Europe/Berlin", utc(2027, 3, 27, 12)),
        ("sun 02:00-04:00", "Europe/Berlin", utc(2027, 10, 30, 12)),
        ("sun 01:30-02:30 03:00-03:10", "America/New_York", utc(2027, 3, 13, 12)),
        ("sun 01:30-02:30 03:00-03:10", "America/New_York", utc(2027, 11, 6, 12)),
        ("sat 23:30-02:15", "America/New_York", utc(2027, 11, 6, 12)),
        ("-1 22:00-02:00", "Europe/Berlin", utc(2027, 2, 27)),
        ("mon 1-7", "Australia/Lord_Howe", utc(2027, 3, 30)),  # a half-hour DST shift, April 4th
        ("mon-fri 09:00-17:00", "Asia/Kathmandu", utc(2027, 2, 26)),  # UTC+05:45
    ],
)
def test_changes_agree_with_minute_steps(every: str, zone: str, start: datetime) -> None:
    specs = parse_every(every, zone)
    end = start + timedelta(days=3)
    assert list(changes(specs, start, end)) == reference_changes(specs, start, end)


def test_a_year_of_windows_is_every_week() -> None:
    specs = parse_every("sun 02:00-04:00", "Europe/Berlin")
    flips = list(changes(specs, utc(2027, 1, 1), utc(2028, 1, 1)))
    starts, ends = flips[::2], flips[1::2]
    assert len(starts) == len(ends) == 52
    assert all(s.astimezone(specs[0].zone).weekday() == 6 for s in starts)
    # two hours each but on the two changeover days
    lengths = [e - s for s, e in zip(starts, ends, strict=True)]
    assert lengths.count(timedelta(hours=2)) == 50
    assert sorted(set(lengths)) == [timedelta(hours=1), timedelta(hours=2), timedelta(hours=3)]


# --- the Silence model with a recurrence ---


def test_a_recurring_silence_is_active_only_in_its_windows_and_span() -> None:
    silence = recurring("sun 02:00-04:00", "Europe/Berlin")
    assert silence.active(ms(utc(2027, 3, 28, 1, 30)))
    assert not silence.active(ms(utc(2027, 3, 28, 0, 30)))  # 01:30 CET
    assert not silence.active(ms(utc(2027, 3, 29, 1, 30)))  # a monday
    assert not silence.active(ms(utc(2026, 12, 27, 1, 30)))  # a sunday, before its span
    assert silence_window(silence, ms(utc(2027, 3, 27))) == (ms(utc(2027, 3, 28, 1)), ms(utc(2027, 3, 28, 2)))
    assert silence_window(silence, silence.ends_at_ms) is None


def test_a_one_off_silence_s_window_is_its_span() -> None:
    one_off = Silence(matchers=['alertname="x"'], starts_at_ms=10, ends_at_ms=20, created_by="alice")
    assert (
        one_off.every == () and silence_window(one_off, 0) == (10, 20) and silence_window(one_off, 20) is None
    )


def test_a_recurring_silence_may_run_a_year_and_no_longer() -> None:
    assert recurring("sun", days=366).ends_at_ms - SINCE.timestamp() * 1000 == 366 * DAY
    with pytest.raises(ValidationError, match=r"a recurring silence may run at most a year \(366 days\)"):
        recurring("sun", days=367)
    with pytest.raises(ValidationError, match="at most 30 days"):
        Silence(matchers=['alertname="x"'], starts_at_ms=0, ends_at_ms=31 * DAY, created_by="alice")


def test_a_silence_stored_before_recurrences_reads_as_one_off_and_a_recurring_one_round_trips() -> None:
    old = {"id": "abc", "matchers": ['alertname="x"'], "starts_at_ms": 1, "ends_at_ms": 2, "created_by": "a"}
    assert Silence.model_validate(old, context={"stored": True}).every == ()
    silence = recurring("mon 1-7 22:00-02:00", "America/New_York")
    assert Silence.model_validate(silence.model_dump(), context={"stored": True}) == silence
    assert Silence.model_validate_json(silence.model_dump_json()) == silence


def test_extended_keeps_a_recurrence_and_replaces_a_silence_of_another() -> None:
    kept = recurring("sun 02:00-04:00", days=100)
    longer = kept.model_copy(update={"ends_at_ms": kept.starts_at_ms + 200 * DAY, "comment": "more"})
    merged = extended(kept, longer)
    assert (merged.every, merged.ends_at_ms, merged.comment) == (kept.every, longer.ends_at_ms, "more")
    other = recurring("sat 02:00-04:00", days=10)
    assert extended(kept, other) == other
    one_off = Silence(
        id=kept.id, matchers=kept.matchers, starts_at_ms=kept.starts_at_ms, ends_at_ms=kept.starts_at_ms + HOUR,
        created_by="bob",
    )  # fmt: skip
    assert extended(kept, one_off) == one_off


def test_silencing_takes_the_silence_that_mutes_longest_now() -> None:
    now = ms(utc(2027, 3, 7, 2, 30))  # a sunday
    weekly = recurring("sun 02:00-04:00")  # mutes until 04:00, though its span runs for a year
    one_off = Silence(
        matchers=['alertname="Backup"'], starts_at_ms=now - HOUR, ends_at_ms=now + 3 * HOUR, created_by="bob"
    )

    def until(s: Silence) -> int:
        return mutes_until(s, now)

    assert until(weekly) == ms(utc(2027, 3, 7, 4)) == silence_window(weekly, now)[1]  # type: ignore[index]
    assert until(one_off) == one_off.ends_at_ms
    labels = {"alertname": "Backup"}
    assert silencing([weekly, one_off], "fp", labels, now, {}, until) == one_off
    assert silencing([weekly, one_off], "fp", labels, now, {}) == weekly  # by the ends of their spans
    assert silencing([weekly], "fp", labels, now + 2 * HOUR, {}, until) is None


def test_the_flush_s_silence_cache_keeps_a_recurring_silence_between_its_windows() -> None:
    store = MemoryStore()
    weekly = recurring("sun 02:00-04:00", days=30)
    store.put_silence(weekly)
    cache = SilenceCache(store.stores().silences)
    monday = ms(utc(2027, 1, 4, 12))
    assert not weekly.active(monday) and cache.active(monday) == [weekly]
    assert cache.active(weekly.ends_at_ms) == []

"""Alertmanager's time_intervals: parsing, matching in a zone (DST included), next_change."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from alertrouter.models.timeinterval import NamedTimeInterval, TimeIntervalSpec, TimeRange
from alertrouter.routing.timeintervals import next_change

BERLIN = ZoneInfo("Europe/Berlin")


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


def interval(**spec: Any) -> NamedTimeInterval:
    return NamedTimeInterval.model_validate({"name": "test", "time_intervals": [spec]})


BUSINESS_HOURS = interval(
    times=[{"start_time": "09:00", "end_time": "17:00"}], weekdays=["monday:friday"], location="Europe/Berlin"
)


# --- parsing ---


@pytest.mark.parametrize(
    ("field", "value", "parsed"),
    [
        ("weekdays", ["monday"], [(1, 1)]),
        ("weekdays", ["Monday:FRIDAY", "sunday"], [(1, 5), (0, 0)]),
        ("weekdays", ["sunday:saturday"], [(0, 6)]),
        ("days_of_month", ["1", "1:5", 15], [(1, 1), (1, 5), (15, 15)]),
        ("days_of_month", ["-1", "-3:-1", "5:-1"], [(-1, -1), (-3, -1), (5, -1)]),
        ("months", ["january:march", "December"], [(1, 3), (12, 12)]),
        ("months", ["1:3", "11", 7, "february:4"], [(1, 3), (11, 11), (7, 7), (2, 4)]),
        ("years", ["2020:2022", "2030", 2031], [(2020, 2022), (2030, 2030), (2031, 2031)]),
        ("weekdays", None, []),
    ],
)
def test_range_forms_parse_into_integer_ranges(field: str, value: Any, parsed: list[tuple[int, int]]) -> None:
    spec = TimeIntervalSpec.model_validate({field: value})

    assert getattr(spec, field) == parsed


def test_times_parse_into_minutes_with_24_00_as_an_end() -> None:
    spec = TimeIntervalSpec.model_validate(
        {
            "times": [
                {"start_time": "09:00", "end_time": "17:30"},
                {"start_time": "00:00", "end_time": "24:00"},
            ]
        }
    )

    assert spec.times == [TimeRange(start_time=540, end_time=1050), TimeRange(start_time=0, end_time=1440)]


def test_unquoted_yaml_times_read_as_base_60_numbers_still_mean_the_same_time() -> None:
    # Given YAML 1.1 reading `17:00` as 1020 (and `09:00`, with its leading zero, as a string)
    data = yaml.safe_load("times: [{start_time: 09:00, end_time: 17:00}]")
    assert data["times"][0]["end_time"] == 1020

    spec = TimeIntervalSpec.model_validate(data)

    assert spec.times == [TimeRange(start_time=540, end_time=1020)]


def test_an_empty_location_is_utc_as_in_alertmanager() -> None:
    assert TimeIntervalSpec.model_validate({"location": ""}).location == "UTC"


def test_defaults_and_round_trip() -> None:
    spec = TimeIntervalSpec()
    assert (spec.times, spec.weekdays, spec.location) == ([], [], "UTC")
    assert spec.contains(utc(2026, 1, 1))

    parsed = BUSINESS_HOURS.time_intervals[0]
    assert TimeIntervalSpec.model_validate(parsed.model_dump()) == parsed


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"weekdays": ["funday"]}, "'funday'"),
        ({"weekdays": ["saturday:sunday"]}, "'saturday:sunday': start is after end"),
        ({"weekdays": ["monday:"]}, "'monday:'"),
        ({"weekdays": ["monday:tuesday:friday"]}, "'monday:tuesday:friday'"),
        ({"weekdays": "monday"}, "must be a list"),
        ({"days_of_month": ["0"]}, "'0': 0 is outside -31..31"),
        ({"days_of_month": ["32"]}, "'32': 32 is outside"),
        ({"days_of_month": ["-32:-1"]}, "-32 is outside"),
        ({"days_of_month": ["5:1"]}, "'5:1': start is after end"),
        ({"days_of_month": ["-1:5"]}, "-1:5: end must be negative"),
        ({"days_of_month": ["31:-2"]}, "31:-2: end is always before start"),
        ({"days_of_month": ["first"]}, "'first' is not a number"),
        ({"days_of_month": [65]}, "65 is outside -31..31"),
        ({"months": ["13"]}, "'13': 13 is outside 1..12"),
        ({"months": [13]}, "13 is outside 1..12"),
        ({"months": ["smarch"]}, "'smarch'"),
        ({"months": ["march:january"]}, "'march:january': start is after end"),
        ({"years": ["2022:2020"]}, "'2022:2020': start is after end"),
        ({"years": ["soon"]}, "'soon' is not a number"),
        ({"times": [{"start_time": "25:00", "end_time": "26:00"}]}, "'25:00'"),
        ({"times": [{"start_time": "09:60", "end_time": "10:00"}]}, "'09:60'"),
        ({"times": [{"start_time": "9am", "end_time": "10:00"}]}, "'9am': expected HH:MM"),
        ({"times": [{"start_time": "9:00", "end_time": "10:00"}]}, "'9:00': expected HH:MM, two digits"),
        ({"location": "Local"}, "Local (Alertmanager's: the zone of the host"),
        ({"times": [{"start_time": "24:00", "end_time": "24:00"}]}, "start_time 24:00 must be before"),
        ({"times": [{"start_time": "17:00", "end_time": "09:00"}]}, "start_time 17:00 must be before"),
        ({"times": [{"start_time": "09:00", "end_time": 2000}]}, "2000"),
        ({"times": [{"start_time": "09:00"}]}, "end_time"),
        ({"location": "Mars/Olympus_Mons"}, "unknown time zone 'Mars/Olympus_Mons'"),
        ({"location": "../etc/passwd"}, "unknown time zone"),
        ({"weekday": ["monday"]}, "Extra inputs are not permitted"),
    ],
)
def test_bad_values_fail_naming_the_value(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        TimeIntervalSpec.model_validate(data)

    assert message in str(caught.value)


def test_named_interval_needs_a_name_and_forbids_extra_fields() -> None:
    with pytest.raises(ValidationError, match="name must not be empty"):
        NamedTimeInterval(name=" ", time_intervals=[])
    with pytest.raises(ValidationError, match="Extra inputs"):
        NamedTimeInterval.model_validate({"name": "x", "time_intervals": [], "times": []})


def test_models_are_frozen() -> None:
    with pytest.raises(ValidationError):
        BUSINESS_HOURS.name = "other"  # type: ignore[misc]


# --- matching ---


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        # Friday 2026-03-27, still CET (UTC+1): 09:00-17:00 local is 08:00-16:00 UTC
        (utc(2026, 3, 27, 7, 59), False),
        (utc(2026, 3, 27, 8, 0), True),
        (utc(2026, 3, 27, 15, 59, 59), True),
        (utc(2026, 3, 27, 16, 0), False),
        # Saturday and Sunday (the DST change day) never match
        (utc(2026, 3, 28, 10, 0), False),
        (utc(2026, 3, 29, 10, 0), False),
        # Monday 2026-03-30, now CEST (UTC+2): 07:00-15:00 UTC
        (utc(2026, 3, 30, 6, 59), False),
        (utc(2026, 3, 30, 7, 0), True),
        (utc(2026, 3, 30, 14, 59), True),
        (utc(2026, 3, 30, 15, 0), False),
        # The instant's own zone does not matter, only the interval's
        (datetime(2026, 3, 30, 3, 0, tzinfo=ZoneInfo("America/New_York")), True),
        (datetime(2026, 3, 30, 8, 59, tzinfo=BERLIN), False),
        (datetime(2026, 3, 30, 9, 0, tzinfo=BERLIN), True),
    ],
)
def test_business_hours_in_berlin_across_the_spring_dst_change(at: datetime, expected: bool) -> None:
    assert BUSINESS_HOURS.contains(at) is expected


def test_local_times_on_the_spring_dst_day_skip_the_missing_hour() -> None:
    # 2026-03-29: Berlin clocks jump from 02:00 to 03:00, so 01:00-04:00 local lasts two real hours
    night = interval(times=[{"start_time": "01:00", "end_time": "04:00"}], location="Europe/Berlin")
    missing = interval(times=[{"start_time": "02:00", "end_time": "03:00"}], location="Europe/Berlin")

    minutes = [utc(2026, 3, 28, 12) + timedelta(minutes=m) for m in range(24 * 60)]

    assert [t for t in minutes if night.contains(t)] == [
        utc(2026, 3, 29, 0) + timedelta(minutes=m) for m in range(120)
    ]
    assert not any(missing.contains(t) for t in minutes)
    assert next_change([night], utc(2026, 3, 29, 1, 50), timedelta(minutes=15)) == utc(2026, 3, 29, 2, 0)


def test_local_times_on_the_autumn_dst_day_match_the_repeated_hour_twice() -> None:
    # 2026-10-25: Berlin clocks go back from 03:00 to 02:00, so 02:00-03:00 local happens twice
    repeated = interval(times=[{"start_time": "02:00", "end_time": "03:00"}], location="Europe/Berlin")

    minutes = [utc(2026, 10, 24, 12) + timedelta(minutes=m) for m in range(24 * 60)]

    assert [t for t in minutes if repeated.contains(t)] == [
        utc(2026, 10, 25, 0) + timedelta(minutes=m) for m in range(120)
    ]


@pytest.mark.parametrize(
    ("days", "day", "expected"),
    [
        (["-1"], utc(2028, 2, 29, 12), True),  # leap year: the 29th is the last day
        (["-1"], utc(2028, 2, 28, 12), False),
        (["-1"], utc(2027, 2, 28, 12), True),
        (["-1"], utc(2027, 3, 31, 12), True),
        (["-3:-1"], utc(2027, 2, 25, 12), False),
        (["-3:-1"], utc(2027, 2, 26, 12), True),
        (["-3:-1"], utc(2028, 2, 26, 12), False),
        (["-3:-1"], utc(2028, 2, 27, 12), True),
        (["29:31"], utc(2027, 2, 28, 12), False),
        (["29:31"], utc(2028, 2, 29, 12), True),
        (["25:-1"], utc(2027, 2, 28, 12), True),
        (["-31:-28"], utc(2027, 2, 1, 12), True),  # clipped to the month's first day
        (["1", "15"], utc(2027, 2, 15, 0), True),
        (["1", "15"], utc(2027, 2, 14, 23, 59), False),
    ],
)
def test_days_of_month_count_negative_days_from_the_end(
    days: list[str], day: datetime, expected: bool
) -> None:
    assert interval(days_of_month=days).contains(day) is expected


def test_days_months_and_years_are_read_in_the_interval_zone() -> None:
    # 2026-12-31 23:30 UTC is already 2027-01-01 in Berlin
    new_year = interval(months=["january"], years=["2027"], days_of_month=["1"], location="Europe/Berlin")

    assert new_year.contains(utc(2026, 12, 31, 23, 0))
    assert not new_year.contains(utc(2026, 12, 31, 22, 59))
    assert not interval(months=["january"], years=["2027"]).contains(utc(2026, 12, 31, 23, 0))


def test_an_interval_holds_when_any_of_its_specs_does() -> None:
    either = NamedTimeInterval.model_validate(
        {
            "name": "weekends-or-nights",
            "time_intervals": [
                {"weekdays": ["saturday", "sunday"]},
                {"times": [{"start_time": "00:00", "end_time": "06:00"}]},
            ],
        }
    )

    assert either.contains(utc(2026, 3, 28, 12))  # Saturday
    assert either.contains(utc(2026, 3, 30, 5, 59))  # Monday night
    assert not either.contains(utc(2026, 3, 30, 6))
    assert not NamedTimeInterval(name="never", time_intervals=[]).contains(utc(2026, 3, 30))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        BUSINESS_HOURS.contains(datetime(2026, 3, 30, 9))
    with pytest.raises(ValueError, match="timezone-aware"):
        next_change([BUSINESS_HOURS], datetime(2026, 3, 30, 9), timedelta(minutes=5))


# --- next_change ---


@pytest.mark.parametrize(
    ("at", "horizon", "expected"),
    [
        (utc(2026, 3, 27, 7, 52, 30), timedelta(minutes=15), utc(2026, 3, 27, 8)),
        (utc(2026, 3, 27, 7, 52, 30), timedelta(minutes=7, seconds=30), utc(2026, 3, 27, 8)),  # inclusive
        (utc(2026, 3, 27, 7, 52, 30), timedelta(minutes=7, seconds=29), None),
        (utc(2026, 3, 27, 7, 59, 59, 999999), timedelta(minutes=1), utc(2026, 3, 27, 8)),
        (utc(2026, 3, 27, 8, 0), timedelta(minutes=15), None),  # the change at `at` itself is not next
        (utc(2026, 3, 27, 15, 50), timedelta(minutes=15), utc(2026, 3, 27, 16)),
        (utc(2026, 3, 30, 6, 50), timedelta(minutes=15), utc(2026, 3, 30, 7)),  # after DST: an hour earlier
        (utc(2026, 3, 28, 10), timedelta(minutes=15), None),
        (utc(2026, 3, 27, 8), timedelta(0), None),
    ],
)
def test_next_change_finds_the_boundary_exactly(
    at: datetime, horizon: timedelta, expected: datetime | None
) -> None:
    found = next_change([BUSINESS_HOURS], at, horizon)

    assert found == expected
    if found is not None:
        assert found.tzinfo is UTC


def test_next_change_steps_in_real_time_whatever_the_zone_of_at() -> None:
    # Given `at` in Berlin just before clocks go back (02:55 CEST = 00:55 UTC) and a UTC interval
    at = datetime(2026, 10, 25, 2, 55, tzinfo=BERLIN)
    one_am_utc = interval(times=[{"start_time": "01:00", "end_time": "01:05"}])

    # Then it starts five real minutes later (wall-clock steps would jump from 00:59 to 02:00 UTC)
    assert next_change([one_am_utc], at, timedelta(minutes=15)) == utc(2026, 10, 25, 1, 0)


def test_adjoining_intervals_do_not_change_where_they_meet() -> None:
    morning = interval(times=[{"start_time": "09:00", "end_time": "12:00"}])
    afternoon = interval(times=[{"start_time": "12:00", "end_time": "17:00"}])

    assert next_change([morning, afternoon], utc(2026, 3, 27, 11, 50), timedelta(minutes=15)) is None
    assert next_change([morning], utc(2026, 3, 27, 11, 50), timedelta(minutes=15)) == utc(2026, 3, 27, 12)
    assert next_change([], utc(2026, 3, 27, 11, 50), timedelta(minutes=15)) is None


# --- property: next_change agrees with a minute-by-minute reference built from the raw config ---

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]
DAY_NAMES = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
# Instants near DST changes, midnights and month ends in the zones above
ANCHORS = [
    utc(2026, 3, 29, 1),
    utc(2026, 10, 25, 1),
    utc(2026, 3, 8, 7),
    utc(2026, 11, 1, 6),
    utc(2026, 4, 4, 15),
    utc(2028, 2, 29, 23),
    utc(2027, 2, 28, 23),
    utc(2026, 12, 31, 18, 30),
]


@st.composite
def raw_specs(draw: st.DrawFn, at: datetime) -> dict[str, Any]:
    """A spec as written in YAML; its times start or end near `at` more often than chance would have it."""
    location = draw(st.sampled_from(ZONES))
    spec: dict[str, Any] = {"location": location}
    local = at.astimezone(ZoneInfo(location))
    near = st.integers(-30, 30).map(lambda d: min(max(local.hour * 60 + local.minute + d, 0), 1440))
    if draw(st.booleans()):
        times = []
        for _ in range(draw(st.integers(1, 2))):
            a, b = draw(st.one_of(near, st.integers(0, 1440))), draw(near)
            start, end = min(a, b, 1439), max(a, b, min(a, b, 1439) + 1)
            times.append({"start_time": _hhmm(start), "end_time": _hhmm(end)})
        spec["times"] = times
    if draw(st.booleans()):
        days = []
        for _ in range(draw(st.integers(1, 2))):
            first = draw(st.integers(0, 6))
            last = draw(st.integers(first, 6))
            days.append(
                DAY_NAMES[first].upper() if first == last else f"{DAY_NAMES[first]}:{DAY_NAMES[last]}"
            )
        spec["weekdays"] = days
    if draw(st.booleans()):
        entry = draw(
            st.sampled_from(
                ["1", "-1", "-2:-1", "28:31", "29", "1:-2", "-31:-30", "-31:-27", "31", "27:-1", "2:3"]
            )
        )
        spec["days_of_month"] = [entry]
    return spec


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[datetime, list[list[dict[str, Any]]]]:
    anchor = draw(st.sampled_from(ANCHORS))
    at = anchor + timedelta(milliseconds=draw(st.integers(-2 * 3600 * 1000, 2 * 3600 * 1000)))
    at = at.astimezone(ZoneInfo(draw(st.sampled_from(ZONES))))
    specs = draw(st.lists(st.lists(raw_specs(at), max_size=2), min_size=1, max_size=2))
    return at, specs


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def reference_contains(spec: dict[str, Any], t: datetime) -> bool:
    local = t.astimezone(ZoneInfo(spec["location"]))
    minute = local.hour * 60 + local.minute
    if "times" in spec and not any(
        _minutes(r["start_time"]) <= minute < _minutes(r["end_time"]) for r in spec["times"]
    ):
        return False
    if "weekdays" in spec:
        allowed = set()
        for entry in spec["weekdays"]:
            first, _, last = entry.lower().partition(":")
            allowed |= set(DAY_NAMES[DAY_NAMES.index(first) : DAY_NAMES.index(last or first) + 1])
        if local.strftime("%w") not in {str(DAY_NAMES.index(d)) for d in allowed}:
            return False
    if "days_of_month" in spec:
        length = calendar.monthrange(local.year, local.month)[1]
        allowed = set()
        for entry in spec["days_of_month"]:
            first, _, last = entry.partition(":")
            lo, hi = (int(x) if int(x) > 0 else length + int(x) + 1 for x in (first, last or first))
            allowed |= set(range(lo, hi + 1))
        if local.day not in allowed:
            return False
    return True


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


@settings(max_examples=200, deadline=None)
@given(scenario=scenarios(), horizon=st.integers(0, 20 * 60))
def test_next_change_agrees_with_brute_force(
    scenario: tuple[datetime, list[list[dict[str, Any]]]], horizon: int
) -> None:
    at, specs = scenario
    intervals = [
        NamedTimeInterval.model_validate({"name": f"i{n}", "time_intervals": s}) for n, s in enumerate(specs)
    ]

    def reference(t: datetime) -> bool:
        return any(reference_contains(spec, t) for group in specs for spec in group)

    assert any(i.contains(at) for i in intervals) == reference(at)
    expected = None
    first_minute = (int(at.timestamp()) // 60 + 1) * 60
    for epoch in range(first_minute, int(at.timestamp() + horizon) + 1, 60):
        t = datetime.fromtimestamp(epoch, UTC)
        if reference(t) != reference(at):
            expected = t
            break

    assert next_change(intervals, at, timedelta(seconds=horizon)) == expected

"""CloudWatch alarm mute rule schedules evaluated (sources/mute_schedule.py): the window covering a moment, in
the rule's zone, across daylight saving changes, bounded by StartDate and ExpireDate; and what the API
reference does not document refused with its reason."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from alertrouter.sources.mute_schedule import MuteRule, MuteSchedule, ScheduleError, parse_duration

TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def local(zone: ZoneInfo, *parts: int, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=zone, fold=fold)  # type: ignore[misc]


def window(
    expression: str, duration: str, at: datetime, zone: str | None = None
) -> tuple[datetime, datetime] | None:
    return MuteSchedule.parse(expression, duration, zone).window_at(at)


def test_daily_cron_covers_its_hours_and_not_after() -> None:
    nightly = MuteSchedule.parse("cron(0 2 * * *)", "PT2H")
    assert nightly.window_at(utc(2026, 5, 10, 2, 0)) == (utc(2026, 5, 10, 2), utc(2026, 5, 10, 4))
    assert nightly.window_at(utc(2026, 5, 10, 3, 59, 59)) == (utc(2026, 5, 10, 2), utc(2026, 5, 10, 4))
    assert nightly.window_at(utc(2026, 5, 10, 4, 0)) is None  # the end is exclusive
    assert nightly.window_at(utc(2026, 5, 10, 1, 59)) is None


def test_weekly_sunday_in_tokyo_is_tokyo_wall_clock() -> None:
    # Sunday 2026-05-10 02:00 JST = Saturday 17:00 UTC
    found = window("cron(0 2 * * SUN)", "PT4H", utc(2026, 5, 9, 18, 30), "Asia/Tokyo")
    assert found == (
        local(TOKYO, 2026, 5, 10, 2).astimezone(UTC),
        local(TOKYO, 2026, 5, 10, 6).astimezone(UTC),
    )
    assert window("cron(0 2 * * SUN)", "PT4H", utc(2026, 5, 10, 2, 30), "Asia/Tokyo") is None  # 11:30 JST
    # 02:00 UTC on a Sunday is not the rule's Sunday 02:00
    assert window("cron(0 2 * * SUN)", "PT4H", utc(2026, 5, 10, 2, 30)) == (
        utc(2026, 5, 10, 2),
        utc(2026, 5, 10, 6),
    )


def test_monthly_on_day_one() -> None:
    assert window("cron(0 1 1 * *)", "PT6H", utc(2026, 6, 1, 6, 59)) == (
        utc(2026, 6, 1, 1),
        utc(2026, 6, 1, 7),
    )
    assert window("cron(0 1 1 * *)", "PT6H", utc(2026, 6, 2, 3)) is None


def test_friday_evening_to_monday_morning_spans_the_weekend() -> None:
    weekend = MuteSchedule.parse("cron(0 18 * * FRI)", "P2DT12H", "Europe/Berlin")
    friday = local(BERLIN, 2026, 5, 15, 18).astimezone(UTC)
    monday = local(BERLIN, 2026, 5, 18, 6).astimezone(UTC)
    for at in (friday, friday + timedelta(days=1), monday - timedelta(seconds=1)):
        assert weekend.window_at(at) == (friday, monday)
    assert weekend.window_at(monday) is None
    assert weekend.window_at(friday - timedelta(minutes=1)) is None


def test_a_one_time_at_window() -> None:
    once = MuteSchedule.parse("at(2026-12-23T00:00)", "P7D", "America/New_York")
    start = local(NEW_YORK, 2026, 12, 23).astimezone(UTC)
    assert once.window_at(start + timedelta(days=6)) == (start, start + timedelta(days=7))
    assert once.window_at(start - timedelta(seconds=1)) is None
    assert once.window_at(start + timedelta(days=7)) is None
    assert once.window_at(start + timedelta(days=365)) is None  # never again


def test_lists_ranges_and_names() -> None:
    workdays = MuteSchedule.parse("cron(0,30 9-10 * JAN-MAR,DEC MON-FRI)", "PT10M")
    assert workdays.window_at(utc(2026, 3, 3, 10, 35)) == (utc(2026, 3, 3, 10, 30), utc(2026, 3, 3, 10, 40))
    assert workdays.window_at(utc(2026, 3, 7, 10, 35)) is None  # a Saturday
    assert workdays.window_at(utc(2026, 4, 1, 10, 35)) is None  # April
    assert workdays.window_at(utc(2026, 3, 3, 11, 5)) is None


def test_overlapping_windows_give_the_one_ending_last() -> None:
    # every hour for 3 hours: at 05:30 the windows of 03:00, 04:00 and 05:00 cover it
    assert window("cron(0 * * * *)", "PT3H", utc(2026, 5, 10, 5, 30)) == (
        utc(2026, 5, 10, 5),
        utc(2026, 5, 10, 8),
    )


# ---- daylight saving time ----
def test_new_york_spring_forward_a_skipped_start_moves_on_by_the_gap() -> None:
    # 2026-03-08: 02:00 EST becomes 03:00 EDT; 02:30 does not exist that night and starts at 03:30 EDT
    skipped = MuteSchedule.parse("cron(30 2 * * *)", "PT1H", "America/New_York")
    start = local(NEW_YORK, 2026, 3, 8, 3, 30)
    assert start.utcoffset() == timedelta(hours=-4)
    assert skipped.window_at(start.astimezone(UTC)) == (
        start.astimezone(UTC),
        (start + timedelta(hours=1)).astimezone(UTC),
    )
    # the nights around it are 02:30 local as usual
    before = local(NEW_YORK, 2026, 3, 7, 2, 30).astimezone(UTC)
    after = local(NEW_YORK, 2026, 3, 9, 2, 30).astimezone(UTC)
    assert skipped.window_at(before) == (before, before + timedelta(hours=1))
    assert skipped.window_at(after) == (after, after + timedelta(hours=1))
    assert after - before == timedelta(days=2, hours=-1)


def test_new_york_fall_back_a_repeated_start_starts_once_at_the_first() -> None:
    # 2026-11-01: 01:00-02:00 happens twice (EDT, then EST); the window starts at the first 01:30
    repeated = MuteSchedule.parse("cron(30 1 * * *)", "PT30M", "America/New_York")
    first = local(NEW_YORK, 2026, 11, 1, 1, 30, fold=0).astimezone(UTC)
    second = local(NEW_YORK, 2026, 11, 1, 1, 30, fold=1).astimezone(UTC)
    assert second - first == timedelta(hours=1)
    assert repeated.window_at(first + timedelta(minutes=10)) == (first, first + timedelta(minutes=30))
    assert repeated.window_at(second + timedelta(minutes=10)) is None


def test_berlin_days_are_calendar_days_over_a_daylight_saving_weekend() -> None:
    # Europe/Berlin goes to summer time on Sunday 2026-03-29: Friday 18:00 + P2DT12H still ends Monday 06:00
    weekend = MuteSchedule.parse("cron(0 18 * * FRI)", "P2DT12H", "Europe/Berlin")
    friday = local(BERLIN, 2026, 3, 27, 18).astimezone(UTC)
    monday = local(BERLIN, 2026, 3, 30, 6).astimezone(UTC)
    assert monday - friday == timedelta(days=2, hours=11)  # an hour shorter in elapsed time
    assert weekend.window_at(monday - timedelta(minutes=1)) == (friday, monday)
    assert weekend.window_at(monday) is None
    # hours alone are elapsed time: 01:00 + PT4H over the change ends at 06:00 CEST
    night = MuteSchedule.parse("cron(0 1 * * SUN)", "PT4H", "Europe/Berlin")
    one = local(BERLIN, 2026, 3, 29, 1).astimezone(UTC)
    assert night.window_at(one) == (one, one + timedelta(hours=4))
    assert (one + timedelta(hours=4)).astimezone(BERLIN).hour == 6


# ---- StartDate and ExpireDate ----
def rule(start: datetime | None = None, expire: datetime | None = None) -> MuteRule:
    return MuteRule(
        name="nightly",
        arn="arn:aws:cloudwatch:us-east-1:123456789012:alarm-mute-rule:nightly",
        schedule=MuteSchedule.parse("cron(0 2 * * *)", "PT2H"),
        alarms=frozenset({"db-cpu"}),
        start_date=start,
        expire_date=expire,
    )


def test_a_window_is_reported_in_milliseconds_with_the_rules_name() -> None:
    muted = rule().window_at(utc(2026, 5, 10, 3))
    assert muted is not None
    assert (muted.rule, muted.rule_arn) == (
        "nightly",
        "arn:aws:cloudwatch:us-east-1:123456789012:alarm-mute-rule:nightly",
    )
    assert (muted.starts_at_ms, muted.ends_at_ms) == (
        int(utc(2026, 5, 10, 2).timestamp() * 1000),
        int(utc(2026, 5, 10, 4).timestamp() * 1000),
    )
    assert muted.covers(int(utc(2026, 5, 10, 3).timestamp() * 1000))


def test_start_and_expire_dates_cut_the_windows() -> None:
    starting = rule(start=utc(2026, 5, 10, 3))
    assert starting.window_at(utc(2026, 5, 9, 3)) is None  # before the rule took effect
    assert starting.window_at(utc(2026, 5, 10, 2, 30)) is None
    cut = starting.window_at(utc(2026, 5, 10, 3, 30))
    assert cut is not None and cut.starts_at_ms == int(utc(2026, 5, 10, 3).timestamp() * 1000)
    expiring = rule(expire=utc(2026, 5, 10, 3))
    ended = expiring.window_at(utc(2026, 5, 10, 2, 30))
    assert ended is not None and ended.ends_at_ms == int(utc(2026, 5, 10, 3).timestamp() * 1000)
    assert expiring.window_at(utc(2026, 5, 10, 3, 30)) is None
    assert expiring.window_at(utc(2026, 5, 11, 2, 30)) is None


def ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def test_the_next_window_is_the_covering_one_else_the_first_to_start_within_the_horizon() -> None:
    """What the maintenance view shows of a rule: its window now, or its next one."""
    week = timedelta(days=7)
    weekly = MuteSchedule.parse("cron(0 2 * * SUN)", "PT4H", "Asia/Tokyo")
    # Sunday 2026-05-10 02:00 in Tokyo is Saturday 17:00 UTC: from the Wednesday before, that is next
    assert weekly.next_window(utc(2026, 5, 6, 12), week) == (utc(2026, 5, 9, 17), utc(2026, 5, 9, 21))
    assert weekly.next_window(utc(2026, 5, 9, 18), week) == (utc(2026, 5, 9, 17), utc(2026, 5, 9, 21))
    assert weekly.next_window(utc(2026, 5, 9, 21), week) == (utc(2026, 5, 16, 17), utc(2026, 5, 16, 21))
    assert weekly.next_window(utc(2026, 5, 6, 12), timedelta(days=2)) is None  # beyond the horizon
    once = MuteSchedule.parse("at(2026-06-01T22:00)", "PT1H")
    assert once.next_window(utc(2026, 5, 6), timedelta(days=35)) == (utc(2026, 6, 1, 22), utc(2026, 6, 1, 23))
    assert once.next_window(utc(2026, 6, 1, 23), timedelta(days=35)) is None  # it has been
    # a rule's windows are cut to when it is in effect: one starting mid-window, one that expires
    starting = rule(start=utc(2026, 5, 12, 3)).next_window(utc(2026, 5, 10, 12), week)
    assert starting is not None and (starting.starts_at_ms, starting.ends_at_ms) == (
        ms(utc(2026, 5, 12, 3)),
        ms(utc(2026, 5, 12, 4)),
    )
    assert rule(expire=utc(2026, 5, 11, 1)).next_window(utc(2026, 5, 10, 12), week) is None
    now = rule().next_window(utc(2026, 5, 10, 3), week)
    assert now is not None and now.covers(ms(utc(2026, 5, 10, 3)))


# ---- what is refused ----
@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("cron(0/15 * * * *)", "step values (/)"),
        ("cron(*/15 * * * *)", "step values (/)"),
        ("cron(0 2 ? * SUN)", "'?'"),
        ("cron(0 2 L * *)", "'L' (last)"),
        ("cron(0 2 * * 5L)", "'L' (last)"),
        ("cron(0 2 15W * *)", "'W' (nearest weekday)"),
        ("cron(0 2 * * MON#2)", "'#' (nth weekday)"),
        ("cron(0 2 * * 1)", "only the names SUN-SAT"),
        ("cron(0 2 1 * MON)", "both day-of-month and day-of-week"),
        ("cron(0 2 * * * 2026)", "5 fields"),
        ("cron(0 2 * *)", "5 fields"),
        ("cron(60 2 * * *)", "outside 0-59"),
        ("cron(0 24 * * *)", "outside 0-23"),
        ("cron(0 2 32 * *)", "outside 1-31"),
        ("cron(0 2 * 13 *)", "outside 1-12"),
        ("cron(0 2 * * FRI-MON)", "runs backwards"),
        ("cron(0 2 * * FUNDAY)", "only the names SUN-SAT"),
        ("cron(0 2 1, * *)", "empty value"),
        ("rate(5 minutes)", "neither cron(...) nor at("),
        ("at(2026-02-30T00:00)", "day is out of range"),
        ("at(2026-02-03 00:00)", "neither cron(...) nor at("),
    ],
)
def test_undocumented_or_invalid_expressions_are_refused_with_their_reason(
    expression: str, reason: str
) -> None:
    with pytest.raises(ScheduleError, match=re.escape(reason)):
        MuteSchedule.parse(expression, "PT1H")


@pytest.mark.parametrize(
    ("duration", "days", "elapsed"),
    [
        ("PT1M", 0, timedelta(minutes=1)),
        ("PT4H", 0, timedelta(hours=4)),
        ("P2DT12H", 2, timedelta(hours=12)),
        ("P7D", 7, timedelta(0)),
        ("P15D", 15, timedelta(0)),
        ("PT90M", 0, timedelta(minutes=90)),
    ],
)
def test_durations(duration: str, days: int, elapsed: timedelta) -> None:
    assert parse_duration(duration) == (days, elapsed)


@pytest.mark.parametrize("duration", ["PT30S", "P16D", "P15DT1M", "P1M", "P1Y", "PT", "P", "4h", "P1W", ""])
def test_durations_outside_one_minute_to_fifteen_days_or_not_iso_are_refused(duration: str) -> None:
    with pytest.raises(ScheduleError):
        parse_duration(duration)


def test_an_unknown_zone_is_refused() -> None:
    with pytest.raises(ScheduleError, match="unknown time zone"):
        MuteSchedule.parse("cron(0 2 * * *)", "PT1H", "Mars/Olympus_Mons")

"""Who is on call when: rotations, handoffs across DST and leap days, layers, restrictions, overrides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alertrouter.models.recipient import Recipient
from alertrouter.models.schedule import Layer, Override, Schedule
from alertrouter.oncall import schedule as schedule_module
from alertrouter.oncall.schedule import OnCall, Shift, next_change_ms, on_call, resolve, shifts
from alertrouter.yamltext import load_yaml

HOUR = 3_600_000
DAY = 24 * HOUR


def ms(text: str) -> int:
    """An ISO time with its offset (Z for UTC) as epoch ms."""
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def iso(at: int) -> str:
    return datetime.fromtimestamp(at / 1000, UTC).strftime("%Y-%m-%dT%H:%MZ")


def schedule(text: str) -> Schedule:
    return Schedule.model_validate(load_yaml(text))


def rotation(zone: str, rotation: str, start: str, members: str, extra: str = "") -> Schedule:
    return schedule(
        f"""
name: team
time_zone: {zone}
layers:
  - {{name: primary, rotation: {rotation}, start: '{start}', members: [{members}]{extra}}}
"""
    )


def timeline(found: list[Shift]) -> list[tuple[str, str, str, str]]:
    return [(s.person, s.layer, iso(s.start_ms), iso(s.end_ms)) for s in found]


def handoffs(sched: Schedule, start: str, end: str) -> list[str]:
    """The instants someone takes over, in UTC, within [start, end)."""
    return [iso(s.start_ms) for s in shifts(sched, ms(start), ms(end))]


# ---- rotations ----


def test_a_daily_rotation_goes_round_its_members_from_the_start() -> None:
    # Given a daily rotation of three from Monday 09:00 UTC
    sched = rotation("UTC", "daily", "2026-01-05T09:00", "alice, bob, carol")
    # When the first five days are laid out (from before the start)
    found = shifts(sched, ms("2026-01-05T00:00Z"), ms("2026-01-10T00:00Z"))
    # Then nobody is on call before the start, then each in turn for a day
    assert timeline(found) == [
        ("alice", "primary", "2026-01-05T09:00Z", "2026-01-06T09:00Z"),
        ("bob", "primary", "2026-01-06T09:00Z", "2026-01-07T09:00Z"),
        ("carol", "primary", "2026-01-07T09:00Z", "2026-01-08T09:00Z"),
        ("alice", "primary", "2026-01-08T09:00Z", "2026-01-09T09:00Z"),
        ("bob", "primary", "2026-01-09T09:00Z", "2026-01-10T00:00Z"),
    ]
    assert on_call(sched, ms("2026-01-05T08:59Z")) is None
    assert on_call(sched, ms("2026-01-07T12:00Z")) == OnCall(
        "carol", "primary", ms("2026-01-07T09:00Z"), ms("2026-01-08T09:00Z")
    )


def test_a_weekly_rotation_far_from_its_start_is_found_by_arithmetic() -> None:
    sched = rotation("UTC", "weekly", "2026-01-05T09:00", "alice, bob, carol")
    # 1,000 weeks after the start: 1000 % 3 == 1 -> bob
    week_1000 = ms("2026-01-05T09:00Z") + 1000 * 7 * DAY
    found = on_call(sched, week_1000 + HOUR)
    assert found == OnCall("bob", "primary", week_1000, week_1000 + 7 * DAY)


def test_a_custom_rotation_of_twelve_hours() -> None:
    sched = rotation("UTC", "custom", "2026-01-05T08:00", "alice, bob", ", shift_length: 12h")
    assert handoffs(sched, "2026-01-05T00:00Z", "2026-01-07T00:00Z") == [
        "2026-01-05T08:00Z",
        "2026-01-05T20:00Z",
        "2026-01-06T08:00Z",
        "2026-01-06T20:00Z",
    ]


def test_a_member_listed_twice_in_a_row_holds_one_shift_and_a_lone_member_never_hands_off() -> None:
    twice = rotation("UTC", "daily", "2026-01-05T09:00", "alice, alice, bob")
    assert timeline(shifts(twice, ms("2026-01-05T09:00Z"), ms("2026-01-08T09:00Z"))) == [
        ("alice", "primary", "2026-01-05T09:00Z", "2026-01-07T09:00Z"),
        ("bob", "primary", "2026-01-07T09:00Z", "2026-01-08T09:00Z"),
    ]
    alone = rotation("UTC", "daily", "2026-01-05T09:00", "alice")
    assert on_call(alone, ms("2026-02-01T00:00Z")) == OnCall(
        "alice", "primary", ms("2026-01-05T09:00Z"), None
    )
    assert next_change_ms(alone, ms("2026-02-01T00:00Z")) is None
    assert next_change_ms(alone, ms("2026-01-01T00:00Z")) == ms("2026-01-05T09:00Z")


# ---- DST: wall-clock handoffs ----

DST_CASES = [
    # zone, rotation start, window, expected handoffs (UTC)
    pytest.param(
        "Europe/Berlin",
        "2026-03-27T09:00",
        ("2026-03-27T00:00Z", "2026-03-31T00:00Z"),
        ["2026-03-27T08:00Z", "2026-03-28T08:00Z", "2026-03-29T07:00Z", "2026-03-30T07:00Z"],
        id="berlin-spring-forward-09:00-a-23h-shift",
    ),
    pytest.param(
        "Europe/Berlin",
        "2026-10-23T09:00",
        ("2026-10-23T00:00Z", "2026-10-27T00:00Z"),
        ["2026-10-23T07:00Z", "2026-10-24T07:00Z", "2026-10-25T08:00Z", "2026-10-26T08:00Z"],
        id="berlin-fall-back-09:00-a-25h-shift",
    ),
    pytest.param(
        "Europe/Berlin",
        "2026-03-27T02:30",
        ("2026-03-27T00:00Z", "2026-03-31T00:00Z"),
        # 02:30 does not exist on the 29th: the handoff is at 03:00 CEST, the first instant after the gap
        ["2026-03-27T01:30Z", "2026-03-28T01:30Z", "2026-03-29T01:00Z", "2026-03-30T00:30Z"],
        id="berlin-handoff-in-the-gap-moves-to-its-end",
    ),
    pytest.param(
        "Europe/Berlin",
        "2026-10-23T02:30",
        ("2026-10-23T00:00Z", "2026-10-27T00:00Z"),
        # 02:30 happens twice on the 25th: the first (CEST)
        ["2026-10-23T00:30Z", "2026-10-24T00:30Z", "2026-10-25T00:30Z", "2026-10-26T01:30Z"],
        id="berlin-ambiguous-handoff-takes-the-first",
    ),
    pytest.param(
        "America/New_York",
        "2026-03-06T09:00",
        ("2026-03-06T00:00Z", "2026-03-10T00:00Z"),
        ["2026-03-06T14:00Z", "2026-03-07T14:00Z", "2026-03-08T13:00Z", "2026-03-09T13:00Z"],
        id="new-york-spring-forward",
    ),
    pytest.param(
        "America/New_York",
        "2026-03-06T02:15",
        ("2026-03-06T00:00Z", "2026-03-10T00:00Z"),
        ["2026-03-06T07:15Z", "2026-03-07T07:15Z", "2026-03-08T07:00Z", "2026-03-09T06:15Z"],
        id="new-york-handoff-in-the-gap",
    ),
    pytest.param(
        "America/New_York",
        "2026-10-30T01:30",
        ("2026-10-30T00:00Z", "2026-11-03T12:00Z"),
        [
            "2026-10-30T05:30Z",
            "2026-10-31T05:30Z",
            "2026-11-01T05:30Z",
            "2026-11-02T06:30Z",
            "2026-11-03T06:30Z",
        ],
        id="new-york-ambiguous-handoff",
    ),
    pytest.param(
        "Australia/Sydney",
        "2026-04-03T09:00",
        ("2026-04-02T00:00Z", "2026-04-06T00:00Z"),
        # DST ends on Sunday 5 April at 03:00 AEDT: the shift of the 4th lasts 25 hours
        ["2026-04-02T22:00Z", "2026-04-03T22:00Z", "2026-04-04T23:00Z", "2026-04-05T23:00Z"],
        id="sydney-autumn-back",
    ),
    pytest.param(
        "Australia/Sydney",
        "2026-10-02T09:00",
        ("2026-10-01T00:00Z", "2026-10-05T00:00Z"),
        # DST starts on Sunday 4 October at 02:00 AEST: the shift of the 3rd lasts 23 hours
        ["2026-10-01T23:00Z", "2026-10-02T23:00Z", "2026-10-03T22:00Z", "2026-10-04T22:00Z"],
        id="sydney-spring-forward",
    ),
    pytest.param(
        "Australia/Sydney",
        "2026-10-02T02:30",
        ("2026-10-01T00:00Z", "2026-10-05T00:00Z"),
        ["2026-10-01T16:30Z", "2026-10-02T16:30Z", "2026-10-03T16:00Z", "2026-10-04T15:30Z"],
        id="sydney-handoff-in-the-gap",
    ),
    pytest.param(
        "Australia/Lord_Howe",
        "2026-10-02T02:15",
        ("2026-10-01T00:00Z", "2026-10-05T00:00Z"),
        # a half-hour change (+10:30 to +11 at 02:00): 02:15 is skipped, the handoff is at 02:30
        ["2026-10-01T15:45Z", "2026-10-02T15:45Z", "2026-10-03T15:30Z", "2026-10-04T15:15Z"],
        id="lord-howe-half-hour-gap",
    ),
]


@pytest.mark.parametrize(("zone", "start", "window", "expected"), DST_CASES)
def test_daily_handoffs_keep_their_local_time_across_dst(
    zone: str, start: str, window: tuple[str, str], expected: list[str]
) -> None:
    members = ", ".join(f"p{i}" for i in range(len(expected)))  # each handoff a change of person
    sched = rotation(zone, "daily", start, members)
    assert handoffs(sched, *window) == expected
    for at in expected:  # and the instant itself: the new shift starts exactly there
        found = on_call(sched, ms(at))
        assert found is not None and iso(found.since_ms) == at
        assert on_call(sched, ms(at) - 1) != found


def test_custom_twelve_hour_shifts_stay_at_08_and_20_when_new_york_falls_back() -> None:
    sched = rotation("America/New_York", "custom", "2026-10-30T08:00", "alice, bob", ", shift_length: 12h")
    found = shifts(sched, ms("2026-10-31T20:00-04:00"), ms("2026-11-02T08:00-05:00"))
    assert timeline(found) == [
        # 20:00 EDT -> 08:00 EST is 13 hours
        ("bob", "primary", "2026-11-01T00:00Z", "2026-11-01T13:00Z"),
        ("alice", "primary", "2026-11-01T13:00Z", "2026-11-02T01:00Z"),
        ("bob", "primary", "2026-11-02T01:00Z", "2026-11-02T13:00Z"),
    ]


def test_a_weekly_handoff_on_a_dst_sunday_in_sydney() -> None:
    sched = rotation("Australia/Sydney", "weekly", "2026-03-29T09:00", "alice, bob")
    assert handoffs(sched, "2026-03-28T00:00Z", "2026-04-13T00:00Z") == [
        "2026-03-28T22:00Z",  # 09:00 AEDT
        "2026-04-04T23:00Z",  # 09:00 AEST: a week and an hour later
        "2026-04-11T23:00Z",
    ]


def test_an_hourly_rotation_passes_over_the_shift_the_skipped_hour_leaves_empty() -> None:
    # 01:00, 02:00 (skipped: 03:00 CEST), 03:00 CEST: the shift starting "02:00" is empty, so bob never shows
    sched = rotation("Europe/Berlin", "custom", "2026-03-29T00:00", "alice, bob, carol", ", shift_length: 1h")
    assert timeline(shifts(sched, ms("2026-03-28T23:00Z"), ms("2026-03-29T02:00Z"))) == [
        ("alice", "primary", "2026-03-28T23:00Z", "2026-03-29T00:00Z"),
        ("bob", "primary", "2026-03-29T00:00Z", "2026-03-29T01:00Z"),
        ("alice", "primary", "2026-03-29T01:00Z", "2026-03-29T02:00Z"),
    ]


# ---- leap days ----


def test_a_daily_rotation_across_a_leap_day() -> None:
    sched = rotation("Europe/Berlin", "daily", "2028-02-27T09:00", "alice, bob, carol")
    assert timeline(shifts(sched, ms("2028-02-28T08:00Z"), ms("2028-03-02T08:00Z"))) == [
        ("bob", "primary", "2028-02-28T08:00Z", "2028-02-29T08:00Z"),
        ("carol", "primary", "2028-02-29T08:00Z", "2028-03-01T08:00Z"),
        ("alice", "primary", "2028-03-01T08:00Z", "2028-03-02T08:00Z"),
    ]


def test_a_weekly_rotation_starting_on_a_leap_day() -> None:
    sched = rotation("America/New_York", "weekly", "2028-02-29T09:00", "alice, bob")
    assert handoffs(sched, "2028-02-29T00:00Z", "2028-03-22T00:00Z") == [
        "2028-02-29T14:00Z",
        "2028-03-07T14:00Z",
        "2028-03-14T13:00Z",  # EDT since 12 March
        "2028-03-21T13:00Z",
    ]
    # a year on, 53 weeks later, still a Tuesday at 09:00 (no Feb 29th in 2029)
    found = on_call(sched, ms("2029-03-06T15:00Z"))
    assert found is not None and iso(found.since_ms) == "2029-03-06T14:00Z"
    assert found.person == "bob"  # week 53 of the rotation


def test_a_custom_two_day_rotation_over_the_leap_day() -> None:
    sched = rotation("UTC", "custom", "2028-02-26T00:00", "alice, bob", ", shift_length: 2d")
    assert handoffs(sched, "2028-02-26T00:00Z", "2028-03-04T00:00Z") == [
        "2028-02-26T00:00Z",
        "2028-02-28T00:00Z",
        "2028-03-01T00:00Z",
        "2028-03-03T00:00Z",
    ]


# ---- layers and restrictions ----

LAYERED = """
name: payments
time_zone: Europe/Berlin
layers:
  - {name: primary, rotation: weekly, start: '2026-01-05T09:00', members: [alice, bob]}
  - name: business-hours
    rotation: daily
    start: '2026-01-05T00:00'
    members: [dave, erin]
    restrictions:
      - weekdays: ['monday:friday']
        times: [{start_time: '09:00', end_time: '17:00'}]
"""


def test_a_later_layer_wins_inside_its_restrictions_and_falls_through_outside() -> None:
    sched = schedule(LAYERED)
    found = shifts(sched, ms("2026-01-09T00:00+01:00"), ms("2026-01-13T00:00+01:00"))
    assert timeline(found) == [
        ("alice", "primary", "2026-01-08T23:00Z", "2026-01-09T08:00Z"),
        ("dave", "business-hours", "2026-01-09T08:00Z", "2026-01-09T16:00Z"),  # Friday: day 4 -> dave
        ("alice", "primary", "2026-01-09T16:00Z", "2026-01-12T08:00Z"),  # the weekend, and the handoff
        ("erin", "business-hours", "2026-01-12T08:00Z", "2026-01-12T16:00Z"),  # Monday: day 7 -> erin
        ("bob", "primary", "2026-01-12T16:00Z", "2026-01-12T23:00Z"),
    ]


def test_a_layer_before_its_start_falls_through() -> None:
    sched = schedule(
        """
name: t
layers:
  - {name: base, rotation: daily, start: '2026-01-01T00:00', members: [alice]}
  - {name: new, rotation: daily, start: '2026-01-10T12:00', members: [bob]}
"""
    )
    assert timeline(shifts(sched, ms("2026-01-09T00:00Z"), ms("2026-01-11T00:00Z"))) == [
        ("alice", "base", "2026-01-09T00:00Z", "2026-01-10T12:00Z"),
        ("bob", "new", "2026-01-10T12:00Z", "2026-01-11T00:00Z"),
    ]


def test_a_night_restriction_crossing_midnight_is_one_shift() -> None:
    sched = rotation(
        "Europe/Berlin",
        "weekly",
        "2026-01-05T00:00",
        "nina",
        ", restrictions: [{times: [{start_time: '22:00', end_time: '24:00'}, {start_time: '00:00', "
        "end_time: '06:00'}]}]",
    )
    assert timeline(shifts(sched, ms("2026-01-06T00:00Z"), ms("2026-01-08T00:00Z"))) == [
        ("nina", "primary", "2026-01-06T00:00Z", "2026-01-06T05:00Z"),
        ("nina", "primary", "2026-01-06T21:00Z", "2026-01-07T05:00Z"),
        ("nina", "primary", "2026-01-07T21:00Z", "2026-01-08T00:00Z"),
    ]
    found = on_call(sched, ms("2026-01-07T02:00Z"))
    assert found == OnCall("nina", "primary", ms("2026-01-06T21:00Z"), ms("2026-01-07T05:00Z"))
    assert on_call(sched, ms("2026-01-07T12:00Z")) is None
    assert next_change_ms(sched, ms("2026-01-07T12:00Z")) == ms("2026-01-07T21:00Z")


def test_a_handoff_inside_a_restricted_window_splits_it() -> None:
    sched = rotation(
        "UTC",
        "daily",
        "2026-01-05T12:00",
        "alice, bob",
        ", restrictions: [{times: [{start_time: '09:00', end_time: '17:00'}]}]",
    )
    assert timeline(shifts(sched, ms("2026-01-06T00:00Z"), ms("2026-01-07T00:00Z"))) == [
        ("alice", "primary", "2026-01-06T09:00Z", "2026-01-06T12:00Z"),
        ("bob", "primary", "2026-01-06T12:00Z", "2026-01-06T17:00Z"),
    ]


def test_restrictions_keep_their_local_hours_across_dst() -> None:
    sched = rotation(
        "America/New_York",
        "weekly",
        "2026-03-02T00:00",
        "alice",
        ", restrictions: [{times: [{start_time: '09:00', end_time: '17:00'}]}]",
    )
    assert timeline(shifts(sched, ms("2026-03-07T00:00Z"), ms("2026-03-09T00:00Z"))) == [
        ("alice", "primary", "2026-03-07T14:00Z", "2026-03-07T22:00Z"),
        ("alice", "primary", "2026-03-08T13:00Z", "2026-03-08T21:00Z"),
    ]


# ---- overrides ----


def override(person: str, start: str, end: str, created: int = 0) -> Override:
    return Override("team", person, ms(start), ms(end), by="test", created_ms=created)


WEEKLY = rotation("UTC", "weekly", "2026-01-05T09:00", "alice, bob")


def test_an_override_inside_one_shift_cuts_it_in_three() -> None:
    cover = [override("zoe", "2026-01-06T12:00Z", "2026-01-06T18:00Z")]
    assert timeline(shifts(WEEKLY, ms("2026-01-05T09:00Z"), ms("2026-01-12T09:00Z"), cover)) == [
        ("alice", "primary", "2026-01-05T09:00Z", "2026-01-06T12:00Z"),
        ("zoe", "override", "2026-01-06T12:00Z", "2026-01-06T18:00Z"),
        ("alice", "primary", "2026-01-06T18:00Z", "2026-01-12T09:00Z"),
    ]
    assert on_call(WEEKLY, ms("2026-01-06T13:00Z"), cover) == OnCall(
        "zoe", "override", ms("2026-01-06T12:00Z"), ms("2026-01-06T18:00Z")
    )
    assert next_change_ms(WEEKLY, ms("2026-01-06T00:00Z"), cover) == ms("2026-01-06T12:00Z")


def test_an_override_spanning_several_shifts_is_one_shift() -> None:
    cover = [override("zoe", "2026-01-10T00:00Z", "2026-01-20T00:00Z")]
    assert timeline(shifts(WEEKLY, ms("2026-01-09T00:00Z"), ms("2026-01-21T00:00Z"), cover)) == [
        ("alice", "primary", "2026-01-09T00:00Z", "2026-01-10T00:00Z"),
        ("zoe", "override", "2026-01-10T00:00Z", "2026-01-20T00:00Z"),
        ("alice", "primary", "2026-01-20T00:00Z", "2026-01-21T00:00Z"),  # her week again
    ]


def test_of_overlapping_overrides_the_one_made_last_wins() -> None:
    cover = [
        override("zoe", "2026-01-06T00:00Z", "2026-01-08T00:00Z", created=2),
        override("yan", "2026-01-05T12:00Z", "2026-01-07T00:00Z", created=1),
        override("xia", "2026-01-06T12:00Z", "2026-01-06T18:00Z", created=3),
        Override("other", "quinn", ms("2026-01-05T00:00Z"), ms("2026-02-01T00:00Z")),  # another schedule's
    ]
    assert timeline(shifts(WEEKLY, ms("2026-01-05T09:00Z"), ms("2026-01-09T00:00Z"), cover)) == [
        ("alice", "primary", "2026-01-05T09:00Z", "2026-01-05T12:00Z"),
        ("yan", "override", "2026-01-05T12:00Z", "2026-01-06T00:00Z"),
        ("zoe", "override", "2026-01-06T00:00Z", "2026-01-06T12:00Z"),
        ("xia", "override", "2026-01-06T12:00Z", "2026-01-06T18:00Z"),
        ("zoe", "override", "2026-01-06T18:00Z", "2026-01-08T00:00Z"),
        ("alice", "primary", "2026-01-08T00:00Z", "2026-01-09T00:00Z"),
    ]


def test_adjacent_overrides_for_the_same_person_are_one_shift_and_no_change() -> None:
    cover = [
        override("zoe", "2026-01-06T00:00Z", "2026-01-07T00:00Z"),
        override("zoe", "2026-01-07T00:00Z", "2026-01-08T00:00Z"),
    ]
    found = on_call(WEEKLY, ms("2026-01-06T01:00Z"), cover)
    assert found == OnCall("zoe", "override", ms("2026-01-06T00:00Z"), ms("2026-01-08T00:00Z"))
    assert next_change_ms(WEEKLY, ms("2026-01-06T01:00Z"), cover) == ms("2026-01-08T00:00Z")


def test_an_override_for_the_person_on_call_is_not_a_change_of_who() -> None:
    cover = [override("alice", "2026-01-06T00:00Z", "2026-01-07T00:00Z")]
    assert next_change_ms(WEEKLY, ms("2026-01-05T10:00Z"), cover) == ms("2026-01-12T09:00Z")


def test_a_recipient_resolves_to_the_person_on_call_by_the_same_channel() -> None:
    schedules = {"team": WEEKLY}
    at = ms("2026-01-13T00:00Z")  # bob's week
    assert resolve("schedule:team", schedules, at) == Recipient("sms", person="bob")
    assert resolve("call:schedule:team", schedules, at) == Recipient("voice", person="bob")
    assert resolve("call:alice", schedules, at) == Recipient("voice", person="alice")
    cover = [override("zoe", "2026-01-12T00:00Z", "2026-01-14T00:00Z")]
    assert resolve("schedule:team", schedules, at, cover) == Recipient("sms", person="zoe")
    assert resolve("schedule:team", schedules, ms("2026-01-01T00:00Z")) is None  # before the rotation starts
    assert resolve("schedule:gone", schedules, at) is None


def test_fifty_schedules_are_evaluated_at_one_instant_without_stepping(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Not a timing test: the restriction searches are counted (each looks at a day at most). Stepping minute by
    # minute through a week would take 10,080 evaluations per schedule.
    searches = 0
    real = schedule_module.changes

    def counted(*args: Any) -> Any:
        nonlocal searches
        searches += 1
        return real(*args)

    monkeypatch.setattr(schedule_module, "changes", counted)
    sched = schedule(LAYERED)
    at = ms("2026-06-10T12:00Z")
    found = [on_call(sched, at + i * 7919) for i in range(50)]
    assert {f.person for f in found if f} == {"dave"}
    assert searches <= 50 * 10


# ---- property: the timeline and the instant agree ----

ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
]
RESTRICTIONS = [
    "",
    ", restrictions: [{weekdays: ['monday:friday'], times: [{start_time: '09:00', end_time: '17:00'}]}]",
    ", restrictions: [{times: [{start_time: '22:00', end_time: '24:00'}, {start_time: '00:00', end_time: '06:00'}]}]",
    ", restrictions: [{weekdays: [saturday, sunday]}]",
]


@st.composite
def schedules(draw: Any) -> Schedule:
    zone = draw(st.sampled_from(ZONES))
    layers = []
    for index in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["daily", "weekly", "custom"]))
        length = (
            f", shift_length: {draw(st.sampled_from(['1h', '5h', '12h', '36h', '3d']))}"
            if kind == "custom"
            else ""
        )
        day = draw(st.integers(1, 28))
        start = f"2026-{draw(st.sampled_from(['02', '03', '10']))}-{day:02d}T{draw(st.integers(0, 23)):02d}:{draw(st.sampled_from(['00', '30']))}"
        members = ", ".join(draw(st.lists(st.sampled_from(["ann", "ben", "cat"]), min_size=1, max_size=4)))
        restrict = draw(st.sampled_from(RESTRICTIONS))
        layers.append(
            f"  - {{name: l{index}, rotation: {kind}, start: '{start}', members: [{members}]{length}{restrict}}}"
        )
    return schedule(f"name: team\ntime_zone: {zone}\nlayers:\n" + "\n".join(layers))


FROM = ms("2026-03-01T00:00Z")
TO = ms("2026-04-15T00:00Z")


@st.composite
def overrides(draw: Any) -> list[Override]:
    found = []
    for created in range(draw(st.integers(0, 3))):
        start = draw(st.integers(FROM, TO)) // 60_000 * 60_000
        found.append(
            Override(
                "team",
                draw(st.sampled_from(["ann", "zed"])),
                start,
                start + draw(st.integers(1, 72)) * 3_600_000,
                created_ms=created,
            )
        )
    return found


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules(), overrides(), st.lists(st.integers(FROM, TO - 1), min_size=5, max_size=5))
def test_shifts_agree_with_on_call_at_any_instant(
    sched: Schedule, cover: list[Override], instants: list[int]
) -> None:
    timeline_ = shifts(sched, FROM, TO, cover)
    for earlier, later in zip(timeline_, timeline_[1:], strict=False):
        assert earlier.end_ms <= later.start_ms
        assert earlier.end_ms < later.start_ms or (earlier.person, earlier.layer) != (
            later.person,
            later.layer,
        )
    for at in instants + [s.start_ms for s in timeline_[:3]] + [s.end_ms for s in timeline_[:3]]:
        if at >= TO:
            continue
        shift = next((s for s in timeline_ if s.start_ms <= at < s.end_ms), None)
        found = on_call(sched, at, cover)
        if shift is None:
            assert found is None
            continue
        assert found is not None
        assert (found.person, found.layer) == (shift.person, shift.layer)
        if shift.start_ms > FROM:
            assert found.since_ms == shift.start_ms
        if shift.end_ms < TO:
            assert found.until_ms == shift.end_ms
        change = next_change_ms(sched, at, cover)
        who = [(s.start_ms, s.end_ms, s.person) for s in timeline_ if s.end_ms > at]
        expected = _first_change(who, at, found.person)
        if expected is not None:
            assert change == expected


def _first_change(stretches: list[tuple[int, int, str]], at: int, person: str) -> int | None:
    """From the timeline: the first instant after `at` someone other than `person` (or nobody) is on call."""
    reached = at
    for start, end, who in stretches:
        if start > reached:
            return reached  # nobody
        if who != person:
            return start
        reached = end
    return reached if reached < TO else None


# ---- property: an independent oracle of who is on call ----


def _first_instant_at_or_after(wall: datetime, zone: ZoneInfo) -> int:
    """The first instant whose local time is `wall` or later (the spec's rule, by scanning minutes): the first
    of two readings of a repeated time, the end of the gap for a skipped one."""
    t = wall.replace(tzinfo=UTC) - timedelta(hours=15)
    while t.astimezone(zone).replace(tzinfo=None) < wall:
        t += timedelta(minutes=1)
    return int(t.timestamp() * 1000)


def _oracle_index(layer: Layer, zone: ZoneInfo, at: int) -> int | None:
    """The last k whose handoff is not after `at` (handoffs never go back: a bisection), None before the start."""

    def handoff(k: int) -> int:
        return _first_instant_at_or_after(layer.start + k * layer.length, zone)

    if handoff(0) > at:
        return None
    low, high = 0, 1
    while handoff(high) <= at:
        low, high = high, high * 2
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if handoff(mid) <= at else (low, mid)
    return low


def _oracle(sched: Schedule, at: int, cover: list[Override]) -> tuple[str, str] | None:
    active = [o for o in cover if o.start_ms <= at < o.end_ms]
    if active:
        return max(active, key=lambda o: (o.created_ms, o.start_ms)).person, "override"
    moment = datetime.fromtimestamp(at / 1000, UTC)
    for layer in reversed(sched.layers):
        index = _oracle_index(layer, sched.zone, at)
        if index is None or (
            layer.restrictions and not any(spec.contains(moment) for spec in layer.restrictions)
        ):
            continue
        return layer.members[index % len(layer.members)], layer.name
    return None


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules(), overrides(), st.lists(st.integers(FROM, TO - 1), min_size=3, max_size=3))
def test_on_call_agrees_with_an_oracle_that_scans_the_clock(
    sched: Schedule, cover: list[Override], instants: list[int]
) -> None:
    for at in instants:
        found = on_call(sched, at, cover)
        assert ((found.person, found.layer) if found else None) == _oracle(sched, at, cover)

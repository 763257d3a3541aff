"""Heartbeat checks: the config model and the pure evaluation (deadlines by period and cron, grace, DST,
pings, /start, /fail, pause and resume), as healthchecks.io defines them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from alertrouter.models.heartbeat import (
    DEFAULT_GRACE,
    CheckKind,
    EventMatch,
    HeartbeatCheck,
    HeartbeatState,
    HeartbeatStatus,
    PingKind,
)
from alertrouter.oncall.heartbeat import (
    Standing,
    apply_ping,
    clock_text,
    deadline_ms,
    expected_ms,
    expected_text,
    overdue,
    pause,
    resume,
    retry_after_s,
    status_at,
)

MIN = 60_000
HOUR = 60 * MIN
DAY = 24 * HOUR


def ms(*args: int, tz: Any = UTC) -> int:
    return int(datetime(*args, tzinfo=tz).timestamp() * 1000)  # type: ignore[misc]


def check(**kw: Any) -> HeartbeatCheck:
    kw.setdefault("name", "nightly-etl")
    if "cron" not in kw:
        kw.setdefault("period", "1d")
    return HeartbeatCheck.model_validate(kw)


def up_at(c: HeartbeatCheck, at_ms: int) -> HeartbeatState:
    moved = apply_ping(c, HeartbeatState(), PingKind.SUCCESS, at_ms)
    assert moved is not None
    return moved.state


# ---- the model ----


def test_a_check_has_period_or_cron_not_both_nor_neither() -> None:
    with pytest.raises(ValidationError, match="either period or cron"):
        HeartbeatCheck(name="a")
    with pytest.raises(ValidationError, match="either period or cron"):
        check(period="1h", cron="0 2 * * *")
    assert check().grace == DEFAULT_GRACE == timedelta(hours=1)
    assert check(period="30m", grace="4h").grace == timedelta(hours=4)


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ({"period": "1h", "tz": "Mars/Olympus"}, "not an IANA time zone"),
        ({"cron": "0 2 * *"}, "5 fields"),
        ({"cron": "0 25 * * *"}, "not a valid expression"),
        ({"period": "30s"}, "at least 1m"),
        ({"period": "1h", "grace": "1x"}, "invalid duration"),
        ({"period": "1h", "labels": {"alertname": "x"}}, "set by the check itself"),
        ({"period": "1h", "kind": "event"}, "needs its `event:` section"),
        ({"period": "1h", "event": {"job_name": "x"}}, "belongs to kind event"),
        ({"period": "1h", "kind": "event", "event": {}}, "job_name or a job_queue"),
        ({"period": "1h", "name": "has space"}, "should match pattern"),
        ({"period": "1h", "colour": "red"}, "Extra inputs"),
    ],
)
def test_a_bad_check_is_refused_saying_why(given: dict[str, Any], says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        HeartbeatCheck.model_validate({"name": "job", **given})


def test_the_event_matcher_takes_shell_patterns_on_job_and_queue_name() -> None:
    match = EventMatch(job_name="nightly-*", job_queue="batch-q")
    queue = "arn:aws:batch:eu-west-1:123456789012:job-queue/batch-q"
    assert match.matches("nightly-etl", queue)
    assert not match.matches("hourly-etl", queue)
    assert not match.matches("nightly-etl", queue.replace("batch-q", "other"))
    assert EventMatch(job_queue=queue).matches("anything", queue)
    c = check(kind="event", event={"job_name": "nightly-etl"})
    assert c.kind == CheckKind.EVENT


# ---- deadlines ----


def test_a_period_check_is_late_after_its_period_and_down_after_grace() -> None:
    c = check(period="1d", grace="1h")
    t0 = ms(2026, 12, 1, 2, 3)
    state = up_at(c, t0)
    assert deadline_ms(c, state) == t0 + DAY + HOUR
    assert status_at(c, state, t0 + DAY - 1) == Standing.UP
    assert status_at(c, state, t0 + DAY) == Standing.LATE
    assert status_at(c, state, t0 + DAY + HOUR - 1) == Standing.LATE
    assert status_at(c, state, t0 + DAY + HOUR) == Standing.DOWN


def test_a_cron_check_expects_the_next_tick_after_its_last_ping() -> None:
    c = check(cron="0 2 * * *", tz="UTC", grace="30m")
    pinged = ms(2026, 12, 1, 2, 3)
    assert expected_ms(c, pinged) == ms(2026, 12, 2, 2, 0)
    assert deadline_ms(c, up_at(c, pinged)) == ms(2026, 12, 2, 2, 30)
    # a ping exactly on the tick expects the next one
    assert expected_ms(c, ms(2026, 12, 2, 2, 0)) == ms(2026, 12, 3, 2, 0)


def test_a_cron_check_follows_its_time_zone_across_dst() -> None:
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    c = check(cron="30 2 * * *", tz="Europe/Berlin")
    # 29 March 2026: 02:00 -> 03:00 in Berlin; 02:30 does not exist, Debian cron runs the job at 03:00 CEST
    assert expected_ms(c, ms(2026, 3, 28, 2, 31, tz=berlin)) == ms(2026, 3, 29, 1, 0)
    assert expected_ms(c, ms(2026, 3, 29, 3, 1, tz=berlin)) == ms(2026, 3, 30, 2, 30, tz=berlin)
    # 25 October 2026: 03:00 -> 02:00; 02:30 happens twice, the job runs once
    after_first = expected_ms(c, ms(2026, 10, 24, 3, 0, tz=berlin))
    assert after_first == ms(2026, 10, 25, 0, 30)  # 02:30 CEST
    assert expected_ms(c, after_first) == ms(2026, 10, 26, 2, 30, tz=berlin)
    assert expected_text(c) == "at '30 2 * * *' Europe/Berlin"


def test_a_new_or_paused_check_never_goes_down() -> None:
    c = check(period="1h", grace="0")
    assert status_at(c, HeartbeatState(), 10**13) == Standing.NEW
    assert overdue(c, HeartbeatState(), 10**13) is None
    paused = pause(c, up_at(c, 0), 1).state
    assert status_at(c, paused, 10**13) == Standing.PAUSED
    assert deadline_ms(c, paused) is None
    assert overdue(c, paused, 10**13) is None


# ---- pings ----


def test_a_missed_deadline_fires_once_and_a_ping_resolves_it() -> None:
    c = check(period="1d", grace="1h", labels={"severity": "warning", "team": "data"})
    t0 = ms(2026, 12, 1, 2, 3)
    state = up_at(c, t0)
    assert overdue(c, state, t0 + DAY + HOUR - 1) is None
    down = overdue(c, state, t0 + DAY + HOUR)
    assert down is not None and down.event is not None
    assert down.state.status == HeartbeatStatus.DOWN and down.state.down_reason == "missed"
    assert down.event.firing and down.event.reason == "missed" and down.event.last_ping_ms == t0
    assert (down.event.expected, down.event.grace) == ("every 1d", "1h")
    assert down.event.labels == {"severity": "warning", "team": "data"}
    assert down.state.rev == state.rev + 1
    # down already: the clock raises nothing more
    assert overdue(c, down.state, t0 + 5 * DAY) is None
    back = apply_ping(c, down.state, PingKind.SUCCESS, t0 + 2 * DAY, "ok")
    assert back is not None and back.event is not None
    assert back.state.status == HeartbeatStatus.UP and not back.event.firing
    assert back.state.note == "ok"


def test_a_ping_to_an_up_check_tells_nothing_and_moves_its_deadline() -> None:
    c = check(period="1h", grace="10m")
    state = up_at(c, 0)
    late = apply_ping(c, state, PingKind.SUCCESS, HOUR + 5 * MIN)  # late, within grace
    assert late is not None and late.event is None
    assert deadline_ms(c, late.state) == 2 * HOUR + 15 * MIN


def test_a_ping_older_than_the_last_recorded_changes_nothing() -> None:
    c = check(period="1h")
    state = up_at(c, 10 * MIN)
    assert apply_ping(c, state, PingKind.SUCCESS, 5 * MIN) is None
    same = apply_ping(c, state, PingKind.SUCCESS, 10 * MIN)  # a duplicate: recorded again, tells nothing
    assert same is not None and same.event is None and same.state.last_ping_ms == 10 * MIN


def test_a_start_without_success_is_down_after_grace_from_the_start() -> None:
    c = check(period="1d", grace="1h")
    state = up_at(c, 0)
    started = apply_ping(c, state, PingKind.START, 2 * HOUR)
    assert started is not None and started.event is None
    assert status_at(c, started.state, 2 * HOUR + 1) == Standing.STARTED
    assert deadline_ms(c, started.state) == 3 * HOUR  # the run's grace, earlier than the period's
    down = overdue(c, started.state, 3 * HOUR)
    assert down is not None and down.event is not None and down.event.reason == "unfinished"
    finished = apply_ping(c, down.state, PingKind.SUCCESS, 4 * HOUR)
    assert finished is not None and finished.event is not None and not finished.event.firing
    assert finished.state.last_start_ms is None


def test_a_start_on_a_new_check_does_not_alert() -> None:
    c = check(period="1h", grace="0")
    started = apply_ping(c, HeartbeatState(), PingKind.START, 0)
    assert started is not None and started.state.status == HeartbeatStatus.NEW
    assert overdue(c, started.state, 10 * HOUR) is None


def test_a_fail_is_down_at_once_and_a_second_fail_tells_nothing_more() -> None:
    c = check(period="1d")
    failed = apply_ping(c, up_at(c, 0), PingKind.FAIL, HOUR, "exit 3")
    assert failed is not None and failed.event is not None
    assert failed.event.firing and failed.event.reason == "failed" and failed.event.note == "exit 3"
    assert failed.state.status == HeartbeatStatus.DOWN and failed.state.last_fail_ms == HOUR
    again = apply_ping(c, failed.state, PingKind.FAIL, 2 * HOUR)
    assert again is not None and again.event is None
    # a new check's first ping may be a failure: it alerts
    first = apply_ping(c, HeartbeatState(), PingKind.FAIL, HOUR)
    assert first is not None and first.event is not None and first.event.firing


def test_pause_resolves_a_down_check_and_resume_waits_for_a_ping() -> None:
    c = check(period="1h", grace="0")
    down = overdue(c, up_at(c, 0), HOUR)
    assert down is not None
    paused = pause(c, down.state, 2 * HOUR)
    assert paused.event is not None and not paused.event.firing
    assert paused.state.status == HeartbeatStatus.PAUSED
    resumed = resume(paused.state).state
    assert resumed.status == HeartbeatStatus.NEW and overdue(c, resumed, 10 * HOUR) is None
    assert resume(resumed).state == resumed  # not paused: nothing to do
    # a ping resumes a paused check too
    pinged = apply_ping(c, paused.state, PingKind.SUCCESS, 3 * HOUR)
    assert pinged is not None and pinged.state.status == HeartbeatStatus.UP and pinged.event is None


def test_the_rate_limit_counts_from_the_last_recorded_ping() -> None:
    state = HeartbeatState(last_event_ms=10_000)
    assert retry_after_s(HeartbeatState(), 0, 10) == 0
    assert retry_after_s(state, 10_000, 10) == 10
    assert retry_after_s(state, 19_001, 10) == 1
    assert retry_after_s(state, 20_000, 10) == 0
    assert retry_after_s(state, 10_000, 0) == 0
    started = HeartbeatState(last_event_ms=10_000, last_event_kind=PingKind.START)
    assert retry_after_s(started, 10_000, 10, PingKind.SUCCESS) == 0  # a short job's end after its start
    assert retry_after_s(started, 10_000, 10, PingKind.FAIL) == 0
    assert retry_after_s(started, 10_000, 10, PingKind.START) == 10


def test_event_shape_and_clock_text() -> None:
    c = check(period="1d")
    down = overdue(c, up_at(c, ms(2026, 12, 1, 2, 3)), ms(2026, 12, 2, 3, 3))
    assert down is not None and down.event is not None
    event = down.event.eventbridge("123456789012", "eu-west-1")
    assert (event["source"], event["detail-type"]) == ("alertrouter.heartbeat", "AlertRouter Heartbeat")
    assert event["time"] == "2026-12-02T03:03:00Z"
    assert event["detail"]["check"] == "nightly-etl" and event["detail"]["state"] == "firing"
    assert clock_text(ms(2026, 12, 2, 2, 3), "UTC", ms(2026, 12, 2, 5, 0)) == "02:03 UTC"
    assert clock_text(ms(2026, 12, 1, 2, 3), "Europe/Berlin", ms(2026, 12, 2, 5, 0)) == "2026-12-01 03:03 CET"


def test_the_documented_examples_load_and_mean_what_they_say() -> None:
    from zoneinfo import ZoneInfo

    from alertrouter.config import load_config
    from support.paths import ROOT

    checks = {c.name: c for c in load_config(ROOT / "docs/snippets/heartbeats.yaml").heartbeats}
    berlin = ZoneInfo("Europe/Berlin")
    nightly = checks["nightly-etl"]
    assert nightly.event is not None and nightly.event.matches("nightly-etl-20261201", "etl")
    # succeeded yesterday at 03:10: down at 06:00 today unless it succeeds again before
    state = up_at(nightly, ms(2026, 12, 1, 3, 10, tz=berlin))
    assert deadline_ms(nightly, state) == ms(2026, 12, 2, 6, 0, tz=berlin)
    outbound = checks["checkout-outbound-traffic"]
    assert deadline_ms(outbound, up_at(outbound, 0)) == 15 * MIN

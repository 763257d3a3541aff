"""CloudWatch alarm mute rules (`detail.muteDetail` of an EventBridge state change): read into the alert, kept
through its state and its group's member, and honoured at flush time (held back until the window ends)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from alertrouter.config import parse_config
from alertrouter.flush.muting import Muting
from alertrouter.limits import MAX_HOP_MS
from alertrouter.models.alert import MuteWindow
from alertrouter.models.state import AlertState, GroupState, Member, MutingState
from alertrouter.notify.render import render_group, utc_text
from alertrouter.router import Router
from alertrouter.routing.tree import match_routes
from alertrouter.sources import parse_body
from alertrouter.store.dynamodb.alert_item import alert_item, alert_state_of
from support.events import load_event
from support.memory_store import MemoryStore

MUTED_EVENT = "eventbridge_cw_alarm_state_change_single_metric_ALARM_with_muteDetail_awsdocs_current.json"
PLAIN_EVENT = "eventbridge_cw_alarm_state_change_single_metric_ALARM_awsdocs.json"
RULE_ARN = "arn:aws:cloudwatch:us-east-1:1234567890:alarm-mute-rule:testMute"
START = int(datetime(2026, 1, 1, 10, tzinfo=UTC).timestamp() * 1000)
END = int(datetime(2026, 1, 1, 12, tzinfo=UTC).timestamp() * 1000)
MINUTE = 60_000


def parsed(event: dict[str, Any]) -> Any:
    [alert] = parse_body(json.dumps(event)).alerts
    return alert


# ---- parsing ----


def test_the_reference_event_brings_its_mute_rule_window() -> None:
    alert = parsed(load_event(MUTED_EVENT))
    assert alert.muted == MuteWindow(rule="testMute", rule_arn=RULE_ARN, starts_at_ms=START, ends_at_ms=END)
    # the event itself (2019) is outside the window: as it is, it mutes nothing
    assert not alert.muted.covers(alert.timestamp_ms)
    # everything else is the alert the same event without muteDetail gives
    assert alert.model_copy(update={"muted": None}) == parsed(load_event(PLAIN_EVENT))
    assert parsed(load_event(PLAIN_EVENT)).muted is None


@pytest.mark.parametrize(
    ("mute_detail", "why"),
    [
        ("muted", "not an object"),
        ([1, 2], "not an object"),
        ({"mutedByArn": RULE_ARN, "muteWindowStart": "2026-01-01T10:00:00.000+0000"}, "not all strings"),
        ({"mutedByArn": RULE_ARN, "muteWindowStart": 5, "muteWindowEnd": 6}, "not all strings"),
        (
            {"mutedByArn": RULE_ARN, "muteWindowStart": "yesterday", "muteWindowEnd": "2026-01-01T12:00:00Z"},
            "unreadable timestamp",
        ),
        (
            {
                "mutedByArn": RULE_ARN,
                "muteWindowStart": "2026-01-01T12:00:00.000+0000",
                "muteWindowEnd": "2026-01-01T12:00:00.000+0000",
            },
            "no later than it starts",
        ),
        (
            {
                "mutedByArn": RULE_ARN,
                "muteWindowStart": "2026-01-01T12:00:00.000+0000",
                "muteWindowEnd": "2026-01-01T10:00:00.000+0000",
            },
            "no later than it starts",
        ),
        (
            {
                "mutedByArn": "arn:aws:cloudwatch:us-east-1:1234567890:alarm-mute-rule:",
                "muteWindowStart": "2026-01-01T10:00:00.000+0000",
                "muteWindowEnd": "2026-01-01T12:00:00.000+0000",
            },
            "no rule name",
        ),
        (
            {
                "mutedByArn": RULE_ARN + "x" * 500,
                "muteWindowStart": "2026-01-01T10:00:00.000+0000",
                "muteWindowEnd": "2026-01-01T12:00:00.000+0000",
            },
            "longer than 512",
        ),
    ],
)
def test_a_malformed_mute_detail_is_ignored_with_a_logged_reason_and_the_alert_kept(
    mute_detail: Any, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    event = load_event(MUTED_EVENT)
    event["detail"]["muteDetail"] = mute_detail
    with caplog.at_level(logging.WARNING):
        alert = parsed(event)
    assert alert.muted is None
    assert alert == parsed(load_event(PLAIN_EVENT))  # delivered as if there were no muteDetail
    [record] = [r for r in caplog.records if "muteDetail ignored" in r.getMessage()]
    assert why in record.__dict__["reason"] and record.__dict__["alarm"] == "ServerCpuTooHigh"


def test_a_null_mute_detail_is_no_mute_rule_and_nothing_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    event = load_event(MUTED_EVENT)
    event["detail"]["muteDetail"] = None
    with caplog.at_level(logging.WARNING):
        assert parsed(event).muted is None
    assert not [r for r in caplog.records if "muteDetail" in r.getMessage()]


# ---- the state ----


def test_the_window_is_kept_by_the_state_and_the_member_and_replaced_by_each_state_change() -> None:
    muted = parsed(load_event(MUTED_EVENT))
    state = AlertState.first(muted, 1)
    assert state.muted == muted.muted
    assert alert_state_of(alert_item(state)) == state  # the alert's item round-trips it
    member = Member.of(state)
    assert member.muted == MuteWindow(rule="testMute", starts_at_ms=START, ends_at_ms=END)  # no ARN
    assert Member.model_validate(member.model_dump(exclude_defaults=True)) == member  # the member item's form
    # a later state change without muteDetail clears it
    later = load_event(PLAIN_EVENT)
    later["detail"]["state"]["value"] = "OK"
    later["detail"]["state"]["timestamp"] = "2019-10-02T17:10:00.000+0000"
    cleared = state.next(parsed(later), 2)
    assert cleared.muted is None and Member.of(cleared).muted is None
    assert "muted" not in alert_item(cleared)  # no attribute at all when there is none
    assert alert_state_of(alert_item(cleared)) == cleared


def test_a_member_keeps_a_long_rule_name_short() -> None:
    window = MuteWindow(rule="r" * 255, rule_arn=RULE_ARN, starts_at_ms=START, ends_at_ms=END)
    state = AlertState.first(parsed(load_event(PLAIN_EVENT)), 1).model_copy(update={"muted": window})
    kept = Member.of(state).muted
    assert kept is not None and len(kept.rule) <= 100 and kept.rule.endswith("…") and kept.rule_arn == ""


# ---- muting at flush time ----

CONFIG = """
route:
  receiver: team
  group_by: [alertname]
receivers:
  - name: team
    slack: [{channel: "#team"}]
"""


def muting() -> tuple[Muting, Any]:
    config = parse_config(CONFIG)
    router = Router(config, MemoryStore().stores(), scheduler=None)  # type: ignore[arg-type]
    [route] = match_routes(config, {"alertname": "ServerCpuTooHigh"})
    return Muting(router.env, router.silences), route


def member(ts_ms: int, window: MuteWindow | None, status: str = "firing") -> Member:
    return Member(
        status=status,
        severity="warning",
        title="ServerCpuTooHigh",
        ts_ms=ts_ms,
        starts_at_ms=ts_ms,
        muted=window,
    )


def group(**members: Member) -> GroupState:
    return GroupState(key="route0/ab12", route_id="route0", receiver="team", members=members, version=1)


WINDOW = MuteWindow(rule="testMute", starts_at_ms=START, ends_at_ms=END)


def test_a_window_covering_the_state_change_mutes_it_until_it_ends() -> None:
    mute, route = muting()
    g = group(a=member(START + 5 * MINUTE, WINDOW))
    mutes = mute.mutes(g, route, now=END - 10 * MINUTE)
    assert mutes.reasons == {"a": "muted by CloudWatch mute rule testMute until 2026-01-01 12:00 UTC"}
    assert mutes.reasons["a"].endswith(utc_text(END))
    assert mutes.resume_at_ms == END  # woken when the window ends
    assert not mutes.held
    # further away than SQS's longest delay: looked at again as any muted group is, still muted then
    early = mute.mutes(g, route, now=START + 6 * MINUTE)
    assert early.reasons == mutes.reasons and early.resume_at_ms == START + 6 * MINUTE + MAX_HOP_MS


def test_a_window_that_does_not_cover_the_state_change_mutes_nothing() -> None:
    mute, route = muting()
    before = member(START - MINUTE, WINDOW)  # the alarm fired before the window began
    mutes = mute.mutes(group(a=before), route, now=START + MINUTE)
    assert mutes.reasons == {} and mutes.resume_at_ms == 0


def test_an_ended_window_mutes_nothing() -> None:
    mute, route = muting()
    mutes = mute.mutes(group(a=member(START + MINUTE, WINDOW)), route, now=END)
    assert mutes.reasons == {} and mutes.resume_at_ms == 0


def test_only_the_members_in_a_window_are_muted_and_resolved_ones_never() -> None:
    mute, route = muting()
    members = {
        "in": member(START + MINUTE, WINDOW),
        "plain": member(START + MINUTE, None),
        "ok": member(START + MINUTE, WINDOW, status="resolved"),
    }
    mutes = mute.mutes(group(**members), route, now=END - MINUTE)
    assert set(mutes.reasons) == {"in"} and mutes.resume_at_ms == END


def test_the_message_shows_the_reason_escaped_and_a_rule_name_cannot_mention_anyone() -> None:
    mute, route = muting()
    hostile = MuteWindow(rule="<@U0EVIL> & <!channel>", starts_at_ms=START, ends_at_ms=END)
    g = group(a=member(START + MINUTE, hostile), b=member(START + MINUTE, None))
    mutes = mute.mutes(g, route, now=START + 2 * MINUTE)
    shown = g.model_copy(update={"muting": MutingState(reasons=mutes.reasons), "notified": {}})
    text = json.dumps(render_group(shown, START + 2 * MINUTE).attachments, ensure_ascii=False)
    assert "🔕 muted by CloudWatch mute rule ‹@U0EVIL› &amp; ‹!channel› until 2026-01-01 12:00 UTC" in text
    assert "<@U0EVIL>" not in text and "<!channel>" not in text

"""CloudWatch alarm mute rules end to end on moto and the Slack stand-in: an alarm whose state change came
inside a mute rule's window (`detail.muteDetail`) is kept but neither posted nor paged until the window ends;
then, still firing, it is announced as new. The reference event with its times moved to the test's clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from moto.backends import get_backend

from alertrouter.models.state import GroupState
from support.events import load_event
from support.harness import Harness, drain_scheduled

pytestmark = pytest.mark.integration

MUTED_EVENT = "eventbridge_cw_alarm_state_change_single_metric_ALARM_with_muteDetail_awsdocs_current.json"
REASON = "muted by CloudWatch mute rule testMute until 2026-01-01 00:30 UTC"


def stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def now(h: Harness) -> datetime:
    return datetime.fromtimestamp(h.clock.ms / 1000, UTC)


def muted_body(at: datetime, start: datetime, end: datetime, state: str = "ALARM") -> str:
    """The reference event (a critical alarm here: it pages) in `state` since `at`, muted from `start` to `end`."""
    event = load_event(MUTED_EVENT)
    event["time"] = stamp(at).replace(".000+0000", "Z")
    event["detail"]["state"]["value"] = state
    event["detail"]["state"]["timestamp"] = stamp(at)
    event["detail"]["alarmTags"] = {"severity": "critical"}
    event["detail"]["muteDetail"]["muteWindowStart"] = stamp(start)
    event["detail"]["muteDetail"]["muteWindowEnd"] = stamp(end)
    return json.dumps(event)


def sms(h: Harness) -> list[Any]:
    return list(get_backend("sns")["123456789012"]["us-east-1"].sms_messages.values())


def the_group(h: Harness) -> GroupState:
    table = h.session.client("dynamodb")
    [key] = {
        item["pk"]["S"].removeprefix("GROUP#")
        for item in table.scan(TableName=h.stack.table_name)["Items"]
        if item["pk"]["S"].startswith("GROUP#") and item["sk"]["S"] == "GROUP"
    }
    group = h.service.router.stores.groups.get_group(key)
    assert group is not None
    return group


def history(h: Harness, kind: str) -> list[dict[str, Any]]:
    entries = h.service.router.stores.history.history(the_group(h).key, 50)
    return [e for e in entries if e.get("kind") == kind]


def test_a_muted_alarm_is_kept_quiet_then_announced_and_paged_when_the_window_ends(harness: Harness) -> None:
    h = harness
    t = now(h)  # 2026-01-01 00:00 UTC
    # Given an alarm that fired two minutes ago, inside a mute rule's window ending at 00:30
    h.service.handle_body(
        muted_body(t - timedelta(minutes=2), t - timedelta(minutes=5), t + timedelta(minutes=30))
    )
    # Then nothing is posted and nobody is paged, but the alarm is stored firing and the history says why
    assert h.slack.all_messages() == [] and sms(h) == []
    group = the_group(h)
    [(fp, member)] = group.members.items()
    assert member.status == "firing" and member.muted is not None and member.muted.rule == "testMute"
    assert group.muting.reasons == {fp: REASON}
    [muted] = history(h, "muted")
    assert (muted["alerts"], muted["reasons"]) == ([fp], [REASON])
    # When the clock reaches 00:15 (SQS's longest hop) the group is looked at again: still muted
    h.clock.advance(15 * 60)
    drain_scheduled(h)
    assert h.slack.all_messages() == [] and sms(h) == []
    # When the window has ended (00:31) and the alarm is still in ALARM
    h.clock.advance(16 * 60)
    drain_scheduled(h)
    # Then it is announced as new: posted once, paged once, and the history says it was unmuted
    [message] = h.slack.channel_messages("#oncall")
    assert "CRITICAL" in message.text and "ServerCpuTooHigh" in message.text
    assert "muted by" not in json.dumps(message.attachments, ensure_ascii=False)
    assert len(sms(h)) == 1
    assert [e["alerts"] for e in history(h, "unmuted")] == [[fp]]
    assert the_group(h).muting.reasons == {}
    # and nothing more on later looks
    h.clock.advance(20 * 60)
    drain_scheduled(h)
    assert h.slack.count("chat.postMessage") == 1 and len(sms(h)) == 1


def test_a_window_that_does_not_cover_the_state_change_mutes_nothing(harness: Harness) -> None:
    h = harness
    t = now(h)
    # the alarm fired before the window began (the reference event as it is: 2019, window 2026)
    h.service.handle_body(
        muted_body(t - timedelta(minutes=2), t - timedelta(minutes=1), t + timedelta(minutes=30))
    )
    [message] = h.slack.channel_messages("#oncall")
    assert "ServerCpuTooHigh" in message.text and len(sms(h)) == 1
    assert history(h, "muted") == []


def test_a_state_change_whose_window_has_already_ended_is_sent_at_once(harness: Harness) -> None:
    h = harness
    t = now(h)
    # delivered late: the state change came inside the window, which ended a minute ago
    h.service.handle_body(
        muted_body(t - timedelta(minutes=20), t - timedelta(minutes=30), t - timedelta(minutes=1))
    )
    assert len(h.slack.channel_messages("#oncall")) == 1 and len(sms(h)) == 1
    assert history(h, "muted") == []


def test_an_alarm_that_recovers_inside_its_window_is_never_told_of(harness: Harness) -> None:
    h = harness
    t = now(h)
    start, end = t - timedelta(minutes=5), t + timedelta(minutes=30)
    h.service.handle_body(muted_body(t - timedelta(minutes=2), start, end))
    [fp] = the_group(h).members
    # When it goes back to OK ten minutes later, still inside the window
    h.clock.advance(10 * 60)
    h.service.handle_body(muted_body(t + timedelta(minutes=10), start, end, state="OK"))
    # and the window ends
    h.clock.advance(30 * 60)
    drain_scheduled(h)
    # Then nothing was ever sent: no post, no page (a resolve nobody heard the start of is not news)
    assert h.slack.all_messages() == [] and sms(h) == []
    state = h.service.router.stores.alerts.get_alert(fp)
    assert state is not None and state.status == "resolved"
    assert state.muted is not None  # the OK came inside the window too
    assert len(history(h, "muted")) == 1
    assert the_group(h).members == {}  # the group forgot the resolve it never announced


def test_a_later_state_change_without_mute_detail_is_sent(harness: Harness) -> None:
    h = harness
    t = now(h)
    h.service.handle_body(
        muted_body(t - timedelta(minutes=2), t - timedelta(minutes=5), t + timedelta(minutes=30))
    )
    assert h.slack.all_messages() == []
    # the rule was deleted: the alarm's next state change comes without muteDetail
    h.clock.advance(60)
    event = json.loads(muted_body(t + timedelta(minutes=1), t, t + timedelta(minutes=30)))
    del event["detail"]["muteDetail"]
    h.service.handle_body(json.dumps(event))
    [message] = h.slack.channel_messages("#oncall")
    assert "ServerCpuTooHigh" in message.text and len(sms(h)) == 1
    [(_, member)] = the_group(h).members.items()
    assert member.muted is None


def test_an_announced_alarm_muted_later_shows_the_reason_and_its_recovery_is_sent(harness: Harness) -> None:
    h = harness
    t = now(h)
    # Given an alarm posted and paged (no mute rule yet)
    plain = json.loads(muted_body(t - timedelta(minutes=10), t, t + timedelta(minutes=30)))
    del plain["detail"]["muteDetail"]
    h.service.handle_body(json.dumps(plain))
    [message] = h.slack.channel_messages("#oncall")
    assert len(sms(h)) == 1
    # When it goes to INSUFFICIENT_DATA inside a mute rule's window
    start, end = t - timedelta(minutes=5), t + timedelta(minutes=30)
    h.clock.advance(60)
    h.service.handle_body(muted_body(t - timedelta(minutes=2), start, end, state="INSUFFICIENT_DATA"))
    # Then its message marks it muted, with the rule (escaped as outside text is), and nobody is paged again
    shown = json.dumps(message.attachments, ensure_ascii=False)
    assert "🔕 muted by CloudWatch mute rule testMute until 2026-01-01 00:30 UTC" in shown
    assert h.slack.count("chat.postMessage") == 1 and len(sms(h)) == 1
    # When it recovers inside the window, Then the recovery is sent (a resolve is never held back)
    h.clock.advance(60)
    h.service.handle_body(muted_body(t + timedelta(minutes=1), start, end, state="OK"))
    assert message.text.startswith("✅ RESOLVED")
    assert h.slack.channel_messages("#oncall") == [message] and len(sms(h)) == 1

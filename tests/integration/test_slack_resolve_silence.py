"""Resolve and Silence from Slack, on moto and the Slack stand-in: signed clicks, conditional writes,
the resolve applied by the router from its own queue, silences that stop sends and pages."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from alertrouter.interactions import InteractionService
from alertrouter.notify.slack import SlackClient
from support.events import alarm_body
from support.harness import Harness, fire
from support.slack_clicks import SIGNING_SECRET, click, group_of, queueing_interaction_service

pytestmark = pytest.mark.integration
HOUR_MS = 3_600_000


@pytest.fixture
def interactions(harness: Harness) -> InteractionService:
    return queueing_interaction_service(harness)


def sms_sent() -> list[Any]:
    from moto.backends import get_backend

    return list(get_backend("sns")["123456789012"]["us-east-1"].sms_messages.values())


def drain(harness: Harness) -> int:
    """Hand what the interactions function queued to the router, as the SQS trigger would."""
    messages = harness.receive_all(harness.stack.queue_url)
    for message in messages:
        harness.service.handle_body(message["Body"], message_id=message["MessageId"])
    return len(messages)


def text_of(harness: Harness, channel: str = "#team", index: int = -1) -> str:
    return json.dumps(harness.slack.channel_messages(channel)[index].attachments, ensure_ascii=False)


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


# ---- Resolve ----


def test_resolve_is_shown_at_once_and_applied_to_the_alert_by_the_router(
    harness: Harness, interactions: InteractionService
) -> None:
    fire(harness)
    response = interactions.handle(*click(harness, "alertrouter_resolve"))
    assert response.status == 200
    # the message turns green in place, says who resolved it, and loses its buttons
    shown = text_of(harness)
    assert "RESOLVED" in shown and "Resolved by <@U0ONCALL1>" in shown and "alertrouter_ack" not in shown
    assert (
        harness.slack.channel_messages("#team")[0]
        .replies[-1]
        .text.startswith("✅ Resolved by <@U0ONCALL1> at ")
    )
    # the router applies it from its queue: the alert's state is resolved, through the normal path
    assert drain(harness) == 1
    group = group_of(harness)
    [state] = harness.service.router.stores.alerts.get_alerts(list(group.members)).values()
    assert state.status == "resolved" and group.clicks.resolved_by == "U0ONCALL1"
    harness.clock.advance(60)
    drain(harness)
    assert len(harness.slack.channel_messages("#team")) == 1  # no second message


def test_two_resolve_clicks_give_one_outcome(harness: Harness, interactions: InteractionService) -> None:
    fire(harness)
    first, second_click = (click(harness, "alertrouter_resolve", user=u) for u in ("U0FIRST01", "U0SECOND1"))
    interactions.handle(*first)
    second = interactions.handle(*second_click)
    assert second.body["text"] == "Already resolved by <@U0FIRST01>."
    drain(harness)
    assert group_of(harness).clicks.resolved_by == "U0FIRST01"
    notes = [
        r.text
        for r in harness.slack.channel_messages("#team")[0].replies
        if r.text.startswith("✅ Resolved by")
    ]
    assert len(notes) == 1


def test_an_acknowledge_racing_a_resolve_never_unresolves(
    harness: Harness, interactions: InteractionService
) -> None:
    fire(harness)
    ack = click(harness, "alertrouter_ack")  # the engineer's view before the resolve landed
    fire(harness, minute=5, state="OK")  # the source resolves it
    assert interactions.handle(*ack).status == 200
    group = group_of(harness)
    assert all(m.status == "resolved" for m in group.members.values())
    assert "RESOLVED" in text_of(harness)


def test_the_sources_next_firing_after_a_manual_resolve_is_a_new_episode(
    harness: Harness, interactions: InteractionService
) -> None:
    fire(harness)
    interactions.handle(*click(harness, "alertrouter_resolve"))
    drain(harness)
    # the source's own events come after the click (CloudWatch stamps them when the state changes)
    harness.clock.advance(3600)
    harness.service.handle_body(alarm_body(state="OK", ts=iso(harness.clock.ms)))  # nothing new to say
    assert len(harness.slack.channel_messages("#team")) == 1
    harness.clock.advance(600)
    harness.service.handle_body(alarm_body(ts=iso(harness.clock.ms)))  # it fires again: a new message
    assert len(harness.slack.channel_messages("#team")) == 2
    assert group_of(harness).episode == 2 and group_of(harness).clicks.resolved_by == ""


# ---- Silence ----


@pytest.mark.parametrize(("choice", "hours"), [("1h", 1), ("4h", 4), ("24h", 24)])
def test_silence_from_slack_covers_the_group_for_the_chosen_time(
    harness: Harness, interactions: InteractionService, choice: str, hours: int
) -> None:
    fire(harness)
    before = int(time.time() * 1000)
    assert interactions.handle(*click(harness, "alertrouter_silence", choice=choice)).status == 200
    [silence] = harness.service.router.stores.silences.silences()
    assert silence.describe() == 'account="123456789012", alertname="ServerCpuTooHigh", region="us-east-1"'
    assert before + hours * HOUR_MS <= silence.ends_at_ms <= time.time() * 1000 + hours * HOUR_MS
    assert silence.created_by == "<@U0ONCALL1>" and silence.group == ""
    assert "🔕 silenced by <@U0ONCALL1> until" in text_of(harness)
    assert (
        harness.slack.channel_messages("#team")[0].replies[-1].text.startswith("🔕 Silenced by <@U0ONCALL1>")
    )
    assert [e["kind"] for e in harness.service.router.stores.history.history(group_of(harness).key)][
        -1
    ] == "silence"


def test_a_silenced_page_is_not_sent_again_and_is_sent_when_the_silence_ends(
    harness: Harness, interactions: InteractionService
) -> None:
    # Given a critical alert paged by SMS and posted to #oncall, silenced for 1h from Slack
    fire(harness, severity="critical")
    assert len(sms_sent()) == 1
    interactions.handle(*click(harness, "alertrouter_silence", channel="#oncall", choice="1h"))
    replies = len(harness.slack.channel_messages("#oncall")[0].replies)
    # When it fires again (a new episode: it resolved meanwhile) within the hour
    harness.clock.advance(300)
    fire(harness, minute=5, state="OK", severity="critical")
    harness.clock.advance(300)
    fire(harness, minute=10, severity="critical")
    # Then nothing is posted or paged, and it is stored as silenced
    assert len(sms_sent()) == 1 and len(harness.slack.channel_messages("#oncall")) == 1
    assert any(r.startswith("silenced by") for r in group_of(harness, "#oncall").muting.reasons.values())
    # When the hour is over and it still fires, the resumed flush sends it
    harness.clock.advance(3600)
    for body, _ in drain_delayed(harness):
        harness.service.handle_body(body)
    # (the first message announced the resolve at minute 5; this episode's first message comes now)
    assert len(sms_sent()) == 2 and len(harness.slack.channel_messages("#oncall")) == 2
    assert len(harness.slack.channel_messages("#oncall")[0].replies) == replies + 1  # the resolve at minute 5


def drain_delayed(harness: Harness) -> list[tuple[str, float]]:
    from support.harness import queued

    return queued(harness, harness.stack.queue_url)


def test_silence_until_resolved_ends_with_the_episode(
    harness: Harness, interactions: InteractionService
) -> None:
    fire(harness, severity="critical")
    interactions.handle(*click(harness, "alertrouter_silence", channel="#oncall", choice="resolved"))
    [silence] = harness.service.router.stores.silences.silences()
    assert silence.group == group_of(harness, "#oncall").key and silence.episode == 1
    harness.clock.advance(60)
    fire(harness, minute=1, severity="critical")  # still the same episode: silenced
    assert len(sms_sent()) == 1
    harness.clock.advance(60)
    fire(harness, minute=2, state="OK", severity="critical")
    harness.clock.advance(600)
    fire(harness, minute=12, severity="critical")  # a new episode: the silence is over
    assert len(sms_sent()) == 2 and len(harness.slack.channel_messages("#oncall")) == 2


def test_a_user_outside_the_allowlist_changes_nothing(harness: Harness) -> None:
    fire(harness)
    service = InteractionService(
        harness.service.router.stores, lambda: SIGNING_SECRET, None, allowed_users=frozenset({"U0ALLOWED"})
    )
    response = service.handle(*click(harness, "alertrouter_silence", choice="1h"))
    assert "not on the list" in response.body["text"]
    assert harness.service.router.stores.silences.silences() == []


def test_members_of_an_allowed_slack_user_group_may_act_and_others_may_not(harness: Harness) -> None:
    fire(harness)
    harness.slack.usergroups["S0ONCALL1"] = {"U0ONCALL1"}
    slack = SlackClient(lambda: "xoxb-test", harness.slack.url, timeout=(1.0, 1.0), min_interval=0.0)
    service = InteractionService(
        harness.service.router.stores, lambda: SIGNING_SECRET, slack, allowed_groups=frozenset({"S0ONCALL1"})
    )
    outsider = service.handle(*click(harness, "alertrouter_ack", user="U0OUTSIDE"))
    assert "not on the list" in outsider.body["text"] and group_of(harness).clicks.ack_by == ""
    assert service.handle(*click(harness, "alertrouter_ack", user="U0ONCALL1")).body == {}
    assert group_of(harness).clicks.ack_by == "U0ONCALL1"
    # the membership is read once and kept for a while (Slack's usergroups methods are rate limited)
    assert harness.slack.count("usergroups.users.list") == 1


def test_an_unreadable_user_group_allows_no_one(harness: Harness) -> None:
    fire(harness)
    slack = SlackClient(lambda: "xoxb-test", harness.slack.url, timeout=(1.0, 1.0), min_interval=0.0)
    service = InteractionService(
        harness.service.router.stores, lambda: SIGNING_SECRET, slack, allowed_groups=frozenset({"S0UNKNOWN"})
    )
    response = service.handle(*click(harness, "alertrouter_ack"))
    assert "Could not check" in response.body["text"] and group_of(harness).clicks.ack_by == ""

"""Acknowledge from Slack: signed the way Slack signs, applied once with a conditional write, shown in place."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from alertrouter.interactions import InteractionService
from alertrouter.notify.slack import SlackClient
from alertrouter.own_messages import OwnMessage
from support.events import alarm_body
from support.harness import Harness, make_harness
from support.slack_clicks import SIGNING_SECRET, click, group_of, interaction_service

pytestmark = pytest.mark.integration


@pytest.fixture
def interactions(harness: Harness) -> InteractionService:
    return interaction_service(harness)


def test_acknowledge_is_recorded_and_shown_in_place(
    harness: Harness, interactions: InteractionService
) -> None:
    # Given a firing alert posted to #team
    harness.service.handle_body(alarm_body())
    # When the on-call engineer clicks Acknowledge
    response = interactions.handle(*click(harness, "alertrouter_ack"))
    # Then it is stored, the message says so with the button swapped, and the thread records it
    assert response.status == 200
    assert group_of(harness).clicks.ack_by == "U0ONCALL1"
    [message] = harness.slack.channel_messages("#team")
    text = json.dumps(message.attachments)
    assert "Acknowledged by <@U0ONCALL1>" in text and "Unacknowledge" in text and '"Acknowledge"' not in text
    assert message.replies[-1].text.startswith("✋ Acknowledged by <@U0ONCALL1> at ")
    # and a later change re-rendered by the router keeps the acknowledgement
    harness.clock.advance(60)
    harness.service.handle_body(alarm_body(ts="2024-05-01T10:01:00.000+0000"))
    assert "Acknowledged by <@U0ONCALL1>" in json.dumps(
        harness.slack.channel_messages("#team")[0].attachments
    )


TWO_CHANNELS = """
route:
  receiver: team
  group_by: [alertname]
  group_wait: 0s
  send_changes: at_once
receivers:
  - name: team
    slack: [{channel: "#team"}, {channel: "#payments"}]
"""


def test_an_acknowledge_in_one_channel_is_shown_in_the_others_by_the_router(
    aws: Any, slack: Any, tmp_path: Any
) -> None:
    # Given a group whose message is in #team and #payments
    harness = make_harness(aws, slack, tmp_path, TWO_CHANNELS)
    queue = harness.stack.queue_url
    interactions = InteractionService(
        harness.service.router.stores,
        lambda: SIGNING_SECRET,
        SlackClient(lambda: "xoxb-test", slack.url, timeout=(1.0, 1.0), min_interval=0.0),
        enqueue=lambda m: harness.sqs.send_message(QueueUrl=queue, MessageBody=m.encode()),
    )
    harness.service.handle_body(alarm_body())
    # When someone acknowledges in #team
    assert interactions.handle(*click(harness, "alertrouter_ack")).status == 200
    # Then #team's message shows it at once, #payments' once the router has taken the redraw off its queue
    assert "Acknowledged by <@U0ONCALL1>" in json.dumps(
        harness.slack.channel_messages("#team")[0].attachments
    )
    assert "Acknowledged" not in json.dumps(harness.slack.channel_messages("#payments")[0].attachments)
    [message] = harness.receive_all(queue)
    assert json.loads(message["Body"])["kind"] == "alertrouter.redraw"
    outcome = harness.service.handle_body(message["Body"], message_id=message["MessageId"])
    assert outcome.updates == 1  # #payments only: #team was redrawn by the click
    [payments] = harness.slack.channel_messages("#payments")
    assert "Acknowledged by <@U0ONCALL1>" in json.dumps(payments.attachments) and payments.edits == 1
    assert harness.slack.channel_messages("#team")[0].edits == 1


def test_an_acknowledge_of_a_message_in_one_channel_hands_nothing_on(harness: Harness) -> None:
    handed: list[OwnMessage] = []
    interactions = InteractionService(
        harness.service.router.stores,
        lambda: SIGNING_SECRET,
        SlackClient(lambda: "xoxb-test", harness.slack.url, timeout=(1.0, 1.0), min_interval=0.0),
        enqueue=handed.append,
    )
    harness.service.handle_body(alarm_body())
    assert interactions.handle(*click(harness, "alertrouter_ack")).status == 200
    assert group_of(harness).clicks.ack_by == "U0ONCALL1" and handed == []


def test_two_people_clicking_get_one_outcome(harness: Harness, interactions: InteractionService) -> None:
    harness.service.handle_body(alarm_body())
    first = interactions.handle(*click(harness, "alertrouter_ack", user="U0FIRST01"))
    second = interactions.handle(*click(harness, "alertrouter_ack", user="U0SECOND1"))
    assert first.status == second.status == 200
    assert group_of(harness).clicks.ack_by == "U0FIRST01"  # the first click wins; both see it in the message
    assert "U0SECOND1" not in json.dumps(harness.slack.channel_messages("#team")[0].attachments)


def test_unacknowledge_clears_it(harness: Harness, interactions: InteractionService) -> None:
    harness.service.handle_body(alarm_body())
    interactions.handle(*click(harness, "alertrouter_ack"))
    assert interactions.handle(*click(harness, "alertrouter_unack")).status == 200
    assert group_of(harness).clicks.ack_by == ""
    assert '"Acknowledge"' in json.dumps(harness.slack.channel_messages("#team")[0].attachments)


@pytest.mark.parametrize("tamper", ["body", "timestamp", "signature", "stale", "replay"])
def test_forged_or_replayed_requests_change_nothing(
    harness: Harness, interactions: InteractionService, tamper: str
) -> None:
    harness.service.handle_body(alarm_body())
    headers, body = click(harness, "alertrouter_ack", ts_offset=-301 if tamper == "stale" else 0)
    if tamper == "body":
        body = body.replace(b"U0ONCALL1", b"U0MALLORY")
    elif tamper == "timestamp":
        headers["x-slack-request-timestamp"] = str(int(headers["x-slack-request-timestamp"]) + 1)
    elif tamper == "signature":
        headers["x-slack-signature"] = "v0=" + "0" * 64
    elif tamper == "replay":
        interactions.handle(*click(harness, "alertrouter_unack"))  # a genuine request, then...
        assert interactions.handle(headers, body).status == 200
        harness.service.router.stores.clicks.acknowledge(group_of(harness).key, "", 0, ack=False)  # undo it
    before = group_of(harness)
    edits = harness.slack.channel_messages("#team")[0].edits
    response = interactions.handle(headers, body)
    assert response.status == 401
    assert group_of(harness) == before
    assert harness.slack.channel_messages("#team")[0].edits == edits


def test_unknown_buttons_answer_without_changing_anything(
    harness: Harness, interactions: InteractionService
) -> None:
    harness.service.handle_body(alarm_body())
    before = group_of(harness)
    response = interactions.handle(*click(harness, "alertrouter_reboot_everything"))
    assert response.status == 200 and response.body["response_type"] == "ephemeral"
    assert group_of(harness) == before


def test_a_team_outside_the_allowlist_is_refused(harness: Harness) -> None:
    harness.service.handle_body(alarm_body())
    service = InteractionService(
        harness.service.router.stores, lambda: SIGNING_SECRET, None, allowed_teams=frozenset({"T0OTHER01"})
    )
    assert service.handle(*click(harness, "alertrouter_ack")).status == 403
    assert group_of(harness).clicks.ack_by == ""


def test_the_second_clicker_is_told_who_was_first_and_nothing_is_noted_twice(
    harness: Harness, interactions: InteractionService
) -> None:
    harness.service.handle_body(alarm_body())
    interactions.handle(*click(harness, "alertrouter_ack", user="U0FIRST01"))
    second = interactions.handle(*click(harness, "alertrouter_ack", user="U0SECOND1"))
    assert second.body["response_type"] == "ephemeral"
    assert second.body["text"] == "Already acknowledged by <@U0FIRST01>."
    notes = [r.text for r in harness.slack.channel_messages("#team")[0].replies]
    assert len([n for n in notes if n.startswith("✋")]) == 1 and "U0SECOND1" not in " ".join(notes)


def test_a_click_on_an_earlier_episodes_message_changes_nothing(
    harness: Harness, interactions: InteractionService
) -> None:
    # Given a message whose alarm resolved and then fired again (a new message, a new episode)
    harness.service.handle_body(alarm_body(ts="2024-05-01T10:00:00.000+0000"))
    old_click = click(harness, "alertrouter_ack")
    harness.service.handle_body(alarm_body(state="OK", ts="2024-05-01T10:10:00.000+0000"))
    harness.service.handle_body(alarm_body(ts="2024-05-01T11:00:00.000+0000"))
    assert len(harness.slack.channel_messages("#team")) == 2
    # When someone clicks Acknowledge on the old message (a stale view)
    response = interactions.handle(*old_click)
    # Then the new episode is not acknowledged by it
    assert "earlier episode" in response.body["text"]
    key = harness.slack.channel_messages("#team")[1].attachments[0]["blocks"][-1]["elements"][0]["value"]
    assert harness.service.router.stores.groups.get_group(key.rpartition(":")[0]).clicks.ack_by == ""  # type: ignore[union-attr]


def test_history_lists_what_was_sent_and_who_acknowledged(
    harness: Harness, interactions: InteractionService, capsys: pytest.CaptureFixture[str]
) -> None:
    from alertrouter.cli import main

    # Given an alert that fired, was acknowledged, and resolved (the router's clock on real time, like
    # the interactions function's)
    harness.clock.ms = int(time.time() * 1000)
    harness.service.handle_body(alarm_body(ts="2024-05-01T10:00:00.000+0000"))
    interactions.handle(*click(harness, "alertrouter_ack"))
    key = group_of(harness).key
    harness.clock.advance(600)
    harness.service.handle_body(alarm_body(state="OK", ts="2024-05-01T10:14:00.000+0000"))
    group = harness.service.router.stores.groups.get_group(key)
    fingerprint = next(iter(group.members))
    config = harness.service.settings.routing_config_path
    # When the history is asked for by group key, and by the alert's fingerprint
    for key in (group.key, fingerprint):
        assert (
            main(
                [
                    "history",
                    key,
                    "--table",
                    harness.stack.table_name,
                    "--region",
                    "us-east-1",
                    "--config",
                    config,
                    "--json",
                ]
            )
            == 0
        )
        entries = json.loads(capsys.readouterr().out)["history"]
        # Then it tells the story in order: posted, acknowledged, edited with the resolution in the thread
        assert [e["kind"] for e in entries] == ["slack_post", "ack", "slack_update"]
        assert entries[1]["user"] == "U0ONCALL1"
        assert "after 14 min" in entries[2]["text"] and entries[2]["thread"]
    assert main(["history", group.key, "--table", harness.stack.table_name, "--region", "us-east-1"]) == 0
    assert "acknowledged by U0ONCALL1" in capsys.readouterr().out

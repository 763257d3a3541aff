"""A click acts only on the group of the message it was clicked in: a signed click whose button names another
group (or a message the group never had) is refused and changes nothing, for every button."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest

from alertrouter.interactions import ACK, RESOLVE, SILENCE, UNACK, InteractionService, sign
from alertrouter.models.state import GroupState, Member, SlackDelivery
from alertrouter.notify.slack import SlackClient
from alertrouter.own_messages import OwnMessage
from support.events import alarm_body
from support.harness import Harness
from support.memory_store import MemoryStore
from support.slack_clicks import SIGNING_SECRET, click

pytestmark = pytest.mark.integration


@pytest.fixture
def interactions(harness: Harness) -> InteractionService:
    harness.clock.ms = int(time.time() * 1000)  # clicks are signed with real time
    slack = SlackClient(lambda: "xoxb-test", harness.slack.url, timeout=(1.0, 1.0), min_interval=0.0)

    def enqueue(message: OwnMessage) -> None:
        harness.sqs.send_message(QueueUrl=harness.stack.queue_url, MessageBody=message.encode())

    return InteractionService(harness.service.router.stores, lambda: SIGNING_SECRET, slack, enqueue=enqueue)


def clicked_in(
    request: tuple[dict[str, str], bytes], channel_id: str, ts: str
) -> tuple[dict[str, str], bytes]:
    """The same click as if made in the message `ts` of `channel_id`, signed as Slack signs it."""
    headers, body = request
    payload = json.loads(parse_qs(body.decode())["payload"][0])
    payload["container"].update(channel_id=channel_id, message_ts=ts)
    body = urlencode({"payload": json.dumps(payload)}).encode()
    timestamp = headers["x-slack-request-timestamp"]
    return {**headers, "x-slack-signature": sign(SIGNING_SECRET, timestamp, body)}, body


def snapshot(harness: Harness) -> dict[str, Any]:
    """Everything a click could change: the groups, the silences, the messages and their threads, the queue."""
    stores = harness.service.router.stores
    messages = harness.slack.channel_messages("#team")
    keys = [m.metadata["event_payload"]["group"] for m in messages if m.metadata]
    return {
        "groups": [stores.groups.get_group(k) for k in keys],
        "silences": stores.silences.silences(),
        "messages": [(m.edits, json.dumps(m.attachments), [r.text for r in m.replies]) for m in messages],
        "queued": harness.sqs.get_queue_attributes(
            QueueUrl=harness.stack.queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]["ApproximateNumberOfMessages"],
    }


def two_groups(harness: Harness) -> None:
    """Two groups in #team (grouped by alertname), so two messages: CPU first, then disk."""
    harness.service.handle_body(alarm_body())
    harness.service.handle_body(alarm_body(name="DiskAlmostFull"))
    assert len(harness.slack.channel_messages("#team")) == 2


@pytest.mark.parametrize("action", [ACK, UNACK, RESOLVE, SILENCE])
def test_a_click_naming_another_group_than_its_message_is_refused(
    harness: Harness, interactions: InteractionService, action: str
) -> None:
    # Given two groups' messages; the disk group acknowledged (so that Unacknowledge could change it)
    two_groups(harness)
    cpu, disk = harness.slack.channel_messages("#team")
    if action == UNACK:
        assert interactions.handle(*click(harness, ACK, message_index=1)).body == {}
    before = snapshot(harness)
    # When a signed click made in the CPU message carries the disk group's button value
    forged = clicked_in(
        click(harness, action, message_index=1, choice="1h" if action == SILENCE else ""), cpu.channel, cpu.ts
    )
    response = interactions.handle(*forged)
    # Then it is refused, to the clicker alone, and neither group, message, thread nor queue changes
    assert response.status == 200 and response.body["response_type"] == "ephemeral"
    assert "not about this message" in response.body["text"]
    assert snapshot(harness) == before


@pytest.mark.parametrize("action", [ACK, RESOLVE, SILENCE])
def test_a_click_with_its_groups_ts_in_another_channel_is_refused(
    harness: Harness, interactions: InteractionService, action: str
) -> None:
    two_groups(harness)
    cpu = harness.slack.channel_messages("#team")[0]
    other_channel = harness.slack.channel_id("#elsewhere")
    before = snapshot(harness)
    request = clicked_in(
        click(harness, action, message_index=0, choice="4h" if action == SILENCE else ""),
        other_channel,
        cpu.ts,
    )
    assert "not about this message" in interactions.handle(*request).body["text"]
    assert snapshot(harness) == before


def test_the_groups_own_message_still_acts(harness: Harness, interactions: InteractionService) -> None:
    two_groups(harness)
    assert interactions.handle(*click(harness, ACK, message_index=0)).body == {}
    cpu = harness.slack.channel_messages("#team")[0]
    key = cpu.metadata["event_payload"]["group"]  # type: ignore[index]
    assert harness.service.router.stores.groups.get_group(key).clicks.ack_by == "U0ONCALL1"  # type: ignore[union-attr]


# ---- groups as stored (MemoryStore): never posted, and items kept before channel ids were ----

NOW = 1_700_000_000
KEY = "0|team|alertname=HighLatency"


def memory_click(store: MemoryStore, action: str, channel_id: str, ts: str) -> dict[str, Any]:
    payload = {
        "type": "block_actions",
        "user": {"id": "U1"},
        "container": {"channel_id": channel_id, "message_ts": ts},
        "actions": [{"action_id": action, "value": f"{'1h|' if action == SILENCE else ''}{KEY}:1"}],
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    service = InteractionService(
        store.stores(), lambda: "secret", None, now=lambda: NOW, enqueue=lambda m: None
    )
    headers = {"x-slack-request-timestamp": str(NOW), "x-slack-signature": sign("secret", str(NOW), body)}
    return service.handle(headers, body).body


def memory_group(**fields: Any) -> MemoryStore:
    store = MemoryStore()
    member = Member(status="firing", severity="critical", title="HighLatency", ts_ms=1, starts_at_ms=1)
    store.groups[KEY] = GroupState(
        key=KEY,
        route_id="0",
        receiver="team",
        group_labels={"alertname": "HighLatency"},
        members={"fp1": member},
        **fields,
    )
    return store


@pytest.mark.parametrize("action", [ACK, RESOLVE, SILENCE])
def test_a_group_whose_message_was_never_posted_cannot_be_clicked(action: str) -> None:
    store = memory_group()
    before = store.groups[KEY].model_dump()
    answer = memory_click(store, action, "C0TEAM0001", "1700000000.000100")
    assert "not about this message" in answer["text"]
    assert store.groups[KEY].model_dump() == before and store.silence_items == {}


def test_a_group_kept_without_its_channel_id_is_matched_by_ts_alone() -> None:
    store = memory_group(slack=SlackDelivery(ts={"#team": "1700000000.000100"}))
    assert "not about this message" in memory_click(store, ACK, "C0TEAM0001", "1700000000.000200")["text"]
    assert memory_click(store, ACK, "C0TEAM0001", "1700000000.000100") == {}
    assert store.groups[KEY].clicks.ack_by == "U1"


# ---- the redraw after a click reads as the router drew it ----

TEAM_CONFIG = """
messages:
  time_zone: Europe/Berlin
  account_names: {"123456789012": production}
route:
  receiver: team
  group_by: [alertname, account, region]
  group_wait: 0s
  send_changes: at_once
receivers:
  - name: team
    slack_configs:
      - channel: "#team"
        title: '{{ .CommonLabels.alertname }} ({{ .Status }})'
"""


def test_a_clicked_message_is_redrawn_with_the_configs_wording_and_its_channels_templates(
    aws: Any, slack: Any, tmp_path: Any
) -> None:
    from alertrouter.composition.interactions import routing_or_none
    from alertrouter.models.settings import InteractionSettings
    from support.harness import make_harness

    # Given the router drew the message with the channel's title template and the team's wording
    harness = make_harness(aws, slack, tmp_path, TEAM_CONFIG)
    harness.clock.ms = int(time.time() * 1000)
    harness.service.handle_body(alarm_body())
    [posted] = harness.slack.channel_messages("#team")
    assert posted.text == "ServerCpuTooHigh (firing)"
    # And the interactions function loads the same file (its environment names it)
    settings = InteractionSettings(
        table_name="alertrouter-state",
        slack_token_secret="s",
        slack_signing_secret="s",
        routing_config_path=str(tmp_path / "routing.yaml"),
    )
    config = routing_or_none(settings)
    assert config is not None and config.messages.time_zone == "Europe/Berlin"
    client = SlackClient(lambda: "xoxb-test", harness.slack.url, timeout=(1.0, 1.0), min_interval=0.0)
    service = InteractionService(
        harness.service.router.stores, lambda: SIGNING_SECRET, client, routing=lambda: config
    )
    # When someone acknowledges it
    assert service.handle(*click(harness, ACK)).body == {}
    # Then the redraw keeps the template's title, the account's name and the team's time zone
    [redrawn] = harness.slack.channel_messages("#team")
    assert redrawn.text == "ServerCpuTooHigh (firing)" and redrawn.edits == 1
    shown = json.dumps(redrawn.attachments, ensure_ascii=False)
    assert "Acknowledged by <@U0ONCALL1> at " in shown and "UTC)" in shown  # a Berlin time, UTC beside it
    # And without a readable config, the redraw falls back to the defaults (the router's next edit restores it)
    assert (
        routing_or_none(settings.model_copy(update={"routing_config_path": str(tmp_path / "nope.yaml")}))
        is None
    )

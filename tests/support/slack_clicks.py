"""Clicks on the router's Slack messages, built and signed as Slack sends them, and the interaction service
that answers them, on the integration harness."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from alertrouter.interactions import InteractionService, sign
from alertrouter.notify.handoff import TAKE_PAGER
from alertrouter.notify.slack import SlackClient
from alertrouter.own_messages import OwnMessage
from support.events import load_event
from support.harness import Harness

SIGNING_SECRET = "fake-signing-secret-for-tests"


def click(
    harness: Harness,
    action: str,
    user: str = "U0ONCALL1",
    ts_offset: int = 0,
    *,
    channel: str = "#team",
    choice: str = "",
    message_index: int = -1,
) -> tuple[dict[str, str], bytes]:
    """A block_actions request for a message (the latest in the channel), built and signed as Slack does:
    a button's value, or for the Silence menu the chosen option (`choice`: 1h, 4h, 24h, resolved)."""
    message = harness.slack.channel_messages(channel)[message_index]
    elements = message.attachments[0]["blocks"][-1]["elements"]
    payload = load_event("slack_block_actions_payload_button_in_message_slack_docs.json")
    payload["user"] = {"id": user, "username": user.lower(), "team_id": "T0TEAM001"}
    payload["team"] = {"id": "T0TEAM001", "domain": "example"}
    payload["container"].update(channel_id=message.channel, message_ts=message.ts)
    if choice:
        [option] = [o for o in elements[2]["options"] if o["value"].startswith(choice + "|")]
        payload["actions"][0] = {
            "type": "static_select",
            "action_id": action,
            "block_id": "alertrouter_actions",
            "selected_option": option,
            "action_ts": "1.0",
        }
    else:
        payload["actions"][0].update(action_id=action, value=elements[0]["value"])  # "<group key>:<episode>"
    body = urlencode({"payload": json.dumps(payload)}).encode()
    timestamp = str(int(time.time()) + ts_offset)
    headers = {
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": sign(SIGNING_SECRET, timestamp, body),
    }
    return headers, body


def take_pager_click(
    schedule: str,
    user: str,
    *,
    channel: str = "C0HANDOFF1",
    message_ts: str = "1796634000.000100",
    timestamp: int | None = None,
    team: str = "T0TEAM001",
    secret: str = SIGNING_SECRET,
) -> tuple[dict[str, str], bytes]:
    """A click on a handoff notice's Take the pager button (its value: the schedule's name), built from Slack's
    documented block_actions payload and signed as Slack does, at `timestamp` (default: now)."""
    payload = load_event("slack_block_actions_payload_button_in_message_slack_docs.json")
    payload["user"] = {"id": user, "username": user.lower(), "team_id": team}
    payload["team"] = {"id": team, "domain": "example"}
    payload["container"].update(channel_id=channel, message_ts=message_ts)
    payload["actions"][0].update(action_id=TAKE_PAGER, value=schedule)
    body = urlencode({"payload": json.dumps(payload)}).encode()
    signed_at = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "x-slack-request-timestamp": signed_at,
        "x-slack-signature": sign(secret, signed_at, body),
    }, body


def interaction_service(
    harness: Harness, enqueue: Callable[[OwnMessage], None] | None = None
) -> InteractionService:
    """The interactions function's service on the harness's store and Slack stand-in."""
    slack = SlackClient(lambda: "xoxb-test", harness.slack.url, timeout=(1.0, 1.0), min_interval=0.0)
    return InteractionService(harness.service.router.stores, lambda: SIGNING_SECRET, slack, enqueue=enqueue)


def queueing_interaction_service(harness: Harness) -> InteractionService:
    """The same, handing what it queues for the router to the stack's ingest queue. Clicks are signed with
    real time: the harness's clock is set to real time too."""
    harness.clock.ms = int(time.time() * 1000)

    def enqueue(message: OwnMessage) -> None:
        harness.sqs.send_message(QueueUrl=harness.stack.queue_url, MessageBody=message.encode())

    return interaction_service(harness, enqueue)


def group_of(harness: Harness, channel: str = "#team") -> Any:
    """The group of the channel's latest message (its key is in the message's metadata)."""
    message = harness.slack.channel_messages(channel)[-1]
    assert message.metadata is not None
    return harness.service.router.stores.groups.get_group(message.metadata["event_payload"]["group"])

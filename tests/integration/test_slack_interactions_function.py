"""The slack-interactions function as Lambda runs it: a Function URL event in, an HTTP answer out, on moto
(Take the pager too: its override in the table, its note in the Slack stand-in). Headers that are not text
(a lone surrogate cannot be encoded) get 400, never an unhandled exception."""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from alertrouter.interactions import sign
from alertrouter.notify.handoff import Handoff, render_handoff
from alertrouter.notify.slack import SlackClient
from alertrouter.store.dynamodb import DynamoDBStore
from support.events import load_event
from support.harness import LambdaContext
from support.local_aws import FAKE_SIGNING_SECRET, deploy
from support.slack_clicks import take_pager_click
from support.slack_standin import SlackStandIn

pytestmark = pytest.mark.integration


@pytest.fixture
def handler(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The function's lambda_handler, its environment pointing at a fresh moto stack."""
    from slack_interactions import app

    stack = deploy(aws)
    for name, value in {
        "TABLE_NAME": stack.table_name,
        "SLACK_TOKEN_SECRET": stack.slack_secret,
        "SLACK_SIGNING_SECRET": stack.signing_secret,
    }.items():
        monkeypatch.setenv(name, value)
    app.build_service.cache_clear()
    yield app.lambda_handler
    app.build_service.cache_clear()


def url_event(headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """A Function URL request (the AWS sample) carrying these headers and body, base64-encoded as delivered."""
    event = load_event("lambda_function_url_POST_request_awsdocs.json")
    event.update(headers=headers, body=base64.b64encode(body).decode(), isBase64Encoded=True)
    return event


def signed(body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": sign(FAKE_SIGNING_SECRET, timestamp, body),
    }


BODY = urlencode(
    {
        "payload": json.dumps(
            {"type": "block_actions", "user": {"id": "U1"}, "actions": [{"action_id": "not_ours"}]}
        )
    }
).encode()


def test_a_signed_request_is_answered_and_a_forged_one_refused(handler: Any) -> None:
    answer = handler(url_event(signed(BODY), BODY), LambdaContext())
    assert answer["statusCode"] == 200 and "not known" in json.loads(answer["body"])["text"]
    forged = {**signed(BODY), "x-slack-signature": "v0=" + "0" * 64}
    assert handler(url_event(forged, BODY), LambdaContext())["statusCode"] == 401


@pytest.mark.parametrize(
    "change",
    [
        {"x-slack-signature": "v0=\ud800" + "0" * 63},
        {"x-slack-request-timestamp": "\udfff"},
        {"x-slack-\ud83d": "1"},
        {"user-agent": "Slackbot \udc80"},
    ],
)
def test_a_header_that_is_not_text_gets_400(handler: Any, change: dict[str, str]) -> None:
    answer = handler(url_event({**signed(BODY), **change}, BODY), LambdaContext())
    assert answer["statusCode"] == 400
    assert json.loads(answer["body"]) == {"error": "headers are not text"}


PAGER_CONFIG = """
route: {receiver: payments}
receivers: [{name: payments, slack: [{channel: '#payments'}]}]
people:
  alice: {slack: U0ALICE01}
  bob: {slack: U0BOB0001}
schedules:
  - name: payments
    time_zone: Europe/Berlin
    handoff_channel: '#payments'
    layers:
      - {name: primary, rotation: weekly, start: 2026-01-05T09:00, members: [alice]}
"""


def test_take_the_pager_stores_the_override_in_the_table_and_notes_it_in_the_notices_thread(
    handler: Any, slack: SlackStandIn, aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the function reading a routing config with a schedule, alice on call for good, and its handoff
    # notice in #payments
    config = tmp_path / "routing.yaml"
    config.write_text(PAGER_CONFIG)
    monkeypatch.setenv("ROUTING_CONFIG_PATH", str(config))
    monkeypatch.setenv("SLACK_API_URL", slack.url)
    now_ms = int(time.time() * 1000)
    notice = render_handoff(Handoff("payments", "Europe/Berlin", "alice", "U0ALICE01", None, None), now_ms)
    channel, ts = SlackClient(lambda: "xoxb-test", slack.url, min_interval=0.0).post("#payments", notice)
    # When bob clicks Take the pager on it
    headers, body = take_pager_click(
        "payments", "U0BOB0001", channel=channel, message_ts=ts, secret=FAKE_SIGNING_SECRET
    )
    answer = handler(url_event(headers, body), LambdaContext())
    # Then the override is in the state table: bob, from now, for 12 hours (no change in sight), by his id
    assert answer["statusCode"] == 200 and json.loads(answer["body"]) == {}
    table = os.environ["TABLE_NAME"]
    [override] = DynamoDBStore(table, aws.client("dynamodb")).overrides("payments", 0, now_ms + 86_400_000)
    assert (override.person, override.by) == ("bob", "U0BOB0001")
    assert override.end_ms - override.start_ms == 12 * 3_600_000 and override.start_ms >= now_ms - 1000
    # and the notice's thread says so
    [message] = slack.channel_messages("#payments")
    [reply] = message.replies
    assert reply.text.startswith("📟 <@U0BOB0001> (bob) took the pager for *payments* until ")
    assert reply.text.endswith("(was alice). Whoever takes it last has it.")

"""The slack-interactions function as Lambda runs it, for the new request kinds: Slack's url_verification
answered with its challenge, a slash command and App Home answered from the table (moto) and the Slack
stand-in, a forged one refused."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.events import load_event
from support.harness import LambdaContext
from support.local_aws import FAKE_SIGNING_SECRET, deploy
from support.slack_requests import app_home_opened, command_body, signed, url_verification
from support.slack_standin import SlackStandIn

pytestmark = pytest.mark.integration

CONFIG = """
route: {receiver: payments}
receivers: [{name: payments, slack: [{channel: '#payments'}]}]
people:
  alice: {slack: U0ALICE01}
schedules:
  - name: payments
    layers:
      - {name: primary, rotation: weekly, start: 2026-01-05T09:00, members: [alice]}
"""


@pytest.fixture
def handler(aws: Any, slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The function's lambda_handler on a fresh moto stack, the stand-in and a routing config."""
    from slack_interactions import app

    stack = deploy(aws)
    config = tmp_path / "routing.yaml"
    config.write_text(CONFIG)
    for name, value in {
        "TABLE_NAME": stack.table_name,
        "SLACK_TOKEN_SECRET": stack.slack_secret,
        "SLACK_SIGNING_SECRET": stack.signing_secret,
        "SLACK_API_URL": slack.url,
        "ROUTING_CONFIG_PATH": str(config),
    }.items():
        monkeypatch.setenv(name, value)
    app.build_service.cache_clear()
    yield app.lambda_handler
    app.build_service.cache_clear()


def url_event(headers: dict[str, str], body: bytes, content_type: str) -> dict[str, Any]:
    """A Function URL request (the AWS sample) carrying these headers and body, as delivered (not base64)."""
    event = load_event("lambda_function_url_POST_request_awsdocs.json")
    event.update(headers={"content-type": content_type, **headers}, body=body.decode(), isBase64Encoded=False)
    return event


def test_url_verification_is_answered_with_the_challenge(handler: Any) -> None:
    _, body = url_verification("chall-from-slack")
    answer = handler(
        url_event(signed(body, secret=FAKE_SIGNING_SECRET), body, "application/json"), LambdaContext()
    )
    assert answer["statusCode"] == 200 and json.loads(answer["body"]) == {"challenge": "chall-from-slack"}
    forged = {**signed(body, secret=FAKE_SIGNING_SECRET), "x-slack-signature": "v0=" + "0" * 64}
    refused = handler(url_event(forged, body, "application/json"), LambdaContext())
    assert refused["statusCode"] == 401 and "challenge" not in refused["body"]


def test_a_slash_command_is_answered_in_the_response(handler: Any) -> None:
    body = command_body("/oncall", user="U0ALICE01")
    answer = handler(
        url_event(signed(body, secret=FAKE_SIGNING_SECRET), body, "application/x-www-form-urlencoded"),
        LambdaContext(),
    )
    assert answer["statusCode"] == 200
    said = json.loads(answer["body"])
    assert said["response_type"] == "ephemeral"
    assert said["text"].startswith("*payments*: <@U0ALICE01> (alice) with no change in sight")


def test_app_home_is_published_from_the_table(handler: Any, slack: SlackStandIn) -> None:
    headers, body = app_home_opened("U0ALICE01")
    headers = signed(body, secret=FAKE_SIGNING_SECRET, timestamp=int(time.time()))
    answer = handler(url_event(headers, body, "application/json"), LambdaContext())
    assert answer["statusCode"] == 200 and json.loads(answer["body"]) == {}
    home = json.dumps(slack.homes["U0ALICE01"].view, ensure_ascii=False)
    assert "Open alerts (0)" in home and "No silences are active." in home and "<@U0ALICE01> (alice)" in home

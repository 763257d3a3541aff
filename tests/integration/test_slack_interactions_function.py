"""The slack-interactions function as Lambda runs it: a Function URL event in, an HTTP answer out, on moto.
Headers that are not text (a lone surrogate cannot be encoded) get 400, never an unhandled exception."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from alertrouter.interactions import sign
from support.events import load_event
from support.harness import LambdaContext
from support.local_aws import FAKE_SIGNING_SECRET, deploy

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

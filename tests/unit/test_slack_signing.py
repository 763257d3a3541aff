"""Slack request signing: Slack's documented example verifies; every tampered variant is refused."""

from __future__ import annotations

import base64

import pytest

from alertrouter.interactions import SignatureError, function_url_body, sign, verify_signature
from support.events import load_event

VECTOR = load_event("slack_request_signing_test_vector_slack_docs.json")
SECRET, BODY, TS = VECTOR["signing_secret"], VECTOR["body"].encode(), VECTOR["timestamp"]
NOW = float(TS)


def test_slacks_documented_example_verifies() -> None:
    assert sign(SECRET, TS, BODY) == VECTOR["expected_signature"]
    assert verify_signature(SECRET, VECTOR["headers"], BODY, NOW) == VECTOR["expected_signature"]
    # header names arrive lower-cased from a Function URL
    lowered = {k.lower(): v for k, v in VECTOR["headers"].items()}
    assert verify_signature(SECRET, lowered, BODY, NOW + 299)


@pytest.mark.parametrize(
    ("headers", "body", "now", "reason"),
    [
        (VECTOR["headers"], BODY + b"&x=1", NOW, "does not match"),  # body tampered
        ({**VECTOR["headers"], "X-Slack-Request-Timestamp": str(int(TS) + 1)}, BODY, NOW, "does not match"),
        (
            {**VECTOR["headers"], "X-Slack-Signature": VECTOR["expected_signature"][:-1] + "0"},
            BODY,
            NOW,
            "does not match",
        ),
        (VECTOR["headers"], BODY, NOW + 301, "more than 300s"),  # stale
        (VECTOR["headers"], BODY, NOW - 301, "more than 300s"),  # from the future
        ({"X-Slack-Signature": VECTOR["expected_signature"]}, BODY, NOW, "missing"),
        ({**VECTOR["headers"], "X-Slack-Request-Timestamp": "soon"}, BODY, NOW, "not a number"),
    ],
)
def test_tampered_requests_are_refused(headers, body, now, reason) -> None:
    with pytest.raises(SignatureError, match=reason):
        verify_signature(SECRET, headers, body, now)


def test_a_different_secret_is_refused() -> None:
    with pytest.raises(SignatureError):
        verify_signature("another-secret", VECTOR["headers"], BODY, NOW)


def test_function_url_base64_body_is_decoded_before_verifying() -> None:
    event = load_event("lambda_function_url_POST_request_awsdocs.json")
    event.update(body=base64.b64encode(BODY).decode(), isBase64Encoded=True)
    assert function_url_body(event) == BODY
    assert function_url_body({**event, "body": "%%%not base64"}) == b""
    assert function_url_body({"body": "plain", "isBase64Encoded": False}) == b"plain"


# The window is whole seconds: the timestamp's second and the clock's (a float, like time.time()) may be at
# most 300 apart, so a request is fresh up to and including 300 s old, whatever the clock's fraction.
@pytest.mark.parametrize("offset", [300.0, 300.9, 299.5, -300.0, 0.25])
def test_a_request_300_whole_seconds_old_or_ahead_is_fresh(offset: float) -> None:
    assert verify_signature(SECRET, VECTOR["headers"], BODY, NOW + offset) == VECTOR["expected_signature"]


@pytest.mark.parametrize("offset", [301.0, 301.9, -300.5, -301.0])
def test_a_request_301_whole_seconds_old_or_ahead_is_stale(offset: float) -> None:
    with pytest.raises(SignatureError, match="more than 300s"):
        verify_signature(SECRET, VECTOR["headers"], BODY, NOW + offset)

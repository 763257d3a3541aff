"""A refused record's DLQ copy always fits SQS: at most 262,144 bytes, counting the body's UTF-8 bytes and each
message attribute's name, data type and value, in characters SQS accepts, so its reason always arrives."""

from __future__ import annotations

import pytest

from support.harness import Harness

pytestmark = pytest.mark.integration
SQS_MAX_BYTES = (
    262_144  # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
)


def sqs_size(message: dict) -> int:
    """A message's size as SQS counts it (moto counts characters, so the test counts bytes itself)."""
    attributes = message.get("MessageAttributes", {})
    return len(message["Body"].encode()) + sum(
        len(name.encode()) + len(a["DataType"].encode()) + len(a["StringValue"].encode())
        for name, a in attributes.items()
    )


def sqs_accepts(text: str) -> bool:
    """SQS's allowed characters: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF."""
    return all(
        c in "\t\n\r" or " " <= c <= "\ud7ff" or "\ue000" <= c <= "\ufffd" or c >= "\U00010000" for c in text
    )


def test_an_oversized_body_of_multibyte_characters_reaches_the_dlq_with_its_reason(harness: Harness) -> None:
    # Given a body of 100,000 euro signs: 100,000 characters, 300,000 bytes, over SQS's and the router's limit
    body = "€" * 100_000
    # When the router refuses it
    harness.service.handle_body(body, message_id="m-euro")
    # Then its copy is in the DLQ with the reason, cut on a character boundary to what SQS takes
    [copy] = harness.receive_all(harness.stack.dlq_url, attributes=True)
    assert copy["MessageAttributes"]["reason"]["StringValue"] == "body of 300000 bytes exceeds 262144"
    assert copy["MessageAttributes"]["source_message_id"]["StringValue"] == "m-euro"
    assert sqs_size(copy) <= SQS_MAX_BYTES
    assert body.startswith(copy["Body"]) and len(copy["Body"].encode()) > SQS_MAX_BYTES - 2_000


def test_text_sqs_refuses_is_replaced_so_the_copy_is_sent(harness: Harness) -> None:
    # A reason quoting outside text may hold what SQS refuses (NUL) or UTF-8 cannot encode (a lone surrogate)
    harness.service.reject(
        '{"alarm": "a\x00b\ud800"}', "bad name 'a\x00b\ud800' " + "é" * 2_000, "MalformedEvents", "m-odd"
    )
    [copy] = harness.receive_all(harness.stack.dlq_url, attributes=True)
    reason = copy["MessageAttributes"]["reason"]["StringValue"]
    assert reason.startswith("bad name 'a\ufffdb\ufffd' é") and sqs_accepts(reason) and len(reason) <= 1_000
    assert copy["Body"] == '{"alarm": "a\ufffdb\ufffd"}'

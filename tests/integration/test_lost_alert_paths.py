"""Every step between "the alert joined its group" and "its flush is on the queue" failed on purpose, one at a
time: DynamoDB throttling every try of one call (botocore's retries included), SQS refusing a send, Slack
failing. Each time the alert is still posted, once: the record handed back to SQS, or the message already on
the queue, brings the flush."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from alertrouter.limits import BUSY_RETRY_S, LEASE_MS
from alertrouter.store.dynamodb.group_layout import MEMBER_PREFIX
from support.events import alarm_body
from support.harness import FAST_CONFIG, Harness, make_harness, queued
from support.slack_standin import SlackStandIn

pytestmark = pytest.mark.integration

GROUP_WAIT = FAST_CONFIG.replace("group_wait: 0s", "group_wait: 30s")
GROUP_INTERVAL = GROUP_WAIT.replace("send_changes: at_once", "group_interval: 5m")
ERRORS = {
    "dynamodb": (
        400,
        "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        "The level of configured provisioned throughput for the table was exceeded.",
    ),
    "sqs": (500, "InternalError", "We encountered an internal error. Please try again."),
}


class Faults:
    """Fails every try (botocore retries a throttle or a 500: 3 tries) of the first call `pick` chooses,
    before moto sees it; `failed` counts the tries refused."""

    def __init__(self, client: Any, pick: Callable[[str, dict[str, Any]], bool]) -> None:
        self.pick, self.picked, self.failed = pick, False, 0
        self.service = client.meta.service_model.service_name
        client.meta.events.register(f"before-send.{self.service}", self.answer)

    def answer(self, request: Any, **_: Any) -> Any:
        from botocore.awsrequest import AWSResponse
        from moto.core.botocore_stubber import MockRawResponse

        operation = request.headers.get("X-Amz-Target", b"").decode().rsplit(".", 1)[-1]
        if not self.picked:
            self.picked = self.pick(operation, json.loads(request.body or b"{}"))
        if not self.picked or self.failed == 3:  # CLIENT_CONFIG's total_max_attempts
            return None
        self.failed += 1
        request.failed_by_test = True
        status, code, message = ERRORS[self.service]
        body = json.dumps({"__type": code, "message": message}).encode()
        return AWSResponse(
            request.url, status, {"Content-Type": "application/x-amz-json-1.0"}, MockRawResponse(body)
        )


@pytest.fixture
def faults(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Faults]:
    """Faults on a client; botocore's backoff between tries shortened (the tries are kept)."""
    from botocore.retries.standard import ExponentialBackoff
    from moto.core.models import botocore_stubber

    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.001)
    real_process = botocore_stubber.process_request
    # botocore keeps the first before-send answer, but moto's stubber would still carry the request out
    monkeypatch.setattr(
        botocore_stubber,
        "process_request",
        lambda request: None if getattr(request, "failed_by_test", False) else real_process(request),
    )
    return Faults


def updates(expression: str) -> Callable[[str, dict[str, Any]], bool]:
    """An UpdateItem whose update expression starts so."""
    return lambda op, body: op == "UpdateItem" and body.get("UpdateExpression", "").startswith(expression)


def deliver_flushes(h: Harness) -> list[str]:
    """Hand the router every flush on its queue (not the repeat looks, hours away), as SQS does once due."""
    flushes = [body for body, delay in queued(h, h.stack.queue_url) if delay < 900]
    for body in flushes:
        h.service.handle_body(body)
    return flushes


def deliver_flushes_after(h: Harness, seconds: int) -> list[str]:
    """The same, the clock moved on by `seconds` first."""
    h.clock.advance(seconds)
    return deliver_flushes(h)


def posts(h: Harness) -> list[Any]:
    return [m for m in h.slack.channel_messages("#team") if m.metadata]


def test_a_throttled_mark_after_the_flush_was_sent_still_flushes_once(
    aws: Any, slack: SlackStandIn, tmp_path: Path, faults: Callable[..., Faults]
) -> None:
    h = make_harness(aws, slack, tmp_path, GROUP_WAIT)
    marks = faults(h.service.clients.dynamodb, updates("SET flush_at_ms = :due"))
    # Given the group's flush message is sent, then marking it scheduled is throttled at every try
    with pytest.raises(Exception, match="ProvisionedThroughputExceeded"):
        h.service.handle_body(alarm_body())
    assert marks.failed == 3
    # When the message arrives after group_wait, Then the alert is posted (the record's redelivery too)
    h.clock.advance(30)
    assert deliver_flushes(h)
    h.service.handle_body(alarm_body())
    h.clock.advance(30)
    deliver_flushes(h)
    assert len(posts(h)) == 1


def test_a_flush_message_sqs_refused_is_scheduled_again_by_the_records_redelivery(
    aws: Any, slack: SlackStandIn, tmp_path: Path, faults: Callable[..., Faults]
) -> None:
    h = make_harness(aws, slack, tmp_path, GROUP_WAIT)
    sends = faults(
        h.service.clients.sqs,
        lambda op, body: op == "SendMessage" and "alertrouter.flush" in body.get("MessageBody", ""),
    )
    # Given SQS refuses the group's flush message (every try): nothing is marked, the record is handed back
    with pytest.raises(Exception, match="InternalError"):
        h.service.handle_body(alarm_body())
    assert sends.failed == 3 and not queued(h, h.stack.queue_url, take=False)
    # When SQS redelivers the record, Then the flush is scheduled and the alert posted
    h.service.handle_body(alarm_body())
    h.clock.advance(30)
    assert deliver_flushes(h)
    assert len(posts(h)) == 1


def test_a_lease_left_held_by_a_failed_flush_delays_the_post_but_never_loses_it(
    aws: Any, slack: SlackStandIn, tmp_path: Path, faults: Callable[..., Faults]
) -> None:
    h = make_harness(aws, slack, tmp_path)
    # Given Slack fails the post, and freeing the lease after the failure is throttled at every try
    slack.faults = ["500"] * 12
    frees = faults(
        h.service.clients.dynamodb,
        lambda op, body: (
            op == "UpdateItem"
            and sorted(body.get("ExpressionAttributeNames", {}).values()) == ["lease_id", "lease_until_ms"]
        ),
    )
    with pytest.raises(Exception, match="HTTP 500"):
        h.service.handle_body(alarm_body())
    assert frees.failed == 3 and not posts(h)
    slack.faults.clear()
    # When SQS redelivers the record: the lease is still held, a look a little later is scheduled
    h.service.handle_body(alarm_body())
    assert not posts(h)
    # Then a look every BUSY_RETRY_S follows the last until the lease expires, and the alert is posted once
    looks = 0
    while deliver_flushes_after(h, BUSY_RETRY_S):
        looks += 1
    assert looks == LEASE_MS // 1000 // BUSY_RETRY_S and len(posts(h)) == 1


def test_a_throttled_clear_of_the_flush_mark_does_not_hold_back_later_changes(
    aws: Any, slack: SlackStandIn, tmp_path: Path, faults: Callable[..., Faults]
) -> None:
    h = make_harness(aws, slack, tmp_path, GROUP_INTERVAL)
    h.service.handle_body(alarm_body())
    # Given the first flush, after group_wait, cannot clear its mark (throttled at every try: ignored)
    clears = faults(h.service.clients.dynamodb, updates("SET flush_at_ms = :zero"))
    h.clock.advance(30)
    deliver_flushes(h)
    assert clears.failed == 3 and len(posts(h)) == 1
    # When the alarm resolves a minute later, Then its change is scheduled and sent on the next tick
    h.clock.advance(60)
    h.service.handle_body(alarm_body(state="OK", ts="2024-05-01T10:01:00.000+0000"))
    h.clock.advance(240)
    assert deliver_flushes(h)
    [message] = posts(h)
    assert message.text.startswith("✅ RESOLVED")


def test_a_throttled_header_write_after_the_member_write_is_repaired_by_the_redelivery(
    aws: Any, slack: SlackStandIn, tmp_path: Path, faults: Callable[..., Faults]
) -> None:
    h = make_harness(aws, slack, tmp_path)
    bumps = faults(h.service.clients.dynamodb, updates("SET version = if_not_exists(version"))
    # Given the member item is written, then the group's header (its version, pending) is throttled
    with pytest.raises(Exception, match="ProvisionedThroughputExceeded"):
        h.service.handle_body(alarm_body())
    assert bumps.failed == 3 and not posts(h)
    # When SQS redelivers the record (a duplicate of the stored state now), Then the group is flushed
    h.service.handle_body(alarm_body())
    assert len(posts(h)) == 1


def test_a_throttled_end_of_the_pending_period_loses_nothing(
    aws: Any, slack: SlackStandIn, tmp_path: Path, faults: Callable[..., Faults]
) -> None:
    h = make_harness(aws, slack, tmp_path)
    ends = faults(h.service.clients.dynamodb, updates("REMOVE pending_since_ms"))
    # Given the post's release cannot end the pending period (throttled at every try: ignored)
    h.service.handle_body(alarm_body())
    assert ends.failed == 3 and len(posts(h)) == 1
    # When the alarm resolves, Then the message says so (nothing was held back by the stale start)
    h.clock.advance(60)
    h.service.handle_body(alarm_body(state="OK", ts="2024-05-01T10:01:00.000+0000"))
    deliver_flushes(h)
    [message] = posts(h)
    assert message.text.startswith("✅ RESOLVED")


def test_a_claim_that_cannot_read_its_group_frees_the_lease_at_once(
    aws: Any, slack: SlackStandIn, tmp_path: Path, faults: Callable[..., Faults]
) -> None:
    h = make_harness(aws, slack, tmp_path)
    reads = faults(
        h.service.clients.dynamodb,
        lambda op, body: (
            op == "Query" and body["ExpressionAttributeValues"].get(":prefix") == {"S": MEMBER_PREFIX}
        ),
    )
    # Given the flush takes the group's lease, then reading the group's members is throttled at every try
    with pytest.raises(Exception, match="ProvisionedThroughputExceeded"):
        h.service.handle_body(alarm_body())
    assert reads.failed == 3 and not posts(h)
    # When SQS redelivers the record, Then the alert is posted at once, not after the lease expired
    h.service.handle_body(alarm_body())
    assert len(posts(h)) == 1

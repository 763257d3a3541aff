"""500 AWS Batch array children failing within a minute, through the real router on moto and the Slack
stand-in: one Slack message counting them by reason, updated a bounded number of times; redeliveries count
nothing twice; the group's item stays far below DynamoDB's 400 KB; an hour without a new failure resolves it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from alertrouter.escalate import Escalator
from alertrouter.notify.slack import SlackClient
from alertrouter.store.dynamodb import groups as dynamodb_groups
from support.events import batch_child_failure as child_failure
from support.harness import BATCH_STORM_CONFIG, Harness, drain_scheduled, make_harness

pytestmark = pytest.mark.integration

# The cap on a group's kept alerts, lowered from MAX_GROUP_MEMBERS so that moto (which re-serialises the whole item on
# every call) stays quick; the router's logic is the same at any cap.
CAP = 40


@pytest.fixture
def h(aws: Any, slack: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Harness:
    monkeypatch.setattr(dynamodb_groups, "MAX_GROUP_MEMBERS", CAP)
    return make_harness(aws, slack, tmp_path, BATCH_STORM_CONFIG)


def fail_500_jobs_within_a_minute(h: Harness) -> None:
    """500 array children failing 120 ms apart, their scheduled flushes delivered as they come due, then the
    group_interval after the storm."""
    for index in range(500):
        h.clock.advance(0.12)
        h.service.handle_body(child_failure(index))
        if index % 25 == 0:
            drain_scheduled(h)
    h.clock.advance(180)
    drain_scheduled(h)


@pytest.mark.slow(seconds=70)
def test_500_failed_jobs_are_one_message_counted_by_reason_and_resolve_an_hour_after_the_last(
    h: Harness,
) -> None:
    fail_500_jobs_within_a_minute(h)

    posts = [c for c in h.slack.calls if c.method == "chat.postMessage" and not c.payload.get("thread_ts")]
    edits = [c for c in h.slack.calls if c.method == "chat.update"]
    threads = [c for c in h.slack.calls if c.method == "chat.postMessage" and c.payload.get("thread_ts")]
    assert len(posts) == 1  # not 500
    assert 1 <= len(edits) <= 2 and len(threads) <= len(edits)  # group_wait 30 s, then one group_interval
    [message] = h.slack.channel_messages("#batch")
    assert message.text == "🟠 500 jobs failed in queue nightly: 480 × Out of memory, 20 × Timeout"
    body = json.dumps(message.attachments, ensure_ascii=False)
    assert "…and 490 more" in body and "nightly-render failed: Out of memory" in body

    # the group keeps CAP alerts and counts the rest (by reason): its item stays small
    assert message.metadata is not None
    group = h.service.router.stores.groups.get_group(message.metadata["event_payload"]["group"])
    assert group is not None
    assert len(group.members) == CAP and sum(group.overflow.values()) == 500 - CAP
    raw = h.session.client("dynamodb").get_item(
        TableName=h.stack.table_name, Key={"pk": {"S": f"GROUP#{group.key}"}, "sk": {"S": "GROUP"}}
    )
    assert len(json.dumps(raw["Item"])) < 2_000 * CAP  # at most ~1.8 KB per kept alert

    # SQS delivers again (at least once): nothing is counted twice, nothing is posted again
    for index in range(0, 500, 7):
        h.service.handle_body(child_failure(index))
    h.clock.advance(180)
    drain_scheduled(h)
    assert h.slack.channel_messages("#batch")[0].text == message.text
    assert (
        len([c for c in h.slack.calls if c.method == "chat.postMessage" and not c.payload.get("thread_ts")])
        == 1
    )

    # no new failure for the route's resolve_timeout: the escalator's expiries resolve them, the message says so
    h.clock.advance(3600)
    sqs = h.session.client("sqs")
    escalator = Escalator(
        h.service.router.stores,
        None,
        SlackClient(lambda: "xoxb-test", h.slack.url),
        now_ms=h.clock,
        enqueue=lambda m: sqs.send_message(QueueUrl=h.stack.queue_url, MessageBody=m.encode()),
    )
    for _ in range(3):
        escalator.run()
        drain_scheduled(h)
        h.clock.advance(180)
    [resolved] = h.slack.channel_messages("#batch")
    assert resolved.text.startswith(
        "✅ RESOLVED · 500 failed jobs · BatchJobFailed, 123456789012, us-east-1, nightly, render"
    ), resolved.text


def test_an_alarm_a_full_group_cannot_take_waits_in_the_dlq_with_its_reason(
    aws: Any, slack: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from support.events import alarm_body

    monkeypatch.setattr(dynamodb_groups, "MAX_GROUP_MEMBERS", CAP)
    h = make_harness(
        aws,
        slack,
        tmp_path,
        BATCH_STORM_CONFIG.replace(
            "group_by: [alertname, account, region]\n  group_wait", "group_by: [region]\n  group_wait"
        ),
    )
    for i in range(CAP):  # one group (by region): CAP alarms firing, none resolved
        h.service.handle_body(alarm_body(name=f"DiskFull{i}"))
    h.service.handle_body(alarm_body(name="DiskFullOneTooMany"))
    dead = h.receive_all(h.stack.dlq_url, attributes=True)
    assert len(dead) == 1 and "DiskFullOneTooMany" in dead[0]["Body"]
    assert "none resolved" in dead[0]["MessageAttributes"]["reason"]["StringValue"]
    h.service.handle_body(alarm_body(name="DiskFull0", state="OK", ts="2024-05-01T10:05:00.000+0000"))
    h.service.handle_body(dead[0]["Body"])  # redriven once the group has room: it joins, and is told
    h.clock.advance(180)
    drain_scheduled(h)
    [message] = h.slack.channel_messages("#team")
    assert message.text == f"🟠 {CAP} firing · us-east-1" and message.metadata is not None
    group = h.service.router.stores.groups.get_group(message.metadata["event_payload"]["group"])
    assert group is not None and "DiskFullOneTooMany" in {m.title for m in group.members.values()}


@pytest.mark.slow(seconds=90)
def test_500_failed_jobs_at_the_shipped_limits_cost_a_few_units_each_and_throttle_nothing(
    aws: Any, slack: Any, tmp_path: Path
) -> None:
    """Issue 15's figures, metered by DynamoDB's rules with its partition limits enforced on the test's clock:
    500 failed jobs of one queue within a minute, every one kept as a member (the shipped cap)."""
    from support.dynamodb_capacity import CapacityMeter, moto_backend_reader

    h = make_harness(aws, slack, tmp_path, BATCH_STORM_CONFIG)
    meter = CapacityMeter(aws, now_ms=h.clock, read_item=moto_backend_reader()).attach(
        h.service.clients.dynamodb
    )
    fail_500_jobs_within_a_minute(h)

    # each job: a few write units (not ~190 for a group item rewritten whole), under 2 read units
    assert meter.write_units / 500 <= 6 and meter.read_units / 500 <= 2, meter.summary()
    # no partition key above DynamoDB's 1,000 write units in any second: nothing throttled
    assert meter.peak_write().units <= 1_000 and sum(meter.throttled.values()) == 0
    # one message, a bounded number of edits, every job in it
    posts = [c for c in h.slack.calls if c.method == "chat.postMessage" and not c.payload.get("thread_ts")]
    edits = [c for c in h.slack.calls if c.method == "chat.update"]
    assert len(posts) == 1 and len(edits) <= 3
    [message] = h.slack.channel_messages("#batch")
    assert message.text == "🟠 500 jobs failed in queue nightly: 480 × Out of memory, 20 × Timeout"
    assert message.metadata is not None
    group = h.service.router.stores.groups.get_group(message.metadata["event_payload"]["group"])
    assert group is not None and len(group.members) == 500 and not group.overflow

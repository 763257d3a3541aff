"""500 AWS Batch array children failing within a minute, through the real router on moto and the Slack
stand-in: one Slack message counting them by reason, updated a bounded number of times; redeliveries count
nothing twice; each job costs a few write units and the group's items stay small; an hour without a new failure resolves it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from alertrouter.escalate import Escalator
from alertrouter.notify.slack import SlackClient
from alertrouter.store.dynamodb import groups as dynamodb_groups
from support.dynamodb_capacity import CapacityMeter, moto_backend_reader
from support.events import batch_child_failure as child_failure
from support.harness import BATCH_STORM_CONFIG, Harness, drain_scheduled, make_harness

pytestmark = pytest.mark.integration

# The cap on a group's kept alerts, lowered from MAX_GROUP_MEMBERS (5,000) only where a test shows what happens
# at the cap; the storms run at the shipped cap, metered.
CAP = 40


@pytest.fixture
def h(aws: Any, slack: Any, tmp_path: Path) -> Harness:
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


@pytest.mark.slow(seconds=40)
def test_500_failed_jobs_are_one_message_counted_by_reason_cost_a_few_units_each_and_resolve_an_hour_after_the_last(
    h: Harness, aws: Any
) -> None:
    """Issue 15's figures, metered by DynamoDB's rules with its partition limits enforced on the test's clock:
    500 failed jobs of one queue within a minute, every one kept as a member (the shipped cap)."""
    meter = CapacityMeter(aws, now_ms=h.clock, read_item=moto_backend_reader()).attach(
        h.service.clients.dynamodb
    )
    fail_500_jobs_within_a_minute(h)

    # each job: a few write units (not ~190 for a group item rewritten whole), under 2 read units
    assert meter.write_units / 500 <= 6 and meter.read_units / 500 <= 2, meter.summary()
    # no partition key above DynamoDB's 1,000 write units in any second: nothing throttled
    assert meter.peak_write().units <= 1_000 and sum(meter.throttled.values()) == 0
    posts = [c for c in h.slack.calls if c.method == "chat.postMessage" and not c.payload.get("thread_ts")]
    edits = [c for c in h.slack.calls if c.method == "chat.update"]
    threads = [c for c in h.slack.calls if c.method == "chat.postMessage" and c.payload.get("thread_ts")]
    assert len(posts) == 1  # not 500
    assert 1 <= len(edits) <= 3 and len(threads) <= len(edits)  # group_wait 30 s, then group_intervals
    [message] = h.slack.channel_messages("#batch")
    assert (
        message.text
        == "🟠 WARNING · 500 jobs failed in queue nightly in account 123456789012 (us-east-1): 480 × Out of memory, 20 × Timeout"
    )
    body = json.dumps(message.attachments, ensure_ascii=False)
    # a row per reason with its count and one example, and the command that lists all 500
    assert "*480 × Out of memory* · e.g. nightly-render " in body and "*20 × Timeout* · e.g. " in body
    assert "All 500: `aws batch list-jobs --job-queue nightly --job-status FAILED" in body

    # every job is a member item of the group's partition; the header item stays small
    assert message.metadata is not None
    group = h.service.router.stores.groups.get_group(message.metadata["event_payload"]["group"])
    assert group is not None
    assert len(group.members) == 500 and not group.overflow
    raw = h.session.client("dynamodb").get_item(
        TableName=h.stack.table_name, Key={"pk": {"S": f"GROUP#{group.key}"}, "sk": {"S": "GROUP"}}
    )
    assert len(json.dumps(raw["Item"])) < 2_000
    assert meter.largest_item[0] < 4_096, meter.largest_item  # no item above 4 KB (the largest: its history)

    # SQS delivers again (at least once): nothing is counted twice, nothing is posted again
    units_before = meter.write_units
    for index in range(0, 500, 7):
        h.service.handle_body(child_failure(index))
    h.clock.advance(180)
    drain_scheduled(h)
    assert h.slack.channel_messages("#batch")[0].text == message.text
    assert (
        len([c for c in h.slack.calls if c.method == "chat.postMessage" and not c.payload.get("thread_ts")])
        == 1
    )
    assert (meter.write_units - units_before) / len(range(0, 500, 7)) <= 3  # a refused write, no rewrite

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
        # 500 expiries, one group: taken 10 ms apart (two workers of the main lane, ~20 ms a record) their
        # writes stay under the partition's 1,000 write units a second; all in one instant they would not
        drain_scheduled(h, spacing_ms=10)
        h.clock.advance(180)
    [resolved] = h.slack.channel_messages("#batch")
    assert sum(meter.throttled.values()) == 0 and meter.peak_write().units <= 1_000
    assert resolved.text.startswith(
        "✅ RESOLVED · 500 failed jobs in queue nightly in account 123456789012 (us-east-1)"
    ), resolved.text


def test_an_alarm_a_full_group_cannot_take_waits_in_the_dlq_with_its_reason(
    aws: Any, slack: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from support.events import alarm_body

    monkeypatch.setattr(dynamodb_groups, "MAX_GROUP_MEMBERS", CAP)  # the cap's behaviour, with CAP alarms
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
    assert message.text == f"🟠 WARNING · {CAP} EC2 CPU alarms firing in account 123456789012 (us-east-1)"
    assert message.metadata is not None
    group = h.service.router.stores.groups.get_group(message.metadata["event_payload"]["group"])
    assert group is not None and "DiskFullOneTooMany" in {m.title for m in group.members.values()}

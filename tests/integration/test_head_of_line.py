"""No head-of-line blocking: a critical CloudWatch alarm that arrives in the middle of an AWS Batch failure
storm (5,000 jobs in a minute, at the shipped limits, metered) reaches its channel and its SMS within its
route's group_wait + 10 s, because the storm has a queue and an event source mapping of its own (template.yaml's
storm lane), while the storm is one message counting every job once, posted within its group_wait + 30 s. The same storm on one lane, as before, delays
it: the model of the queues and mappings (support.event_source) can show the failure it guards against. With
DynamoDB's partition limits metered on the test's clock (support.dynamodb_capacity), the storm's hot group is
throttled, and only the storm waits for it.

Everything runs through the real router on moto and the Slack stand-in, on the test's clock: the model gives
each record the time of the AWS and Slack calls it made."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from support.dynamodb_capacity import CapacityMeter, moto_backend_reader
from support.event_source import MAIN_QUEUE, EventSourceModel, lanes_from_template
from support.events import alarm_body, batch_child_failure
from support.harness import Harness, make_harness
from support.local_aws import deploy

pytestmark = pytest.mark.integration

CONFIG = """
route:
  receiver: team
  group_by: [alertname, account, region]
  group_wait: 30s
  group_interval: 2m
  routes:
    - matchers: ['severity="critical"']
      receiver: pager
      group_wait: 10s
    - matchers: ['source="batch"']
      receiver: batch
      group_by: [alertname, account, region, queue, job_definition]
      group_interval: 2m
      resolve_timeout: 1h
receivers:
  - name: team
    slack: [{channel: "#team"}]
  - name: pager
    slack: [{channel: "#oncall"}]
    sms: [oncall-primary]
  - name: batch
    slack: [{channel: "#batch"}]
"""
CRITICAL_GROUP_WAIT_S = 10  # the pager route's group_wait above (the shipped config's too)
BOUND_MS = (CRITICAL_GROUP_WAIT_S + 10) * 1000
# 500 array children failing within a second (an image that cannot be pulled fails them all as they start:
# the first second of a storm of any size); the alarm comes after the first half of them.
JOBS = 500
JOB_SPACING_MS = 2
# Issue 15's storm: 5,000 array children failing within a minute, the alarm in its middle.
BIG_JOBS = 5_000
BIG_SPACING_MS = 12
BATCH_GROUP_WAIT_S = 30  # the batch route's group_wait (the root's, above)


def storm_with_a_critical_alarm(
    h: Harness, lanes: int, jobs: int = JOBS, spacing_ms: int = JOB_SPACING_MS
) -> tuple[EventSourceModel, int]:
    """The storm and the alarm through the router's first `lanes` event source mappings; the alarm's arrival."""
    model = EventSourceModel(h, lanes_from_template()[:lanes])
    start = h.clock.ms
    for index in range(jobs):
        model.send(batch_child_failure(index), start + index * spacing_ms)
    arrival = start + jobs // 2 * spacing_ms
    model.send(alarm_body(name="CheckoutApiDown", severity="critical"), arrival)
    model.run(start + jobs * spacing_ms + 120_000)
    return model, arrival


def alarm_latency_ms(model: EventSourceModel, arrival: int) -> tuple[int, int]:
    """From the alarm's arrival to its Slack post in #oncall, and to its SMS, on the test's clock."""
    [post] = model.posts("#oncall")
    [sms] = model.sms
    return post.at_ms - arrival, sms.at_ms - arrival


@pytest.mark.slow(seconds=200)
def test_5000_failed_jobs_in_a_minute_are_counted_once_each_and_the_critical_alarm_among_them_is_paged_in_time(
    aws: Any, slack: Any, tmp_path: Path
) -> None:
    # Given the shipped lanes and member cap, DynamoDB's partition limits enforced on the test's clock
    h = make_harness(aws, slack, tmp_path, CONFIG)
    meter = CapacityMeter(aws, now_ms=h.clock, read_item=moto_backend_reader()).attach(
        h.service.clients.dynamodb
    )
    first_failure = h.clock.ms

    # When 5,000 array children fail within a minute, a critical alarm arriving in the middle of them
    model, arrival = storm_with_a_critical_alarm(h, lanes=2, jobs=BIG_JOBS, spacing_ms=BIG_SPACING_MS)

    # Then every job was taken once, on the storm lane, and nothing failed, throttled or went to the DLQ
    jobs = [p for p in model.processed_on("StormQueue") if "Batch Job State Change" in p.body]
    assert len(jobs) == BIG_JOBS
    failed = [(p.lane, p.body[:80], p.started_ms - first_failure) for p in model.processed if p.failed]
    assert not failed and not model.dead, (len(failed), failed[:5], meter.summary())
    assert sum(meter.throttled.values()) == 0 and meter.peak_write().units <= 1_000, meter.summary()
    # the storm is one message that counts every job exactly once, posted within its group_wait + 30 s
    [post] = model.posts("#batch")
    assert post.at_ms - first_failure <= (BATCH_GROUP_WAIT_S + 30) * 1000, post.at_ms - first_failure
    [message] = h.slack.channel_messages("#batch")
    assert (
        message.text
        == "🟠 WARNING · 5000 jobs failed in queue nightly in account 123456789012 (us-east-1): 4800 × Out of memory, 200 × Timeout"
    )
    assert message.metadata is not None
    group = h.service.router.stores.groups.get_group(message.metadata["event_payload"]["group"])
    assert group is not None and len(group.members) == BIG_JOBS and not group.overflow
    # and the critical alarm reached its channel and its SMS within its group_wait + 10 s
    post_ms, sms_ms = alarm_latency_ms(model, arrival)
    assert post_ms <= BOUND_MS and sms_ms <= BOUND_MS, (post_ms, sms_ms)
    # a few write units a job, the whole storm included (its flushes read every member: a few read units)
    assert meter.write_units / BIG_JOBS <= 6 and meter.read_units / BIG_JOBS <= 2, meter.summary()
    # the longest record, a flush that notes each member it announces (~2,500 at group_wait), ends well
    # inside the function's 60 s timeout
    longest = max(model.processed, key=lambda p: p.done_ms - p.started_ms)
    assert longest.done_ms - longest.started_ms < 30_000, (
        longest.body[:80],
        longest.done_ms - longest.started_ms,
    )


@pytest.mark.slow(seconds=60)
def test_a_critical_alarm_in_a_batch_storm_is_paged_within_its_group_wait_and_10_s_only_with_two_lanes(
    aws: Any, slack: Any, tmp_path: Path
) -> None:
    # Given the router's two lanes, and a failure storm of 500 jobs with a critical alarm in its middle
    two = make_harness(aws, slack, tmp_path / "two", CONFIG)
    model, arrival = storm_with_a_critical_alarm(two, lanes=2)

    # Then the alarm took the main lane, the storm the storm lane, and the alarm is paged in time
    [alarm] = [p for p in model.processed if "CheckoutApiDown" in p.body]
    assert alarm.lane == MAIN_QUEUE
    storm = [p for p in model.processed_on("StormQueue") if "Batch Job State Change" in p.body]
    assert len(storm) == JOBS and not any(p.failed for p in model.processed) and not model.dead
    post_ms, sms_ms = alarm_latency_ms(model, arrival)
    assert post_ms <= BOUND_MS and sms_ms <= BOUND_MS, (post_ms, sms_ms)
    assert alarm.started_ms - arrival < 1_000  # handed over at once: the main lane was free
    assert max(p.done_ms for p in storm) > arrival + 1_000  # while the storm lane was still busy
    assert len(model.posts("#batch")) == 1  # the storm is still one message
    # and the storm's group flushes came back to the storm lane (the records that scheduled them came from it)
    [storm_message] = two.slack.channel_messages("#batch")
    assert storm_message.metadata is not None
    storm_key = storm_message.metadata["event_payload"]["group"]
    storm_flushes = [p for p in model.processed if "alertrouter.flush" in p.body and storm_key in p.body]
    assert storm_flushes and {p.lane for p in storm_flushes} == {"StormQueue"}

    # When the same storm and alarm share one lane (every rule to the ingest queue, as before the storm lane)
    one = make_harness(aws, slack, tmp_path / "one", CONFIG, stack=deploy(aws, "alertrouter-one-lane"))
    single, single_arrival = storm_with_a_critical_alarm(one, lanes=1)

    # Then the alarm waits behind every job that came before it, and is paged later than with two lanes
    assert {p.lane for p in single.processed} == {MAIN_QUEUE}
    [alarm_alone] = [p for p in single.processed if "CheckoutApiDown" in p.body]
    ahead = [
        p for p in single.processed if p.arrived_ms < single_arrival and "Batch Job State Change" in p.body
    ]
    assert len(ahead) == JOBS // 2 and all(p.started_ms < alarm_alone.started_ms for p in ahead)
    assert alarm_alone.started_ms - single_arrival > alarm.started_ms - arrival
    single_post_ms, single_sms_ms = alarm_latency_ms(single, single_arrival)
    assert single_post_ms > post_ms and single_sms_ms > sms_ms, (
        (single_post_ms, single_sms_ms),
        (post_ms, sms_ms),
    )


THROTTLED_LIMIT = 200  # write units a second for one key


@pytest.mark.slow(seconds=120)
def test_throttling_of_the_storms_hot_partition_slows_the_storm_never_the_critical_alarm(
    aws: Any, slack: Any, tmp_path: Path
) -> None:
    # Given DynamoDB's partition limits on the test's clock (1,000 write units a second per key): the storm's
    # jobs all join one group, whose key takes more than that when they come within a second
    h = make_harness(aws, slack, tmp_path, CONFIG)
    # (the storm costs ~5 write units a job since groups keep their members as items, so its 500 jobs no longer
    # reach 1,000 a second on the model's clock: the partition's limit is lowered here, so that it throttles)
    meter = CapacityMeter(aws, now_ms=h.clock, read_item=moto_backend_reader(), write_limit=THROTTLED_LIMIT)
    meter.attach(h.service.clients.dynamodb)

    # When the storm and the critical alarm come through the two lanes
    model, arrival = storm_with_a_critical_alarm(h, lanes=2)

    # Then the storm was throttled: its refused records wait on the storm queue for their next receive
    assert sum(meter.throttled.values()) > 0
    throttled = [p for p in model.processed_on("StormQueue") if p.failed]
    # (beside them only the router's own messages, e.g. the storm group's repeat_interval look, hours away)
    waiting = [m for m in model.pending["StormQueue"] if "Batch Job State Change" in m.body]
    assert throttled and len(waiting) == len(throttled)
    # and the alarm was not: paged within its group_wait + 10 s, its record and its flush done at once
    assert not any(p.failed for p in model.processed_on(MAIN_QUEUE) if "CheckoutApiDown" in p.body)
    post_ms, sms_ms = alarm_latency_ms(model, arrival)
    assert post_ms <= BOUND_MS and sms_ms <= BOUND_MS, (post_ms, sms_ms)

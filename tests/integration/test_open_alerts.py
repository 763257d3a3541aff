"""The OpenAlerts gauge through the real router on moto: the open-alert index after a Batch storm and a few
alarms, after their resolves (the alarms' OK, the storm's expiry by the escalator), and after an injected
failure of the index's put (the record is retried) and of its delete (the count drops the stray entry)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from alertrouter.escalate import Escalator
from alertrouter.models.open_alert import OPEN_SHARDS
from alertrouter.open_alerts import OpenAlertsGauge
from support.dynamodb_capacity import CapacityMeter, moto_backend_reader
from support.events import alarm_body
from support.events import batch_child_failure as child_failure
from support.harness import BATCH_STORM_CONFIG, Harness, drain_scheduled, emf_lines, make_harness

pytestmark = pytest.mark.integration

ACCOUNT = "123456789012"
JOBS = 60
THROTTLED = {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "injected by the test"}}


@pytest.fixture
def h(aws: Any, slack: Any, tmp_path: Path) -> Harness:
    return make_harness(aws, slack, tmp_path, BATCH_STORM_CONFIG, mode="hub")  # (a hub keeps the index)


def gauge_of(h: Harness) -> OpenAlertsGauge:
    store = h.service.router.stores
    names = {ACCOUNT: "production"}
    return OpenAlertsGauge(store.open_alerts, store.alerts, h.clock, lambda a: names.get(a, ""))


def open_now(gauge: OpenAlertsGauge) -> Counter[tuple[str, str, str]]:
    return gauge.measure().counts


def reconciled(gauge: OpenAlertsGauge, h: Harness) -> Counter[tuple[str, str, str]]:
    """The count after every shard had its minute (OPEN_SHARDS escalator runs a minute apart)."""
    for _ in range(OPEN_SHARDS):
        h.clock.advance(60)
        counts = gauge.measure().counts
    return counts


def fail_when(h: Harness, operation: str, pick: Callable[[dict[str, Any]], bool]) -> list[int]:
    """Answer the first call of `operation` that `pick` chooses with a throttle (every try of it: botocore's
    retries are inside the call this answer replaces); the list counts the calls failed."""
    failed: list[int] = []

    def answer(params: dict[str, Any], **_: Any) -> Any:
        if failed or not pick(json.loads(params["body"])):
            return None
        failed.append(1)
        return AWSResponse("https://dynamodb.test", 400, {}, None), THROTTLED

    h.service.clients.dynamodb.meta.events.register(f"before-call.dynamodb.{operation}", answer)
    return failed


def test_the_count_after_a_storm_and_after_their_resolves(
    h: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    gauge = gauge_of(h)
    # Given a Batch storm of JOBS failed jobs and two alarms, one of them critical
    for index in range(JOBS):
        h.clock.advance(0.5)
        h.service.handle_body(child_failure(index))
    h.service.handle_body(alarm_body("DiskFull", ts="2024-05-01T10:00:00.000+0000", severity="critical"))
    h.service.handle_body(alarm_body("ServerCpuTooHigh", ts="2024-05-01T10:00:00.000+0000"))
    drain_scheduled(h)
    # Then every one is counted, by account (named by the config) and severity
    assert open_now(gauge) == {
        (ACCOUNT, "production", "warning"): JOBS + 1,
        (ACCOUNT, "production", "critical"): 1,
    }
    # and printed as the OpenAlerts gauge, a line per account and severity
    capsys.readouterr()
    assert gauge.publish(gauge.measure()) == 2
    lines = emf_lines(capsys)
    assert {(line["severity"], _value(line)) for line in lines} == {
        ("warning", JOBS + 1),
        ("critical", 1),
    }
    [directive] = lines[0]["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "AlertRouter"
    assert sorted(directive["Dimensions"][0]) == ["account", "account_name", "service", "severity"]
    assert {line["service"] for line in lines} == {"alertrouter"}

    # When the critical alarm resolves, Then it is no longer counted (and its line says 0 once)
    h.service.handle_body(
        alarm_body("DiskFull", "OK", ts="2024-05-01T10:05:00.000+0000", severity="critical")
    )
    drain_scheduled(h)
    counted = gauge.measure()
    assert counted.counts == {(ACCOUNT, "production", "warning"): JOBS + 1}
    capsys.readouterr()
    gauge.publish(counted)
    assert {(line["severity"], _value(line)) for line in emf_lines(capsys)} == {
        ("warning", JOBS + 1),
        ("critical", 0),
    }

    # When the storm's resolve_timeout passes, Then the escalator's expiries resolve the jobs: the alarm is left
    h.clock.advance(3600)
    sqs = h.session.client("sqs")
    escalator = Escalator(
        h.service.router.stores,
        None,
        now_ms=h.clock,
        enqueue=lambda m: sqs.send_message(QueueUrl=h.stack.queue_url, MessageBody=m.encode()),
    )
    escalator.run()
    drain_scheduled(h, spacing_ms=10)
    assert open_now(gauge) == {(ACCOUNT, "production", "warning"): 1}
    assert reconciled(gauge, h) == {(ACCOUNT, "production", "warning"): 1}  # nothing dropped that is open


def test_a_failed_index_put_fails_the_record_and_its_retry_counts_it(h: Harness) -> None:
    gauge = gauge_of(h)
    body = alarm_body("DiskFull", ts="2024-05-01T10:00:00.000+0000", severity="critical")
    failed = fail_when(h, "PutItem", lambda p: p["Item"]["pk"]["S"].startswith("OPEN#"))
    # When the index's put fails (every try), Then the record fails before the alert's state is written
    with pytest.raises(Exception, match="ProvisionedThroughputExceeded"):
        h.service.handle_body(body)
    assert failed == [1]
    store = h.service.router.stores
    assert store.open_alerts.open_entries() == [] and store.alerts.get_alert(_fingerprint(h)) is None
    # When SQS delivers it again, Then it is applied and counted, once
    h.service.handle_body(body)
    h.clock.advance(60)  # the route's group_wait
    drain_scheduled(h)
    assert open_now(gauge) == {(ACCOUNT, "production", "critical"): 1}
    [message] = h.slack.channel_messages("#team")
    assert "DiskFull" in message.text


def test_a_failed_index_delete_leaves_an_entry_the_count_drops_within_a_round_of_the_shards(
    h: Harness,
) -> None:
    gauge = gauge_of(h)
    h.service.handle_body(alarm_body("DiskFull", ts="2024-05-01T10:00:00.000+0000"))
    h.service.handle_body(alarm_body("ServerCpuTooHigh", ts="2024-05-01T10:00:00.000+0000"))
    drain_scheduled(h)
    assert open_now(gauge) == {(ACCOUNT, "production", "warning"): 2}
    # When DiskFull resolves and the delete of its entry fails (after its state was written)
    failed = fail_when(h, "DeleteItem", lambda p: p["Key"]["pk"]["S"].startswith("OPEN#"))
    with pytest.raises(Exception, match="ProvisionedThroughputExceeded"):
        h.service.handle_body(alarm_body("DiskFull", "OK", ts="2024-05-01T10:05:00.000+0000"))
    assert failed == [1]
    # Then the entry is one too many until its shard is checked; its redelivery, a duplicate, does not fix it
    h.service.handle_body(alarm_body("DiskFull", "OK", ts="2024-05-01T10:05:00.000+0000"))
    assert sum(open_now(gauge).values()) == 2
    # and within OPEN_SHARDS minutes the count drops it (its alert resolved after the entry's event)
    assert reconciled(gauge, h) == {(ACCOUNT, "production", "warning"): 1}
    assert len(h.service.router.stores.open_alerts.open_entries()) == 1


STORM = 160


def test_what_the_index_costs_by_dynamodbs_rules(h: Harness, aws: Any) -> None:
    """The index's own units, metered by DynamoDB's sizing rules (support.dynamodb_capacity): 1 write unit
    per alert as it fires and 1 as it resolves; the gauge's minute reads the 8 shards (eventually consistent)
    and the states of one shard's alerts (an eighth of the open ones, 1 unit each)."""
    meter = CapacityMeter(aws, now_ms=h.clock, throttle=False, read_item=moto_backend_reader()).attach(
        h.service.clients.dynamodb
    )
    for index in range(STORM):
        h.clock.advance(60 / STORM)
        h.service.handle_body(child_failure(index))
    opened = meter.by_prefix["OPEN#"].write
    assert opened == STORM, meter.summary()  # one small put per alert
    assert meter.peak_write().units <= 1_000

    meter.reset()
    gauge = gauge_of(h)
    minutes = []
    for _ in range(OPEN_SHARDS):
        h.clock.advance(60)
        before = meter.read_units
        assert sum(gauge.measure().counts.values()) == STORM
        minutes.append(meter.read_units - before)
    index_reads = meter.by_prefix["OPEN#"].read / OPEN_SHARDS
    state_reads = meter.by_prefix["ALERT#"].read / OPEN_SHARDS
    # 8 Query pages of < 4 KB each, halved: 4 units; the states of ~STORM / 8 alerts: 1 unit each
    assert index_reads == OPEN_SHARDS * 0.5, meter.summary()
    assert state_reads <= STORM / OPEN_SHARDS * 1.5, meter.summary()
    assert meter.write_units == 0  # nothing dropped: nothing written

    meter.reset()
    h.clock.advance(3600)
    sqs = h.session.client("sqs")
    Escalator(
        h.service.router.stores,
        None,
        now_ms=h.clock,
        enqueue=lambda m: sqs.send_message(QueueUrl=h.stack.queue_url, MessageBody=m.encode()),
    ).run()
    drain_scheduled(h, spacing_ms=10)
    assert meter.by_prefix["OPEN#"].write == STORM, meter.summary()  # one delete per resolve
    assert gauge.measure().counts == {}


def _fingerprint(h: Harness) -> str:
    from alertrouter.sources import parse_body

    [alert] = parse_body(
        alarm_body("DiskFull", ts="2024-05-01T10:00:00.000+0000", severity="critical")
    ).alerts
    return alert.fingerprint


def _value(line: dict[str, Any]) -> float:
    value = line["OpenAlerts"]
    return value[0] if isinstance(value, list) else value

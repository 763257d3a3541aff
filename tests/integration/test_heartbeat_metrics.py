"""Heartbeat checks of kind metric and log_group, read by the sweep from CloudWatch (moto): a datapoint at or
above the check's threshold is its ping; "outbound traffic below N for 15 minutes" goes down; the checks are
read every fifth minute only, in GetMetricData calls of at most 500 queries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from alertrouter.heartbeat_metrics import MetricSignals
from alertrouter.heartbeats import HeartbeatSweep
from alertrouter.models.heartbeat import HeartbeatCheck, HeartbeatStatus
from support.memory_store import MemoryStore

pytestmark = pytest.mark.integration

MIN = 60_000
OUTBOUND = HeartbeatCheck.model_validate(
    {
        "name": "checkout-outbound",
        "period": "15m",
        "grace": "0",
        "kind": "metric",
        "metric": {
            "namespace": "Shop",
            "metric_name": "BytesOut",
            "dimensions": {"Service": "checkout"},
            "at_least": 1000,
        },
    }
)
LOGS = HeartbeatCheck.model_validate(
    {"name": "app-logs", "period": "30m", "kind": "log_group", "log_group": {"name": "/app/checkout"}}
)


class CountingCloudWatch:
    """The moto client, its GetMetricData calls counted."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls: list[int] = []

    def get_metric_data(self, **request: Any) -> Any:
        self.calls.append(len(request["MetricDataQueries"]))
        return self.client.get_metric_data(**request)


class World:
    def __init__(self, aws: Any, *checks: HeartbeatCheck) -> None:
        self.cloudwatch = aws.client("cloudwatch")
        self.counting = CountingCloudWatch(self.cloudwatch)
        self.store = MemoryStore()
        for check in checks:
            self.store.add_heartbeat(check, "hash", 0)
        # a clock on a fifth minute, a little in the past (moto keeps what it is given)
        self.t0 = (int(datetime.now(UTC).timestamp() * 1000) // (5 * MIN) - 12) * 5 * MIN
        self.now = self.t0
        self.sent: list[dict[str, Any]] = []
        self.sweep = HeartbeatSweep(
            self.store, self.sent.append, lambda: self.now, MetricSignals(lambda region: self.counting)
        )

    def put(self, namespace: str, name: str, dimensions: dict[str, str], value: float, at_ms: int) -> None:
        self.cloudwatch.put_metric_data(
            Namespace=namespace,
            MetricData=[
                {
                    "MetricName": name,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
                    "Value": value,
                    "Timestamp": datetime.fromtimestamp(at_ms / 1000, UTC),
                }
            ],
        )

    def status(self, name: str) -> HeartbeatStatus:
        record = self.store.heartbeat(name)
        assert record is not None
        return record.state.status


def test_outbound_traffic_below_the_threshold_for_15_minutes_goes_down(aws: Any) -> None:
    world = World(aws, OUTBOUND)
    world.put("Shop", "BytesOut", {"Service": "checkout"}, 5000, world.t0 - 7 * MIN)
    outcome = world.sweep.run()
    assert outcome.metric_pings == 1 and world.status("checkout-outbound") == HeartbeatStatus.UP
    assert world.sweep.run().metric_pings == 0  # the same datapoint again: no news, no write
    # traffic goes on, under the threshold
    for minutes in (1, 6, 11, 16):
        world.put("Shop", "BytesOut", {"Service": "checkout"}, 10, world.t0 + minutes * MIN)
    world.now = world.t0 + 20 * MIN
    outcome = world.sweep.run()
    assert (outcome.metric_pings, outcome.down) == (0, 1)
    assert world.sent[-1]["detail"]["check"] == "checkout-outbound"
    # back above it: the next evaluation resolves
    world.put("Shop", "BytesOut", {"Service": "checkout"}, 9000, world.t0 + 21 * MIN)
    world.now = world.t0 + 25 * MIN
    assert world.sweep.run().metric_pings == 1
    assert world.status("checkout-outbound") == HeartbeatStatus.UP
    assert world.sent[-1]["detail"]["state"] == "resolved"


def test_a_log_group_pings_by_its_incoming_events_and_is_read_every_fifth_minute_only(aws: Any) -> None:
    world = World(aws, LOGS)
    world.put("AWS/Logs", "IncomingLogEvents", {"LogGroupName": "/app/checkout"}, 3, world.t0 - 2 * MIN)
    world.now = world.t0 + MIN  # not a fifth minute: CloudWatch is not read
    assert world.sweep.run().metric_pings == 0 and world.counting.calls == []
    world.now = world.t0
    assert world.sweep.run().metric_pings == 1 and world.counting.calls == [1]
    assert world.status("app-logs") == HeartbeatStatus.UP


def test_checks_are_read_500_queries_a_call(aws: Any) -> None:
    many = [
        OUTBOUND.model_copy(update={"name": f"svc-{i:03d}"}) for i in range(501)
    ]  # the same metric, 501 checks
    world = World(aws, *many)
    world.put("Shop", "BytesOut", {"Service": "checkout"}, 5000, world.t0 - 7 * MIN)
    outcome = world.sweep.run()
    assert world.counting.calls == [500, 1]
    assert outcome.metric_pings == 501

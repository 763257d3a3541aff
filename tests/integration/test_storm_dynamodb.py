"""The 10,000-change storm (100 alarms, 100 changes each within a minute, the shipped routing tree) on the
DynamoDB store, metered by DynamoDB's rules with its partition limits enforced on the test's clock: write units
per change no worse than before groups kept their members as items (3.3), one post per alarm's group, a
bounded number of edits. (Slack's pace, one call a second per channel, is the Slack client's: test_storm.py
shows it against the stand-in; here the messages go to a sink that notes them.)

Measured on a slice of 5 alarms with all 100 changes of each at the same pace per alarm (the shipped config
groups per alarm: each group sees what it sees in the whole storm, so the per-change figures are the whole
storm's); bench/capacity_bench.py prints the same figures."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from alertrouter.aws import Clients
from alertrouter.composition.router import compose
from alertrouter.models.settings import Settings
from support.clock import BENCH_START, Clock, DelayQueue
from support.dynamodb_capacity import CapacityMeter, moto_backend_reader
from support.events import storm_bodies
from support.fakes import TimedSink
from support.local_aws import deploy
from support.paths import ROOT

pytestmark = pytest.mark.integration

ALARMS = 5  # of the storm's 100
CHANGES_EACH = 100


@pytest.mark.slow(seconds=30)
def test_the_storm_on_dynamodb_costs_no_more_than_3_3_write_units_a_change(aws: Any, tmp_path: Path) -> None:
    stack = deploy(aws)
    clock = Clock(BENCH_START, step_ms=60_000 // 10_000 * 100 // ALARMS)  # each alarm at the storm's pace
    queue, sink, clients = DelayQueue(clock), TimedSink(clock), Clients(aws)
    settings = Settings(
        table_name=stack.table_name,
        ingest_queue_url="local",
        routing_config_path=str(ROOT / "config" / "routing.yaml"),
    )
    service = compose(settings, clients, slack=sink, now_ms=clock, scheduler=queue)
    meter = CapacityMeter(aws, now_ms=clock, read_item=moto_backend_reader()).attach(clients.dynamodb)
    bodies = storm_bodies(ALARMS, ALARMS * CHANGES_EACH, datetime(2026, 11, 23, 3, 0, tzinfo=UTC))
    for body in bodies:
        clock.tick()
        service.handle_body(body)
        queue.deliver(service.router)
    clock.ms += 600_000  # the storm is over: every scheduled flush comes due
    queue.deliver(service.router)

    assert meter.write_units / len(bodies) <= 3.3, meter.summary()
    assert meter.peak_write().units <= 1_000 and sum(meter.throttled.values()) == 0
    posts = [(channel, at) for kind, channel, at in sink.calls if kind == "post"]
    edits = [c for c in sink.calls if c[0] == "update"]
    assert len(posts) == ALARMS  # one post per alarm's group, not one per change
    assert len(edits) <= ALARMS * (1 + 60 // 300 + 2)  # group_interval 5m: a couple of edits after a minute

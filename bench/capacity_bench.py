"""DynamoDB capacity of the router's state under the two storms of issue 15, on the REAL DynamoDB store (moto
in process, the table made from template.yaml as the tests make it) with the capacity meter of
tests/support/dynamodb_capacity.py (DynamoDB's sizing and unit rules; not throttling here, to measure what the
storm would ask for), at the shipped limits (no lowered member cap):

- 500 failed AWS Batch array jobs of one queue within one minute of the test's clock, through the router's own
  service object and the Slack stand-in, its flushes delivered from the router's delay queue as
  tests/integration/test_batch_storm.py drives them: write and read units per job, the peak units one
  partition key takes in one second, the seconds a key is above a partition's 1,000 write units, Slack posts
  and edits, bytes ReturnValues brought back, the largest item.
- the 10,000 changes from 100 alarms of storm_soak.storm (the shipped timings, 6 ms apart), on the DynamoDB
  store instead of the memory store: write and read units per change.

Both costed at DynamoDB's us-east-1 on-demand price (Standard table class): $0.625 per million write request
units and $0.125 per million read request units, the prices since the 1 November 2024 price cut (AWS
DynamoDB pricing page, "Pricing for On-Demand Capacity", as summarised in July 2025 at
https://airbyte.com/data-engineering-resources/dynamodb-pricing ; read 2 Dec 2026).

moto re-serialises a whole item on every call, so today's one-item group (up to ~120 KB) makes the Batch storm
slow on moto (seconds per job once the group is large); each storm is fed within a wall-time budget
(BENCH_CAPACITY_BUDGET_S, 150 s each) and the rows say how many of the jobs or changes ran when the budget
cut the storm short. Per-job figures of a storm cut short are those of its first jobs, which are the cheap
ones while the group item grows: a lower bound. The 10,000-change storm is measured on a proportional slice:
5 of its 100 alarms (BENCH_STORM_ALARMS) with all 100 changes of each, at the same pace per alarm; the
groups are per alarm, so each group's writes and reads, and so the units per change, are the whole storm's
(the whole storm on moto takes ~20 minutes on a shared 2-core machine).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

WRITE_USD_PER_MILLION = 0.625
READ_USD_PER_MILLION = 0.125
PRICE_NOTE = "us-east-1 on-demand, $0.625/M write, $0.125/M read request units (since 1 Nov 2024)"
BUDGET_S = float(os.environ.get("BENCH_CAPACITY_BUDGET_S", "150"))
BATCH_JOBS = int(os.environ.get("BENCH_BATCH_STORM_JOBS", "500"))
STORM_ALARMS = int(os.environ.get("BENCH_STORM_ALARMS", "5"))
ROOT = Path(__file__).resolve().parent.parent


def cost_per_million(write_units_each: float, read_units_each: float) -> float:
    """USD per million alerts that each take these units."""
    return write_units_each * WRITE_USD_PER_MILLION + read_units_each * READ_USD_PER_MILLION


def batch_storm(
    jobs: int = BATCH_JOBS, budget_s: float = BUDGET_S, progress: Callable[[int, Any], None] | None = None
) -> dict[str, Any]:
    """`jobs` failed Batch jobs of one queue within a minute of the test's clock (fed until the budget is
    spent), then the group_interval after, every scheduled flush delivered."""
    from support.dynamodb_capacity import CapacityMeter, moto_backend_reader
    from support.events import batch_child_failure
    from support.harness import BATCH_STORM_CONFIG, drain_scheduled, make_harness
    from support.local_aws import moto_in_process
    from support.slack_standin import SlackStandIn

    with moto_in_process() as session, SlackStandIn() as slack:
        h = make_harness(session, slack, Path(tempfile.mkdtemp()), BATCH_STORM_CONFIG)
        meter = CapacityMeter(
            session, now_ms=h.clock, throttle=False, read_item=moto_backend_reader()
        ).attach(h.service.clients.dynamodb)
        started = time.perf_counter()
        fed = 0
        for index in range(jobs):  # spread over one minute of the test's clock
            h.clock.advance(60 / jobs)
            h.service.handle_body(batch_child_failure(index))
            fed += 1
            if index % 25 == 0:
                drain_scheduled(h)
                if progress is not None:
                    progress(index, meter)
            if time.perf_counter() - started > budget_s:
                break
        h.clock.advance(180)  # the group_interval after the storm
        drain_scheduled(h)
        posts = [
            c for c in h.slack.calls if c.method == "chat.postMessage" and not c.payload.get("thread_ts")
        ]
        edits = [c for c in h.slack.calls if c.method == "chat.update"]
        return {
            "jobs": jobs,
            "fed": fed,
            "wall_s": time.perf_counter() - started,
            "posts": len(posts),
            "edits": len(edits),
            **_figures(meter, fed),
        }


def storm_on_dynamodb(alarms: int = STORM_ALARMS, budget_s: float = BUDGET_S) -> dict[str, Any]:
    """storm_soak.storm's storm (100 alarms, 100 changes each within a minute, the shipped timings) on the
    DynamoDB store, measured on `alarms` of its alarms with all their changes at the same pace per alarm
    (the clock steps 6 ms x 100 / alarms between changes): each alarm's group sees what it sees in the whole
    storm, so the per-change figures are the whole storm's. Fed until the budget is spent, then a quiet
    10 minutes so every scheduled flush runs."""
    from alertrouter.aws import Clients
    from alertrouter.composition.router import compose
    from alertrouter.models.settings import Settings
    from support.clock import BENCH_START, Clock, DelayQueue
    from support.dynamodb_capacity import CapacityMeter, moto_backend_reader
    from support.events import storm_bodies
    from support.fakes import TimedSink
    from support.local_aws import deploy, moto_in_process

    with moto_in_process() as session:
        stack = deploy(session)
        clock = Clock(BENCH_START, step_ms=60_000 // 10_000 * 100 // alarms)
        queue, sink, clients = DelayQueue(clock), TimedSink(clock), Clients(session)
        settings = Settings(
            table_name=stack.table_name,
            ingest_queue_url="local",
            routing_config_path=str(ROOT / "config" / "routing.yaml"),
        )
        service = compose(settings, clients, slack=sink, now_ms=clock, scheduler=queue)
        meter = CapacityMeter(session, now_ms=clock, throttle=False, read_item=moto_backend_reader()).attach(
            clients.dynamodb
        )
        bodies = storm_bodies(alarms, alarms * 100, datetime(2026, 11, 23, 3, 0, tzinfo=UTC))
        started = time.perf_counter()
        fed = 0
        for body in bodies:
            clock.tick()
            service.handle_body(body)
            fed += 1
            queue.deliver(service.router)
            if time.perf_counter() - started > budget_s:
                break
        clock.ms += 600_000
        queue.deliver(service.router)
        return {
            "alarms": alarms,
            "changes": len(bodies),
            "fed": fed,
            "wall_s": time.perf_counter() - started,
            "slack_calls": len(sink.calls),
            **_figures(meter, fed),
        }


def _figures(meter: Any, alerts: int) -> dict[str, Any]:
    each = max(1, alerts)
    peak = meter.peak_write()
    write_each, read_each = meter.write_units / each, meter.read_units / each
    return {
        "write_units": meter.write_units,
        "read_units": meter.read_units,
        "write_per_alert": write_each,
        "read_per_alert": read_each,
        "peak_write_per_s": peak.units,
        "peak_key": peak.pk,
        "seconds_over": meter.seconds_over(),
        "returned_mb": meter.returned_bytes / 1e6,
        "largest_item_kb": meter.largest_item[0] / 1024,
        "by_prefix": {k: (round(v.write), round(v.read)) for k, v in sorted(meter.by_prefix.items())},
        "usd_per_million": cost_per_million(write_each, read_each),
    }

"""A storm against the Slack stand-in: 10,000 state changes from 100 alarms within a minute (the router's
clock; real HTTP calls to the stand-in, Slack's pacing in real time). The stand-in gets one post per
group and a bounded number of edits, never more than one post per second per channel, and no call
before a 429's Retry-After has passed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from alertrouter.aws import Clients
from alertrouter.composition.router import compose
from alertrouter.models.settings import Settings
from alertrouter.notify.slack import SlackClient
from support.clock import BENCH_START, Clock, DelayQueue  # the benchmark's clock and SQS delays
from support.events import storm_bodies  # the same storm the benchmark measures
from support.memory_store import MemoryStore
from support.paths import ROOT

pytestmark = pytest.mark.integration

ALARMS, CHANGES = 100, 10_000
# The shipped tree, with the EC2 alarms of the storm grouped per account and region (one group).
CONFIG = (
    (ROOT / "config" / "routing.yaml")
    .read_text()
    .replace("group_by: [alertname, account, region, namespace]", "group_by: [account, region, namespace]")
)


def test_a_storm_is_one_post_per_group_paced_and_retry_after_is_honoured(tmp_path: Path) -> None:
    from support.slack_standin import SlackStandIn

    config = tmp_path / "routing.yaml"
    config.write_text(CONFIG)
    clock = Clock(
        BENCH_START, step_ms=60_000 // CHANGES
    )  # 10,000 changes in a minute: 6 ms apart on the router's clock
    queue = DelayQueue(clock)
    with SlackStandIn(retry_after=1) as standin:
        standin.faults = ["ok", "429"]  # Slack rate-limits the storm's second call
        slack = SlackClient(lambda: "xoxb-storm", standin.url, timeout=(1.0, 2.0))  # Slack's pace: 1 s
        service = compose(
            Settings(table_name="storm-state", ingest_queue_url="local", routing_config_path=str(config)),
            Clients(),
            slack=slack,
            now_ms=clock,
            stores=MemoryStore().stores(),
            scheduler=queue,
        )
        events = storm_bodies(ALARMS, CHANGES, datetime(2026, 11, 23, 3, 0, tzinfo=UTC))
        for body in events:
            clock.tick()
            service.handle_body(body)
            queue.deliver(service.router)
        clock.ms += 3_600_000  # the storm is over: every scheduled flush comes due
        for _ in range(20):
            queue.deliver(service.router)
        posts = [
            c for c in standin.calls if c.method == "chat.postMessage" and not c.payload.get("thread_ts")
        ]
        edits = [c for c in standin.calls if c.method == "chat.update"]
        groups = {m.metadata["event_payload"]["group"] for m in standin.all_messages() if m.metadata}
        assert len([p for p in posts if p.status == 200]) == len(groups) == 1  # one group: one post
        assert len(edits) <= 1 + 60 // 300 + 2  # group_interval 5m: at most a couple of edits after a minute
        assert standin.retry_after_violations == 0 and any(c.status == 429 for c in standin.calls)
        for channel in {c.payload.get("channel") for c in standin.calls}:
            times = sorted(
                c.at
                for c in standin.calls
                if c.payload.get("channel") == channel and c.method.startswith("chat.")
            )
            assert all(b - a >= 0.95 for a, b in zip(times, times[1:], strict=False)), channel  # 1 per second
        assert len(events) == CHANGES

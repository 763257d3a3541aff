"""Storm and soak through the Lambda's own service object on the in-memory store and a Slack sink (no
network: the figures are our code's): a storm of 10,000 state changes from 100 alarms within a minute,
and a soak of 100,000 events through one warm process, resident memory measured at start and end."""

from __future__ import annotations

import gc
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from support.clock import BENCH_START, Clock, DelayQueue
from support.events import storm_bodies
from support.fakes import SlackSink, TimedSink

ROOT = Path(__file__).resolve().parent.parent
WRITES = (
    "apply_alert",
    "upsert_member",
    "mark_flush_scheduled",
    "claim",
    "save_progress",
    "release",
    "prune_members",
    "add_history",
    "set_inhibit_source",
    "set_expiry",
    "start_escalation",
)


def _service(clock: Any, queue: Any, sink: Any, store: Any) -> Any:
    from alertrouter.aws import Clients
    from alertrouter.composition.router import compose
    from alertrouter.models.settings import Settings

    settings = Settings(
        table_name="bench-state",
        ingest_queue_url="local",
        routing_config_path=str(ROOT / "config" / "routing.yaml"),
    )
    return compose(settings, Clients(), slack=sink, now_ms=clock, stores=store.stores(), scheduler=queue)


def storm(alarms: int = 100, changes: int = 10_000) -> dict[str, Any]:
    """10,000 changes from 100 alarms within a minute (6 ms apart), the shipped timings, then a quiet
    minute so every scheduled flush runs."""
    from support.memory_store import MemoryStore

    clock = Clock(BENCH_START, step_ms=60_000 // changes)
    queue, sink, store = DelayQueue(clock), TimedSink(clock), MemoryStore()
    writes: Counter[str] = Counter()
    for name in WRITES:
        method = getattr(store, name)

        def counted(*args: Any, _m: Any = method, _n: str = name, **kwargs: Any) -> Any:
            writes[_n] += 1
            return _m(*args, **kwargs)

        setattr(store, name, counted)
    service = _service(clock, queue, sink, store)
    bodies = storm_bodies(alarms, changes, datetime(2026, 11, 23, 3, 0, tzinfo=UTC))
    started = time.perf_counter()
    for body in bodies:
        clock.tick()
        service.handle_body(body)
        queue.deliver(service.router)
    clock.ms += 600_000
    queue.deliver(service.router)
    wall = time.perf_counter() - started
    posts = [c for c in sink.calls if c[0] == "post"]
    per_channel: Counter[str] = Counter(c[1] for c in posts)
    span_s = (
        max(1.0, (max(c[2] for c in sink.calls) - min(c[2] for c in sink.calls)) / 1000)
        if sink.calls
        else 1.0
    )
    return {
        "changes": len(bodies),
        "groups": len(store.groups),
        "slack_calls": len(sink.calls),
        "posts": len(posts),
        "updates": sum(1 for c in sink.calls if c[0] == "update"),
        "threads": sum(1 for c in sink.calls if c[0] == "thread"),
        "max_posts_per_channel_per_s": max(per_channel.values(), default=0) / span_s,
        "sms": 0,
        "wall_s": wall,
        "dynamodb_writes": sum(writes.values()),
    }


def soak(events: int = 100_000, alarms: int = 100) -> tuple[float, float, float]:
    """Resident memory (MB) after the first 10,000 events and after all of them, and events/s. History is
    written to a store that keeps nothing (in DynamoDB it lives in the table, with a TTL)."""
    import psutil

    from support.memory_store import MemoryStoreWithoutHistory as Store

    clock = Clock(BENCH_START, step_ms=1000)
    queue = DelayQueue(clock)
    service = _service(clock, queue, SlackSink(), Store())
    process = psutil.Process()
    chunk = storm_bodies(alarms, 10_000, datetime(2026, 11, 23, 3, 0, tzinfo=UTC))
    start_mb = 0.0
    started = time.perf_counter()
    for round_ in range(events // len(chunk)):
        day = (datetime(2026, 11, 23, tzinfo=UTC) + timedelta(days=round_)).strftime("%Y-%m-%dT")
        for body in chunk:  # each round a day later: newer events, so every one is applied
            clock.tick()
            service.handle_body(body.replace("2026-11-23T", day))
            queue.deliver(service.router)
        service.counts.clear()  # what the handler's publish_metrics does after each invocation
        if round_ == 0:
            gc.collect()
            start_mb = process.memory_info().rss / 2**20
    gc.collect()
    end_mb = process.memory_info().rss / 2**20
    return start_mb, end_mb, events / (time.perf_counter() - started)

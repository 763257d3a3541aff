"""The heartbeat sweep and the events it sends: a check past its deadline is marked down once (two sweeps
never raise twice), its event becomes the router's alert (source `heartbeat`), an event stored but not sent is
sent by the next sweep, and the stack's heartbeat events are taken only straight from the router's queue."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from alertrouter.heartbeat_ledger import HeartbeatLedger
from alertrouter.heartbeats import HeartbeatSweep
from alertrouter.models.alert import Severity, Status
from alertrouter.models.heartbeat import HeartbeatCheck, HeartbeatStatus, PingKind
from alertrouter.oncall.heartbeat import apply_ping
from alertrouter.sources import MalformedEventError, parse_body
from support.memory_store import MemoryStore

MIN = 60_000
HOUR = 60 * MIN
DAY = 24 * HOUR
T0 = int(datetime(2026, 12, 1, 2, 3, tzinfo=UTC).timestamp() * 1000)


class Clock:
    def __init__(self) -> None:
        self.ms = T0

    def __call__(self) -> int:
        return self.ms


class World:
    def __init__(self, **check: Any) -> None:
        self.store = MemoryStore()
        self.clock = Clock()
        self.sent: list[dict[str, Any]] = []
        self.check = HeartbeatCheck.model_validate({"name": "nightly-etl", "period": "1d", **check})
        self.store.add_heartbeat(self.check, "hash", T0)
        self.sweep = HeartbeatSweep(self.store, self.sent.append, self.clock)

    def ping(self, kind: PingKind = PingKind.SUCCESS, note: str = "") -> None:
        record = self.store.heartbeat(self.check.name)
        assert record is not None
        moved = apply_ping(record.check, record.state, kind, self.clock.ms, note)
        assert moved is not None
        assert HeartbeatLedger(self.store, self.sent.append, self.clock).apply(record, moved) is not None

    def status(self) -> HeartbeatStatus:
        record = self.store.heartbeat(self.check.name)
        assert record is not None
        return record.state.status


def alerts(events: list[dict[str, Any]]) -> list[Any]:
    return [a for e in events for a in parse_body(json.dumps(e)).alerts]


def test_a_missed_deadline_raises_one_alert_and_a_ping_resolves_it() -> None:
    world = World(grace="1h", labels={"team": "data", "severity": "warning"})
    world.ping()
    world.clock.ms = T0 + DAY + HOUR - 1
    assert world.sweep.run().down == 0 and world.sent == []
    world.clock.ms = T0 + DAY + HOUR
    outcome = world.sweep.run()
    assert (outcome.checks, outcome.down) == (1, 1)
    assert world.sweep.run().down == 0  # down already: the next minute raises nothing
    [firing] = alerts(world.sent)
    assert firing.source == "heartbeat" and firing.status == Status.FIRING
    assert firing.title == "nightly-etl: no ping since 2026-12-01 02:03 UTC (expected every 1d, 1h grace)"
    assert firing.severity == Severity.WARNING
    assert firing.labels["alertname"] == "HeartbeatMissing" and firing.labels["heartbeat"] == "nightly-etl"
    assert firing.labels["team"] == "data"
    world.clock.ms += 5 * MIN
    world.ping(note="<b>done</b>")
    assert world.status() == HeartbeatStatus.UP
    resolved = alerts(world.sent)[-1]
    assert resolved.status == Status.RESOLVED and resolved.fingerprint == firing.fingerprint
    assert resolved.timestamp_ms > firing.timestamp_ms
    record = world.store.heartbeat("nightly-etl")
    assert record is not None and record.state.outbox is None


def test_two_sweeps_that_read_the_same_state_raise_once() -> None:
    world = World(grace="0")
    world.ping()
    world.clock.ms = T0 + DAY
    stale = world.store.heartbeats()  # what a second, concurrent sweep read
    world.sweep.run()

    class Stale(MemoryStore):
        def heartbeats(self) -> list[Any]:
            return stale

    racing = Stale()
    racing.heartbeat_items = world.store.heartbeat_items
    assert HeartbeatSweep(racing, world.sent.append, world.clock).run().raced == 1
    assert len(world.sent) == 1


def test_an_event_stored_but_not_sent_is_sent_by_the_next_sweep() -> None:
    world = World(grace="0")
    world.ping()
    world.clock.ms = T0 + DAY

    def broken(event: dict[str, Any]) -> None:
        raise ConnectionError("SQS unreachable")

    with pytest.raises(ConnectionError):
        HeartbeatSweep(world.store, broken, world.clock).run()
    assert world.status() == HeartbeatStatus.DOWN and world.sent == []
    outcome = world.sweep.run()
    assert (outcome.down, outcome.resent) == (0, 1)
    [firing] = alerts(world.sent)
    assert firing.status == Status.FIRING
    assert world.sweep.run().resent == 0


def test_a_failure_alerts_at_once_with_its_note_and_a_new_check_never() -> None:
    world = World()
    world.clock.ms = T0 + 30 * DAY
    assert world.sweep.run().down == 0  # never pinged: new
    world.ping(PingKind.FAIL, note="exit code 3")
    [failed] = alerts(world.sent)
    assert failed.title == "nightly-etl reported a failure" and failed.severity == Severity.CRITICAL
    assert failed.annotations["note"] == "exit code 3"


def test_a_run_started_and_not_finished_says_so() -> None:
    world = World(grace="1h")
    world.ping()
    world.clock.ms = T0 + 2 * HOUR
    world.ping(PingKind.START)
    world.clock.ms = T0 + 3 * HOUR
    assert world.sweep.run().down == 1
    [down] = alerts(world.sent)
    assert down.title == "nightly-etl: started at 04:03 UTC and has not finished (1h grace)"


def test_heartbeat_events_are_taken_only_straight_from_the_router_queue() -> None:
    world = World(grace="0")
    world.ping()
    world.clock.ms = T0 + DAY
    world.sweep.run()
    [event] = world.sent
    sns = {"Type": "Notification", "Message": json.dumps(event)}
    with pytest.raises(MalformedEventError, match="heartbeat event is taken only straight"):
        parse_body(json.dumps(sns))
    broken = {**event, "detail": {**event["detail"], "check": "has space"}}
    with pytest.raises(MalformedEventError, match="heartbeat event: check"):
        parse_body(json.dumps(broken))

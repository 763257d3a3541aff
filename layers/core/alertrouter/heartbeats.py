"""Heartbeat checks moved on: a transition stored and its event sent to the router's queue (HeartbeatLedger),
and the escalator's sweep, which marks the checks past their deadline down (HeartbeatSweep).

A transition's event is stored with its state (the state's `outbox`) by a write conditional on the revision
read, then sent, then cleared: of two writers only the one whose write held sends (two sweeps never raise
twice), and an event whose sender stopped before it went out is sent by the next sweep (none is lost). The
router takes a repeated event as a duplicate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from alertrouter.heartbeat_metrics import MetricSignals
from alertrouter.models.heartbeat import HeartbeatRecord, HeartbeatState, PingKind
from alertrouter.oncall.heartbeat import HeartbeatEvent, Transition, apply_ping, overdue
from alertrouter.store.base import HeartbeatStore

EventSink = Callable[[dict[str, Any]], None]  # puts an EventBridge-shaped event on the router's queue


class HeartbeatLedger:
    """Stores a check's transitions and sends their events, each event once."""

    def __init__(self, store: HeartbeatStore, enqueue: EventSink, now_ms: Callable[[], int]) -> None:
        self.store = store
        self.enqueue = enqueue
        self.now_ms = now_ms

    def apply(self, record: HeartbeatRecord, moved: Transition) -> HeartbeatState | None:
        """Store the transition (if the check is still as read) and send its event: the state now stored, or
        None if another writer moved the check first (read it again and decide again)."""
        state = store_transition(self.store, record, moved, self.now_ms())
        return None if state is None else self.send_outbox(record.check.name, state)

    def send_outbox(self, name: str, state: HeartbeatState) -> HeartbeatState:
        """Send the event the stored state holds, then clear it (if the check has not moved meanwhile: a newer
        state carries its own, newer event)."""
        if state.outbox is None:
            return state
        self.enqueue(HeartbeatEvent.from_detail(state.outbox).eventbridge())
        cleared = state.model_copy(update={"outbox": None, "rev": state.rev + 1})
        return cleared if self.store.save_heartbeat_state(name, cleared, state.rev) else state


def store_transition(
    store: HeartbeatStore, record: HeartbeatRecord, moved: Transition, now_ms: int
) -> HeartbeatState | None:
    """Store the transition with its event in the state's outbox (if the check is still as read): the state
    stored, or None if another writer moved the check first. The sender, or the next sweep, sends it."""
    state = moved.state
    if moved.event is not None:
        # the router orders an alert's events by their time: ours is now, not a late ping's own time
        event = replace(moved.event, at_ms=max(moved.event.at_ms, now_ms))
        state = state.model_copy(update={"outbox": event.detail()})
    return state if store.save_heartbeat_state(record.check.name, state, record.state.rev) else None


@dataclass
class SweepOutcome:
    checks: int = 0
    down: int = 0  # checks this run marked down (and alerted)
    resent: int = 0  # events an earlier run stored and did not send
    raced: int = 0  # checks another writer moved first (a ping, another run): left to it
    metric_pings: int = 0  # metric and log group checks whose new datapoint was recorded as a ping


class HeartbeatSweep:
    """The escalator's minute: the metric checks' datapoints recorded as their pings (every fifth minute, with
    `signals`), then every check past its deadline marked down, its alert sent to the router."""

    def __init__(
        self,
        store: HeartbeatStore,
        enqueue: EventSink,
        now_ms: Callable[[], int],
        signals: MetricSignals | None = None,
    ) -> None:
        self.store = store
        self.ledger = HeartbeatLedger(store, enqueue, now_ms)
        self.now_ms = now_ms
        self.signals = signals

    def run(self) -> SweepOutcome:
        outcome = SweepOutcome()
        now = self.now_ms()
        records = self.store.heartbeats()
        if self.signals is not None and self.signals.due(now):
            records = self._metric_pings(self.signals, records, now, outcome)
        for record in records:
            outcome.checks += 1
            if record.state.outbox is not None:
                self.ledger.send_outbox(record.check.name, record.state)
                outcome.resent += 1
                continue
            moved = overdue(record.check, record.state, now)
            if moved is None:
                continue
            if self.ledger.apply(record, moved) is None:
                outcome.raced += 1
            else:
                outcome.down += 1
        return outcome

    def _metric_pings(
        self, signals: MetricSignals, records: list[HeartbeatRecord], now: int, outcome: SweepOutcome
    ) -> list[HeartbeatRecord]:
        """The records after their metric pings (a check another writer moved meanwhile is left as read)."""
        by_name = {r.check.name: r for r in records}
        for ping in signals.pings(records, now):
            record = by_name[ping.name]
            if record.state.last_event_ms is not None and ping.at_ms <= record.state.last_event_ms:
                continue  # the datapoint recorded before: no news, no write
            note = f"{ping.value:g} at {datetime.fromtimestamp(ping.at_ms / 1000, UTC):%Y-%m-%d %H:%M} UTC"
            moved = apply_ping(record.check, record.state, PingKind.SUCCESS, ping.at_ms, note)
            saved = None if moved is None else self.ledger.apply(record, moved)
            if saved is not None:
                by_name[ping.name] = record.model_copy(update={"state": saved})
                outcome.metric_pings += 1
        return [by_name[r.check.name] for r in records]

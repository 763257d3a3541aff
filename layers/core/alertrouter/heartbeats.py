"""The escalator's heartbeat sweep (HeartbeatSweep): the metric checks' datapoints recorded as their pings,
then every check past its deadline marked down, its transition stored with its event and sent once
(heartbeat_ledger.HeartbeatLedger)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from alertrouter.heartbeat_ledger import EventSink, HeartbeatLedger
from alertrouter.heartbeat_metrics import MetricSignals
from alertrouter.models.heartbeat import HeartbeatRecord, PingKind
from alertrouter.oncall.heartbeat import apply_ping, overdue
from alertrouter.store.base import HeartbeatStore


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

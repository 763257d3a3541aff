"""A router on a millisecond timeline, for checking Alertmanager's grouping clock: alerts arrive at set times,
and each delayed flush message arrives exactly when SQS would deliver it (its delay after it was sent, at
most 15 minutes, then sent on by the router if the wait is longer). Every notification is recorded with its
time: a Slack post or edit, a thread note."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from alertrouter.config import parse_config
from alertrouter.models.alert import Alert, Severity, Status, fingerprint
from alertrouter.notify.render import SlackMessage
from alertrouter.router import Router
from support.clock import T0, Clock, DelayQueue
from support.fakes import Slack
from support.memory_store import MemoryStore


@dataclass(frozen=True)
class Notification:
    at_ms: int  # since the world's start
    kind: str  # post, update
    text: str


class TimedSlack(Slack):
    """The Slack fake, with each post and edit kept with its time."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock
        self.sent: list[Notification] = []

    def post_once(self, channel: str, message: SlackMessage, *args: Any, **kwargs: Any) -> tuple[str, str]:
        self.sent.append(Notification(self.clock.ms - T0, "post", message.text))
        return super().post_once(channel, message, *args, **kwargs)

    def update(self, channel: str, ts: str, message: SlackMessage) -> None:
        self.sent.append(Notification(self.clock.ms - T0, "update", message.text))
        super().update(channel, ts, message)


class RecordingQueue(DelayQueue):
    """The delayed queue, keeping each delay asked for."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock)
        self.delays: list[int] = []

    def schedule(self, key: str, route_id: str, delay_s: int, due_ms: int) -> None:
        self.delays.append(delay_s)
        super().schedule(key, route_id, delay_s, due_ms)


class ClockWorld:
    def __init__(self, config: str, webhooks: Callable[[ClockWorld], Any] | None = None) -> None:
        self.clock = Clock(T0)
        self.store, self.slack, self.queue = MemoryStore(), TimedSlack(self.clock), RecordingQueue(self.clock)
        self.webhooks = webhooks(self) if webhooks is not None else None
        self.router = Router(
            parse_config(config),
            self.store.stores(),
            self.queue,
            slack=self.slack,
            webhooks=self.webhooks,
            now_ms=self.clock,
        )

    def run(self, steps: list[tuple[int, Alert]], until_ms: int) -> list[Notification]:
        """Send each alert at its time (ms since start), delivering flush messages as they arrive."""
        pending = sorted(steps, key=lambda step: step[0])
        while True:
            next_alert = T0 + pending[0][0] if pending else None
            next_message = self.queue.pending[0][0] if self.queue.pending else None
            times = [t for t in (next_alert, next_message) if t is not None and t <= T0 + until_ms]
            if not times:
                break
            self.clock.ms = min(times)
            if self.clock.ms == next_message:
                self.queue.deliver(self.router)
            else:
                self.router.handle(pending.pop(0)[1])
        self.clock.ms = T0 + until_ms
        return self.slack.sent


def alert(name: str, status: str, at_ms: int, **labels: str) -> Alert:
    """An alert as an Alertmanager-style source sends it: identified by its labels."""
    all_labels = {"alertname": name, **labels}
    return Alert(
        source="alertmanager",
        status=Status.FIRING if status == "firing" else Status.RESOLVED,
        severity=Severity.WARNING,
        title=name,
        labels=all_labels,
        timestamp=datetime.fromtimestamp((T0 + at_ms) / 1000, UTC),
        fingerprint=fingerprint(*(f"{k}={v}" for k, v in sorted(all_labels.items()))),
    )

"""A heartbeat check's transition stored with its event and sent once (HeartbeatLedger): what every writer of
a check's state shares (the escalator's sweep, the ping function, the router's spoke watch).

A transition's event is stored with its state (the state's `outbox`) by a write conditional on the revision
read, then sent, then cleared: of two writers only the one whose write held sends (two sweeps never raise
twice), and an event whose sender stopped before it went out is sent by the next sweep (none is lost). The
router takes a repeated event as a duplicate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from alertrouter.models.heartbeat import HeartbeatRecord, HeartbeatState
from alertrouter.oncall.heartbeat import HeartbeatEvent, Transition
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

"""The delayed message on the router's own queue that brings a group's next flush (when it is due:
routing/clock.py)."""

from __future__ import annotations

from typing import Protocol

from alertrouter.flush.outcome import Outcome
from alertrouter.limits import MAX_HOP_MS
from alertrouter.models.config import ResolvedRoute
from alertrouter.models.state import GroupState
from alertrouter.store.base import GroupStore


class FlushScheduler(Protocol):
    def schedule(self, key: str, route_id: str, delay_s: int, due_ms: int) -> None: ...


class FlushTimer:
    def __init__(self, store: GroupStore, scheduler: FlushScheduler) -> None:
        self.store = store
        self.scheduler = scheduler

    def schedule(
        self, group: GroupState, route: ResolvedRoute, due: int, now: int, *, force: bool = False
    ) -> Outcome:
        # A mark in the future is a flush message on its way; one in the past is being, or was, handled.
        if not force and due >= group.flush_at_ms > now:
            return Outcome()
        # Send first, then mark: a lost mark costs one spare flush; a lost message would cost a flush.
        # SQS delays a message at most 15 minutes: a longer wait is sent on when it arrives (flush_due)
        delay_s = min(MAX_HOP_MS // 1000, max(1, -(-(due - now) // 1000)))
        self.scheduler.schedule(group.key, route.id, delay_s, due)
        if group.flush_at_ms != due:  # (a long wait is sent on in 15-minute hops, all with the same mark)
            self.store.mark_flush_scheduled(group.key, due)
        return Outcome(scheduled=1)

"""When a group is next flushed (Alertmanager's group_wait and group_interval, or a look at muted members),
and the delayed message on the router's own queue that brings that flush."""

from __future__ import annotations

from typing import Protocol

from alertrouter.flush.outcome import Outcome
from alertrouter.models.config import ResolvedRoute
from alertrouter.models.state import GroupState
from alertrouter.store.base import GroupStore


class FlushScheduler(Protocol):
    def schedule(self, key: str, route_id: str, delay_s: int, due_ms: int) -> None: ...


def due_ms(group: GroupState, route: ResolvedRoute) -> int:
    """When the group's changes are due: group_wait for the episode's first message, then group_interval."""
    if not group.slack.ts:
        # No message this episode yet: group_wait counts from when the group last became pending,
        # so a flap that ended silently does not make the next firing skip the wait.
        return (group.pending_since_ms or group.created_ms) + int(route.group_wait.total_seconds() * 1000)
    return group.last_notified_ms + int(route.group_interval.total_seconds() * 1000)


def next_due(group: GroupState, route: ResolvedRoute) -> int:
    """When the group should next be flushed: for its changes, else to look at muted members again."""
    return due_ms(group, route) if group.pending else group.muting.resume_at_ms


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
        self.scheduler.schedule(group.key, route.id, max(1, -(-(due - now) // 1000)), due)
        self.store.mark_flush_scheduled(group.key, due)
        return Outcome(scheduled=1)

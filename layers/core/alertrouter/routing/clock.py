"""Alertmanager's grouping clock: when a group is next flushed. group_wait before an episode's first
notification, then its changes on group_interval ticks, a still-firing group again every repeat_interval (on a
tick), or a look at it again (muted members, a refused channel)."""

from __future__ import annotations

from datetime import timedelta

from alertrouter.models.config import ResolvedRoute
from alertrouter.models.state import GroupState


def _ms(interval: timedelta) -> int:
    return int(interval.total_seconds() * 1000)


def episode_notified(group: GroupState) -> bool:
    """Whether the group's current episode has had its first notification. A group last announced all
    resolved is over, as Alertmanager drops a group once its resolve is sent: its next alert waits group_wait."""
    return group.notified_firing


def next_tick(group: GroupState, route: ResolvedRoute, at_ms: int) -> int:
    """The group's first group_interval tick at or after `at_ms` (and after its last notification): the ticks
    run every group_interval from its last notification, as Alertmanager's group timer does."""
    interval, last = _ms(route.group_interval), group.last_notified_ms
    return last + interval * max(1, -(-(at_ms - last) // interval))


def due_ms(group: GroupState, route: ResolvedRoute) -> int:
    """When the group's changes are due: group_wait for the episode's first notification, then the first
    group_interval tick after they arrived, so a burst is one notification (with send_changes: at_once, as
    they come)."""
    if not episode_notified(group):
        # group_wait counts from when the group last became pending, so a flap that ended silently does not
        # make the next firing skip the wait
        return (group.pending_since_ms or group.created_ms) + _ms(route.group_wait)
    if route.send_changes == "at_once":
        return group.last_notified_ms
    return next_tick(group, route, group.pending_since_ms or group.last_notified_ms)


def notified_at(group: GroupState, route: ResolvedRoute, now: int) -> int:
    """The time a notification sent now counts from: the tick (or the end of group_wait) it was due at, so a
    message a moment late (SQS delays are whole seconds) does not move the group's ticks; now for a group
    that sends each change as it comes."""
    if route.send_changes == "at_once":
        return now
    if not episode_notified(group):
        due = (group.pending_since_ms or group.created_ms) + _ms(route.group_wait)
        return due if group.pending_since_ms and due <= now else now
    interval, last = _ms(route.group_interval), group.last_notified_ms
    return last + interval * max(0, (now - last) // interval)


def repeat_due(group: GroupState, route: ResolvedRoute, last_ms: int) -> int:
    """When a group still firing with nothing new is notified again, its last notification at last_ms:
    repeat_interval later, on a group_interval tick (Alertmanager repeats only on a tick)."""
    repeat_at = last_ms + _ms(route.repeat_interval)
    if route.send_changes == "at_once":
        return repeat_at
    return next_tick(group.model_copy(update={"last_notified_ms": last_ms}), route, repeat_at)


def next_due(group: GroupState, route: ResolvedRoute) -> int:
    """When the group should next be flushed: for its changes, else to look at it again (muted members, a
    refused channel, a repeat)."""
    return due_ms(group, route) if group.pending else group.muting.resume_at_ms

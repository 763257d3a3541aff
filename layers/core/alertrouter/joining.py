"""An alert joining a group that is full: it takes a resolved member's place, is only counted, or is refused."""

from __future__ import annotations

import random

from alertrouter.flush.outcome import Outcome
from alertrouter.models.alert import Status
from alertrouter.models.state import AlertState, GroupState, Member
from alertrouter.sources.errors import MalformedEventError
from alertrouter.store.base import GroupStore


class GroupFullError(MalformedEventError):
    """A group already holds MAX_GROUP_MEMBERS alerts, none resolved, and this alert cannot be only counted."""


def join_full_group(
    store: GroupStore,
    group: GroupState,
    state: AlertState,
    member: Member,
    first: bool,
    outcome: Outcome,
    now: int,
) -> GroupState:
    """An alert the full group refused takes the place of a resolved member (so a group whose alerts all
    resolved still announces the next one). With none resolved: a firing one-shot alert (a failed job) is
    counted by reason, once (a redelivery is not counted again); any other alert (an alarm, whose next
    event may be hours away) is refused into the DLQ with the reason, never dropped."""
    for _ in range(3):
        resolved = [fp for fp, m in group.members.items() if m.status == Status.RESOLVED]
        # a random few: concurrent workers that read the same group would all race for the oldest
        for old in random.sample(resolved, min(3, len(resolved))):
            replaced = store.replace_member(group, old, state.fingerprint, member, now)
            if replaced is not None:
                return replaced
        if not resolved:
            break
        fresh = store.get_group(group.key)  # the places tried were taken: look again
        if fresh is None or state.fingerprint in fresh.members:
            return fresh or group
        group = fresh
    if not (state.one_shot and state.status == Status.FIRING):
        raise GroupFullError(
            f"group {group.key} holds {len(group.members)} alerts, none resolved: alert "
            f"{state.fingerprint} ({state.title[:80]}) is kept in the DLQ; redrive it once "
            "the group has room"
        )
    if first:
        outcome.overflowed += 1
        return store.count_overflow(group, member.reason or "unspecified", now)
    return group

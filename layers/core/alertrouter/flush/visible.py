"""Which members a group's message shows (the flush, the redraw and the interactions agree on it)."""

from __future__ import annotations

from alertrouter.models.alert import Status
from alertrouter.models.state import GroupState, Member


def visible_members(group: GroupState) -> dict[str, Member]:
    """Members the current message shows: those this episode has announced, plus the others that are not
    resolved and not muted (silenced, inhibited, outside the route's active time)."""
    return {
        fp: m
        for fp, m in group.members.items()
        if fp in group.notified or (m.status != Status.RESOLVED and fp not in group.muting.reasons)
    }

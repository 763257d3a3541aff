"""Stage: a group announced as resolved that fires again starts a new episode (a new message)."""

from __future__ import annotations

from alertrouter.flush.env import FlushEnv
from alertrouter.flush.stage import Flush
from alertrouter.models.alert import Status
from alertrouter.notify.render import group_status
from alertrouter.store.base import GroupProgress
from alertrouter.store.group_item import with_progress


def new_episode(episode: int) -> GroupProgress:
    """The fields of the next episode: its own messages, clicks and delivery progress, none yet (fresh
    containers each time: the store may keep what it is given)."""
    return {
        "episode": episode + 1,
        "slack_ts": {},
        "slack_channels": {},
        "notified": {},
        "slack_attempts": {},
        "slack_done": {},
        "channel_notified": {},
        "ack_by": "",
        "ack_ms": 0,
        "resolved_by": "",
        "resolved_ms": 0,
    }


class NewEpisode:
    def __init__(self, env: FlushEnv) -> None:
        self.env = env

    def run(self, flush: Flush) -> None:
        """A group announced as resolved that fires again gets a new message (a new episode), unless it is
        flapping: then its one message is edited back to firing."""
        group = flush.group
        announced_resolved = (
            bool(group.slack.ts)
            and bool(group.notified)
            and all(n.status == Status.RESOLVED for n in group.notified.values())
        )
        if not announced_resolved or group_status(group) == Status.RESOLVED:
            return
        if any(m.flapping_until(flush.route.flapping) > flush.now for m in group.members.values()):
            if group.clicks.resolved_by:  # it fires again: an earlier Resolve click no longer holds
                unresolved: GroupProgress = {"resolved_by": "", "resolved_ms": 0}
                self.env.leases.save_progress(group.key, flush.lease, unresolved)
                flush.group = with_progress(group, unresolved)
            return
        changes = new_episode(group.episode)
        self.env.leases.save_progress(group.key, flush.lease, changes)
        flush.group = with_progress(group, changes)

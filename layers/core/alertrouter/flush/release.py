"""Stages that release the group's lease with what the flush did: early when there is nothing to tell, else
at the end (the router then schedules a follow-up if changes arrived meanwhile)."""

from __future__ import annotations

from alertrouter.flush.env import FlushEnv
from alertrouter.flush.stage import Flush
from alertrouter.models.alert import Status
from alertrouter.notify.render import group_status
from alertrouter.routing.clock import notified_at
from alertrouter.store.base import GroupProgress


class ReleaseUntold:
    def __init__(self, env: FlushEnv) -> None:
        self.env = env

    def run(self, flush: Flush) -> None:
        """Everything resolved (or muted) before anyone was told: nothing worth a message."""
        group = flush.group
        told = any(m.episode == group.episode for m in group.webhooks.done.values())
        if group.slack.ts or told or (flush.members and group_status(group) != Status.RESOLVED):
            return
        flush.released = self.env.leases.release(
            group.key,
            flush.lease,
            {"notified_version": flush.version, **flush.kept},
            flush.now,
            expires=flush.all_resolved,
            claimed_version=flush.version,
        )


class Release:
    def __init__(self, env: FlushEnv) -> None:
        self.env = env

    def run(self, flush: Flush) -> None:
        """Record what was sent and free the group."""
        group = flush.group
        # Alerts counted (not kept) belong to the episode now announced resolved: the next one counts afresh.
        ended: GroupProgress = {"overflow": {}} if flush.all_resolved and group.overflow else {}
        # a flush that only retried a refused channel is not a notification: group_interval still counts
        # from the last one, so the healthy channels' next edit is not pushed back
        news = flush.news or flush.repeat
        flush.released = self.env.leases.release(
            group.key,
            flush.lease,
            {
                "notified_version": flush.version,
                "notified": flush.notified,
                "last_notified_ms": notified_at(group, flush.route, flush.now)
                if news
                else group.last_notified_ms,
                "notified_firing": any(n["status"] != Status.RESOLVED for n in flush.notified.values()),
                "channel_notified": {},
                **flush.kept,
                **ended,
            },
            flush.now,
            expires=flush.all_resolved,
            claimed_version=flush.version,
        )

"""What a flush has done for the receiver's webhooks so far (saved under the lease after each one), and the one
rule of when a webhook is sent."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from alertrouter.flush.stage import Flush
from alertrouter.models.alert import Status
from alertrouter.models.state import GroupState, Member, WebhookFailure, WebhookMark
from alertrouter.store.base import GroupProgress


@dataclass
class WebhookProgress:
    """Each webhook's last message (by id) and those failing: a copy of the group's WebhookDelivery."""

    done: dict[str, WebhookMark]
    failed: dict[str, WebhookFailure]

    @classmethod
    def of(cls, group: GroupState, ids: set[str]) -> WebhookProgress:
        """Those of the configured webhooks (a webhook taken out of the config is forgotten)."""
        hooks = group.webhooks
        return cls(
            {i: m for i, m in hooks.done.items() if i in ids},
            {i: f for i, f in hooks.failed.items() if i in ids},
        )

    def fields(self) -> GroupProgress:
        return {
            "webhook_done": {i: m.model_dump() for i, m in self.done.items()},
            "webhook_failed": {i: f.model_dump() for i, f in self.failed.items()},
        }


def digest(chosen: list[str], members: dict[str, Member], truncated: int) -> str:
    """What a message holds, in short: its alerts and their statuses (not their counts or texts)."""
    text = ";".join(f"{fp}={members[fp].status}" for fp in chosen) + f";+{truncated}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def is_repeat(flush: Flush) -> bool:
    """Whether the flush is a repeat_interval re-notification (nothing new, still firing)."""
    return flush.repeat


@dataclass(frozen=True)
class Sendable:
    """What a webhook would be sent now: the alerts firing and resolved (muted ones left out), and the digest
    of the message they make."""

    firing: frozenset[str]
    resolved: frozenset[str]
    held: str


def due(flush: Flush, mark: WebhookMark | None, now: Sendable, *, send_resolved: bool, behind: bool) -> bool:
    """Whether this flush sends to a webhook whose last message is `mark`: Alertmanager's rule (its notification
    log), against what the group was last notified of (`notified`, before this flush). Sent when an alert fires
    that the last notification did not show firing; when every alert resolved after some were shown firing;
    with send_resolved, when an alert resolved that it did not show resolved; else once repeat_interval has
    passed (a repeat). A re-sent alert (a higher count) and a resolve undone within one interval are no news.
    Never told in this episode: only if something fires. A webhook `behind` (it failed) gets the current
    state once it differs from what it was last sent."""
    if behind:  # (one never told that has nothing firing to tell is marked up to date by the stage)
        return mark is None or mark.digest != now.held
    if mark is None or mark.episode != flush.group.episode:
        return bool(now.firing)
    if mark.version >= flush.version and mark.digest == now.held and not is_repeat(flush):
        return False  # already sent this (a retried flush)
    told = flush.group.notified
    told_firing = {fp for fp, n in told.items() if n.status == Status.FIRING}
    if not now.firing <= told_firing:
        return True
    if not now.firing:
        return bool(told_firing)
    if send_resolved and not now.resolved <= {fp for fp, n in told.items() if n.status == Status.RESOLVED}:
        return True
    return is_repeat(flush) and mark.at < flush.now

"""What a flush has done for the receiver's webhooks so far (saved under the lease after each one), and the one
rule of when a webhook is sent."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from alertrouter.flush.stage import Flush
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
    """Whether the flush is a repeat_interval re-notification (nothing new; set by the scheduler once it makes
    them)."""
    return bool(getattr(flush, "repeat", False))


def due(flush: Flush, mark: WebhookMark | None, held: str) -> bool:
    """Whether this flush sends to a webhook whose last message is `mark`, the message now holding `held`
    (digest). Every flush that notifies does, once: a new version, or what the group shows changed at the
    same version (a silence ended). A webhook behind the group (it failed, or it is new) gets the current
    state. A repeat is sent again, once per flush (a crash between its send and its save may repeat it, as
    Alertmanager may)."""
    if mark is None or mark.version < flush.version or mark.digest != held:
        return True
    return is_repeat(flush) and mark.at < flush.now

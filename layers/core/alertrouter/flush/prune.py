"""Stage: drop resolved members the message no longer needs, so a long-lived group stays small."""

from __future__ import annotations

from alertrouter.flush.env import FlushEnv
from alertrouter.flush.stage import Flush
from alertrouter.limits import PRUNE_BATCH
from alertrouter.models.alert import Status
from alertrouter.models.state import GroupState


def prunable(group: GroupState) -> dict[str, int]:
    """Resolved members never announced, and (while others still fire) those announced as resolved, as
    Alertmanager does; fingerprint -> the member's event time (the condition of the delete)."""
    still_firing = any(m.status != Status.RESOLVED for m in group.members.values())
    # A message posted but not yet recorded in `notified` (a crash between the two) may show alerts
    # that `notified` does not know: then "never announced" cannot be told apart, so keep them.
    knows_announced = bool(group.notified) or not group.slack.ts
    return {
        fp: m.ts_ms
        for fp, m in group.members.items()
        if m.status == Status.RESOLVED
        and (
            (fp not in group.notified and knows_announced)
            or (still_firing and fp in group.notified and group.notified[fp].status == Status.RESOLVED)
        )
    }


class Prune:
    def __init__(self, env: FlushEnv) -> None:
        self.env = env

    def run(self, flush: Flush) -> None:
        """A pruned alert that fires again simply joins again. At most PRUNE_BATCH per flush."""
        group, sms_recipients = flush.group, flush.receiver.sms
        # (a webhook is sent what Alertmanager sends: an alert that fired and resolved since the last
        # notification too, though the message, and so the group, no longer needs it; not a resolve sent)
        flush.every_member = {
            fp: m
            for fp, m in group.members.items()
            if not (
                m.status == Status.RESOLVED
                and fp in group.notified
                and group.notified[fp].status == Status.RESOLVED
            )
        }
        gone = dict(list(prunable(group).items())[:PRUNE_BATCH])
        if not gone:
            return
        sms_keys = [
            f"{fp}@{name}" for fp in gone for name in sms_recipients if f"{fp}@{name}" in group.sms_notified
        ]
        if not self.env.leases.prune_members(group.key, flush.lease, gone, sms_keys):
            return  # a member changed meanwhile: try at the next flush
        flush.group = group.model_copy(
            update={
                "members": {fp: m for fp, m in group.members.items() if fp not in gone},
                "notified": {fp: n for fp, n in group.notified.items() if fp not in gone},
                "sms_notified": {k: v for k, v in group.sms_notified.items() if k not in sms_keys},
            }
        )

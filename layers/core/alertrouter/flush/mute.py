"""Stage: mute (silences, inhibition, time intervals, flapping), and what the message shows because of it."""

from __future__ import annotations

from typing import Any

from alertrouter.flush.env import FlushEnv
from alertrouter.flush.muting import Muting
from alertrouter.flush.stage import Flush, Mutes
from alertrouter.flush.visible import visible_members
from alertrouter.models.alert import Status
from alertrouter.models.state import GroupState
from alertrouter.notify.render import group_status


def unmute(group: GroupState, mutes: Mutes) -> GroupState:
    """Members muted at the last flush and sendable now (the silence ended, the source resolved) are
    sent as if new: forgotten by `notified`, so the thread hears of them, and paged again."""
    back = [
        fp
        for fp in group.muting.reasons
        if fp not in mutes.reasons and fp in group.members and group.members[fp].status != Status.RESOLVED
    ]
    if not back and group.muting.reasons == mutes.reasons and set(group.muting.flapping) == mutes.held:
        return group  # nothing changed (the common case): no copy
    held = {"reasons": mutes.reasons, "flapping": sorted(mutes.held)}
    update: dict[str, Any] = {"muting": group.muting.model_copy(update=held)}
    if back:
        update["notified"] = {fp: n for fp, n in group.notified.items() if fp not in back}
        update["sms_notified"] = {
            k: v for k, v in group.sms_notified.items() if k.rpartition("@")[0] not in back
        }
    return group.model_copy(update=update)


class Mute:
    def __init__(self, env: FlushEnv, muting: Muting) -> None:
        self.env = env
        self.muting = muting

    def run(self, flush: Flush) -> None:
        group = flush.group
        mutes = flush.mutes = self.muting.mutes(group, flush.route, flush.now)
        flush.all_resolved = group_status(group) == Status.RESOLVED
        self._note_mutes(group, mutes)
        flush.shown_changed = (
            group.muting.reasons != mutes.reasons or set(group.muting.flapping) != mutes.held
        )
        if flush.shown_changed:
            # What the message shows changed without a new version (a silence ended, a flap settled):
            # every channel is redone (`slack.notified` keeps a retry from repeating thread notes).
            group = group.model_copy(update={"slack": group.slack.model_copy(update={"done": {}})})
        group = unmute(group, mutes)
        members = flush.members = visible_members(group)
        flush.group = group.model_copy(update={"members": members})
        flush.kept = {
            "muted": mutes.reasons,
            "flapping": sorted(mutes.held),
            "resume_at_ms": mutes.resume_at_ms,
        }

    def _note_mutes(self, group: GroupState, mutes: Mutes) -> None:
        """History of what started or stopped being held back, and why (a silence, an inhibition...)."""
        newly = {fp: reason for fp, reason in mutes.reasons.items() if group.muting.reasons.get(fp) != reason}
        if newly:
            self.env.history(
                group.key, "muted", {"alerts": sorted(newly), "reasons": sorted(set(newly.values()))[:5]}
            )
        back = sorted(fp for fp in group.muting.reasons if fp not in mutes.reasons)
        if back:
            self.env.history(group.key, "unmuted", {"alerts": back})

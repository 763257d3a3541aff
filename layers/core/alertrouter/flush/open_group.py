"""Stage: keep the group's entry in the open-group index (store/base.py OpenGroupIndex), which `/alerts`, App
Home and the Silence modal read: put when a flush first finds the group firing, deleted after the release of the
flush that finds it all resolved. A couple of writes per group episode, none per alert: the group's own
`open_listed_ms` (written by the release the flush does anyway) says whether its entry is there.

The order never leaves a firing group unlisted: the entry is put before the release notes it, and deleted only
after the release that notes it gone (a crash in between leaves an entry too many, which readers skip)."""

from __future__ import annotations

from alertrouter.flush.env import FlushEnv
from alertrouter.flush.stage import Flush
from alertrouter.models.open_group import OpenGroup
from alertrouter.observability import ROUTER, module_logger

logger = module_logger(ROUTER, __name__)
RELIST_AFTER_MS = 60_000  # a failed put is tried again by a flush this much later


class ListOpenGroup:
    def __init__(self, env: FlushEnv) -> None:
        self.env = env

    def run(self, flush: Flush) -> None:
        """After Mute (which knows whether every member is resolved, and sets what the release keeps)."""
        group = flush.group
        if not flush.all_resolved and not group.open_listed_ms:
            try:
                self.env.open_groups.list_open_group(
                    OpenGroup(group.key, flush.now, dict(group.group_labels))
                )
            except Exception:  # noqa: BLE001 - the listing never holds a notification back
                logger.warning("open-group entry not put", extra={"group": group.key}, exc_info=True)
                # a firing group /alerts and App Home cannot see: tried again by a flush soon, not at the
                # group's next change (which may be repeat_interval away)
                flush.look_again_at(flush.now + RELIST_AFTER_MS)
                return
            flush.kept["open_listed_ms"] = flush.now
        elif flush.all_resolved and group.open_listed_ms:
            flush.kept["open_listed_ms"] = 0

    def after_release(self, flush: Flush) -> None:
        """The release noted the group resolved: its entry goes, even when a change arrived during the flush
        (the release recorded the group unlisted, so the follow-up flush puts the entry again if the change
        fires; kept here, it would be left over for good)."""
        listed, released = flush.group.open_listed_ms, flush.released
        if not (flush.all_resolved and listed) or released is None:
            return
        try:
            self.env.open_groups.unlist_open_group(flush.group.key, listed)
        except Exception:  # noqa: BLE001 - an entry left over is harmless (readers check the group)
            logger.warning("open-group entry not deleted", extra={"group": flush.group.key}, exc_info=True)

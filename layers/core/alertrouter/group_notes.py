"""What happened to a group's alerts after its message went out (a page, an escalation moving on, a call not
answered), told in the group's history and as a line in its message's Slack thread(s)."""

from __future__ import annotations

from typing import Any

from alertrouter.models.state import GroupState
from alertrouter.notify.base import NotifyError, SlackApi
from alertrouter.notify.render import SlackMessage
from alertrouter.observability import ESCALATOR, module_logger
from alertrouter.store.base import HistoryStore

logger = module_logger(ESCALATOR, __name__)


class GroupNotes:
    def __init__(self, history: HistoryStore, slack: SlackApi | None) -> None:
        self.history = history
        self.slack = slack

    def note(self, group: GroupState, text: str, kind: str, detail: dict[str, Any], now: int) -> None:
        """History and a thread line (none when `text` is empty); both best effort: what they tell of
        already happened."""
        try:
            self.history.add_history(group.key, now, kind, detail)
        except Exception:  # noqa: BLE001
            logger.warning("history entry not written", exc_info=True)
        if self.slack is None or not text:
            return
        for channel, ts in group.slack.ts.items():
            try:
                self.slack.post(
                    group.slack.channels.get(channel, channel), SlackMessage(text=text), thread_ts=ts
                )
            except NotifyError as exc:
                logger.warning("thread note not posted", extra={"reason": str(exc), "channel": channel})

"""A page call nobody picked up moves its escalation on at once: the next step is paged by the escalator's
next run (within a minute) instead of after the step's `after`.

The rule. After a step's call went out, the escalator moved the escalation past that step and made it due
`after` later. A CallUnanswered (sources/voice.py) makes it due now (`next_ms = now`) if and only if the
group's escalation is still where that call left it:

- it is the same episode, and the group is still in it, firing and not acknowledged (an acknowledgement
  after the call is an answer) nor resolved by hand;
- it is not done (the call was the last step of the last round: nobody is left to page);
- its position is right after the called step (the next step of the same round, or the first step of the next
  round), with nobody of that position paged yet;
- it is not due already.

So a late event (the escalator moved on by itself, after `after`), a duplicate (the first one already made it
due, or its next step was already paged) or one for a step still waiting for others changes nothing. The
change is conditional on the item as read (its `rev`): a concurrent escalator run wins. The move is written
to the group's history (`call_unanswered`) and said in its thread, both best effort.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from alertrouter.group_notes import GroupNotes
from alertrouter.mrkdwn import escape
from alertrouter.observability import ROUTER, module_logger

if TYPE_CHECKING:
    from alertrouter.models.state import EscalationState
    from alertrouter.notify.base import SlackApi
    from alertrouter.sources.voice import CallUnanswered
    from alertrouter.store.base import EscalationStore, GroupView, HistoryStore

logger = module_logger(ROUTER, __name__)


class Moved(StrEnum):
    """What an unanswered call did to its escalation."""

    MOVED_ON = "moved on"
    NO_ESCALATION = "no escalation for that episode"
    OVER = "episode over, acknowledged or resolved"
    DONE = "no step left to page"
    ELSEWHERE = "the escalation is no longer right after the called step"
    ALREADY_DUE = "already due"
    RACED = "moved meanwhile by the escalator"

    @property
    def moved_on(self) -> bool:
        return self is Moved.MOVED_ON


class UnansweredCalls:
    def __init__(
        self,
        escalations: EscalationStore,
        groups: GroupView,
        history: HistoryStore,
        slack: SlackApi | None = None,
    ) -> None:
        self.escalations = escalations
        self.groups = groups
        self.notes = GroupNotes(history, slack)

    def apply(self, call: CallUnanswered, now: int) -> Moved:
        """Make the call's escalation due now when the rule (module docstring) allows; what came of it."""
        escalation = next(
            (e for e in self.escalations.escalations() if e.key == call.group and e.episode == call.episode),
            None,
        )
        moved = self._why_not(call, escalation, now)
        if moved is None and escalation is not None:
            if not self.escalations.advance_escalation(escalation, {"next_ms": now}):
                moved = Moved.RACED
            else:
                moved = Moved.MOVED_ON
                self._note(call, escalation, now)
        result = moved or Moved.RACED
        logger.info(
            "unanswered page call",
            extra={"group": call.group, "outcome": call.outcome, "step": call.step, "result": result.value},
        )
        return result

    def _why_not(self, call: CallUnanswered, escalation: EscalationState | None, now: int) -> Moved | None:
        if escalation is None:
            return Moved.NO_ESCALATION
        group = self.groups.get_group(call.group)
        if group is None or group.episode != call.episode or group.clicks.ack_by or group.clicks.resolved_by:
            return Moved.OVER
        if escalation.done:
            return Moved.DONE
        if (escalation.step, escalation.round) != _after(call, len(escalation.steps)) or escalation.sent:
            return Moved.ELSEWHERE
        if escalation.next_ms <= now:
            return Moved.ALREADY_DUE
        return None

    def _note(self, call: CallUnanswered, escalation: EscalationState, now: int) -> None:
        group = self.groups.get_group(call.group)
        if group is None:
            return
        total = len(escalation.steps)
        who = escape(call.to) if call.to else "Nobody"
        what = "did not answer" if call.outcome == "VOICE_NO_ANSWER" else f"did not answer ({call.said})"
        text = f"📵 {who} {what}: moving on to step {escalation.step + 1} of {total} now"
        detail = {
            "to": call.to,
            "outcome": call.outcome,
            "from_step": call.step,
            "round": call.round,
            "to_step": escalation.step + 1,
            "message_id": call.message_id,
        }
        self.notes.note(group, text, "call_unanswered", detail, now)


def _after(call: CallUnanswered, steps: int) -> tuple[int, int]:
    """(step index, round) right after the called step (`call.step` counts from 1)."""
    if call.step >= steps:
        return 0, call.round + 1
    return call.step, call.round

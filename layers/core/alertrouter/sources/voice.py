"""AWS End User Messaging's page-call delivery events (EventBridge, source `aws.sms-voice`, detail-type
`Voice Message Delivery Status Updated`) -> a call nobody picked up, for the router to move its escalation on.

The service sends one event per status of a call (AWS End User Messaging SMS User Guide, "Event types for SMS,
MMS, and voice"): VOICE_INITIATED and VOICE_RINGING while it is placed, then one final outcome. Of the finals,
VOICE_NO_ANSWER (nobody, not even voicemail, answered), VOICE_BUSY (the line was busy), VOICE_FAILED (the call
could not be delivered) and VOICE_TTL_EXPIRED (not placed within its time to live) mean nobody heard the page;
VOICE_ANSWERED and VOICE_COMPLETED mean someone (or a voicemail) did. Only an unanswered final outcome of one
of the escalator's own calls becomes a CallUnanswered; every other event is ignored. The escalator's calls
carry their escalation in the call's `Context` (escalate._context: group, episode, step, round, to), which
the event gives back as `detail.context`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from alertrouter.models.alert import Ignored
from alertrouter.sources.common import validated
from alertrouter.sources.errors import MalformedEventError
from alertrouter.sources.eventbridge import EventBridgeEvent

EVENT_SOURCE = "aws.sms-voice"
DETAIL_TYPE = "Voice Message Delivery Status Updated"
# final outcomes of a call that nobody heard, and how the thread says each
UNANSWERED = {
    "VOICE_NO_ANSWER": "no answer",
    "VOICE_BUSY": "line busy",
    "VOICE_FAILED": "call failed",
    "VOICE_TTL_EXPIRED": "not placed in time",
}
ANSWERED = frozenset({"VOICE_ANSWERED", "VOICE_COMPLETED"})
_CONTEXT_KEYS = ("group", "episode", "step", "round")


@dataclass(frozen=True)
class CallUnanswered:
    """A page call of an escalation step that nobody picked up: `step` is 1-based, as the call's context
    writes it; `to` the person called (by name, "" when the context does not say)."""

    group: str
    episode: int
    step: int
    round: int
    to: str
    outcome: str  # the event type (VOICE_NO_ANSWER...)
    message_id: str
    at_ms: int  # when the service reported it

    @property
    def said(self) -> str:
        """The outcome in a few words (`no answer`, `line busy`...)."""
        return UNANSWERED.get(self.outcome, self.outcome)


class VoiceDetail(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)  # built on first use

    event_type: str = Field(alias="eventType", min_length=1, max_length=60)
    event_timestamp: int = Field(default=0, alias="eventTimestamp", ge=0)
    is_final: bool | None = Field(default=None, alias="isFinal")
    message_id: str = Field(alias="messageId", min_length=1, max_length=200)
    context: dict[str, str] | None = None


class VoiceEvent(EventBridgeEvent):
    detail: VoiceDetail  # type: ignore[assignment]


def parse_event(event: dict[str, Any]) -> tuple[CallUnanswered | Ignored, str]:
    """A voice delivery event: the unanswered call it reports, or why it is ignored; and the event's AWS
    account (only the stack's own calls are acted on)."""
    parsed = validated(VoiceEvent, event, DETAIL_TYPE)
    detail = parsed.detail
    kind = detail.event_type
    if kind not in UNANSWERED:
        why = "answered" if kind in ANSWERED else "not a final outcome"
        return Ignored(reason=f"page call {kind[:40]}: {why}", kind="voice"), parsed.account
    if detail.is_final is False:
        return Ignored(reason=f"page call {kind}: not final yet", kind="voice"), parsed.account
    context = detail.context or {}
    present = [k for k in _CONTEXT_KEYS if k in context]
    if not present:
        # someone else's call (another application's Context), or a call of several pages at once
        why = "not one of the escalator's step calls"
        return Ignored(reason=f"page call {kind}: {why}", kind="voice"), parsed.account
    missing = [k for k in _CONTEXT_KEYS if k not in context]
    if missing:
        raise MalformedEventError(f"{DETAIL_TYPE}: context without {', '.join(missing)}")
    group = context["group"].strip()
    if not group:
        raise MalformedEventError(f"{DETAIL_TYPE}: context group is empty")
    episode, step, rounds = (_number(context, key) for key in ("episode", "step", "round"))
    if step < 1:
        raise MalformedEventError(f"{DETAIL_TYPE}: context step {step} (steps count from 1)")
    call = CallUnanswered(
        group=group,
        episode=episode,
        step=step,
        round=rounds,
        to=context.get("to", "").strip()[:100],
        outcome=kind,
        message_id=detail.message_id,
        at_ms=detail.event_timestamp or int(parsed.time.timestamp() * 1000),
    )
    return call, parsed.account


def _number(context: dict[str, str], key: str) -> int:
    value = context[key].strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 12:  # no sign, no fraction
        raise MalformedEventError(f"{DETAIL_TYPE}: context {key} {value[:20]!r} is not a whole number")
    return int(value)

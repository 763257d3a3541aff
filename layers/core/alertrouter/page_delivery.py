"""What the escalator sends one person in a run: a text (SNS) or a call (AWS End User Messaging SMS and
Voice), everything due to them bundled, paced per person and channel (PagingSlots: one SMS a minute, one call
every five), and what came of it. The escalator decides what an outcome means for an escalation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from alertrouter.models.recipient import Recipient
from alertrouter.notify.base import CALL_GAP_MS, SMS_GAP_MS, NotifyError
from alertrouter.notify.render import render_sms, sms_account
from alertrouter.notify.voice_script import voice_script
from alertrouter.observability import ESCALATOR, module_logger

if TYPE_CHECKING:
    from alertrouter.models.state import Member
    from alertrouter.notify.base import SmsSender, VoiceSender
    from alertrouter.store.base import PagingSlots

logger = module_logger(ESCALATOR, __name__)


class Delivered(StrEnum):
    SENT = "sent"
    PACED = "paced"  # reached less than a gap ago: the next run sends it, bundled with what else is due
    RETRY = "retry"  # a call refused for now (throttled, a 5xx, a timeout): the next run tries again
    FAILED = "failed"  # not sent: the escalation moves on to whom it can reach


@dataclass(frozen=True)
class Delivery:
    result: Delivered
    said: str = ""  # the SMS sent, or the words read on the call
    reason: str = ""  # why not: short, safe to show in Slack (no number)
    retryable: bool = False  # (FAILED) whether the far end said a later try may succeed


class PageDelivery:
    def __init__(
        self,
        paging: PagingSlots,
        sms: SmsSender | None,
        voice: VoiceSender | None,
        account_label: str = "",
        account_id: str = "",
    ) -> None:
        self.paging = paging
        self.sms = sms
        self.voice = voice
        self.account_label = account_label
        self.account_id = account_id  # the stack's own: a page about another account names that one

    def deliver(
        self, recipient: Recipient, members: list[Member], now: int, context: Mapping[str, str] | None = None
    ) -> Delivery:
        """Page a person (a resolved recipient) about `members`, by the recipient's channel."""
        if recipient.person is None:
            return Delivery(Delivered.FAILED, reason=f"{recipient.ref} is not resolved to a person")
        if recipient.channel == "voice":
            return self._call(recipient, recipient.person, members, now, context)
        return self._text(recipient, recipient.person, members, now)

    def _text(self, recipient: Recipient, person: str, members: list[Member], now: int) -> Delivery:
        if self.sms is None:
            return Delivery(Delivered.FAILED, reason="SMS is off (no SMS numbers secret)")
        if not self.paging.claim_sms_slot(recipient.ref, now, SMS_GAP_MS):
            return Delivery(Delivered.PACED)
        text = render_sms(members, self.account_label, self.account_id)
        try:
            masked = self.sms.send(person, text)
        except NotifyError as exc:
            self._release(recipient, now, exc)
            logger.error("escalation SMS not sent", extra={"recipient": person, "reason": str(exc)})
            return Delivery(Delivered.FAILED, reason=_reason(exc), retryable=exc.retryable)
        logger.info("escalation SMS sent", extra={"to": masked, "recipient": person, "alerts": len(members)})
        return Delivery(Delivered.SENT, said=text)

    def _call(
        self,
        recipient: Recipient,
        person: str,
        members: list[Member],
        now: int,
        context: Mapping[str, str] | None,
    ) -> Delivery:
        if self.voice is None:
            logger.error(
                "a call step cannot be placed: voice is off (no VoiceOriginationIdentity)",
                extra={"recipient": person},
            )
            return Delivery(Delivered.FAILED, reason="voice calls are off (no VoiceOriginationIdentity)")
        if not self.paging.claim_sms_slot(recipient.ref, now, CALL_GAP_MS):  # (its own slot: `call:NAME`)
            return Delivery(Delivered.PACED)
        where = (
            sms_account(members[0], self.account_label, self.account_id) if members else self.account_label
        )
        script = voice_script(members, where)
        try:
            masked = self.voice.call(person, script, context)
        except NotifyError as exc:
            self._release(recipient, now, exc)
            logger.error(
                "escalation call not placed",
                extra={"recipient": person, "reason": str(exc), "retryable": exc.retryable},
            )
            if exc.retryable:
                return Delivery(Delivered.RETRY, reason=_reason(exc), retryable=True)
            return Delivery(Delivered.FAILED, reason=_reason(exc))
        logger.info(
            "escalation call placed", extra={"to": masked, "recipient": person, "alerts": len(members)}
        )
        return Delivery(Delivered.SENT, said=script.text())

    def _release(self, recipient: Recipient, claimed_ms: int, exc: NotifyError) -> None:
        """A page that did not go out gives its slot back when a retry may succeed (it may go at once)."""
        if not exc.retryable:
            return
        try:
            self.paging.release_sms_slot(recipient.ref, claimed_ms)
        except Exception:  # noqa: BLE001 - the slot lapses by itself after its gap
            logger.warning("paging slot not released", exc_info=True)


def _reason(exc: NotifyError) -> str:
    """A failure said without the number: the far end's code, or the message of one raised before sending."""
    return exc.code or str(exc).split(": ", 1)[-1]

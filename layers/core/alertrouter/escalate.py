"""The escalator, run every minute: pages nobody acknowledged go to the next step's SMS recipients;
acknowledged ones get a reminder in their thread every `reminder_interval`; one-shot alerts (no resolved
event exists for them) past their route's `resolve_timeout` are handed to the router to resolve.

Each group that paged has one escalation item (created by the router's flush) carrying its policy.
SMS are paced, at most one per recipient per minute: everything due for a recipient in one run is
bundled into one message, and a recipient texted less than a minute ago waits for the next run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from alertrouter.limits import EXPIRIES_PER_RUN
from alertrouter.models.alert import Status
from alertrouter.models.silence import named_episodes, silencing
from alertrouter.models.state import EscalationState, GroupState, Member, QueuedPage
from alertrouter.mrkdwn import escape, mention
from alertrouter.notify.base import SMS_GAP_MS, NotifyError
from alertrouter.notify.render import SlackMessage, human_duration, render_sms
from alertrouter.observability import ESCALATOR, module_logger
from alertrouter.own_messages import ExpireMessage
from alertrouter.store.base import (
    AlertStore,
    EscalationStore,
    ExpiryStore,
    GroupView,
    HistoryStore,
    PageOutbox,
    PagingSlots,
    SilenceStore,
    Stores,
)

if TYPE_CHECKING:
    from alertrouter.notify.base import SlackApi, SmsSender

logger = module_logger(ESCALATOR, __name__)


@dataclass
class Want:
    """Alerts of one group due to a recipient: an escalation step, or a page that waited for its slot."""

    group: GroupState
    pages: dict[str, Member]
    escalation: EscalationState | None = None
    queued: QueuedPage | None = None


@dataclass
class EscalationOutcome:
    due: int = 0
    sms: int = 0
    deferred: int = 0  # recipients paced to the next run
    failures: int = 0  # recipients that cannot be texted (not in the numbers secret, number refused)
    reminders: int = 0
    ended: int = 0
    expired: int = 0  # one-shot alerts handed to the router to resolve
    pages: list[tuple[str, str]] = field(default_factory=list)  # (recipient, text), for tests and the demo


class Escalator:
    def __init__(
        self,
        stores: Stores,
        sms: SmsSender | None,
        slack: SlackApi | None = None,
        *,
        account_label: str = "",
        now_ms: Callable[[], int] = lambda: int(time.time() * 1000),
        enqueue: Callable[[ExpireMessage], None] | None = None,
    ) -> None:
        # the aggregates it reads and writes, each its own
        self.escalations: EscalationStore = stores.escalations
        self.outbox: PageOutbox = stores.outbox
        self.paging: PagingSlots = stores.paging
        self.groups: GroupView = stores.groups
        self.alerts: AlertStore = stores.alerts
        self.expiries: ExpiryStore = stores.expiries
        self.silences: SilenceStore = stores.silences
        self.history: HistoryStore = stores.history
        self.sms = sms
        self.slack = slack
        self.enqueue = enqueue  # hands a one-shot alert's expiry to the router's queue
        self.account_label = account_label
        self.now_ms = now_ms

    def run(self) -> EscalationOutcome:
        now = self.now_ms()
        outcome = EscalationOutcome()
        due = [e for e in self.escalations.escalations() if e.next_ms <= now]
        queued = self.outbox.queued_pages()
        outcome.due = len(due)
        silences = [s for s in self.silences.silences() if s.active(now)] if due or queued else []
        wanted: dict[str, list[Want]] = {}
        self._want_escalated(due, silences, now, outcome, wanted)
        self._want_queued(queued, silences, now, wanted)
        texted = self._text(wanted, now, outcome)
        self._record_sent(wanted, texted, now, outcome)
        self._expire(now, outcome)
        return outcome

    def _want_escalated(
        self,
        due: list[EscalationState],
        silences: list[Any],
        now: int,
        outcome: EscalationOutcome,
        wanted: dict[str, list[Want]],
    ) -> None:
        """The due escalations' pages, added to `wanted` per recipient of their step; the others ended (the
        episode is over), reminded (acknowledged) or put off (nothing to page about now)."""
        for escalation in due:
            group = self.groups.get_group(escalation.key)
            pages = self._pages(escalation.episode, group, silences, now)
            if group is None or pages is None:
                self.escalations.end_escalation(escalation.key, escalation.episode)
                outcome.ended += 1
                continue
            if group.clicks.ack_by:
                self._remind(escalation, group, now, outcome)
                continue
            if not pages or not escalation.steps or escalation.done:
                # all silenced or muted for now, or nobody left to page: look again after the step's wait
                self.escalations.advance_escalation(escalation, {"next_ms": now + escalation.after_ms})
                continue
            for recipient in escalation.steps[escalation.step]:
                if recipient not in escalation.sent:
                    wanted.setdefault(recipient, []).append(Want(group, pages, escalation=escalation))

    def _want_queued(
        self, queued: list[QueuedPage], silences: list[Any], now: int, wanted: dict[str, list[Want]]
    ) -> None:
        """The router's pages that waited for their recipient's slot, added to `wanted`; those resolved,
        acknowledged or muted meanwhile dropped."""
        groups: dict[str, GroupState | None] = {}
        for page in queued:
            if page.key not in groups:
                groups[page.key] = self.groups.get_group(page.key)
            group = groups[page.key]
            pages = self._pages(page.episode, group, silences, now)
            if group is None or not pages or page.fingerprint not in pages or group.clicks.ack_by:
                self.outbox.drop_queued_pages([page])  # not worth it any more
                continue
            wanted.setdefault(page.recipient, []).append(
                Want(group, {page.fingerprint: pages[page.fingerprint]}, queued=page)
            )

    def _record_sent(
        self, wanted: dict[str, list[Want]], texted: set[str], now: int, outcome: EscalationOutcome
    ) -> None:
        """Each escalation that paged: on to its next step once its whole step was texted, else the
        recipients texted noted (the rest were paced: they get their text next run)."""
        moved: dict[int, EscalationState] = {}
        for wants in wanted.values():
            for want in wants:
                if want.escalation is not None:
                    moved[id(want.escalation)] = want.escalation
        for escalation in moved.values():
            sent = {*escalation.sent, *(r for r in escalation.steps[escalation.step] if r in texted)}
            if sent >= set(escalation.steps[escalation.step]):
                self._advance(escalation, now, outcome)
            elif sent != set(escalation.sent):
                self.escalations.advance_escalation(escalation, {"sent": sorted(sent)})

    def _expire(self, now: int, outcome: EscalationOutcome) -> None:
        """One-shot alerts whose resolve_timeout passed: the router resolves them (unless they recurred).
        The expiry is dropped only once its message is on the queue, so a failure is retried next run. At
        most EXPIRIES_PER_RUN a run, the longest due first: the rest are the next runs'."""
        if self.enqueue is None:
            return
        due = sorted((e for e in self.expiries.expiries() if e[2] <= now), key=lambda e: e[2])
        for fingerprint, ts_ms, _ in due[:EXPIRIES_PER_RUN]:
            self.enqueue(ExpireMessage(fingerprint=fingerprint, ts=ts_ms))
            self.expiries.end_expiry(fingerprint, ts_ms)
            outcome.expired += 1

    def _pages(
        self, episode: int, group: GroupState | None, silences: list[Any], now: int
    ) -> dict[str, Member] | None:
        """The alerts still worth paging about (firing, not muted, not silenced, not flapping); None when
        the episode is over (resolved by the source or by hand, a new episode began)."""
        if group is None or group.episode != episode or group.clicks.resolved_by:
            return None
        firing = {fp: m for fp, m in group.members.items() if m.status == Status.FIRING}
        if not firing:
            return None
        if silences:
            states = self.alerts.get_alerts([fp for fp in firing if fp not in group.muting.reasons])
            episodes = named_episodes(silences, {group.key: group.episode}, self.groups.episode_of)
            silenced = {fp for fp, s in states.items() if silencing(silences, fp, s.labels, now, episodes)}
        else:
            silenced = set()
        return {
            fp: m
            for fp, m in firing.items()
            if fp not in group.muting.reasons and fp not in silenced and fp not in group.muting.flapping
        }

    def _text(self, wanted: dict[str, list[Want]], now: int, outcome: EscalationOutcome) -> set[str]:
        """One SMS per recipient with everything due to them (paced: one per minute); its notes."""
        texted: set[str] = set()
        if self.sms is None:
            return texted
        for recipient, wants in wanted.items():
            if not self.paging.claim_sms_slot(recipient, now, SMS_GAP_MS):
                outcome.deferred += 1
                continue
            members = list({fp: m for want in wants for fp, m in want.pages.items()}.values())
            text = render_sms(members, self.account_label)
            try:
                self.sms.send(recipient, text)
            except NotifyError as exc:
                logger.error("escalation SMS not sent", extra={"recipient": recipient, "reason": str(exc)})
                if (
                    not exc.retryable
                ):  # (not in the numbers secret) the escalation moves on to whom it can reach
                    texted.add(recipient)
                    outcome.failures += 1
                    self.outbox.drop_queued_pages([w.queued for w in wants if w.queued is not None])
                continue
            texted.add(recipient)
            outcome.sms += 1
            outcome.pages.append((recipient, text))
            self.outbox.drop_queued_pages([w.queued for w in wants if w.queued is not None])
            for want in wants:
                if want.escalation is None:
                    self._note(
                        want.group,
                        "",
                        "sms",
                        {
                            "to": recipient,
                            "alerts": sorted(want.pages),
                            "titles": [m.title for m in want.pages.values()],
                        },
                        now,
                    )
                    continue
                escalation = want.escalation
                self._note(
                    want.group,
                    f"📟 Not acknowledged: paged {escape(recipient)} (escalation step "
                    f"{escalation.step + 1} of {len(escalation.steps)})",
                    "escalation",
                    {
                        "to": recipient,
                        "step": escalation.step + 1,
                        "round": escalation.round,
                        "alerts": len(want.pages),
                    },
                    now,
                )
        return texted

    def _advance(self, escalation: EscalationState, now: int, outcome: EscalationOutcome) -> None:
        step, rounds = escalation.step + 1, escalation.round
        if step >= len(escalation.steps):
            step, rounds = 0, rounds + 1
        if rounds > escalation.repeat:
            # Nobody left to page. Kept, marked done, so that a later flush of this episode does not start
            # it over (reminders after an acknowledgement still come); it ends with the episode.
            self.escalations.advance_escalation(
                escalation, {"done": True, "sent": [], "next_ms": now + escalation.after_ms}
            )
            return
        self.escalations.advance_escalation(
            escalation, {"step": step, "round": rounds, "sent": [], "next_ms": now + escalation.after_ms}
        )

    def _remind(
        self, escalation: EscalationState, group: GroupState, now: int, outcome: EscalationOutcome
    ) -> None:
        """Acknowledged and still firing: a reminder in the thread every reminder_ms; without reminders, look
        again later (an unacknowledge resumes the escalation where it stood)."""
        if not escalation.reminder_ms:
            self.escalations.advance_escalation(
                escalation, {"next_ms": now + max(escalation.after_ms, SMS_GAP_MS)}
            )
            return
        last = max(group.clicks.ack_ms, escalation.reminded_ms)
        # looked at again at least every `after`, so that an unacknowledge is noticed in time
        look = escalation.after_ms or escalation.reminder_ms
        if now - last < escalation.reminder_ms:
            self.escalations.advance_escalation(
                escalation, {"next_ms": min(last + escalation.reminder_ms, now + look)}
            )
            return
        if self.escalations.advance_escalation(
            escalation, {"reminded_ms": now, "next_ms": now + min(escalation.reminder_ms, look)}
        ):
            outcome.reminders += 1
            self._note(
                group,
                f"⏰ Still firing, acknowledged by {mention(group.clicks.ack_by)} "
                f"{human_duration(now - group.clicks.ack_ms)} ago",
                "reminder",
                {"ack_by": group.clicks.ack_by},
                now,
            )

    def _note(self, group: GroupState, text: str, kind: str, detail: dict[str, Any], now: int) -> None:
        """History and a thread line (if any); both best effort (the page itself already went out)."""
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

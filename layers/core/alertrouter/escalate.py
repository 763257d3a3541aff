"""The escalator, run every minute: pages nobody acknowledged go to the next step's recipients, by SMS or by
a call; acknowledged ones get a reminder in their thread every `reminder_interval`; one-shot alerts (no resolved
event exists for them) past their route's `resolve_timeout` are handed to the router to resolve.

Each group that paged has one escalation item (created by the router's flush) carrying its policy. A step's
recipients are people (`alice`, `call:alice`) or on-call schedules (`schedule:X`, `call:schedule:X`), resolved
to whoever is on call when the step pages. Pages are paced per person and channel (page_delivery.py): what is
due to someone in one run is bundled into one SMS or one call; someone reached too recently waits a run.

A page that cannot go out does not hold the escalation up: a text that fails (however), a call refused, a
schedule with nobody on call: the step is done with that recipient, and a step that reached nobody moves on to
the next step at once, in the same run. A call refused for now (throttled) is tried again the next run, until
the step's `after` has passed. Each is said in the thread and the history.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from alertrouter.group_notes import GroupNotes
from alertrouter.limits import EXPIRIES_PER_RUN
from alertrouter.models.alert import Status
from alertrouter.models.recipient import CALL, Recipient, parse_recipient
from alertrouter.models.silence import named_episodes, silencing
from alertrouter.models.state import EscalationState, GroupState, Member, QueuedPage
from alertrouter.mrkdwn import escape, mention
from alertrouter.notify.base import SMS_GAP_MS
from alertrouter.notify.render import human_duration
from alertrouter.observability import ESCALATOR, module_logger
from alertrouter.own_messages import ExpireMessage
from alertrouter.page_delivery import Delivered, Delivery, PageDelivery
from alertrouter.store.base import (
    AlertStore,
    EscalationChanges,
    EscalationStore,
    ExpiryStore,
    GroupView,
    PageOutbox,
    SilenceStore,
    Stores,
)

if TYPE_CHECKING:
    from alertrouter.notify.base import SlackApi, SmsSender, VoiceSender

logger = module_logger(ESCALATOR, __name__)


MOVE_ON_PASSES = 10  # one run moves an escalation on past at most this many steps that reached nobody


def no_schedules(recipient: Recipient, now_ms: int) -> str | None:
    """The resolver used when no on-call schedules are known: a schedule resolves to nobody."""
    return None


@dataclass
class Step:
    """A due escalation's current step, as this run pages it."""

    escalation: EscalationState
    group: GroupState
    pages: dict[str, Member]
    targets: dict[str, Recipient] = field(default_factory=dict)  # recipient as written -> the person now
    failed: dict[str, str] = field(default_factory=dict)  # recipient as written -> why it cannot be paged


@dataclass
class Want:
    """Alerts of one group due to a person: an escalation step, or a page that waited for its slot."""

    group: GroupState
    pages: dict[str, Member]
    step: Step | None = None
    queued: QueuedPage | None = None


@dataclass
class EscalationOutcome:
    due: int = 0
    sms: int = 0
    calls: int = 0
    deferred: int = 0  # pages paced to the next run (the person was reached too recently)
    failures: int = 0  # pages that did not go out (SMS or call failed, or a schedule resolved to nobody)
    sms_failures: int = 0
    voice_failures: int = 0  # calls refused, throttled ones (tried again next run) included
    moved_on: int = 0  # steps that reached nobody, moved on at once
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
        voice: VoiceSender | None = None,
        resolve: Callable[[Recipient, int], str | None] = no_schedules,
        account_label: str = "",
        account_id: str = "",
        now_ms: Callable[[], int] = lambda: int(time.time() * 1000),
        enqueue: Callable[[ExpireMessage], None] | None = None,
    ) -> None:
        # the aggregates it reads and writes, each its own
        self.escalations: EscalationStore = stores.escalations
        self.outbox: PageOutbox = stores.outbox
        self.groups: GroupView = stores.groups
        self.alerts: AlertStore = stores.alerts
        self.expiries: ExpiryStore = stores.expiries
        self.silences: SilenceStore = stores.silences
        self.delivery = PageDelivery(stores.paging, sms, voice, account_label, account_id)
        self.notes = EscalationNotes(stores.history, slack)
        self.resolve = resolve  # whom a schedule has on call at a moment (None: nobody known)
        self.enqueue = enqueue  # hands a one-shot alert's expiry to the router's queue
        self.now_ms = now_ms

    def run(self) -> EscalationOutcome:
        now = self.now_ms()
        outcome = EscalationOutcome()
        due = [e for e in self.escalations.escalations() if e.next_ms <= now]
        queued = self.outbox.queued_pages()
        outcome.due = len(due)
        silences = [s for s in self.silences.silences() if s.active(now)] if due or queued else []
        for attempt in range(MOVE_ON_PASSES + 1):
            wanted: dict[Recipient, list[Want]] = {}
            steps = self._want_escalated(due, silences, now, outcome, wanted)
            if attempt == 0:
                self._want_queued(queued, silences, now, wanted)
            delivered = self._deliver(wanted, now, outcome)
            due = self._record(steps, delivered, now, outcome)  # those moved on at once: paged again now
            if not due:
                break
        self._expire(now, outcome)
        return outcome

    def _want_escalated(
        self,
        due: list[EscalationState],
        silences: list[Any],
        now: int,
        outcome: EscalationOutcome,
        wanted: dict[Recipient, list[Want]],
    ) -> list[Step]:
        """The due escalations' steps to page, their people added to `wanted`; the others ended (the
        episode is over), reminded (acknowledged) or put off (nothing to page about now)."""
        steps: list[Step] = []
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
            step = Step(escalation, group, pages)
            for ref in escalation.steps[escalation.step]:
                if ref in escalation.sent or ref in step.targets or ref in step.failed:
                    continue
                person, why = self._person(ref, now)
                if person is None:
                    step.failed[ref] = why
                    continue
                step.targets[ref] = person
                wanted.setdefault(person, []).append(Want(group, pages, step=step))
            steps.append(step)
        return steps

    def _person(self, ref: str, now: int) -> tuple[Recipient | None, str]:
        """Whom a recipient (as written) pages now: a person, or None and why nobody."""
        try:
            recipient = parse_recipient(ref)
        except ValueError as exc:
            logger.error("escalation recipient not understood", extra={"recipient": ref, "reason": str(exc)})
            return None, "not a recipient"
        if recipient.schedule is None:
            return recipient, ""
        try:
            person = self.resolve(recipient, now)
        except Exception:  # noqa: BLE001 - a broken schedule must not stop the other escalations
            logger.exception("schedule not resolved", extra={"schedule": recipient.schedule})
            person = None
        if not person:
            logger.error("nobody on call to page", extra={"schedule": recipient.schedule, "recipient": ref})
            return None, f"nobody on call in schedule {recipient.schedule}"
        return recipient.to(person), ""

    def _want_queued(
        self, queued: list[QueuedPage], silences: list[Any], now: int, wanted: dict[Recipient, list[Want]]
    ) -> None:
        """The router's pages that waited for their recipient's slot, added to `wanted`; those resolved,
        acknowledged or muted meanwhile dropped, as are those whose recipient pages nobody now."""
        groups: dict[str, GroupState | None] = {}
        for page in queued:
            if page.key not in groups:
                groups[page.key] = self.groups.get_group(page.key)
            group = groups[page.key]
            pages = self._pages(page.episode, group, silences, now)
            person = None
            if group is not None and pages and page.fingerprint in pages and not group.clicks.ack_by:
                person, _ = self._person(page.recipient, now)
            if group is None or person is None or not pages:
                self.outbox.drop_queued_pages([page])  # not worth it any more, or nobody to send it to
                continue
            wanted.setdefault(person, []).append(
                Want(group, {page.fingerprint: pages[page.fingerprint]}, queued=page)
            )

    def _deliver(
        self, wanted: dict[Recipient, list[Want]], now: int, outcome: EscalationOutcome
    ) -> dict[Recipient, Delivery]:
        """One SMS or call per person with everything due to them; the queued pages it sent noted."""
        delivered: dict[Recipient, Delivery] = {}
        for person, wants in wanted.items():
            members = list({fp: m for want in wants for fp, m in want.pages.items()}.values())
            delivery = delivered[person] = self.delivery.deliver(
                person, members, now, _context(wants, person)
            )
            _count(person, delivery, outcome)
            done = delivery.result == Delivered.SENT or (
                delivery.result == Delivered.FAILED and not delivery.retryable
            )
            if done:  # a retryable failure keeps them queued for the next run
                self.outbox.drop_queued_pages([w.queued for w in wants if w.queued is not None])
            if delivery.result != Delivered.SENT:
                continue
            for want in wants:
                if want.queued is not None:
                    self.notes.note(
                        want.group,
                        "",
                        "sms" if person.channel == "sms" else "call",
                        {
                            "to": person.person,
                            "alerts": sorted(want.pages),
                            "titles": [m.title for m in want.pages.values()],
                        },
                        now,
                    )
        return delivered

    def _record(
        self, steps: list[Step], delivered: dict[Recipient, Delivery], now: int, outcome: EscalationOutcome
    ) -> list[EscalationState]:
        """Each step paged: said in its thread and history; on to the next step once the whole step was
        paged, at once when it reached nobody; else the recipients done noted (the rest were paced, or their
        call is tried again). Returns the escalations moved on at once, as they now are."""
        moved: list[EscalationState] = []
        for step in steps:
            escalation = step.escalation
            reached, failed, waiting = set(escalation.sent), dict(step.failed), False
            for ref, person in step.targets.items():
                delivery = delivered[person]
                gave_up = (
                    delivery.result == Delivered.RETRY and now - escalation.next_ms >= escalation.after_ms
                )
                if delivery.result == Delivered.SENT:
                    reached.add(ref)
                    self.notes.paged(step, person, now)
                elif delivery.result == Delivered.FAILED or gave_up:
                    failed[ref] = delivery.reason or "not sent"
                    outcome.failures += gave_up  # (a refusal for now, counted once it is final)
                else:
                    waiting = True
            for ref, why in failed.items():
                self.notes.failed(step, ref, step.targets.get(ref), why, now)
                if ref not in step.targets:  # (nobody on call, not a recipient: no delivery counted it)
                    outcome.failures += 1
                    if ref.startswith(CALL):
                        outcome.voice_failures += 1
                    else:
                        outcome.sms_failures += 1
            if waiting:
                done = reached | set(failed)  # the failed noted done too: not tried again while others wait
                if done != set(escalation.sent):
                    self.escalations.advance_escalation(escalation, {"sent": sorted(done)})
                continue
            at_once = bool(failed) and not reached
            after = self._advance(escalation, now, at_once=at_once)
            if at_once:
                outcome.moved_on += 1
                self.notes.moved_on(step, after, now)
                if after is not None and not after.done:
                    moved.append(after)
        return moved

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

    def _advance(
        self, escalation: EscalationState, now: int, *, at_once: bool = False
    ) -> EscalationState | None:
        """On to the next step (after `after`, or now when this one reached nobody); the escalation as it now
        is, None if someone else moved it meanwhile."""
        step, rounds = escalation.step + 1, escalation.round
        if step >= len(escalation.steps):
            step, rounds = 0, rounds + 1
        changes: EscalationChanges
        if rounds > escalation.repeat:
            # Nobody left to page. Kept, marked done, so that a later flush of this episode does not start
            # it over (reminders after an acknowledgement still come); it ends with the episode.
            changes = {"done": True, "sent": [], "next_ms": now + escalation.after_ms}
        else:
            next_ms = now if at_once else now + escalation.after_ms
            changes = {"step": step, "round": rounds, "sent": [], "next_ms": next_ms}
        if not self.escalations.advance_escalation(escalation, changes):
            return None
        return EscalationState.model_validate(
            {**escalation.model_dump(), **changes, "rev": escalation.rev + 1}
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
            self.notes.note(
                group,
                f"⏰ Still firing, acknowledged by {mention(group.clicks.ack_by)} "
                f"{human_duration(now - group.clicks.ack_ms)} ago",
                "reminder",
                {"ack_by": group.clicks.ack_by},
                now,
            )


class EscalationNotes(GroupNotes):
    """What the escalator says of its pages: a history entry, and a line in the group's Slack thread(s)."""

    def paged(self, step: Step, person: Recipient, now: int) -> None:
        escalation = step.escalation
        where = f"step {escalation.step + 1} of {len(escalation.steps)}"
        name = escape(person.person or "")
        if person.channel == "voice":
            text = f"📞 Not acknowledged: called {name} ({where})"
        else:
            text = f"📟 Not acknowledged: paged {name} (escalation {where})"
        detail = {
            "to": person.person,
            "by": "call" if person.channel == "voice" else "sms",
            "step": escalation.step + 1,
            "round": escalation.round,
            "alerts": len(step.pages),
        }
        self.note(step.group, text, "escalation", detail, now)

    def failed(self, step: Step, ref: str, person: Recipient | None, why: str, now: int) -> None:
        escalation = step.escalation
        channel = person.channel if person is not None else None
        verb = {"voice": "call", "sms": "text"}.get(channel or "", "page")
        who = person.person if person is not None else ref
        text = (
            f"⚠️ Could not {verb} {escape(who or ref)} ({escape(why)}) "
            f"(step {escalation.step + 1} of {len(escalation.steps)})"
        )
        detail = {"to": ref, "step": escalation.step + 1, "round": escalation.round, "reason": why}
        self.note(step.group, text, "escalation_failed", detail, now)

    def moved_on(self, step: Step, after: EscalationState | None, now: int) -> None:
        escalation, total = step.escalation, len(step.escalation.steps)
        if after is None or after.done:
            then = "no step left to page"
        else:
            then = f"moving on to step {after.step + 1} of {total} now"
        text = f"⏭️ Step {escalation.step + 1} of {total} reached nobody: {then}"
        detail = {
            "from_step": escalation.step + 1,
            "round": escalation.round,
            "done": after is None or after.done,
        }
        self.note(step.group, text, "escalation_moved_on", detail, now)


def _count(person: Recipient, delivery: Delivery, outcome: EscalationOutcome) -> None:
    voice = person.channel == "voice"
    if delivery.result == Delivered.SENT:
        outcome.pages.append((person.ref, delivery.said))
        if voice:
            outcome.calls += 1
        else:
            outcome.sms += 1
    elif delivery.result == Delivered.PACED:
        outcome.deferred += 1
    elif voice:
        outcome.voice_failures += 1
        outcome.failures += delivery.result == Delivered.FAILED
    else:
        outcome.sms_failures += 1
        outcome.failures += 1


def _context(wants: list[Want], person: Recipient) -> dict[str, str]:
    """What goes with a call to its delivery events: the escalation it is for, when it is for one, and whom
    it called (by name: an unanswered call is said in the thread, unanswered_calls.py)."""
    steps = {id(w.step): w.step for w in wants if w.step is not None}
    if len(steps) != 1 or any(w.queued is not None for w in wants):
        return {"pages": str(len(wants))}
    [step] = steps.values()
    escalation = step.escalation
    return {
        "group": escalation.key,
        "episode": str(escalation.episode),
        "step": str(escalation.step + 1),
        "round": str(escalation.round),
        "to": person.person or person.ref,
    }

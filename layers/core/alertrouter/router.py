"""The router's pipeline for one alert: state (dedupe) -> route -> group -> schedule or flush -> notify.

A group is flushed (its Slack message posted or edited, its pages sent) when Alertmanager's timings
say so: `group_wait` after it becomes pending, then at most once per `group_interval`. A flush that
is not yet due is scheduled as a delayed message on the router's own queue, so nothing waits in memory.
A flush is a pipeline of small stages under a lease on the group: new episode -> prune -> pages ->
what changed -> Slack -> release (which schedules a follow-up if changes arrived meanwhile).
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from alertrouter import failsafe
from alertrouter.failsafe import FailSafe
from alertrouter.models.alert import Alert, Severity, Status
from alertrouter.models.config import Receiver, ResolvedRoute, RoutingConfig
from alertrouter.models.silence import Silence, named_episodes, silencing
from alertrouter.models.state import AlertState, EscalationState, GroupState, Member, QueuedPage, SlackFailure
from alertrouter.notify.base import SMS_GAP_MS, NotifyError
from alertrouter.notify.render import (
    SlackMessage,
    group_status,
    render_change,
    render_group,
    render_sms,
    thread_note,
    utc_text,
    with_banner,
)
from alertrouter.notify.slack_failures import channel_label, fallback_banner, fix_for, is_token_error
from alertrouter.observability import ROUTER, module_logger
from alertrouter.routing.inhibit import inhibited_by, source_rules
from alertrouter.routing.timeintervals import next_change
from alertrouter.routing.tree import (
    DEFAULT_GROUP_INTERVAL,
    DEFAULT_GROUP_WAIT,
    DEFAULT_REPEAT_INTERVAL,
    group_identity,
    match_routes,
)
from alertrouter.sources.errors import MalformedEventError
from alertrouter.store.base import LeaseHeldError, StateStore

if TYPE_CHECKING:  # the adapters' types only: the router itself imports no AWS or HTTP library
    from alertrouter.notify.slack import SlackApi
    from alertrouter.notify.sms import SmsNotifier

logger = module_logger(ROUTER, __name__)

LEASE_MS = 120_000  # longer than the worst flush (pacing + retries), shorter than the queue's visibility
BUSY_RETRY_S = 5  # when another worker holds the flush lease, look again this much later
PRUNE_BATCH = 25  # members dropped per flush: one conditional DynamoDB update, all or none
MAX_HOP_MS = 900_000  # a muted group is looked at again at least this often (SQS's longest delay)
DECISION_CACHE = 4096  # label sets whose routing is remembered per process
SILENCE_CACHE_MS = 5_000  # silences are read at most this often per process (a storm flushes many groups)
CLICK_REREAD_MS = 500  # before an edit, clicks are read again if the last read is older than this
RESOLVE_KIND = "alertrouter.resolve"
EXPIRE_KIND = "alertrouter.expire"
REDRAW_KIND = "alertrouter.redraw"
# A channel Slack refused for good is tried again by a scheduled flush after these waits (then every 15 min)
# while its group still fires: it heals soon after the app is invited back, without one call per second.
SLACK_RETRY_S = (60, 300, 900)
SLACK_RETRY_GAP_MS = 60_000  # the group's own flushes try it again no sooner than this after the last try
OPS_PAGE_GAP_MS = 3_600_000  # one ops page per cause per hour, whichever worker meets it
OPS_RECIPIENT = "ops-topic"  # how a page to the ops topic is recorded among a group's SMS pages


class FlushScheduler(Protocol):
    def schedule(self, key: str, route_id: str, delay_s: int, due_ms: int) -> None: ...


class OpsPager(Protocol):
    """The stack's ops topic: for what cannot be said in Slack (its token refused)."""

    def page(self, subject: str, message: str) -> None: ...


class GroupFullError(MalformedEventError):
    """A group already holds MAX_GROUP_MEMBERS alerts, none resolved, and this alert cannot be only counted."""


@dataclass
class Outcome:
    """What handling one alert or flush did (for logs, metrics, tests and the CLI)."""

    applied: int = 0
    duplicates: int = 0
    scheduled: int = 0
    flushed: int = 0
    posts: int = 0
    updates: int = 0
    thread_notes: int = 0
    sms: int = 0
    sms_failures: int = 0
    sms_queued: int = 0
    overflowed: int = 0  # firing alerts only counted: their group was full
    slack_failures: dict[str, int] = field(default_factory=dict)  # Slack error code -> channels it refused
    slack_healed: int = 0  # channels refused earlier that took the group's message again
    slack_fallbacks: int = 0  # messages posted to a fallback channel
    ops_pages: int = 0
    groups: list[str] = field(default_factory=list)

    def add(self, other: Outcome) -> None:
        self.applied += other.applied
        self.duplicates += other.duplicates
        self.scheduled += other.scheduled
        self.flushed += other.flushed
        self.posts += other.posts
        self.updates += other.updates
        self.thread_notes += other.thread_notes
        self.sms += other.sms
        self.sms_failures += other.sms_failures
        self.sms_queued += other.sms_queued
        self.overflowed += other.overflowed
        for cause, count in other.slack_failures.items():
            self.slack_failures[cause] = self.slack_failures.get(cause, 0) + count
        self.slack_healed += other.slack_healed
        self.slack_fallbacks += other.slack_fallbacks
        self.ops_pages += other.ops_pages
        self.groups.extend(other.groups)


def visible_members(group: GroupState) -> dict[str, Member]:
    """Members the current message shows: those this episode has announced, plus the others that are not
    resolved and not muted (silenced, inhibited, outside the route's active time)."""
    return {
        fp: m
        for fp, m in group.members.items()
        if fp in group.notified or (m.status != "resolved" and fp not in group.muted)
    }


def _lease_id() -> str:
    """Unique enough to tell workers apart (no syscall, no UUID object: this is on every flush)."""
    return f"{random.getrandbits(128):032x}"


class Decision(NamedTuple):
    """Where an alert goes: a pure function of its labels and the (static) config."""

    routes: tuple[ResolvedRoute, ...]
    groups: tuple[
        tuple[str, dict[str, str]], ...
    ]  # per route: the group's key and its labels (not to be edited)
    inhibits: bool  # whether it can be the source of an inhibition


@dataclass(frozen=True)
class Mutes:
    """Why members are not sent now, and when to look again (0: nothing to wait for)."""

    reasons: dict[str, str]
    held: frozenset[str]  # flapping: shown, but not paged until it settles
    resume_at_ms: int


class Router:
    def __init__(
        self,
        config: RoutingConfig,
        store: StateStore,
        scheduler: FlushScheduler,
        *,
        slack: SlackApi | None = None,
        sms: SmsNotifier | None = None,
        ops: OpsPager | None = None,
        account_label: str = "",
        slack_token_secret: str = "",
        fail_safe: FailSafe | None = None,
        now_ms: Callable[[], int] = lambda: int(time.time() * 1000),
    ) -> None:
        self.config = config
        # the routing used while the config is invalid; its groups outlive it (and are finished by any config)
        self.fail_safe = fail_safe or FailSafe(channel="#alerts")
        self.store = store
        self.scheduler = scheduler
        self.slack = slack
        self.sms = sms
        self.ops = ops
        self.account_label = account_label
        self.slack_token_secret = slack_token_secret  # named in the fix of a refused token
        self.now_ms = now_ms
        self._routes: dict[str, ResolvedRoute] = {}
        # labels -> where the alert goes: the same alarms recur all through a storm; bounded by clearing, so
        # memory stays flat
        self._decisions: dict[tuple[tuple[str, str], ...], Decision] = {}
        self._silences: tuple[int, list[Silence]] = (-SILENCE_CACHE_MS, [])

    def _history(self, key: str, kind: str, detail: dict[str, Any]) -> None:
        """History is for people reading it later: a failure to write it never fails (and so never
        repeats) the notification it describes."""
        try:
            self.store.add_history(key, self.now_ms(), kind, detail)
        except Exception:  # noqa: BLE001 - logged; the send it describes already happened
            logger.warning("history entry not written", extra={"group": key, "kind": kind}, exc_info=True)

    # ---- one alert ----
    def routes_for(self, labels: dict[str, str]) -> tuple[ResolvedRoute, ...]:
        return self._decide(labels).routes

    def _decide(self, labels: dict[str, str]) -> Decision:
        """Where an alert with these labels goes (routes and their groups), and whether it can inhibit."""
        items = tuple(labels.items())
        decision = self._decisions.get(items)
        if decision is None:
            routes = tuple(match_routes(self.config, labels))
            for route in routes:
                self._routes[route.id] = route
            rules = self.config.inhibit_rules
            decision = Decision(
                routes,
                tuple(group_identity(route, labels) for route in routes),
                bool(rules) and bool(source_rules(rules, labels)),
            )
            if len(self._decisions) >= DECISION_CACHE:
                self._decisions.clear()
            self._decisions[items] = decision
        return decision

    def handle(self, alert: Alert) -> Outcome:
        """Apply one alert. Idempotent: a repeated or older delivery changes nothing and sends nothing."""
        now = self.now_ms()
        outcome = Outcome()
        applied = self.store.apply_alert(alert, now)
        if applied.applied:
            outcome.applied += 1
        else:
            outcome.duplicates += 1
        # Even for a duplicate, bring the groups up to the stored state: every write below is conditional on
        # the event's time, so a redelivery repeats them harmlessly and repairs a crash between them.
        state = applied.state
        decision = self._decide(state.labels)
        if decision.inhibits:
            self.store.set_inhibit_source(
                state.fingerprint, state.labels, state.ts_ms, state.status == "firing"
            )
        member = Member.of(state)
        if state.one_shot and state.status == "firing":
            timeout = min(int(r.resolve_timeout.total_seconds() * 1000) for r in decision.routes)
            self.store.set_expiry(state.fingerprint, state.ts_ms, now + timeout)
        routes, groups = decision.routes, decision.groups
        if self.fail_safe.active:
            if state.failsafe_group != groups[0][0]:
                self.store.set_failsafe_group(state.fingerprint, state.ts_ms, groups[0][0])
        elif state.failsafe_group:
            # this episode joined a fail-safe group while the config was invalid: its message hears the rest
            routes = (*routes, self.fail_safe.route)
            groups = (*groups, (state.failsafe_group, group_identity(self.fail_safe.route, state.labels)[1]))
        for route, (key, labels) in zip(routes, groups, strict=True):
            outcome.groups.append(key)
            group = self.store.upsert_member(
                key, route.id, route.receiver, labels, state.fingerprint, member, now
            )
            if state.fingerprint not in group.members and state.status != "resolved":
                group = self._join_full_group(group, state, member, applied.applied, outcome, now)
            if group.pending:
                outcome.add(self._flush_or_schedule(group, route, now))
            elif group.resume_at_ms and group.flush_at_ms <= now:
                # Muted members wait for a look that no message is on its way for (its scheduling failed
                # after the release): any event of the group schedules it again.
                outcome.add(self._schedule(group, route, group.resume_at_ms, now))
        return outcome

    def _join_full_group(
        self, group: GroupState, state: AlertState, member: Member, first: bool, outcome: Outcome, now: int
    ) -> GroupState:
        """An alert the full group refused takes the place of a resolved member (so a group whose alerts all
        resolved still announces the next one). With none resolved: a firing one-shot alert (a failed job) is
        counted by reason, once (a redelivery is not counted again); any other alert (an alarm, whose next
        event may be hours away) is refused into the DLQ with the reason, never dropped."""
        for _ in range(3):
            resolved = [fp for fp, m in group.members.items() if m.status == "resolved"]
            # a random few: concurrent workers that read the same group would all race for the oldest
            for old in random.sample(resolved, min(3, len(resolved))):
                replaced = self.store.replace_member(group, old, state.fingerprint, member, now)
                if replaced is not None:
                    return replaced
            if not resolved:
                break
            fresh = self.store.get_group(group.key)  # the places tried were taken: look again
            if fresh is None or state.fingerprint in fresh.members:
                return fresh or group
            group = fresh
        if not (state.one_shot and state.status == "firing"):
            raise GroupFullError(
                f"group {group.key} holds {len(group.members)} alerts, none resolved: alert "
                f"{state.fingerprint} ({state.title[:80]}) is kept in the DLQ; redrive it once "
                "the group has room"
            )
        if first:
            outcome.overflowed += 1
            return self.store.count_overflow(group, member.reason or "unspecified", now)
        return group

    def _due_ms(self, group: GroupState, route: ResolvedRoute) -> int:
        if not group.slack_ts:
            # No message this episode yet: group_wait counts from when the group last became pending,
            # so a flap that ended silently does not make the next firing skip the wait.
            return (group.pending_since_ms or group.created_ms) + int(route.group_wait.total_seconds() * 1000)
        return group.last_notified_ms + int(route.group_interval.total_seconds() * 1000)

    def _next_due(self, group: GroupState, route: ResolvedRoute) -> int:
        """When the group should next be flushed: for its changes, else to look at muted members again."""
        return self._due_ms(group, route) if group.pending else group.resume_at_ms

    def _flush_or_schedule(self, group: GroupState, route: ResolvedRoute, now: int) -> Outcome:
        due = self._next_due(group, route)
        if due <= now:
            try:
                return self.flush(group.key, route.id)
            except LeaseHeldError:
                # Another worker is flushing. Its release schedules a follow-up if it did not see this
                # change; a crash of that worker brings its own record back. So a look a little later,
                # deduplicated like any schedule, is enough.
                return self._schedule(group, route, now + BUSY_RETRY_S * 1000, now)
        return self._schedule(group, route, due, now)

    def _schedule(
        self, group: GroupState, route: ResolvedRoute, due: int, now: int, *, force: bool = False
    ) -> Outcome:
        # A mark in the future is a flush message on its way; one in the past is being, or was, handled.
        if not force and due >= group.flush_at_ms > now:
            return Outcome()
        # Send first, then mark: a lost mark costs one spare flush; a lost message would cost a flush.
        self.scheduler.schedule(group.key, route.id, max(1, -(-(due - now) // 1000)), due)
        self.store.mark_flush_scheduled(group.key, due)
        return Outcome(scheduled=1)

    def receiver(self, name: str) -> Receiver:
        """The config's receiver of that name; the fail-safe one's groups are finished whatever the config."""
        try:
            return self.config.receiver(name)
        except KeyError:
            if name == failsafe.RECEIVER:
                return self.fail_safe.receiver
            raise

    # ---- one flush ----
    def route_by_id(self, route_id: str, group: GroupState) -> ResolvedRoute:
        if route_id == failsafe.ROUTE_ID:
            return self.fail_safe.route
        if route_id in self._routes:
            return self._routes[route_id]
        # Not seen in this process yet: rebuild it from a member's labels (routes are pure functions).
        for fp in group.members:
            state = self.store.get_alert(fp)
            if state is not None:
                for route in self.routes_for(state.labels):
                    if route.id == route_id:
                        return route
        # The route is gone from the config (edited or reordered): finish with the group's own receiver
        # and the default timings rather than strand what it holds.
        self.receiver(group.receiver)  # KeyError if the receiver went too: nothing left to send to
        logger.warning("route no longer in the config", extra={"route": route_id, "group": group.key})
        return ResolvedRoute(
            id=route_id,
            receiver=group.receiver,
            group_by=(),
            group_wait=DEFAULT_GROUP_WAIT,
            group_interval=DEFAULT_GROUP_INTERVAL,
            repeat_interval=DEFAULT_REPEAT_INTERVAL,
        )

    def flush_due(self, key: str, route_id: str, due_ms: int | None = None) -> Outcome:
        """A scheduled flush arrived: flush now if due, else send it on for the rest of the wait.
        `due_ms` is the time the message was scheduled for: a message that is no longer the group's
        scheduled one (another, earlier, is on its way) is dropped, so messages never pile up."""
        group = self.store.get_group(key)
        if group is None or not (group.pending or group.resume_at_ms):
            return Outcome()
        now = self.now_ms()
        if due_ms is not None and group.flush_at_ms > now and group.flush_at_ms != due_ms:
            return Outcome()  # superseded: the message for flush_at_ms will come
        route = self.route_by_id(route_id, group)
        due = self._next_due(group, route)
        if due > now:
            # Early (SQS delays are capped at 15 min, clocks drift): this message carries the schedule,
            # so it is sent on for what is left of the wait.
            return self._schedule(group, route, due, now, force=True)
        return self._flush_or_schedule(group, route, now)

    def flush(self, key: str, route_id: str) -> Outcome:
        """Notify the group's receiver of everything that changed since the last notification."""
        lease = _lease_id()
        now = self.now_ms()
        group = self.store.claim(key, lease, now, LEASE_MS)
        outcome = Outcome(flushed=1)
        try:
            after = self._notify(group, route_id, lease, now, outcome)
        except Exception:
            # Free the group at once so the retry (or another worker) need not wait for the lease to expire;
            # nothing else changes (it stays pending, its pending-since kept).
            with contextlib.suppress(Exception):
                self.store.release(key, lease, {}, 0, claimed_version=None)
            raise
        if after.pending or after.resume_at_ms:
            # Changes arrived while this flush ran (their own flush attempt found the lease taken), or
            # muted members must be looked at again: the next flush is scheduled here, none is stranded.
            route = self.route_by_id(route_id, after)
            outcome.add(self._schedule(after, route, self._next_due(after, route), now))
        return outcome

    def _notify(self, group: GroupState, route_id: str, lease: str, now: int, outcome: Outcome) -> GroupState:
        """The flush pipeline: new episode? -> prune -> what changed -> pages (SMS) -> Slack -> record what
        was sent. Returns the group as the release left it."""
        version = group.version
        receiver = self.receiver(group.receiver)
        route = self.route_by_id(route_id, group)
        group = self._prune(self._maybe_new_episode(group, lease, route, now), receiver.sms, lease)
        mutes = self.mutes(group, route, now)
        all_resolved = group_status(group) == "resolved"
        self._note_mutes(group, mutes)
        shown_changed = group.muted != mutes.reasons or set(group.flapping) != mutes.held
        if shown_changed:
            # What the message shows changed without a new version (a silence ended, a flap settled):
            # every channel is redone (`channel_notified` keeps a retry from repeating thread notes).
            group = group.model_copy(update={"slack_done": {}})
        group = self._unmute(group, mutes, receiver.sms)
        members = visible_members(group)
        group = group.model_copy(update={"members": members})
        kept = {"muted": mutes.reasons, "flapping": sorted(mutes.held), "resume_at_ms": mutes.resume_at_ms}
        if not group.slack_ts and (not members or group_status(group) == "resolved"):
            # Everything resolved (or muted) before anyone was told: nothing worth a message.
            return self.store.release(
                group.key,
                lease,
                {"notified_version": version, **kept},
                now,
                expires=all_resolved,
                claimed_version=version,
            )
        paged = self._send_pages(group, receiver.sms, receiver.sms_severities, lease, outcome, mutes)
        if receiver.name == failsafe.RECEIVER and self.fail_safe.active:
            page_again = self._page_ops_config_invalid(group, lease, outcome, mutes, now)
            if page_again:
                kept["resume_at_ms"] = min(t for t in (mutes.resume_at_ms, page_again) if t)
        notified, thread_lines = self._changes(group, route, now)
        if self.slack is not None and receiver.slack:
            failed = self._send_slack(
                group, receiver, thread_lines, notified, route, version, lease, now, outcome
            )
            if failed and not all_resolved:  # looked at again (scheduled) until the channels heal
                kept["resume_at_ms"] = min(t for t in (mutes.resume_at_ms, _slack_retry_at(failed, now)) if t)
        # The escalation's clock starts with the first page sent (or queued for pacing); a route with
        # reminders but no pages starts it when a firing alert is shown.
        shown_firing = any(
            m.status == "firing" and fp not in mutes.reasons and fp not in mutes.held
            for fp, m in members.items()
        )
        if (route.escalation or route.reminder_interval) and (
            paged or (route.reminder_interval and not receiver.sms and shown_firing)
        ):
            self._start_escalation(group, route, now)
        # Alerts counted (not kept) belong to the episode now announced resolved: the next one counts afresh.
        ended: dict[str, Any] = {"overflow": {}} if all_resolved and group.overflow else {}
        # a flush that only retried a refused channel is not a notification: group_interval still counts
        # from the last one, so the healthy channels' next edit is not pushed back
        news = version > group.notified_version or shown_changed
        return self.store.release(
            group.key,
            lease,
            {
                "notified_version": version,
                "notified": notified,
                "last_notified_ms": now if news else group.last_notified_ms,
                "channel_notified": {},
                **kept,
                **ended,
            },
            now,
            expires=all_resolved,
            claimed_version=version,
        )

    # ---- muting: silences, inhibition, time intervals, flapping ----
    def _note_mutes(self, group: GroupState, mutes: Mutes) -> None:
        """History of what started or stopped being held back, and why (a silence, an inhibition...)."""
        newly = {fp: reason for fp, reason in mutes.reasons.items() if group.muted.get(fp) != reason}
        if newly:
            self._history(
                group.key, "muted", {"alerts": sorted(newly), "reasons": sorted(set(newly.values()))[:5]}
            )
        back = sorted(fp for fp in group.muted if fp not in mutes.reasons)
        if back:
            self._history(group.key, "unmuted", {"alerts": back})

    def active_silences(self, now: int) -> list[Silence]:
        read_at, silences = self._silences
        if now - read_at >= SILENCE_CACHE_MS or now < read_at:
            silences = [s for s in self.store.silences() if s.ends_at_ms > now]
            self._silences = (now, silences)
        return [s for s in silences if s.ends_at_ms > now]

    def mutes(self, group: GroupState, route: ResolvedRoute, now: int) -> Mutes:
        """Decide, at flush time as Alertmanager does, which firing members are not to be sent."""
        firing = {fp: m for fp, m in group.members.items() if m.status != "resolved"}
        reasons: dict[str, str] = {}
        wake: list[int] = []
        if firing and (route.mute_time_intervals or route.active_time_intervals):
            reason, change = self._time_muted(route, now)
            if reason:
                reasons.update(dict.fromkeys(firing, reason))
            wake.append(change)
        silences = self.active_silences(now) if firing else []
        rules = self.config.inhibit_rules
        some_unmuted = len(reasons) < len(firing)
        # firing inhibition sources; with none (and no silence) nothing can mute: the members are not read
        sources = self.store.inhibit_sources() if rules and some_unmuted else {}
        if (silences or sources) and some_unmuted:
            states = self.store.get_alerts([fp for fp in firing if fp not in reasons])
            episodes = named_episodes(silences, {group.key: group.episode}, self.store.episode_of)
            for fp, state in states.items():
                silence = silencing(silences, fp, state.labels, now, episodes)
                if silence is not None:
                    reasons[fp] = f"silenced by {silence.created_by} until {utc_text(silence.ends_at_ms)}"
                    wake.append(silence.ends_at_ms)
                    continue
                rule = inhibited_by(rules, fp, state.labels, sources)
                if rule is not None:
                    reasons[fp] = (
                        "inhibited by a firing alert ("
                        + ", ".join(str(m) for m in rule.source_matchers)
                        + ")"
                    )
                    wake.append(now + int(route.group_interval.total_seconds() * 1000))
        held = set()
        for fp, m in firing.items():
            until = m.flapping_until(route.flapping)
            if until > now:
                held.add(fp)
                wake.append(until)
        resume = min((t for t in wake if t > now), default=0)
        return Mutes(reasons, frozenset(held), min(resume, now + MAX_HOP_MS) if resume else 0)

    def _time_muted(self, route: ResolvedRoute, now: int) -> tuple[str, int]:
        """Whether the route is muted by its time intervals now (the reason), and when that next changes."""
        at = datetime.fromtimestamp(now / 1000, UTC)
        named = {t.name: t for t in self.config.time_intervals}
        mute = [named[n] for n in route.mute_time_intervals]
        active = [named[n] for n in route.active_time_intervals]
        reason = ""
        if any(t.contains(at) for t in mute):
            reason = "muted during " + ", ".join(t.name for t in mute if t.contains(at))
        elif active and not any(t.contains(at) for t in active):
            reason = "outside " + ", ".join(t.name for t in active)
        horizon = timedelta(milliseconds=MAX_HOP_MS)
        changes = [
            c
            for c in (
                next_change(mute, at, horizon) if mute else None,
                next_change(active, at, horizon) if active else None,
            )
            if c is not None
        ]
        return reason, int(min(changes).timestamp() * 1000) if changes else now + MAX_HOP_MS

    def _unmute(self, group: GroupState, mutes: Mutes, sms_recipients: list[str]) -> GroupState:
        """Members muted at the last flush and sendable now (the silence ended, the source resolved) are
        sent as if new: forgotten by `notified`, so the thread hears of them, and paged again."""
        back = [
            fp
            for fp in group.muted
            if fp not in mutes.reasons and fp in group.members and group.members[fp].status != "resolved"
        ]
        if not back and group.muted == mutes.reasons and set(group.flapping) == mutes.held:
            return group  # nothing changed (the common case): no copy
        update: dict[str, Any] = {"muted": mutes.reasons, "flapping": sorted(mutes.held)}
        if back:
            update["notified"] = {fp: n for fp, n in group.notified.items() if fp not in back}
            update["sms_notified"] = {
                k: v for k, v in group.sms_notified.items() if k.rpartition("@")[0] not in back
            }
        return group.model_copy(update=update)

    def _start_escalation(self, group: GroupState, route: ResolvedRoute, now: int) -> None:
        policy = route.escalation
        after_ms = int(policy.after.total_seconds() * 1000) if policy else 0
        reminder_ms = int(route.reminder_interval.total_seconds() * 1000) if route.reminder_interval else 0
        self.store.start_escalation(
            EscalationState(
                key=group.key,
                episode=group.episode,
                next_ms=now + (after_ms or reminder_ms),
                after_ms=after_ms,
                steps=policy.steps if policy else (),
                repeat=policy.repeat if policy else 0,
                reminder_ms=reminder_ms,
            )
        )

    # ---- an acknowledgement clicked in one of the group's channels ----
    def redraw(self, key: str, episode: int, clicked: str = "") -> Outcome:
        """Show a click (stored, and drawn in the clicked message by the interactions function) in the group's
        messages in its other channels. Under the flush lease: a flush that holds it re-reads the clicks
        before its own edits, so then nothing is left to do here. `clicked` is the Slack channel id already
        redrawn."""
        group = self.store.get_group(key)
        if self.slack is None or group is None or group.episode != episode or len(group.slack_ts) < 2:
            return Outcome()
        lease = _lease_id()
        now = self.now_ms()
        try:
            group = self.store.claim(key, lease, now, LEASE_MS)
        except LeaseHeldError:
            return Outcome()
        outcome = Outcome()
        try:
            message = render_group(group.model_copy(update={"members": visible_members(group)}), now)
            own = self._configured_channels(group)
            for channel, ts in group.slack_ts.items() if group.episode == episode else ():
                channel_id = group.slack_channels.get(channel, channel)
                if channel_id == clicked:
                    continue
                self.slack.learn(channel, channel_id)  # one pace and Retry-After with the flushes' calls
                try:
                    self.slack.update(
                        channel_id,
                        ts,
                        self._shown(group.receiver, message, group.slack_failed, channel, channel not in own),
                    )
                except NotifyError as exc:
                    if exc.retryable:
                        raise  # SQS brings the redraw back
                    # the click is stored: the group's next edit shows it there
                    logger.warning(
                        "click not redrawn", extra={"group": key, "channel": channel, "reason": str(exc)}
                    )
                    continue
                outcome.updates += 1
        finally:
            self.store.release(key, lease, {}, 0, claimed_version=None)
        return outcome

    # ---- a resolve clicked in Slack ----
    def resolve_group(
        self, key: str, episode: int, at_ms: int, fingerprints: list[str] | None = None
    ) -> Outcome:
        """Resolve, as of the click, the alerts the clicked message showed (`fingerprints`; without them, those
        the episode announced). Each goes through the normal path (conditional state write, every group it
        is in); an alert whose source reported anything after the click is left as the source says."""
        group = self.store.get_group(key)
        outcome = Outcome()
        if group is None or group.episode != episode:
            return outcome
        shown = fingerprints if fingerprints is not None else list(group.notified)
        states = self.store.get_alerts([fp for fp in shown if fp in group.members])
        for state in states.values():
            if state.status != "resolved" and state.ts_ms < at_ms:
                outcome.add(self._resolve_state(state, at_ms))
        return outcome

    def expire(self, fingerprint: str, ts_ms: int) -> Outcome:
        """A one-shot alert's resolve_timeout passed (the escalator says so): resolve it, unless it recurred
        since (a newer event) or is resolved already."""
        state = self.store.get_alert(fingerprint)
        if state is None or state.ts_ms != ts_ms or state.status == "resolved":
            return Outcome()
        return self._resolve_state(state, ts_ms + 1)

    def _resolve_state(self, state: AlertState, at_ms: int) -> Outcome:
        """Resolve an alert as of at_ms through the normal path (conditional state write, every group it is
        in), so a newer event from the source still wins."""
        return self.handle(
            Alert(
                source=state.source,
                status=Status.RESOLVED,
                severity=Severity(state.severity),
                title=state.title,
                summary=state.summary,
                labels=state.labels,
                annotations=state.annotations,
                timestamp=datetime.fromtimestamp(at_ms / 1000, UTC),
                fingerprint=state.fingerprint,
                one_shot=state.one_shot,
            )
        )

    def _prune(self, group: GroupState, sms_recipients: list[str], lease: str) -> GroupState:
        """Drop resolved alerts the message no longer needs, so a long-lived group stays small: those never
        announced, and (while others still fire) those already announced as resolved, as Alertmanager does.
        A pruned alert that fires again simply joins again. At most PRUNE_BATCH per flush."""
        still_firing = any(m.status != "resolved" for m in group.members.values())
        # A message posted but not yet recorded in `notified` (a crash between the two) may show alerts
        # that `notified` does not know: then "never announced" cannot be told apart, so keep them.
        knows_announced = bool(group.notified) or not group.slack_ts
        gone = {
            fp: m.ts_ms
            for fp, m in group.members.items()
            if m.status == "resolved"
            and (
                (fp not in group.notified and knows_announced)
                or (still_firing and fp in group.notified and group.notified[fp].status == "resolved")
            )
        }
        # DynamoDB caps an expression at 4 KB: each member costs ~100 characters plus ~20 per SMS recipient
        batch = max(1, min(PRUNE_BATCH, 3000 // (100 + 20 * len(sms_recipients))))
        gone = dict(list(gone.items())[:batch])
        if not gone:
            return group
        sms_keys = [
            f"{fp}@{name}" for fp in gone for name in sms_recipients if f"{fp}@{name}" in group.sms_notified
        ]
        if not self.store.prune_members(group.key, lease, gone, sms_keys):
            return group  # a member changed meanwhile: try at the next flush
        return group.model_copy(
            update={
                "members": {fp: m for fp, m in group.members.items() if fp not in gone},
                "notified": {fp: n for fp, n in group.notified.items() if fp not in gone},
                "sms_notified": {k: v for k, v in group.sms_notified.items() if k not in sms_keys},
            }
        )

    def _maybe_new_episode(self, group: GroupState, lease: str, route: ResolvedRoute, now: int) -> GroupState:
        """A group announced as resolved that fires again gets a new message (a new episode), unless it is
        flapping: then its one message is edited back to firing."""
        announced_resolved = (
            bool(group.slack_ts)
            and bool(group.notified)
            and all(n.status == "resolved" for n in group.notified.values())
        )
        if not announced_resolved or group_status(group) == "resolved":
            return group
        if any(m.flapping_until(route.flapping) > now for m in group.members.values()):
            if group.resolved_by:  # it fires again: an earlier Resolve click no longer holds
                changes_: dict[str, Any] = {"resolved_by": "", "resolved_ms": 0}
                self.store.save_progress(group.key, lease, changes_)
                return group.model_copy(update=changes_)
            return group
        changes = {
            "episode": group.episode + 1,
            "slack_ts": {},
            "slack_channels": {},
            "notified": {},
            "slack_attempts": {},
            "slack_done": {},
            "channel_notified": {},
            "ack_by": "",
            "ack_ms": 0,
            "resolved_by": "",
            "resolved_ms": 0,
        }
        self.store.save_progress(group.key, lease, changes)
        return group.model_copy(update=changes)

    def _send_pages(
        self,
        group: GroupState,
        recipients: list[str],
        severities: list[str],
        lease: str,
        outcome: Outcome,
        mutes: Mutes,
    ) -> bool:
        """SMS first: a Slack outage must not delay a page. Each alert episode pages each recipient once
        (recorded per recipient, so a failure for the second never pages the first again). Muted and
        flapping alerts are not paged; a flapping one is, once it has settled and still fires.
        Returns whether a page went out (or was queued for pacing)."""
        paged = False
        if not recipients or self.sms is None:
            return paged
        firing = {
            fp: m
            for fp, m in group.members.items()
            if m.status == "firing"
            and m.severity in severities
            and fp not in mutes.reasons
            and fp not in mutes.held
        }
        sms_notified = dict(group.sms_notified)
        for name in recipients:
            pages = {
                fp: m for fp, m in firing.items() if sms_notified.get(f"{fp}@{name}") != str(m.starts_at_ms)
            }
            if not pages:
                continue
            now = self.now_ms()
            if not self.store.claim_sms_slot(name, now, SMS_GAP_MS):
                # Texted less than a minute ago: the escalator sends these on its next run, bundled with
                # whatever else is due to this recipient (one SMS per number per minute).
                self.store.queue_pages(
                    [
                        QueuedPage(
                            recipient=name,
                            key=group.key,
                            episode=group.episode,
                            fingerprint=fp,
                            member=m,
                            queued_ms=now,
                        )
                        for fp, m in pages.items()
                    ]
                )
                outcome.sms_queued += 1
                paged = True
                sms_notified.update({f"{fp}@{name}": str(m.starts_at_ms) for fp, m in pages.items()})
                self.store.save_progress(group.key, lease, {"sms_notified": sms_notified})
                self._history(group.key, "sms_queued", {"to": name, "alerts": sorted(pages)})
                continue
            try:
                masked = self.sms.send(name, render_sms(list(pages.values()), self.account_label))
            except NotifyError as exc:
                if exc.retryable:
                    with contextlib.suppress(Exception):  # the retry may text at once
                        self.store.release_sms_slot(name, now)
                    raise
                # A recipient that cannot be paged (not in the secret, number refused) must not stop the
                # other recipients nor the Slack message: logged loudly and counted, tried again next flush.
                logger.error("SMS recipient cannot be paged", extra={"recipient": name, "reason": str(exc)})
                outcome.sms_failures += 1
                continue
            outcome.sms += 1
            paged = True
            logger.info("SMS sent", extra={"to": masked, "group": group.key, "alerts": len(pages)})
            sms_notified.update({f"{fp}@{name}": str(m.starts_at_ms) for fp, m in pages.items()})
            self.store.save_progress(group.key, lease, {"sms_notified": sms_notified})
            self._history(
                group.key,
                "sms",
                {"to": name, "alerts": sorted(pages), "titles": [m.title for m in pages.values()][:10]},
            )
        return paged

    def _page_ops_config_invalid(
        self, group: GroupState, lease: str, outcome: Outcome, mutes: Mutes, now: int
    ) -> int:
        """While the config is invalid no on-call SMS goes out (their names were in it): a group's new critical
        alerts page the ops topic instead, each once per episode, one page per OPS_PAGE_GAP_MS across all
        workers. Returns when to try again for alerts the gap held back (0: none waits)."""
        critical = {
            fp: m
            for fp, m in group.members.items()
            if m.status == "firing"
            and m.severity == "critical"
            and fp not in mutes.reasons
            and fp not in mutes.held
            and group.sms_notified.get(f"{fp}@{OPS_RECIPIENT}") != str(m.starts_at_ms)
        }
        if not critical:
            return 0
        if self.ops is None:
            logger.error("no ops topic to page", extra={"group": group.key, "cause": failsafe.OPS_PAGE_CAUSE})
            return 0
        sent = self._page_ops(
            failsafe.OPS_PAGE_CAUSE,
            failsafe.OPS_PAGE_GAP_MS,
            *self.fail_safe.ops_page(self.account_label, list(critical.values())),
            now,
            outcome,
        )
        if sent is False:
            return now + failsafe.OPS_PAGE_GAP_MS  # another page went out within the gap: this one waits
        if sent is None:
            return now + SLACK_RETRY_GAP_MS  # the Slack message still goes out; the page is tried again
        sms_notified = {
            **group.sms_notified,
            **{f"{fp}@{OPS_RECIPIENT}": str(m.starts_at_ms) for fp, m in critical.items()},
        }
        self.store.save_progress(group.key, lease, {"sms_notified": sms_notified})
        self._history(group.key, "ops_page", {"cause": failsafe.OPS_PAGE_CAUSE, "alerts": sorted(critical)})
        logger.error(
            "ops paged: critical alerts while the routing config is invalid",
            extra={"group": group.key, "alerts": len(critical)},
        )
        return 0

    def _changes(self, group: GroupState, route: ResolvedRoute, now: int) -> tuple[dict[str, Any], list[str]]:
        """What changed since the last notification: the new `notified` record and the thread's lines.
        A repeat (same status, higher count) is noted in the thread at most once per repeat_interval."""
        notified: dict[str, Any] = {fp: n.model_dump() for fp, n in group.notified.items()}
        lines = []
        repeat_ms = route.repeat_interval.total_seconds() * 1000
        for fp, m in group.members.items():
            before = group.notified.get(fp)
            if fp in group.muted or (
                before is not None and (before.status, before.count) == (m.status, m.count)
            ):
                continue  # a muted member's news waits until it is unmuted
            # a flapping member's changes show in the message only: its thread would be all flaps
            quiet = fp in group.flapping or (
                before is not None and before.status == m.status and now - before.thread_ms < repeat_ms
            )
            if group.slack_ts and not quiet:
                lines.append(render_change(m, before.status if before else None))
            thread_ms = before.thread_ms if quiet and before is not None else now
            notified[fp] = {"status": m.status, "count": m.count, "thread_ms": thread_ms}
        return notified, lines

    def _with_clicks(self, group: GroupState, now: int) -> tuple[GroupState, SlackMessage, int]:
        """The group with the acknowledgement and manual resolve as stored now (a click may have landed since
        the claim; the interactions function redrew the message then, and this edit must not undo it)."""
        clicks = self.store.get_clicks(group.key)
        if clicks is not None:
            group = group.model_copy(update=clicks)
        return group, render_group(group, now), self.now_ms()

    def _send_slack(
        self,
        group: GroupState,
        receiver: Receiver,
        thread_lines: list[str],
        notified: dict[str, Any],
        route: ResolvedRoute,
        version: int,
        lease: str,
        now: int,
        outcome: Outcome,
    ) -> dict[str, SlackFailure]:
        """Post the group's message once per channel, then edit it in place; changes go to its thread.
        Each channel's part of this flush is recorded as done, so a retry redoes only the channels left.
        A channel Slack refuses for good (archived, app removed) is recorded and skipped: the others carry on,
        it is tried again later and, healed, gets the current message. When every channel is refused the
        message goes to the fallback channel; a refused token pages ops. Returns the channels still refused."""
        assert self.slack is not None
        group, message, read_at = self._with_clicks(group, now)
        progress = SlackProgress.of(group)
        own = [t.channel for t in receiver.slack]
        fallback = self.config.fallback_channel(receiver)
        # once used in an episode, the fallback's message is kept up to date like a channel's
        channels = [*own, fallback] if fallback and fallback in progress.slack_ts else own
        token_error: NotifyError | None = None
        unsaved = False
        for channel in channels:
            if progress.slack_done.get(channel) == version:
                continue
            failed = progress.slack_failed.get(channel)
            if failed is not None and now - failed.last_ms < SLACK_RETRY_GAP_MS:
                continue  # tried a moment ago: Slack is not asked again at every flush of a storm
            if token_error is not None:  # the token is refused: every call would be, not only this channel's
                self._channel_failed(group, channel, token_error, progress, now, outcome)
                unsaved = True
                continue
            lines = [] if failed is not None else thread_lines  # healed: the current message, not the history
            group, message, read_at, token_error = self._try_channel(
                group,
                channel,
                message,
                read_at,
                lines,
                notified,
                route,
                version,
                lease,
                now,
                outcome,
                progress,
                banner=channel not in own,
            )
            self.store.save_progress(group.key, lease, progress.fields())
            unsaved = False
        refused = [progress.slack_failed.get(c) for c in own]
        if (
            token_error is None
            and fallback
            and fallback not in progress.slack_ts
            and all(f is not None and not is_token_error(f.error) for f in refused)
        ):
            token_error = self._try_channel(
                group,
                fallback,
                message,
                read_at,
                [],
                notified,
                route,
                version,
                lease,
                now,
                outcome,
                progress,
                banner=True,
            )[3]
            outcome.slack_fallbacks += fallback in progress.slack_ts
            unsaved = True
        if unsaved:
            self.store.save_progress(group.key, lease, progress.fields())
        if token_error is not None:
            self._page_ops_token(token_error, now, outcome)
        return progress.slack_failed

    def _try_channel(
        self,
        group: GroupState,
        channel: str,
        message: SlackMessage,
        read_at: int,
        lines: list[str],
        notified: dict[str, Any],
        route: ResolvedRoute,
        version: int,
        lease: str,
        now: int,
        outcome: Outcome,
        progress: SlackProgress,
        *,
        banner: bool,
    ) -> tuple[GroupState, SlackMessage, int, NotifyError | None]:
        """_send_channel, with a permanent failure recorded instead of raised (a retryable one is raised: SQS
        brings the record back). The last item: the failure, if Slack refused the token itself."""
        try:
            return (
                *self._send_channel(
                    group,
                    channel,
                    message,
                    read_at,
                    lines,
                    notified,
                    route,
                    version,
                    lease,
                    now,
                    outcome,
                    progress,
                    banner=banner,
                ),
                None,
            )
        except NotifyError as exc:
            if exc.retryable:
                raise
            self._channel_failed(group, channel, exc, progress, now, outcome)
            return group, message, read_at, exc if is_token_error(exc.code) else None

    def _send_channel(
        self,
        group: GroupState,
        channel: str,
        message: SlackMessage,
        read_at: int,
        lines: list[str],
        notified: dict[str, Any],
        route: ResolvedRoute,
        version: int,
        lease: str,
        now: int,
        outcome: Outcome,
        progress: SlackProgress,
        *,
        banner: bool,
    ) -> tuple[GroupState, SlackMessage, int]:
        """Post or edit the group's message in one channel (and note the changes in its thread); records the
        progress. Returns the group, message and read time as the click re-read left them."""
        assert self.slack is not None
        if channel in group.channel_notified and lines:
            # This channel got ahead of its siblings in an earlier, partly failed flush: tell it only
            # what it has not been told.
            lines = self._changes(
                group.model_copy(update={"notified": group.channel_notified[channel]}), route, now
            )[1]
        ts = progress.slack_ts.get(channel)
        if channel in progress.slack_channels:
            self.slack.learn(channel, progress.slack_channels[channel])
        if ts is None:
            metadata = {"group": group.key, "episode": group.episode}
            # Recorded before posting: if this flush dies after Slack acted, the retry looks first.
            tried = progress.slack_attempts.get(channel) == group.episode
            if not tried:
                progress.slack_attempts[channel] = group.episode
                self.store.save_progress(group.key, lease, {"slack_attempts": progress.slack_attempts})
            shown = self._shown(group.receiver, message, progress.slack_failed, channel, banner)
            channel_id, ts = self.slack.post_once(
                channel, shown, metadata, oldest=group.created_ms / 1000 - 60, look_first=tried
            )
            progress.slack_ts[channel], progress.slack_channels[channel] = ts, channel_id
            outcome.posts += 1
            entry: dict[str, Any] = {
                "channel": channel,
                "ts": ts,
                "text": message.text,
                "episode": group.episode,
            }
            kind = "slack_post"
        else:
            # chat.update and threads take the channel id Slack answered the post with
            channel_id = progress.slack_channels.get(channel, channel)
            if self.now_ms() - read_at > CLICK_REREAD_MS:  # pacing took a while: a click may have landed
                group, message, read_at = self._with_clicks(group, now)
            self.slack.update(
                channel_id, ts, self._shown(group.receiver, message, progress.slack_failed, channel, banner)
            )
            outcome.updates += 1
            entry = {"channel": channel, "ts": ts, "text": message.text}
            kind = "slack_update"
            if lines:
                self.slack.post(channel_id, SlackMessage(text=thread_note(lines)), thread_ts=ts)
                outcome.thread_notes += 1
                entry["thread"] = lines[:20]
        progress.slack_done[channel] = version
        progress.channel_notified[channel] = notified
        healed = progress.slack_failed.pop(channel, None)
        self._history(group.key, kind, entry)
        if healed is not None:
            outcome.slack_healed += 1
            logger.info(
                "Slack channel reachable again",
                extra={
                    "group": group.key,
                    "channel": channel,
                    "cause": healed.error,
                    "tries": healed.tries,
                    "refused_for_s": (now - healed.at) // 1000,
                },
            )
            self._history(group.key, "slack_healed", {"channel": channel, "cause": healed.error})
        return group, message, read_at

    def _shown(
        self,
        receiver: str,
        message: SlackMessage,
        failed: dict[str, SlackFailure],
        channel: str,
        banner: bool,
    ) -> SlackMessage:
        """The message as a channel shows it: in a fallback channel, with why it is there; from a fail-safe
        group, with why it is in the default channel."""
        if receiver == failsafe.RECEIVER:
            message = with_banner(message, self.fail_safe.banner())
        if not banner:
            return message
        return with_banner(
            message,
            fallback_banner(
                {c: (f.error, self._fix(c, f.error, f.needed)) for c, f in failed.items() if c != channel}
            ),
        )

    def _configured_channels(self, group: GroupState) -> set[str]:
        """The receiver's own channels (any other channel with a message is its fallback)."""
        try:
            return {t.channel for t in self.receiver(group.receiver).slack}
        except KeyError:  # the receiver left the config: no channel is known to be a fallback
            return set(group.slack_ts)

    def _fix(self, channel: str, code: str, needed: str) -> str:
        return fix_for(code, channel, needed=needed, token_secret=self.slack_token_secret)

    def _channel_failed(
        self,
        group: GroupState,
        channel: str,
        exc: NotifyError,
        progress: SlackProgress,
        now: int,
        outcome: Outcome,
    ) -> None:
        """Record a channel Slack refused for good, loudly: an error log with the fix, a metric per cause."""
        code = exc.code or "unknown_error"
        before = progress.slack_failed.get(channel)
        progress.slack_failed[channel] = SlackFailure(
            error=code,
            episode=group.episode,
            at=before.at if before else now,
            last_ms=now,
            tries=before.tries + 1 if before else 1,
            needed=exc.needed,
        )
        outcome.slack_failures[code] = outcome.slack_failures.get(code, 0) + 1
        fix = self._fix(channel, code, exc.needed)
        logger.error(
            "Slack refuses the channel",
            extra={
                "group": group.key,
                "channel": channel_label(channel),
                "cause": code,
                "fix": fix,
                "reason": str(exc),
                "tries": progress.slack_failed[channel].tries,
            },
        )
        if before is None or before.error != code:
            self._history(group.key, "slack_refused", {"channel": channel, "cause": code, "fix": fix})

    def _page_ops_token(self, exc: NotifyError, now: int, outcome: Outcome) -> None:
        """A refused token silences every channel (a fallback too): tell ops through their topic, not Slack,
        at most once an hour per cause across all workers. Never fails the flush (the SMS went out already)."""
        cause = exc.code or "unknown_error"
        subject = f"AlertRouter {self.account_label}: Slack refuses its token ({cause})".replace("  ", " ")
        text = (
            f"{subject}. No Slack message can be posted or edited until it is fixed; SMS pages still go "
            f"out. Fix: {self._fix('', cause, exc.needed)}. Messages refused meanwhile are posted once "
            "the token works again."
        )
        if self.ops is None:
            logger.error("no ops topic to page", extra={"cause": cause, "page": text})
            return
        if self._page_ops(f"slack-{cause}", OPS_PAGE_GAP_MS, subject, text, now, outcome):
            logger.error("ops paged: Slack refuses the token", extra={"cause": cause})

    def _page_ops(
        self, cause: str, gap_ms: int, subject: str, text: str, now: int, outcome: Outcome
    ) -> bool | None:
        """One page to the ops topic, unless one for `cause` went out within `gap_ms` (across all workers):
        True sent, False held back by the gap, None failed (logged, never fatal; its slot given back, so the
        next flush pages instead)."""
        assert self.ops is not None
        try:
            if not self.store.claim_ops_page(cause, now, gap_ms):
                return False
        except Exception:  # noqa: BLE001 - a page is the fallback's fallback: logged, never fatal
            logger.exception("ops page not claimed", extra={"cause": cause})
            return None
        try:
            self.ops.page(subject, text)
        except Exception:  # noqa: BLE001
            logger.exception("ops page not published", extra={"cause": cause})
            with contextlib.suppress(Exception):
                self.store.release_ops_page(cause, now)
            return None
        outcome.ops_pages += 1
        return True


@dataclass
class SlackProgress:
    """What a flush has done in Slack so far (saved under the lease as it goes)."""

    slack_ts: dict[str, str]
    slack_channels: dict[str, str]
    slack_attempts: dict[str, int]
    slack_done: dict[str, int]
    channel_notified: dict[str, dict[str, Any]]
    slack_failed: dict[str, SlackFailure]

    @classmethod
    def of(cls, group: GroupState) -> SlackProgress:
        return cls(
            dict(group.slack_ts),
            dict(group.slack_channels),
            dict(group.slack_attempts),
            dict(group.slack_done),
            {c: {fp: n.model_dump() for fp, n in told.items()} for c, told in group.channel_notified.items()},
            dict(group.slack_failed),
        )

    def fields(self) -> dict[str, Any]:
        return {
            "slack_ts": self.slack_ts,
            "slack_channels": self.slack_channels,
            "slack_done": self.slack_done,
            "channel_notified": self.channel_notified,
            "slack_failed": {c: f.model_dump() for c, f in self.slack_failed.items()},
        }


def _slack_retry_at(failed: dict[str, SlackFailure], now: int) -> int:
    """When the next refused channel is due another try (backoff by its tries), within SQS's longest delay."""
    due = min(f.last_ms + SLACK_RETRY_S[min(f.tries, len(SLACK_RETRY_S)) - 1] * 1000 for f in failed.values())
    return min(max(due, now + 1000), now + MAX_HOP_MS)

"""The router's entry points: one alert (state (dedupe) -> route -> group -> schedule or flush), a scheduled
flush, a click redrawn, a group resolved from Slack, a one-shot alert expired.

A group is flushed (its Slack message posted or edited, its pages and webhooks sent) when Alertmanager's
timings say so: `group_wait` after it becomes pending, then on its `group_interval` ticks (routing/clock.py).
A flush that is not yet due is scheduled as a delayed message on the router's own queue, so nothing waits in
memory.
A flush is a pipeline of small stages under a lease on the group (`alertrouter.flush`): new episode -> prune
-> mute -> pages -> what changed -> Slack -> webhooks -> release (which schedules a follow-up if changes arrived
meanwhile).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from datetime import UTC, datetime

from alertrouter.failsafe import FailSafe
from alertrouter.flush.env import FlushEnv
from alertrouter.flush.lease import new_lease_id
from alertrouter.flush.outcome import Outcome
from alertrouter.flush.pipeline import FlushPipeline
from alertrouter.flush.redraw import Redraw
from alertrouter.flush.silences import SilenceCache
from alertrouter.joining import join_full_group
from alertrouter.limits import BUSY_RETRY_S, LEASE_MS
from alertrouter.models.alert import Alert, Severity, Status
from alertrouter.models.config import Receiver, ResolvedRoute, RoutingConfig
from alertrouter.models.state import AlertState, GroupState, Member
from alertrouter.notify.base import OpsPager, SlackApi, SmsSender, WebhookSender
from alertrouter.on_call_now import OnCallNow
from alertrouter.routebook import RouteBook
from alertrouter.routing.clock import next_due
from alertrouter.routing.tree import group_identity
from alertrouter.scheduling import FlushScheduler, FlushTimer
from alertrouter.store.base import LeaseHeldError, Stores


class Router:
    def __init__(
        self,
        config: RoutingConfig,
        stores: Stores,
        scheduler: FlushScheduler,
        *,
        slack: SlackApi | None = None,
        sms: SmsSender | None = None,
        ops: OpsPager | None = None,
        webhooks: WebhookSender | None = None,
        account_label: str = "",
        account_id: str = "",
        slack_token_secret: str = "",
        fail_safe: FailSafe | None = None,
        now_ms: Callable[[], int] = lambda: int(time.time() * 1000),
    ) -> None:
        # the routing used while the config is invalid; its groups outlive it (and are finished by any config)
        fail_safe = fail_safe or FailSafe(channel="#alerts")
        self._stores = stores
        self.routes = RouteBook(config, fail_safe, stores.alerts)
        self.env = FlushEnv(
            config,
            fail_safe,
            stores,
            self.routes,
            slack,
            sms,
            ops,
            account_label,
            slack_token_secret,
            now_ms,
            webhooks,
            OnCallNow({s.name: s for s in config.schedules}, stores.overrides) if config.schedules else None,
            account_id=account_id,
        )
        self.timer = FlushTimer(stores.groups, scheduler)
        self.silences = SilenceCache(stores.silences)  # shared by every flush of this process
        self.pipeline = FlushPipeline(self.env, self.silences)
        self.redrawing = Redraw(self.env)

    @property
    def config(self) -> RoutingConfig:
        return self.env.config

    @property
    def fail_safe(self) -> FailSafe:
        return self.env.fail_safe

    @property
    def stores(self) -> Stores:
        return self._stores

    def use(self, stores: Stores) -> None:
        """Every part works with these stores from now on (a test swaps in a counting one)."""
        self._stores = stores
        self.routes.store = stores.alerts
        self.timer.store = stores.groups
        self.silences.store = stores.silences
        if self.env.on_call is not None:
            self.env.on_call.store = stores.overrides
        self.env.use(stores)

    @property
    def slack(self) -> SlackApi | None:
        return self.env.slack

    @property
    def sms(self) -> SmsSender | None:
        return self.env.sms

    @property
    def now_ms(self) -> Callable[[], int]:
        return self.env.now_ms

    @now_ms.setter
    def now_ms(self, clock: Callable[[], int]) -> None:
        self.env.now_ms = clock

    # ---- routes ----
    def routes_for(self, labels: dict[str, str]) -> tuple[ResolvedRoute, ...]:
        return self.routes.decide(labels).routes

    def receiver(self, name: str) -> Receiver:
        """The config's receiver of that name; the fail-safe one's groups are finished whatever the config."""
        return self.routes.receiver(name)

    def route_by_id(self, route_id: str, group: GroupState) -> ResolvedRoute:
        return self.routes.route_by_id(route_id, group)

    # ---- one alert ----
    def handle(self, alert: Alert) -> Outcome:
        """Apply one alert. Idempotent: a repeated or older delivery changes nothing and sends nothing."""
        stores = self._stores
        now = self.env.now_ms()
        outcome = Outcome()
        applied = stores.alerts.apply_alert(alert, now)
        if applied.applied:
            outcome.applied += 1
        else:
            outcome.duplicates += 1
        # Even for a duplicate, bring the groups up to the stored state: every write below is conditional on
        # the event's time, so a redelivery repeats them harmlessly and repairs a crash between them.
        state = applied.state
        decision = self.routes.decide(state.labels)
        if decision.inhibits:
            stores.inhibit_sources.set_inhibit_source(
                state.fingerprint, state.labels, state.ts_ms, state.status == Status.FIRING
            )
        member = Member.of(state)
        if state.one_shot and state.status == Status.FIRING:
            timeout = min(int(r.resolve_timeout.total_seconds() * 1000) for r in decision.routes)
            stores.expiries.set_expiry(state.fingerprint, state.ts_ms, now + timeout)
        routes, groups = decision.routes, decision.groups
        fail_safe = self.env.fail_safe
        if fail_safe.active:
            if state.failsafe_group != groups[0][0]:
                stores.alerts.set_failsafe_group(state.fingerprint, state.ts_ms, groups[0][0])
        elif state.failsafe_group:
            # this episode joined a fail-safe group while the config was invalid: its message hears the rest
            routes = (*routes, fail_safe.route)
            groups = (*groups, (state.failsafe_group, group_identity(fail_safe.route, state.labels)[1]))
        for route, (key, labels) in zip(routes, groups, strict=True):
            outcome.groups.append(key)
            group = stores.groups.upsert_member(
                key, route.id, route.receiver, labels, state.fingerprint, member, now
            )
            if state.fingerprint not in group.members and state.status != Status.RESOLVED:
                group = join_full_group(stores.groups, group, state, member, applied.applied, outcome, now)
            self._after_join(group, route, now, outcome)
        return outcome

    def _after_join(self, group: GroupState, route: ResolvedRoute, now: int, outcome: Outcome) -> None:
        if group.pending:
            outcome.add(self._flush_or_schedule(group, route, now))
        elif group.muting.resume_at_ms and group.flush_at_ms <= now:
            # Muted members wait for a look that no message is on its way for (its scheduling failed
            # after the release): any event of the group schedules it again.
            outcome.add(self.timer.schedule(group, route, group.muting.resume_at_ms, now))

    def _flush_or_schedule(self, group: GroupState, route: ResolvedRoute, now: int) -> Outcome:
        due = next_due(group, route)
        if due <= now:
            try:
                return self.flush(group.key, route.id)
            except LeaseHeldError:
                # Another worker is flushing. Its release schedules a follow-up if it did not see this
                # change; a crash of that worker brings its own record back. So a look a little later,
                # deduplicated like any schedule, is enough.
                return self.timer.schedule(group, route, now + BUSY_RETRY_S * 1000, now)
        return self.timer.schedule(group, route, due, now)

    # ---- one flush ----
    def flush_due(self, key: str, route_id: str, due_ms: int | None = None) -> Outcome:
        """A scheduled flush arrived: flush now if due, else send it on for the rest of the wait.
        `due_ms` is the time the message was scheduled for: a message that is no longer the group's
        scheduled one (another, earlier, is on its way) is dropped, so messages never pile up."""
        group = self.stores.groups.group_header(key)  # (the members are read by the flush, if it is due)
        if group is None or not (group.pending or group.muting.resume_at_ms):
            return Outcome()
        now = self.env.now_ms()
        if due_ms is not None and group.flush_at_ms > now and group.flush_at_ms != due_ms:
            return Outcome()  # superseded: the message for flush_at_ms will come
        route = self.routes.route_by_id(route_id, group)
        due = next_due(group, route)
        if due > now:
            # Early (SQS delays are capped at 15 min, clocks drift): this message carries the schedule,
            # so it is sent on for what is left of the wait.
            return self.timer.schedule(group, route, due, now, force=True)
        return self._flush_or_schedule(group, route, now)

    def flush(self, key: str, route_id: str) -> Outcome:
        """Notify the group's receiver of everything that changed since the last notification."""
        leases = self.stores.leases
        lease = new_lease_id()
        now = self.env.now_ms()
        group = leases.claim(key, lease, now, LEASE_MS)
        outcome = Outcome(flushed=1)
        try:
            after = self.pipeline.run(group, route_id, lease, now, outcome)
        except Exception:
            # Free the group at once so the retry (or another worker) need not wait for the lease to expire;
            # nothing else changes (it stays pending, its pending-since kept).
            with contextlib.suppress(Exception):
                leases.release(key, lease, {}, 0, claimed_version=None)
            raise
        if after.pending or after.muting.resume_at_ms:
            # Changes arrived while this flush ran (their own flush attempt found the lease taken), or
            # muted members must be looked at again: the next flush is scheduled here, none is stranded.
            route = self.routes.route_by_id(route_id, after)
            outcome.add(self.timer.schedule(after, route, next_due(after, route), now))
        return outcome

    # ---- an acknowledgement clicked in one of the group's channels ----
    def redraw(self, key: str, episode: int, clicked: str = "") -> Outcome:
        """Show a click in the group's messages in its other channels (`clicked`: the channel id already
        redrawn)."""
        return self.redrawing.run(key, episode, clicked)

    # ---- a resolve clicked in Slack, a one-shot alert expired ----
    def resolve_group(
        self, key: str, episode: int, at_ms: int, fingerprints: list[str] | None = None
    ) -> Outcome:
        """Resolve, as of the click, the alerts the clicked message showed (`fingerprints`; without them, those
        the episode announced). Each goes through the normal path (conditional state write, every group it
        is in); an alert whose source reported anything after the click is left as the source says."""
        group = self.stores.groups.get_group(key)
        outcome = Outcome()
        if group is None or group.episode != episode:
            return outcome
        shown = fingerprints if fingerprints is not None else list(group.notified)
        states = self.stores.alerts.get_alerts([fp for fp in shown if fp in group.members])
        for state in states.values():
            if state.status != Status.RESOLVED and state.ts_ms < at_ms:
                outcome.add(self._resolve_state(state, at_ms))
        return outcome

    def expire(self, fingerprint: str, ts_ms: int) -> Outcome:
        """A one-shot alert's resolve_timeout passed (the escalator says so): resolve it, unless it recurred
        since (a newer event) or is resolved already."""
        state = self.stores.alerts.get_alert(fingerprint)
        if state is None or state.ts_ms != ts_ms or state.status == Status.RESOLVED:
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

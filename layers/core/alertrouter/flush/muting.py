"""Which firing members are not to be sent now, decided at flush time as Alertmanager does: the route's time
intervals, silences, inhibition, and flapping (shown, not paged)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alertrouter.flush.env import FlushEnv
from alertrouter.flush.silences import SilenceCache
from alertrouter.flush.stage import Mutes
from alertrouter.limits import MAX_HOP_MS
from alertrouter.models.alert import Status
from alertrouter.models.config import ResolvedRoute
from alertrouter.models.recurrence import describe_every
from alertrouter.models.silence import Silence, named_episodes, silencing
from alertrouter.models.state import GroupState, Member
from alertrouter.notify.render import utc_text
from alertrouter.routing.inhibit import inhibited_by
from alertrouter.routing.timeintervals import mutes_until, next_change


class Muting:
    def __init__(self, env: FlushEnv, silences: SilenceCache) -> None:
        self.env = env
        self.silences = silences

    def mutes(self, group: GroupState, route: ResolvedRoute, now: int) -> Mutes:
        """Decide, at flush time as Alertmanager does, which firing members are not to be sent."""
        firing = {fp: m for fp, m in group.members.items() if m.status != Status.RESOLVED}
        reasons: dict[str, str] = {}
        wake: list[int] = []
        if firing and (route.mute_time_intervals or route.active_time_intervals):
            reason, change = self._time_muted(route, now)
            if reason:
                reasons.update(dict.fromkeys(firing, reason))
            wake.append(change)
        if firing:
            self._rule_muted(firing, reasons, wake, now)
            self._silenced_or_inhibited(group, route, firing, reasons, wake, now)
        held = set()
        for fp, m in firing.items():
            until = m.flapping_until(route.flapping)
            if until > now:
                held.add(fp)
                wake.append(until)
        resume = min((t for t in wake if t > now), default=0)
        return Mutes(reasons, frozenset(held), min(resume, now + MAX_HOP_MS) if resume else 0)

    @staticmethod
    def _rule_muted(firing: dict[str, Member], reasons: dict[str, str], wake: list[int], now: int) -> None:
        """Adds the reason of each firing member whose state change came inside a CloudWatch mute rule's
        window that has not ended (`muteDetail`), and wakes the flush when the window ends."""
        for fp, m in firing.items():
            window = m.muted
            if fp in reasons or window is None or not window.covers(m.ts_ms) or now >= window.ends_at_ms:
                continue
            # (the name is outside text: no `<`, `>` that the message could make a mention of)
            rule = window.rule.replace("<", "‹").replace(">", "›")
            reasons[fp] = f"muted by CloudWatch mute rule {rule} until {utc_text(window.ends_at_ms)}"
            wake.append(window.ends_at_ms)

    def _silenced_or_inhibited(
        self,
        group: GroupState,
        route: ResolvedRoute,
        firing: dict[str, Member],
        reasons: dict[str, str],
        wake: list[int],
        now: int,
    ) -> None:
        """Adds the reason of each firing member a silence or an inhibition mutes, and when to look again."""
        silences = self.silences.active(now)
        rules = self.env.config.inhibit_rules
        some_unmuted = len(reasons) < len(firing)
        # firing inhibition sources; with none (and no silence) nothing can mute: the members are not read
        sources = self.env.inhibit_sources.inhibit_sources() if rules and some_unmuted else {}
        if not ((silences or sources) and some_unmuted):
            return
        states = self.env.alerts.get_alerts([fp for fp in firing if fp not in reasons])
        episodes = named_episodes(silences, {group.key: group.episode}, self.env.groups.episode_of)
        ends: dict[str, int] = {}  # when each silence active now stops muting (a recurring one: its window)

        def until_of(silence: Silence) -> int:
            if silence.id not in ends:
                ends[silence.id] = mutes_until(silence, now)
            return ends[silence.id]

        for fp, state in states.items():
            silence = silencing(silences, fp, state.labels, now, episodes, until_of)
            if silence is not None:
                until = until_of(silence)
                every = f", {describe_every(silence.every)}" if silence.every else ""
                reasons[fp] = f"silenced by {silence.created_by} until {utc_text(until)}{every}"
                wake.append(until)
                continue
            rule = inhibited_by(rules, fp, state.labels, sources)
            if rule is not None:
                reasons[fp] = (
                    "inhibited by a firing alert (" + ", ".join(str(m) for m in rule.source_matchers) + ")"
                )
                wake.append(now + int(route.group_interval.total_seconds() * 1000))

    def _time_muted(self, route: ResolvedRoute, now: int) -> tuple[str, int]:
        """Whether the route is muted by its time intervals now (the reason), and when that next changes."""
        at = datetime.fromtimestamp(now / 1000, UTC)
        named = {t.name: t for t in self.env.config.time_intervals}
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

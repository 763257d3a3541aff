"""What is quiet now and next, whichever mechanism makes it so: silences (one-off and recurring), the routes'
time intervals, inhibition by firing alerts, CloudWatch alarm mute rules; and which alerts are held back now,
with the reason the flush gave them. `alertrouter silence list` prints it; nothing here sends or changes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from alertrouter.models.config import ResolvedRoute, RoutingConfig
from alertrouter.models.inhibit import InhibitRule
from alertrouter.models.recurrence import describe_every
from alertrouter.models.silence import Silence
from alertrouter.models.timeinterval import NamedTimeInterval
from alertrouter.notify.render import utc_text
from alertrouter.routing.timeintervals import silence_window, window
from alertrouter.routing.tree import resolved_routes
from alertrouter.sources.mute_schedule import MuteRule
from alertrouter.store.base import HeldBack

LOOK_AHEAD = timedelta(days=35)  # how far "next" looks: a monthly window is always found
INHIBITION_SHOWN = 5  # firing sources named per inhibit rule; the rest are counted


@dataclass(frozen=True, slots=True)
class Quiet:
    """One thing that mutes alerts: what it covers, by whom and why, and its window now or next (epoch ms;
    `ends_ms` 0 when it lasts as long as something else does, e.g. a source alert firing)."""

    mechanism: str  # silence | recurring silence | time interval | inhibition | CloudWatch mute rule
    covers: str
    by: str
    why: str
    active: bool
    starts_ms: int = 0
    ends_ms: int = 0
    ref: str = ""  # the silence id, the route id, the rule's ARN: what to name to change it

    def as_dict(self) -> dict[str, Any]:
        return {
            "mechanism": self.mechanism,
            "covers": self.covers,
            "by": self.by,
            "why": self.why,
            "active": self.active,
            "starts_at": _iso(self.starts_ms),
            "ends_at": _iso(self.ends_ms),
            "ref": self.ref,
        }


def mechanism_of(reason: str) -> str:
    """The mechanism a flush's mute reason names (their wording is fixed in flush/muting.py)."""
    for prefix, mechanism in (
        ("silenced by", "silence"),
        ("inhibited by", "inhibition"),
        ("muted by CloudWatch mute rule", "CloudWatch mute rule"),
        ("muted during", "time interval"),
        ("outside", "time interval"),
    ):
        if reason.startswith(prefix):
            return mechanism
    return "other"


def _iso(ms: int) -> str | None:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z") if ms else None


def silence_quiets(silences: Iterable[Silence], now_ms: int) -> list[Quiet]:
    """Each silence not yet over, with its window now or its next one (a recurring one's next occurrence)."""
    out = []
    for silence in silences:
        found = silence_window(silence, now_ms)
        if found is None:
            continue  # over, or no window of a recurring one left before its end
        starts, ends = found
        recurring = " " + describe_every(silence.every) if silence.every else ""
        out.append(
            Quiet(
                mechanism="recurring silence" if silence.every else "silence",
                covers=silence.describe() + recurring,
                by=silence.created_by,
                why=silence.comment + (" (or until its alert resolves)" if silence.group else ""),
                active=silence.active(now_ms),
                starts_ms=starts,
                ends_ms=ends,
                ref=silence.id,
            )
        )
    return out


def _window(intervals: Sequence[NamedTimeInterval], now_ms: int) -> tuple[bool, int, int] | None:
    """Whether the intervals hold now, and their window (now's or the next) within LOOK_AHEAD: (start, end),
    the end 0 when it lasts beyond."""
    now = datetime.fromtimestamp(now_ms / 1000, UTC)
    specs = [spec for interval in intervals for spec in interval.time_intervals]
    limit = now + LOOK_AHEAD
    found = window(specs, now, now, limit)
    if found is None:
        return None
    starts, ends = (int(at.timestamp() * 1000) for at in found)
    # (looked for from now on, a window open now starts now)
    return starts <= now_ms, starts, 0 if ends >= int(limit.timestamp() * 1000) else ends


def time_interval_quiets(config: RoutingConfig, now_ms: int) -> list[Quiet]:
    """Each route muted by its time intervals now or next: during a `mute_time_intervals` one, or outside
    all of its `active_time_intervals`."""
    named = {t.name: t for t in config.time_intervals}
    out = []
    for route in resolved_routes(config):
        for names, muting in ((route.mute_time_intervals, True), (route.active_time_intervals, False)):
            quiet = _route_quiet(route, [named[n] for n in names], muting, now_ms) if names else None
            if quiet is not None:
                out.append(quiet)
    return out


def _route_quiet(
    route: ResolvedRoute, intervals: list[NamedTimeInterval], muting: bool, now_ms: int
) -> Quiet | None:
    """A route's quiet time from one kind of its intervals: while they hold (`muting`), or between them."""
    found = _window(intervals, now_ms)
    if found is None:
        return None
    holds, starts, ends = found
    names = ", ".join(t.name for t in intervals)
    if muting:
        why, active, quiet = f"muted during {names}", holds, (starts, ends)
    else:  # the complement: from the end of an active window to the start of the next
        why, active = f"outside {names}", not holds
        quiet = (now_ms, starts) if active else (ends, _next_start(intervals, ends))
    return Quiet(
        "time interval", _route_text(route), "routing config", why, active, *quiet, ref=f"route {route.id}"
    )


def _next_start(intervals: Sequence[NamedTimeInterval], after_ms: int) -> int:
    """When the intervals next start holding after `after_ms` (the end of a window: they do not hold then)."""
    found = _window(intervals, after_ms) if after_ms else None
    return found[1] if found else 0


def _route_text(route: ResolvedRoute) -> str:
    where = " ".join(route.matchers) if route.matchers else "every alert"
    return f"route {route.id} ({where}) to {route.receiver}"


def inhibition_quiets(rules: Sequence[InhibitRule], sources: Mapping[str, Mapping[str, str]]) -> list[Quiet]:
    """Each inhibit rule some firing alert is a source for now: its targets are muted while that fires."""
    out = []
    for rule in rules:
        firing = [labels for labels in sources.values() if rule.source_matches(labels)]
        if not firing:
            continue
        names = [labels.get("alertname") or _labels_text(labels) for labels in firing]
        shown = ", ".join(sorted(names)[:INHIBITION_SHOWN])
        more = len(names) - INHIBITION_SHOWN
        targets = ", ".join(str(m) for m in rule.target_matchers) or "every alert"
        equal = f" with the same {', '.join(rule.equal)}" if rule.equal else ""
        out.append(
            Quiet(
                mechanism="inhibition",
                covers=f"{targets}{equal}",
                by="firing: " + shown + (f" and {more} more" if more > 0 else ""),
                why="while " + (", ".join(str(m) for m in rule.source_matchers) or "any alert") + " fires",
                active=True,
            )
        )
    return out


MUTE_TARGETS_SHOWN = 5  # alarm names shown per mute rule; the rest are counted


def mute_rule_quiets(rules: Iterable[MuteRule], now_ms: int) -> list[Quiet]:
    """Each CloudWatch alarm mute rule with a window now or within LOOK_AHEAD: the alarms it mutes, its
    description as the why."""
    at = datetime.fromtimestamp(now_ms / 1000, UTC)
    out = []
    for rule in rules:
        found = rule.next_window(at, LOOK_AHEAD)
        if found is None:
            continue
        alarms = sorted(rule.alarms)
        more = len(alarms) - MUTE_TARGETS_SHOWN
        covers = (
            "alarms " + ", ".join(alarms[:MUTE_TARGETS_SHOWN]) + (f" and {more} more" if more > 0 else "")
        )
        out.append(
            Quiet(
                mechanism="CloudWatch mute rule",
                covers=f"{rule.name}: {covers}" if alarms else rule.name,
                by="CloudWatch",
                why=rule.description,
                active=found.covers(now_ms),
                starts_ms=found.starts_at_ms,
                ends_ms=found.ends_at_ms,
                ref=rule.arn,
            )
        )
    return out


def _labels_text(labels: Mapping[str, str]) -> str:
    return "{" + ", ".join(f"{k}={v}" for k, v in sorted(labels.items())) + "}"


def sorted_quiets(quiets: Iterable[Quiet]) -> list[Quiet]:
    """Active ones first, each part by when it (next) starts."""
    return sorted(quiets, key=lambda q: (not q.active, q.starts_ms, q.mechanism, q.covers))


def quiet_line(quiet: Quiet) -> str:
    if quiet.active:
        when = f"until {utc_text(quiet.ends_ms)}" if quiet.ends_ms else "now"
    else:
        when = f"next {utc_text(quiet.starts_ms)} → {utc_text(quiet.ends_ms) if quiet.ends_ms else '?'}"
    ref = f" [{quiet.ref}]" if quiet.ref else ""
    why = f"  # {quiet.why}" if quiet.why else ""
    return f"  {quiet.mechanism:<21} {quiet.covers}  {when}  by {quiet.by}{ref}{why}"


def held_back_lines(held: Sequence[HeldBack]) -> list[str]:
    return [
        f"  {mechanism_of(h.reason):<21} {h.title}  [{h.fingerprint} in {h.group}]  {h.reason}" for h in held
    ]


def report_lines(quiets: Sequence[Quiet], held: Sequence[HeldBack] | None, also: bool = False) -> list[str]:
    """The maintenance view as text: muted now, muted next, and (when read) the alerts held back now. `also`:
    the silences were listed before, and these are the other mechanisms."""
    ordered = sorted_quiets(quiets)
    now = [q for q in ordered if q.active]
    later = [q for q in ordered if not q.active]
    also_word = "Also muting" if also else "Muting"
    if now:
        lines = [f"{also_word} now:", *(quiet_line(q) for q in now)]
    else:
        lines = ["Nothing else mutes alerts now." if also else "Nothing mutes alerts now."]
    if later:
        lines += [f"{also_word} next:", *(quiet_line(q) for q in later)]
    if held is not None:
        lines += (
            [f"Held back now ({len(held)}):", *held_back_lines(held)]
            if held
            else ["No alert is held back now."]
        )
    return lines

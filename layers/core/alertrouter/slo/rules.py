"""Multiwindow, multi-burn-rate alert rules (the SRE Workbook, "Alerting on SLOs").

A rule fires when the burn rate over its long window AND over its short window are both strictly above its
threshold: the long window shows enough budget was spent, the short one that it is still being spent (so
the alert resets minutes after the problem stops). Thresholds come from budget consumption: spending 2% of
a 30-day budget in 1h is a burn of 0.02 * 720h / 1h = 14.4.

The minimum-events guard. Burn rates over small windows of a low-traffic service are noise. At 10 requests
per hour, one failure in an hour is an error rate of 1/10 = 10%: for a 99.9% SLO a burn of
0.1 / 0.001 = 100, far above 14.4, so a single failure pages (30 days of such traffic is 7200 requests, a
budget of 7.2 failures: that one spent 13.9% of it). With `min_events=N` a window is judged only when it
holds at least N events, so one failure is an error rate of at most 1/N, a burn of at most
1 / (N * (1 - target)); k failures can fire only if k/N > threshold * (1 - target). A single failure cannot
page once N >= 1 / (threshold * (1 - target)): for 99.9% and 14.4, N = 70 (1/70 = 1.43% errors, burn
14.29). The guard applies to both windows: 70 events in the 5m short window is 840 requests an hour. The
price is blindness: below N events nothing fires, not even a total outage, so such results carry a reason
("fewer than 70 events in 5m") rather than a silent "not firing". The Workbook's other remedies (synthetic
traffic, merging small services into one SLO) raise the traffic instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from fractions import Fraction

from alertrouter.slo.burn import Counts, burn_rate, exact, micros

PAGE_SEVERITIES = frozenset({"page", "critical"})

_UNITS = (
    ("d", timedelta(days=1)),
    ("h", timedelta(hours=1)),
    ("m", timedelta(minutes=1)),
    ("s", timedelta(seconds=1)),
)


def format_duration(d: timedelta) -> str:
    """A compact duration: "5m", "1h", "6h", "3d", "1h30m", "0s"."""
    if d < timedelta(0):
        return "-" + format_duration(-d)
    parts = []
    for unit, size in _UNITS:
        n, d = divmod(d, size)
        if n:
            parts.append(f"{n}{unit}")
    us = micros(d)
    if us:
        parts.append(f"{us // 1000}ms" if us % 1000 == 0 else f"{us}us")
    return "".join(parts) or "0s"


@dataclass(frozen=True)
class BurnRule:
    """Fire when both windows burn faster than `threshold`; `alert_after` is how long that must hold (for the caller)."""

    severity: str
    long: timedelta
    short: timedelta
    threshold: Fraction
    alert_after: timedelta = timedelta(0)

    def __post_init__(self) -> None:
        threshold = exact(self.threshold)
        if not self.severity:
            raise ValueError("a rule needs a severity")
        if not timedelta(0) < self.short <= self.long:
            raise ValueError(f"windows must satisfy 0 < short <= long, got {self.short} and {self.long}")
        if threshold <= 0:
            raise ValueError(f"the threshold must be positive, got {threshold}")
        if self.alert_after < timedelta(0):
            raise ValueError(f"alert_after cannot be negative, got {self.alert_after}")
        object.__setattr__(self, "threshold", threshold)

    @property
    def name(self) -> str:
        return f"{self.severity}-{format_duration(self.long)}-{format_duration(self.short)}"

    @property
    def pages(self) -> bool:
        return self.severity in PAGE_SEVERITIES


# (severity, share of the budget, long window, short window): the Workbook's recommended set
_WORKBOOK = (
    ("page", Fraction(2, 100), timedelta(hours=1), timedelta(minutes=5)),
    ("page", Fraction(5, 100), timedelta(hours=6), timedelta(minutes=30)),
    ("ticket", Fraction(10, 100), timedelta(days=3), timedelta(hours=6)),
)


def default_rules(period: timedelta) -> list[BurnRule]:
    """The Workbook's rules for an SLO `period`, threshold = budget share * period / long window (30d: 14.4, 6, 1)."""
    if period <= timedelta(0):
        raise ValueError(f"the period must be positive, got {period}")
    return [
        BurnRule(severity, long, short, share * Fraction(micros(period), micros(long)))
        for severity, share, long, short in _WORKBOOK
    ]


def windows_needed(rules: Iterable[BurnRule]) -> set[timedelta]:
    """Every window the rules read: the counts `evaluate` needs."""
    return {w for rule in rules for w in (rule.long, rule.short)}


@dataclass(frozen=True)
class RuleResult:
    """One rule's verdict; `reason` says why it could not be judged, `suppressed` that a page outranks it."""

    rule: BurnRule
    long_burn: Fraction | None
    short_burn: Fraction | None
    firing: bool
    suppressed: bool = False
    reason: str = ""


def _unjudged(
    rule: BurnRule, windows: Mapping[timedelta, Counts], min_events: int, read: Mapping[timedelta, timedelta]
) -> str:
    for w in (rule.long, rule.short):
        if w in read:
            return f"only {format_duration(read[w])} of the {format_duration(w)} window read so far"
    counts = [(w, windows.get(w, Counts.ZERO)) for w in (rule.long, rule.short)]
    if any(c.no_data for _, c in counts):
        return "no data"
    for w, c in counts:
        if c.total < min_events:
            return f"fewer than {min_events} events in {format_duration(w)}"
    return ""


def evaluate(
    rules: Sequence[BurnRule],
    windows: Mapping[timedelta, Counts],
    target: Fraction,
    *,
    min_events: int = 0,
    partial: Mapping[timedelta, timedelta] | None = None,
) -> list[RuleResult]:
    """Judge each rule (in order) against the counts per window; a firing page suppresses firing non-page rules.
    `partial` names the windows not yet wholly read (after a fresh start) and how much of each is: a rule on
    one is not judged (a 3d window holding 7h would judge 7h as if they were 3 days)."""
    if min_events < 0:
        raise ValueError(f"min_events cannot be negative, got {min_events}")
    results = []
    for rule in rules:
        long_burn = burn_rate(windows.get(rule.long, Counts.ZERO), target)
        short_burn = burn_rate(windows.get(rule.short, Counts.ZERO), target)
        reason = _unjudged(rule, windows, min_events, partial or {})
        firing = (
            not reason
            and long_burn is not None
            and short_burn is not None
            and long_burn > rule.threshold
            and short_burn > rule.threshold
        )
        results.append(RuleResult(rule, long_burn, short_burn, firing, reason=reason))
    if any(r.firing and r.rule.pages for r in results):
        results = [
            replace(r, firing=False, suppressed=True) if r.firing and not r.rule.pages else r for r in results
        ]
    return results

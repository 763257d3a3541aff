"""One evaluation of every SLO: read what is new in CloudWatch, fold it into the rolling aggregates kept
in the state table, compute each window's burn rate and the period's budget, and decide which burn-rate
rules fire (slo/alerts.py turns them into alerts for the router; a rule that stops firing resolves).

Aggregates per SLO: per-minute buckets for the last MINUTES_KEPT hours (windows up to 6h are exact to
the minute) and hourly buckets before that, back to the start of the SLO period (3d and 30d windows
start on the hour). Counts are kept as exact fractions, so the maths stays exact end to end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from alertrouter.observability import SLO, module_logger
from alertrouter.slo.burn import Counts, budget, burn_rate, timeslices
from alertrouter.slo.cloudwatch import HOUR, MINUTE, Plan, Query, align, fetch, increases
from alertrouter.slo.compiled import Slo
from alertrouter.slo.rules import RuleResult, evaluate, windows_needed

logger = module_logger(SLO, __name__)

MINUTES_KEPT = 7 * HOUR  # minute buckets cover the last 7 hours (6h windows + the hour being rolled up)
REREAD = 10 * MINUTE  # the last minutes are read again each run: CloudWatch data can arrive late


class SloState(BaseModel):
    """What the table keeps per SLO between runs."""

    model_config = ConfigDict(extra="ignore")

    name: str
    minutes: dict[str, list[str]] = Field(default_factory=dict)  # minute start (epoch s) -> [good, total]
    hours: dict[str, list[str]] = Field(
        default_factory=dict
    )  # hour start -> [good, total] (slices if Timeslices)
    fetched_until: int = 0  # epoch s: everything before was read at least once
    counter_last: dict[str, list[float]] = Field(default_factory=dict)  # counters: metric key -> [ts, value]
    breach_since: dict[str, int] = Field(default_factory=dict)  # rule -> epoch s its condition began to hold
    firing: dict[str, int] = Field(default_factory=dict)  # rule -> epoch s since it fires (alert sent)


@dataclass
class SloReport:
    """One SLO's evaluation: its figures (for metrics and the CLI) and the alerts it produces."""

    slo: Slo
    at: int
    windows: dict[timedelta, Counts]
    burns: dict[timedelta, Fraction | None]
    period: Counts
    remaining: Fraction | None
    results: list[RuleResult]
    firing: list[RuleResult] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)  # rules that stopped firing this run
    metrics_requested: int = 0


@dataclass(frozen=True)
class Buckets:
    """A state's buckets, parsed and in time order."""

    minutes: list[tuple[int, Counts]]
    hours: list[tuple[int, Counts]]

    @classmethod
    def of(cls, state: SloState) -> Buckets:
        return cls(
            sorted((int(w), _counts(p)) for w, p in state.minutes.items()),
            sorted((int(w), _counts(p)) for w, p in state.hours.items()),
        )


def _pair(counts: Counts) -> list[str]:
    return [str(counts.good), str(counts.total)]


def _counts(pair: list[str]) -> Counts:
    return Counts(Fraction(pair[0]), Fraction(pair[1]))


def _sum(items: Iterable[Counts]) -> Counts:
    total = Counts.ZERO
    for item in items:
        total = total + item
    return total


class Evaluator:
    def __init__(
        self,
        slos: list[Slo],
        load: Callable[[str], SloState | None],
        save: Callable[[SloState], None],
        cloudwatch: Any,
    ) -> None:
        self.slos = slos
        self.load = load
        self.save = save
        self.cloudwatch = cloudwatch
        self.calls = 0
        self.metrics = 0
        self.failed: list[str] = []
        self._pending: list[SloState] = []

    def run(self, now: int, *, save: bool = True) -> list[SloReport]:
        """Evaluate every SLO as of `now` (epoch seconds): one plan, one batched fetch, then the maths.
        With save=False the new states wait for commit()."""
        now = align(now, MINUTE)
        states = {slo.name: self.load(slo.name) or SloState(name=slo.name) for slo in self.slos}
        plan = Plan()
        wanted = {slo.name: self._plan(plan, slo, states[slo.name], now) for slo in self.slos}
        result = fetch(self.cloudwatch, plan)
        self.calls, self.metrics = result.calls, result.metrics
        reports = []
        self.failed = []
        for slo in self.slos:
            state = states[slo.name]
            try:
                self._fold(slo, state, wanted[slo.name], result.values, now)
                report = self._evaluate(slo, state, now)
            except (ValueError, ArithmeticError) as exc:  # one SLO's bad data must not stop the others
                logger.error("SLO not evaluated", extra={"slo": slo.name, "reason": str(exc)})
                self.failed.append(slo.name)
                continue  # its state stays as it was: the next run reads the same minutes again
            report.metrics_requested = len({q for q in wanted[slo.name].values() if q in plan.queries})
            self._pending.append(state)
            reports.append(report)
        if save:
            self.commit()
        return reports

    def commit(self) -> None:
        """Save the evaluated states. The service does so only once the alerts are on the router's queue:
        a failure before that repeats the evaluation (and its resolves) next run, so none is lost."""
        for state in self._pending:
            self.save(state)
        self._pending.clear()

    # ---- reading ----
    def _plan(self, plan: Plan, slo: Slo, state: SloState, now: int) -> dict[str, Query]:
        """The queries this SLO needs: since the last run (and REREAD before it), or since the period's start
        on the first run; hourly for what is older than the minute buckets."""
        oldest = align(self._oldest_needed(slo, now), HOUR)
        minute_floor = align(now, HOUR) - MINUTES_KEPT
        queries: dict[str, Query] = {}
        for part, metric in slo.ratio.metrics().items():
            start = max(state.fetched_until - REREAD, oldest) if state.fetched_until else oldest
            if slo.ratio.counter:
                # Counters are read per minute only (an hourly maximum gives no increase): their history
                # starts with the minute buckets' span; a longer gap in evaluation is not counted.
                start = max(start, minute_floor)
            if start < minute_floor:
                queries[f"{part}:hour"] = plan.add(metric, start, minute_floor, HOUR)
            queries[f"{part}:minute"] = plan.add(metric, max(start, minute_floor), now, MINUTE)
        return queries

    @staticmethod
    def _oldest_needed(slo: Slo, now: int) -> int:
        """The period's start, or earlier when a rule's window reaches back further (a 3d window on the
        2nd of a calendar month)."""
        period_start = int(slo.period(datetime.fromtimestamp(now, UTC))[0].timestamp())
        longest = max((int(w.total_seconds()) for w in windows_needed(slo.rules)), default=0)
        return min(period_start, now - longest)

    def _fold(
        self,
        slo: Slo,
        state: SloState,
        queries: dict[str, Query],
        values: dict[Query, dict[int, float]],
        now: int,
    ) -> None:
        """Fetched values -> minute and hour buckets (re-read minutes replace what was there)."""
        for grain in ("hour", "minute"):
            raw = {
                part: values.get(q, {})
                for part in slo.ratio.metrics()
                if (q := queries.get(f"{part}:{grain}")) is not None
            }
            if not raw or (grain == "hour" and slo.budgeting == "Timeslices"):
                continue  # (hourly data cannot be cut into slices: for Timeslices those hours are no data)
            if slo.ratio.counter:
                raw = self._counter_increases(slo, state, raw)
            series = {part: {t: Fraction(str(v)) for t, v in points.items()} for part, points in raw.items()}
            if grain == "hour":
                # hourly data read now supersedes what minute buckets of those hours are left from before a gap
                hours = set().union(*[set(p) for p in series.values()])
                for minute in [w for w in state.minutes if align(int(w), HOUR) in hours]:
                    del state.minutes[minute]
            buckets = state.minutes if grain == "minute" else state.hours
            for when in sorted(set().union(*[set(s) for s in series.values()]) if series else set()):
                total = series.get("total", {}).get(when, Fraction(0))
                if "good" in series:
                    good = series["good"].get(when, Fraction(0))
                else:
                    good = total - series.get("bad", {}).get(when, Fraction(0))
                good = min(max(good, Fraction(0)), total)  # a late total must not make good exceed it
                buckets[str(when)] = _pair(Counts(good, total))
        state.fetched_until = now
        self._roll_up(slo, state, now)

    @staticmethod
    def _counter_increases(
        slo: Slo, state: SloState, raw: dict[str, dict[int, float]]
    ) -> dict[str, dict[int, float]]:
        """Cumulative counters -> increases per minute, over the minutes where every part has a sample (a
        minute one series skipped would otherwise pair one series' one-minute increase with the other's
        two-minute one). Each series' last sample is kept as the next run's baseline."""
        metrics = slo.ratio.metrics()
        common = set.intersection(*[set(points) for points in raw.values()])
        out = {}
        for part, points in raw.items():
            key = metrics[part].key()
            last = state.counter_last.get(key)
            shared = [(t, points[t]) for t in sorted(common) if last is None or t > last[0]]
            out[part], last_value = increases(shared, last[1] if last else None)
            if shared:
                state.counter_last[key] = [shared[-1][0], float(last_value or 0)]
        return out

    def _roll_up(self, slo: Slo, state: SloState, now: int) -> None:
        """Whole hours older than the minute buckets' span become hour buckets; old hours are dropped."""
        floor = align(now, HOUR) - MINUTES_KEPT
        old: dict[int, list[tuple[int, Counts]]] = {}
        for when, pair in list(state.minutes.items()):
            if int(when) < floor:
                old.setdefault(align(int(when), HOUR), []).append((int(when), _counts(pair)))
                del state.minutes[when]
        for hour, minutes in old.items():
            state.hours[str(hour)] = _pair(
                self._slices(slo, minutes) if slo.budgeting == "Timeslices" else _sum(c for _, c in minutes)
            )
        keep_from = self._oldest_needed(slo, now) - HOUR
        for when in [w for w in state.hours if int(w) < keep_from]:
            del state.hours[when]

    @staticmethod
    def _slices(slo: Slo, minutes: list[tuple[int, Counts]]) -> Counts:
        """Timeslices: events per slice (slice_minutes long) -> good slices over slices with data."""
        width = (slo.slice_minutes or 1) * MINUTE
        slices: dict[int, Counts] = {}
        for when, counts in minutes:
            slices[align(when, width)] = slices.get(align(when, width), Counts.ZERO) + counts
        assert slo.slice_target is not None
        return timeslices(slices.values(), slo.slice_target)

    # ---- judging ----
    @staticmethod
    def window(slo: Slo, buckets: Buckets, now: int, length: int) -> Counts:
        """Counts over [now - length, now): minutes where kept, hours before (windows beyond the minutes
        start on the hour)."""
        start = now - length
        minute_items = [(w, c) for w, c in buckets.minutes if start <= w < now]
        first_minute = buckets.minutes[0][0] if buckets.minutes else now
        hour_items = [c for w, c in buckets.hours if align(start, HOUR) <= w and w + HOUR <= first_minute]
        if slo.budgeting == "Timeslices":
            return Evaluator._slices(slo, minute_items) + _sum(hour_items)
        return _sum(c for _, c in minute_items) + _sum(hour_items)

    def _evaluate(self, slo: Slo, state: SloState, now: int) -> SloReport:
        at = datetime.fromtimestamp(now, UTC)
        buckets = Buckets.of(state)  # parsed once for every window
        lengths = windows_needed(slo.rules)
        windows = {w: self.window(slo, buckets, now, int(w.total_seconds())) for w in lengths}
        burns = {w: burn_rate(c, slo.target) for w, c in windows.items()}
        period_start = int(slo.period(at)[0].timestamp())
        period = self.window(slo, buckets, now, now - period_start)
        remaining = budget(period, slo.target).remaining
        results = evaluate(slo.rules, windows, slo.target, min_events=slo.min_events)
        report = SloReport(slo, now, windows, burns, period, remaining, results)
        current = {r.rule.name for r in results}
        for name in [n for n in state.firing if n not in current]:  # a rule removed or renamed: resolved
            del state.firing[name]
            state.breach_since.pop(name, None)
            report.resolved.append(name)
        for result in results:
            name = result.rule.name
            if not result.firing:
                state.breach_since.pop(name, None)
                if state.firing.pop(name, None) is not None:
                    report.resolved.append(name)
                continue
            since = state.breach_since.setdefault(name, now)
            if now - since >= int(result.rule.alert_after.total_seconds()):
                state.firing.setdefault(name, now)
                report.firing.append(result)
        return report

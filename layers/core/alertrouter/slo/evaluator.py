"""One evaluation of every SLO: read what is new in CloudWatch, fold it into the rolling aggregates kept
in the state table, compute each window's burn rate and the period's budget, and decide which burn-rate
rules fire (slo/alerts.py turns them into alerts for the router; a rule that stops firing resolves).

Aggregates per SLO: per-minute buckets for the last MINUTES_KEPT hours (windows up to 6h are exact to
the minute), hourly buckets before that, back to the start of the SLO period, and, for each window longer
than the minute buckets, the minutes of the hour it starts in (read once an hour), so a 3d window starts
on its minute as Prometheus's does. Counts are kept as exact fractions, so the maths stays exact end to end.

Late data: each run reads the last REREAD again, so a point CloudWatch receives up to 3 hours late is
counted (the hourly roll-ups are built from minutes at least 7 hours old, after their last re-read).
A fresh or lost state is backfilled in one run: hourly sums back to the period's start (minutes, for the
rule windows, where hourly data cannot be judged: Timeslices and threshold SLIs), and a window not yet
wholly read is not judged.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from itertools import accumulate
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from alertrouter.observability import SLO, module_logger
from alertrouter.slo.burn import Counts, budget, burn_rate, timeslices
from alertrouter.slo.cloudwatch import HOUR, MINUTE, Plan, Query, align, fetch, finest_period, increases
from alertrouter.slo.compiled import Budgeting, Slo
from alertrouter.slo.rules import RuleResult, evaluate, windows_needed

logger = module_logger(SLO, __name__)

MINUTES_KEPT = 7 * HOUR  # minute buckets cover the last 7 hours (6h windows + the hour being rolled up)
REREAD = 3 * HOUR  # read again each run: CloudWatch accepts late data (180 points a metric, one query still)
FINE_DATA = 15 * 24 * HOUR  # CloudWatch keeps 60-second data this long


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
    covered_from: int = 0  # epoch s: the buckets are complete from here on (0: as far as they go)
    # the minutes of the hour a long window starts in: hour start -> minute -> [good, total]
    edges: dict[str, dict[str, list[str]]] = Field(default_factory=dict)


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


Number = int | Fraction


class Series:
    """Buckets in time order with running sums, so the events of any span are two lookups."""

    def __init__(self, items: Iterable[tuple[int, tuple[Number, Number]]]) -> None:
        self.items = sorted(items)
        self.times = [t for t, _ in self.items]
        self.goods: list[Number] = list(accumulate((g for _, (g, _t) in self.items), initial=0))
        self.totals: list[Number] = list(accumulate((t for _, (_g, t) in self.items), initial=0))

    @classmethod
    def of(cls, buckets: dict[str, list[str]]) -> Series:
        return cls((int(w), (_number(p[0]), _number(p[1]))) for w, p in buckets.items())

    def between(self, start: int, end: int) -> tuple[Number, Number]:
        """Good and total events of the buckets starting in [start, end)."""
        i, j = bisect_left(self.times, start), bisect_left(self.times, end)
        if j <= i:
            return 0, 0
        return self.goods[j] - self.goods[i], self.totals[j] - self.totals[i]

    def counts(self, start: int, end: int) -> list[tuple[int, Counts]]:
        """Each bucket starting in [start, end)."""
        i, j = bisect_left(self.times, start), bisect_left(self.times, end)
        return [(t, Counts(Fraction(g), Fraction(total))) for t, (g, total) in self.items[i:j]]


@dataclass(frozen=True)
class Buckets:
    """A state's buckets, parsed once for every window."""

    minutes: Series
    hours: Series
    edges: dict[int, Series]
    floor: int  # minute buckets from here on, hour buckets before

    @classmethod
    def of(cls, state: SloState, now: int) -> Buckets:
        return cls(
            Series.of(state.minutes),
            Series.of(state.hours),
            {int(hour): Series.of(minutes) for hour, minutes in state.edges.items()},
            minute_floor(now),
        )


def minute_floor(now: int) -> int:
    """Where the minute buckets start: whole hours before it are hour buckets."""
    return align(now, HOUR) - MINUTES_KEPT


def _pair(counts: Counts) -> list[str]:
    return [str(counts.good), str(counts.total)]


def _number(text: str) -> Number:
    """A stored count: a whole number (nearly always), else a fraction like 7/2."""
    return Fraction(text) if "/" in text else int(text)


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
        """`cloudwatch`: a CloudWatch client, or a function of a region (None: the own) giving one."""
        self.slos = slos
        self.load = load
        self.save = save
        self.client_for: Callable[[str | None], Any] = (
            (lambda region: cloudwatch) if hasattr(cloudwatch, "get_metric_data") else cloudwatch
        )
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
        result = fetch(self.client_for, plan)
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
            report.metrics_requested = plan.billed(
                {q for q in wanted[slo.name].values() if q in plan.queries}
            )
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
        """The queries this SLO needs: the last REREAD again and what is newer, or, on a fresh state, back
        to the period's start; hourly for what is older than the minute buckets (minutes where hourly data
        cannot be judged), and the minutes of each long window's first hour once an hour."""
        oldest = align(self._oldest_needed(slo, now), HOUR)
        start = max(state.fetched_until - REREAD, oldest) if state.fetched_until else oldest
        fine = self._fine_from(slo, start, now)
        queries: dict[str, Query] = {}
        edges = [edge for edge in self._edge_hours(slo, now) if str(edge) not in state.edges]
        for part, metric in slo.sli_metrics().items():
            if start < fine and slo.budgeting != Budgeting.TIMESLICES:  # (hours cannot be cut into slices)
                queries[f"{part}:hour"] = plan.add(metric, start, fine, HOUR)
            queries[f"{part}:minute"] = plan.add(metric, max(start, fine), now, MINUTE)
            for edge in edges:
                # a counter's first increase needs the sample before the hour
                begin = edge - MINUTE if slo.counter else edge
                queries[f"{part}:edge:{edge}"] = plan.add(
                    metric, begin, edge + HOUR, finest_period(timedelta(seconds=now - begin))
                )
        return queries

    @staticmethod
    def _fine_from(slo: Slo, start: int, now: int) -> int:
        """Where this run reads minutes from: the minute buckets' span, or, where hourly data cannot be
        judged (Timeslices, a threshold SLI), back to the longest rule window (60-s data is kept 15 days)."""
        floor = minute_floor(now)
        if start >= floor or (slo.budgeting != Budgeting.TIMESLICES and slo.threshold is None):
            return floor
        longest = max((int(w.total_seconds()) for w in windows_needed(slo.rules)), default=0)
        return min(floor, max(align(now - longest, HOUR), align(now - FINE_DATA, HOUR) + HOUR, start))

    @staticmethod
    def _edge_hours(slo: Slo, now: int) -> set[int]:
        """The hours the rule windows longer than the minute buckets start in, when they start inside one."""
        floor = minute_floor(now)
        starts = (now - int(w.total_seconds()) for w in windows_needed(slo.rules))
        return {align(s, HOUR) for s in starts if s < floor and s % HOUR}

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
        """Fetched values -> minute, hour and edge buckets (what is read again replaces what was there)."""
        parts = slo.sli_metrics()
        fresh = not state.fetched_until

        def read(grain: str) -> dict[str, dict[int, float]]:
            return {part: values.get(q, {}) for part in parts if (q := queries.get(f"{part}:{grain}"))}

        hourly = read("hour")
        if hourly:
            if slo.counter:
                hourly = self._counter_increases(slo, state, hourly)
            counts = _bucket_counts(slo, hourly, HOUR)
            # hourly data read now supersedes what minute buckets of those hours are left from before a gap
            for minute in [w for w in state.minutes if align(int(w), HOUR) in counts]:
                del state.minutes[minute]
            for when, pair in counts.items():
                state.hours[str(when)] = pair
        minutes = read("minute")
        if slo.counter:
            minutes = self._counter_increases(slo, state, minutes)
        for when, pair in _bucket_counts(slo, minutes, MINUTE).items():
            state.minutes[str(when)] = pair
        edges = self._edge_hours(slo, now)
        for edge in edges:
            raw = read(f"edge:{edge}")
            if raw:
                period = next(q.period for k, q in queries.items() if k.endswith(f":edge:{edge}"))
                state.edges[str(edge)] = {
                    str(w): pair
                    for w, pair in _bucket_counts(slo, _edge_increases(slo, raw), period).items()
                    if w >= edge
                }
        for hour in [h for h in state.edges if int(h) not in edges]:
            del state.edges[hour]
        if fresh:
            state.covered_from = self._first_complete(slo, queries)
        state.fetched_until = now
        self._roll_up(slo, state, now)

    @staticmethod
    def _first_complete(slo: Slo, queries: dict[str, Query]) -> int:
        """After a fresh start, where the buckets are complete: the first read (a counter's first sample
        is only its baseline)."""
        reads = [q for k, q in queries.items() if ":edge:" not in k]
        first = min(q.start for q in reads)
        if slo.counter:
            first += min(q.period for q in reads if q.start == first)
        return first

    @staticmethod
    def _counter_increases(
        slo: Slo, state: SloState, raw: dict[str, dict[int, float]]
    ) -> dict[str, dict[int, float]]:
        """Cumulative counters -> increases per interval, over the times where every part has a sample (a
        minute one series skipped would otherwise pair one series' one-minute increase with the other's
        two-minute one). Each series' last sample is kept as the next read's baseline: an hourly read
        after a gap continues from it, and the minutes after it from the last hour's maximum."""
        if not raw:
            return raw
        metrics = slo.sli_metrics()
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
        floor = minute_floor(now)
        old: dict[int, list[tuple[int, Counts]]] = {}
        for when, pair in list(state.minutes.items()):
            if int(when) < floor:
                old.setdefault(align(int(when), HOUR), []).append((int(when), _counts(pair)))
                del state.minutes[when]
        for hour, minutes in old.items():
            state.hours[str(hour)] = _pair(
                self._slices(slo, minutes)
                if slo.budgeting == Budgeting.TIMESLICES
                else _sum(c for _, c in minutes)
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
        """Counts over [now - length, now): minutes where kept, whole hours before, and the minutes of the
        hour the window starts in where they were read (else that whole hour)."""
        start = now - length
        floor = buckets.floor
        hour_spans = [(start, floor - HOUR + 1)]  # hour buckets starting in the window, wholly before floor
        edge_hour = align(start, HOUR)
        edge = None
        if start < floor and edge_hour < start:
            edge = buckets.edges.get(edge_hour)
            if edge is None:
                hour_spans.append((edge_hour, edge_hour + 1))  # its minutes not read: the whole hour
        good: Number = 0
        total: Number = 0
        for first, end in hour_spans:
            g, t = buckets.hours.between(first, end)
            good, total = good + g, total + t
        if slo.budgeting == Budgeting.TIMESLICES:
            minutes = buckets.minutes.counts(start, now)
            if edge is not None:
                minutes = edge.counts(start, edge_hour + HOUR) + minutes
            return Evaluator._slices(slo, minutes) + Counts(Fraction(good), Fraction(total))
        for series in (buckets.minutes, edge):
            if series is not None:
                g, t = series.between(start, now)
                good, total = good + g, total + t
        return Counts(Fraction(good), Fraction(total))

    def _evaluate(self, slo: Slo, state: SloState, now: int) -> SloReport:
        at = datetime.fromtimestamp(now, UTC)
        buckets = Buckets.of(state, now)  # parsed once for every window
        lengths = windows_needed(slo.rules)
        windows = {w: self.window(slo, buckets, now, int(w.total_seconds())) for w in lengths}
        burns = {w: burn_rate(c, slo.target) for w, c in windows.items()}
        period_start = int(slo.period(at)[0].timestamp())
        period = self.window(slo, buckets, now, now - period_start)
        remaining = budget(period, slo.target).remaining
        read = timedelta(seconds=max(0, now - state.covered_from))
        partial = {w: read for w in lengths if state.covered_from and w > read}
        results = evaluate(slo.rules, windows, slo.target, min_events=slo.min_events, partial=partial)
        report = SloReport(slo, now, windows, burns, period, remaining, results)
        current = {r.rule.name for r in results}
        for name in [n for n in state.firing if n not in current]:  # a rule removed or renamed: resolved
            del state.firing[name]
            state.breach_since.pop(name, None)
            report.resolved.append(name)
        for result in results:
            name = result.rule.name
            if not (result.firing or result.suppressed):
                state.breach_since.pop(name, None)
                if state.firing.pop(name, None) is not None:
                    report.resolved.append(name)
                continue
            since = state.breach_since.setdefault(name, now)
            if result.suppressed:
                # held back by a firing page: an alert already out stays active and silent (no false
                # resolve), one not yet out waits; either speaks if still firing once the page resolves
                continue
            if now - since >= int(result.rule.alert_after.total_seconds()):
                state.firing.setdefault(name, now)
                report.firing.append(result)
        return report


def _bucket_counts(slo: Slo, raw: dict[str, dict[int, float]], period: int) -> dict[int, list[str]]:
    """Each period's values -> its events, as stored ([good, total]): good (or bad) of total for a ratio;
    for a threshold SLI each minute's data point is one event, good when it meets the threshold (an
    hour's: 60, judged together)."""
    series = {part: {t: _exact(v) for t, v in points.items()} for part, points in raw.items()}
    out: dict[int, list[str]] = {}
    if slo.threshold is not None:
        weight = max(period // MINUTE, 1)
        for when, value in series.get("value", {}).items():
            met = weight if slo.threshold.good(Fraction(value)) else 0
            out[when] = [str(met), str(weight)]
        return out
    totals, goods, bads = series.get("total", {}), series.get("good"), series.get("bad", {})
    for when in sorted(set().union(*[set(s) for s in series.values()]) if series else set()):
        total: Number = totals.get(when, 0)
        good: Number = goods.get(when, 0) if goods is not None else total - bads.get(when, 0)
        good = min(max(good, 0), total)  # a late total must not make good exceed it
        if total < 0:
            raise ValueError(f"counts cannot be negative: total={total} at {when}")
        out[when] = [str(good), str(total)]
    return out


def _exact(value: float) -> Number:
    """A CloudWatch value, exactly as it reads in decimal (a whole number stays an int: most are)."""
    if isinstance(value, int) or value.is_integer():
        return int(value)
    return Fraction(str(value))


def _edge_increases(slo: Slo, raw: dict[str, dict[int, float]]) -> dict[str, dict[int, float]]:
    """An edge hour's counter samples -> increases (the sample before the hour is the baseline)."""
    if not slo.counter or not raw:
        return raw
    common = sorted(set.intersection(*[set(points) for points in raw.values()]))
    return {part: increases([(t, points[t]) for t in common], None)[0] for part, points in raw.items()}

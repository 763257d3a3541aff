"""Synthetic SLO traffic for comparing the SLO evaluator with Prometheus (the oracle): one SLO per scenario,
deterministic per-minute counts, and how each metric reaches CloudWatch (raw samples and when they become
visible) and Prometheus (cumulative counters, always on time: the truth).

Every scenario is a 99.9% SLO over a rolling 30 days with the Workbook's default rules (page-1h-5m > 14.4,
page-6h-30m > 6, ticket-3d-6h > 1), on ~1000 requests a minute with 0.05% errors (a burn of 0.5) outside its
incidents. Data starts 4 days before the first evaluation, so the 3d window is full from the start.

Times: minute `m` (epoch seconds, a multiple of 60) holds the events of [m, m + 60). The evaluator's window
of length W at `now` is the minutes [now - W, now). CloudWatch gets each minute's counts as raw values inside
the minute (two per minute: the Sum of a minute is their sum, the Maximum of a counter its last value), visible
at the minute's end (`m + 60`, plus `error_delay` for the error metric). Prometheus gets, at `m + 60`, the
cumulative count through minute m (see tests/conformance/record_slo_prometheus.py for why).

    python -c "from support.slo_scenarios import SCENARIOS; print([s.name for s in SCENARIOS])"
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from functools import cached_property

MINUTE, HOUR, DAY = 60, 3600, 86400
NAMESPACE = "Conformance/SLO"
ERRORS, REQUESTS = "Errors", "Requests"
BASELINE = Fraction(1, 2000)  # 0.05% errors: a burn of 0.5
TARGET = Fraction(999, 1000)
HISTORY = 4 * DAY  # data before the interesting part: a full 3d window and a day of margin


def at(day: int, hour: int, minute: int = 0) -> int:
    """Epoch seconds of 2026-11-`day` hour:minute UTC."""
    return int(datetime(2026, 11, day, hour, minute, tzinfo=UTC).timestamp())


@dataclass(frozen=True)
class Point:
    """One raw CloudWatch value: metric name, timestamp, value, and when it becomes visible."""

    metric: str
    timestamp: int
    value: float
    arrival: int


@dataclass(frozen=True)
class Scenario:
    name: str
    about: str
    start: int  # the evaluator's first run (no saved state before it)
    end: int  # its last run (inclusive); Prometheus is asked over [start, end] at 60-s steps
    incidents: tuple[tuple[int, int, Fraction], ...] = ()  # [from, to): error rate
    gaps: tuple[tuple[int, int], ...] = ()  # [from, to): no data at all, in either metric
    counter: bool = False  # cumulative counters (stat Maximum) rather than per-minute counts (stat Sum)
    resets: tuple[int, ...] = ()  # counters: minutes at whose start both counters restart at 0
    error_delay: int = 0  # seconds the error metric's points arrive after their minute's end
    data_end: int = 0  # 0: data until `end`; else the last minute with data ends here (exclusive)

    @property
    def data_start(self) -> int:
        return self.start - HISTORY

    @property
    def last_data(self) -> int:
        return self.data_end or self.end

    def error_rate(self, minute: int) -> Fraction:
        for begin, finish, rate in self.incidents:
            if begin <= minute < finish:
                return rate
        return BASELINE

    @cached_property
    def minutes(self) -> dict[int, tuple[int, int]]:
        """minute -> (requests, errors); minutes in a gap are absent. Errors are spread evenly (the
        floor of the running expected count), so a window's error rate is its nominal rate to within one."""
        out: dict[int, tuple[int, int]] = {}
        expected = Fraction(0)
        for minute in range(self.data_start, self.last_data, MINUTE):
            if any(begin <= minute < finish for begin, finish in self.gaps):
                continue
            requests = 1000 + (minute // MINUTE * 7919) % 61 - 30
            before = int(expected)
            expected += requests * self.error_rate(minute)
            out[minute] = (requests, int(expected) - before)
        return out

    @cached_property
    def cumulative(self) -> list[tuple[int, int, int]]:
        """(minute, requests, errors) counter values at the end of each minute with data: running totals
        since the data's start, or for counter scenarios since the last reset."""
        out = []
        requests = errors = 0
        for minute, (r, e) in sorted(self.minutes.items()):
            if minute in self.resets:
                requests = errors = 0
            requests, errors = requests + r, errors + e
            out.append((minute, requests, errors))
        return out

    def cloudwatch_points(self) -> list[Point]:
        """The raw values an application publishes: two per metric per minute (at :15 and :45), visible
        at the minute's end (errors `error_delay` later)."""
        points = []
        if self.counter:
            previous = {REQUESTS: 0, ERRORS: 0}
            for minute, requests, errors in self.cumulative:
                for metric, value in ((REQUESTS, requests), (ERRORS, errors)):
                    base = 0 if minute in self.resets else previous[metric]
                    arrival = minute + MINUTE + (self.error_delay if metric == ERRORS else 0)
                    middle = base + (value - base) // 2  # the counter half-way through the minute
                    points.append(Point(metric, minute + 15, float(middle), arrival))
                    points.append(Point(metric, minute + 45, float(value), arrival))
                    previous[metric] = value
            return points
        for minute, (requests, errors) in sorted(self.minutes.items()):
            for metric, value in ((REQUESTS, requests), (ERRORS, errors)):
                arrival = minute + MINUTE + (self.error_delay if metric == ERRORS else 0)
                points.append(Point(metric, minute + 15, float(value // 2), arrival))
                points.append(Point(metric, minute + 45, float(value - value // 2), arrival))
        return points

    def prometheus_samples(self) -> list[tuple[int, int, int]]:
        """(timestamp, requests_total, errors_total): 0 at the data's start, then each minute's counter
        value at the minute's end (`m + 60`)."""
        return [(self.data_start, 0, 0)] + [(m + MINUTE, r, e) for m, r, e in self.cumulative]

    def truth(self, start: int, end: int) -> tuple[int, int]:
        """(requests, errors) over the minutes [start, end)."""
        items = [v for m, v in self.minutes.items() if start <= m < end]
        return sum(r for r, _ in items), sum(e for _, e in items)

    def slo_yaml(self) -> str:
        stat = "Maximum" if self.counter else "Sum"

        def source(metric: str) -> str:
            return (
                f"{{metricSource: {{type: CloudWatch, spec: {{namespace: {NAMESPACE}, metricName: {metric}, "
                f"dimensions: [{{name: Service, value: {self.name}}}], stat: {stat}}}}}}}"
            )

        return f"""apiVersion: openslo/v1
kind: SLO
metadata: {{name: {self.name}}}
spec:
  service: {self.name}
  indicator:
    metadata: {{name: {self.name}-errors}}
    spec:
      ratioMetric:
        counter: {str(self.counter).lower()}
        bad: {source(ERRORS)}
        total: {source(REQUESTS)}
  timeWindow: [{{duration: 30d, isRolling: true}}]
  budgetingMethod: Occurrences
  objectives: [{{displayName: 99.9% of requests succeed, target: 0.999}}]
"""

    def fingerprint(self) -> str:
        """A digest of what Prometheus is given and asked: a golden recorded from other data is stale."""
        text = json.dumps([self.start, self.end, self.prometheus_samples()], separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


OUTAGE = Fraction(1, 10)  # 10% errors: a burn of 100

SCENARIOS = (
    Scenario("steady", "0.05% errors throughout: nothing fires", at(20, 0), at(20, 1)),
    Scenario(
        "sharp-outage",
        "30 minutes at 10% errors: both pages fire and resolve, the ticket fires (for ~6 hours)",
        at(20, 1, 45),
        at(20, 3, 30),
        incidents=((at(20, 2, 7), at(20, 2, 37), OUTAGE),),
    ),
    Scenario(
        "slow-leak",
        "0.2% errors (a burn of 2) from 09:47 the day before: the ticket fires once the 3d window's burn "
        "passes 1, a day in (~09:47). The 3d burn climbs by 1.5/72 an hour, so the fire time is sensitive "
        "to where the 3d window starts: each minute of extra baseline at its start delays it by 20 s",
        at(20, 9, 30),
        at(20, 10, 30),
        incidents=((at(19, 9, 47), at(20, 12, 0), Fraction(2, 1000)),),
    ),
    Scenario(
        "data-gap",
        "10% errors from 02:00 to 05:00, with no data at all from 02:40 to 04:40",
        at(20, 1, 50),
        at(20, 5, 40),
        incidents=((at(20, 2, 0), at(20, 5, 0), OUTAGE),),
        gaps=((at(20, 2, 40), at(20, 4, 40)),),
    ),
    Scenario(
        "counter-reset",
        "cumulative counters (stat Maximum); 30 minutes at 10% errors, both counters restart at 0 at 02:20",
        at(20, 1, 45),
        at(20, 3, 30),
        incidents=((at(20, 2, 7), at(20, 2, 37), OUTAGE),),
        counter=True,
        resets=(at(20, 2, 20),),
    ),
    Scenario(
        "fresh-start",
        "the evaluator starts with no state at 04:30; 10% errors from 23:00 to 23:30 the day before: the "
        "ticket is firing from the start until the 6h window lets the incident go (~05:29)",
        at(20, 4, 30),
        at(20, 5, 45),
        incidents=((at(19, 23, 0), at(19, 23, 30), OUTAGE),),
    ),
    Scenario(
        "late-errors",
        "30 minutes at 10% errors; the error metric's points arrive 15 minutes late (requests on time); "
        "no data after 03:45, so that everything has arrived by the last run",
        at(20, 1, 45),
        at(20, 4, 10),
        incidents=((at(20, 2, 7), at(20, 2, 37), OUTAGE),),
        error_delay=15 * MINUTE,
        data_end=at(20, 3, 45),
    ),
)

BY_NAME = {s.name: s for s in SCENARIOS}

"""The SLO evaluator's reading and aggregating, on a fake CloudWatch (no network): aligned queries, batches
of 500, NextToken pages, the floor of 2 metrics per SLO per run, late data, roll-up into hours, counters."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest

from alertrouter.slo.cloudwatch import Plan, align, finest_period, increases
from alertrouter.slo.evaluator import Evaluator, SloState
from alertrouter.slo.loader import load_slos

NOW = int(datetime(2026, 11, 23, 3, 0, tzinfo=UTC).timestamp())


def slo_yaml(
    name: str = "api", *, counter: bool = False, budgeting: str = "Occurrences", extra: str = ""
) -> str:
    return f"""
apiVersion: openslo/v1
kind: SLO
metadata: {{name: {name}}}
spec:
  service: {name}
  indicator:
    metadata: {{name: {name}-sli}}
    spec:
      ratioMetric:
        counter: {str(counter).lower()}
        bad: {{metricSource: {{type: CloudWatch, spec: {{namespace: T, metricName: Errors, dimensions: {{Service: {name}}}, stat: {"Maximum" if counter else "Sum"}}}}}}}
        total: {{metricSource: {{type: CloudWatch, spec: {{namespace: T, metricName: Requests, dimensions: {{Service: {name}}}, stat: {"Maximum" if counter else "Sum"}}}}}}}
  timeWindow: [{{duration: 30d, isRolling: true}}]
  budgetingMethod: {budgeting}
  objectives: [{{target: 0.999{extra}}}]
"""


class FakeCloudWatch:
    """Datapoints per (metric name, service) and minute; answers GetMetricData like CloudWatch (sums per
    period, pages of `page_size` values), and records every request."""

    def __init__(self, page_size: int = 100_000) -> None:
        self.points: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
        self.requests: list[dict[str, Any]] = []
        self.page_size = page_size

    def put(self, metric: str, service: str, start: int, end: int, value: float) -> None:
        for minute in range(start, end, 60):
            self.points[(metric, service)][minute] = value

    def get_metric_data(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        start, end = int(request["StartTime"].timestamp()), int(request["EndTime"].timestamp())
        results = []
        for query in request["MetricDataQueries"]:
            stat = query["MetricStat"]
            period = stat["Period"]
            assert start % period == 0 and end % period == 0, "queries must be aligned to their period"
            assert period == 60 or period % 300 == 0
            metric = stat["Metric"]
            service = metric["Dimensions"][0]["Value"]
            series: dict[int, float] = defaultdict(float)
            for when, value in self.points[(metric["MetricName"], service)].items():
                if start <= when < end:
                    bucket = align(when, period)
                    series[bucket] = (
                        max(series[bucket], value) if stat["Stat"] == "Maximum" else series[bucket] + value
                    )
            items = sorted(series.items())
            results.append(
                {
                    "Id": query["Id"],
                    "Timestamps": [datetime.fromtimestamp(t, UTC) for t, _ in items],
                    "Values": [v for _, v in items],
                }
            )
        page = int(request.get("NextToken") or 0)
        flat = [(r["Id"], t, v) for r in results for t, v in zip(r["Timestamps"], r["Values"], strict=True)]
        chunk = flat[page * self.page_size : (page + 1) * self.page_size]
        out: dict[str, dict[str, list[Any]]] = {}
        for qid, t, v in chunk:
            out.setdefault(qid, {"Timestamps": [], "Values": []})
            out[qid]["Timestamps"].append(t)
            out[qid]["Values"].append(v)
        answer: dict[str, Any] = {"MetricDataResults": [{"Id": k, **v} for k, v in out.items()]}
        if (page + 1) * self.page_size < len(flat):
            answer["NextToken"] = str(page + 1)
        return answer


def evaluator(text: str, cloudwatch: FakeCloudWatch) -> tuple[Evaluator, dict[str, SloState]]:
    states: dict[str, SloState] = {}
    return Evaluator(load_slos(text), states.get, lambda s: states.__setitem__(s.name, s), cloudwatch), states


def test_finest_periods_follow_cloudwatchs_retention() -> None:
    assert [finest_period(timedelta(days=d)) for d in (1, 15, 16, 63, 64)] == [60, 60, 300, 300, 3600]


def test_shared_metrics_are_queried_once_and_calls_hold_at_most_500_queries() -> None:
    cloudwatch = FakeCloudWatch()
    many = "---".join(slo_yaml(f"svc{i:03d}") for i in range(300))
    ev, _ = evaluator(many, cloudwatch)
    ev.run(NOW)  # first run: hourly + minute queries for 600 metrics = 1200 queries
    assert ev.metrics == 1200 and ev.calls == 4  # two ranges (hour, minute), each in calls of <= 500
    assert max(len(r["MetricDataQueries"]) for r in cloudwatch.requests) == 500
    cloudwatch.requests.clear()
    ev.run(NOW + 60)  # the 3d window now starts at 03:01 three days ago: that hour's minutes, once
    assert ev.metrics == 1200 and ev.calls == 4
    ev.run(NOW + 120)
    assert ev.metrics == 600 and ev.calls == 2  # the floor: 2 metrics per SLO
    plan = Plan()
    [slo] = load_slos(slo_yaml())
    metric = slo.ratio.metrics()["total"]
    assert plan.add(metric, 0, 600, 60) == plan.add(metric, 0, 600, 60) and plan.metric_count == 1


def test_every_page_is_read() -> None:
    cloudwatch = FakeCloudWatch(page_size=7)
    cloudwatch.put("Requests", "api", NOW - 3600, NOW, 100)
    cloudwatch.put("Errors", "api", NOW - 3600, NOW, 1)
    ev, _ = evaluator(slo_yaml(), cloudwatch)
    [report] = ev.run(NOW)
    hour = report.windows[timedelta(hours=1)]
    assert (hour.total, hour.bad) == (6000, 60)
    assert ev.calls > 10  # many pages, every one read


@pytest.mark.slow
def test_late_data_is_re_read_and_old_minutes_roll_up_into_exact_hours() -> None:
    cloudwatch = FakeCloudWatch()
    cloudwatch.put("Requests", "api", NOW - 10 * 3600, NOW - 120, 100)
    cloudwatch.put("Errors", "api", NOW - 10 * 3600, NOW - 120, 1)
    ev, states = evaluator(slo_yaml(), cloudwatch)
    ev.run(NOW)
    cloudwatch.put("Requests", "api", NOW - 120, NOW + 12 * 3600, 100)  # two minutes arrive late, then more
    cloudwatch.put("Errors", "api", NOW - 120, NOW + 12 * 3600, 1)
    for minute in range(5, 12 * 60 + 1, 5):  # twelve hours of runs, five minutes apart
        [report] = ev.run(NOW + minute * 60)
    state = states["api"]
    assert len(state.minutes) <= 8 * 60 and all(int(w) % 3600 == 0 for w in state.hours)
    # 22 hours of 100 requests a minute, nothing lost or counted twice through re-reads and roll-ups
    period = report.period
    assert (period.total, period.bad) == (22 * 60 * 100, 22 * 60)
    assert report.windows[timedelta(days=3)].total == 22 * 60 * 100
    assert report.burns[timedelta(hours=6)] == Fraction(10)  # 1% errors against a 0.1% budget
    assert ev.metrics == 2


def test_cumulative_counters_become_increases_and_survive_a_reset() -> None:
    assert increases([(60, 10.0), (120, 15.0), (180, 3.0), (240, 5.0)], 8.0) == (
        {60: 2.0, 120: 5.0, 180: 3.0, 240: 2.0},
        5.0,
    )
    assert increases([(60, 10.0), (120, 15.0)], None) == (
        {120: 5.0},
        15.0,
    )  # the first sample is the baseline
    cloudwatch = FakeCloudWatch()
    total, errors = 0.0, 0.0
    for minute in range(NOW - 3600, NOW + 600, 60):
        if minute == NOW - 1800:
            total, errors = 0.0, 0.0  # the process restarted: its counters start again
        total, errors = total + 100, errors + 2
        cloudwatch.points[("Requests", "api")][minute] = total
        cloudwatch.points[("Errors", "api")][minute] = errors
    ev, _ = evaluator(slo_yaml(counter=True), cloudwatch)
    ev.run(NOW - 600)
    for minute in range(1, 11):
        [report] = ev.run(NOW - 600 + minute * 60)
    hour = report.windows[timedelta(hours=1)]
    # every interval but the very first (the baseline) counted once, the reset included
    assert hour.total == 59 * 100 and hour.bad == 59 * 2


def test_timeslices_count_good_minutes() -> None:
    cloudwatch = FakeCloudWatch()
    cloudwatch.put("Requests", "api", NOW - 3600, NOW, 100)
    cloudwatch.put("Errors", "api", NOW - 3600, NOW - 3000, 0)
    cloudwatch.put("Errors", "api", NOW - 3000, NOW - 2400, 10)  # ten bad minutes (10% errors each)
    text = slo_yaml(budgeting="Timeslices", extra=", timeSliceTarget: 0.95, timeSliceWindow: 1m")
    ev, _ = evaluator(text, cloudwatch)
    [report] = ev.run(NOW)
    hour = report.windows[timedelta(hours=1)]
    assert (hour.total, hour.bad) == (60, 10)  # 60 slices with data, 10 of them bad


@pytest.mark.parametrize("alert_after", ["0m", "5m"])
def test_alert_after_waits_for_the_condition_to_hold(alert_after: str) -> None:
    policy = f"""
  alertPolicies:
    - kind: AlertPolicy
      metadata: {{name: fast}}
      spec:
        conditions:
          - kind: AlertCondition
            metadata: {{name: fast-1h}}
            spec:
              severity: page
              condition: {{kind: burnrate, threshold: 14.4, lookbackWindow: 1h, alertAfter: {alert_after}}}
"""
    cloudwatch = FakeCloudWatch()
    cloudwatch.put("Requests", "api", NOW - 3600, NOW + 3600, 100)
    cloudwatch.put("Errors", "api", NOW - 3600, NOW + 3600, 5)  # 5% errors: burn 50
    ev, _ = evaluator(slo_yaml() + policy, cloudwatch)
    fired = [bool(ev.run(NOW + m * 60)[0].firing) for m in range(0, 7)]
    assert fired == ([True] * 7 if alert_after == "0m" else [False] * 5 + [True] * 2)


def test_a_counter_sample_missing_from_one_series_invents_no_errors() -> None:
    cloudwatch = FakeCloudWatch()
    total = errors = 0.0
    for minute in range(NOW - 3600, NOW, 60):
        total += 100
        cloudwatch.points[("Requests", "api")][minute] = total
        if minute != NOW - 1800:  # the error counter skipped one minute (nothing failed, ever)
            cloudwatch.points[("Errors", "api")][minute] = errors
    ev, _ = evaluator(slo_yaml(counter=True), cloudwatch)
    [report] = ev.run(NOW)
    assert all(c.bad == 0 for c in report.windows.values()) and report.firing == []


def test_after_the_evaluator_stopped_for_hours_no_event_is_lost_or_counted_twice() -> None:
    cloudwatch = FakeCloudWatch()
    cloudwatch.put("Requests", "api", NOW - 3 * 3600, NOW + 12 * 3600, 100)
    cloudwatch.put("Errors", "api", NOW - 3 * 3600, NOW + 12 * 3600, 1)
    ev, _ = evaluator(slo_yaml(), cloudwatch)
    ev.run(NOW + 35 * 60)  # last run at 03:35 ...
    [report] = ev.run(NOW + 35 * 60 + int(7.5 * 3600))  # ... then 7.5 hours of nothing (e.g. throttled)
    minutes = 3 * 60 + 35 + int(7.5 * 60)
    assert (report.period.total, report.period.bad) == (minutes * 100, minutes)


def test_a_calendar_month_keeps_the_hours_its_3d_window_needs_at_the_start_of_a_month() -> None:
    month = slo_yaml().replace(
        "timeWindow: [{duration: 30d, isRolling: true}]",
        "timeWindow: [{duration: 1M, isRolling: false, calendar: "
        "{startTime: '2026-01-01 00:00:00', timeZone: UTC}}]",
    )
    start = int(datetime(2026, 12, 1, 12, 0, tzinfo=UTC).timestamp())
    cloudwatch = FakeCloudWatch()
    cloudwatch.put("Requests", "api", start - 4 * 86400, start + 3600, 100)
    cloudwatch.put("Errors", "api", start - 4 * 86400, start + 3600, 0)
    ev, _ = evaluator(month, cloudwatch)
    ev.run(start)
    [report] = ev.run(start + 3600)
    assert report.windows[timedelta(days=3)].total == 3 * 86400 // 60 * 100  # reaches into November
    assert report.period.total == (12 + 1) * 60 * 100  # the budget counts December only


def test_a_rule_removed_from_the_file_resolves_its_alert() -> None:
    cloudwatch = FakeCloudWatch()
    cloudwatch.put("Requests", "api", NOW - 3600, NOW + 120, 100)
    cloudwatch.put("Errors", "api", NOW - 3600, NOW + 120, 5)
    states: dict[str, SloState] = {}
    first = Evaluator(load_slos(slo_yaml()), states.get, lambda s: states.__setitem__(s.name, s), cloudwatch)
    assert [r.rule.name for r in first.run(NOW)[0].firing] == ["page-1h-5m", "page-6h-30m"]
    only_ticket = (
        slo_yaml()
        + """
  alertPolicies:
    - kind: AlertPolicy
      metadata: {name: slow}
      spec:
        conditions:
          - kind: AlertCondition
            metadata: {name: slow-3d}
            spec: {severity: ticket, condition: {kind: burnrate, threshold: 1, lookbackWindow: 3d}}
"""
    )
    edited = Evaluator(
        load_slos(only_ticket), states.get, lambda s: states.__setitem__(s.name, s), cloudwatch
    )
    [report] = edited.run(NOW + 60)
    assert sorted(report.resolved) == ["page-1h-5m", "page-6h-30m"]


def _counter_history(cloudwatch: FakeCloudWatch, start: int, end: int, bad_per_minute: Any) -> None:
    """Cumulative counters sampled each minute: 1000 requests a minute, `bad_per_minute(minute)` failing."""
    total = errors = 0.0
    for minute in range(start, end, 60):
        total, errors = total + 1000, errors + bad_per_minute(minute)
        cloudwatch.points[("Requests", "api")][minute] = total
        cloudwatch.points[("Errors", "api")][minute] = errors


def test_a_fresh_start_reads_the_counters_history_and_sends_no_false_ticket() -> None:
    """Before: a counter SLO with no saved state judged its 3d window on the 7 hours of minute buckets, so
    an incident 5 hours ago made the ticket fire for hours. Now the first run reads the hourly maxima
    back to the period's start: the 3d window holds 3 days, of which 30 minutes were bad."""
    cloudwatch = FakeCloudWatch()
    incident = range(NOW - 5 * 3600, NOW - 5 * 3600 + 1800)
    _counter_history(cloudwatch, NOW - 31 * 86400, NOW, lambda m: 50 if m in incident else 0)
    ev, states = evaluator(slo_yaml(counter=True), cloudwatch)
    [report] = ev.run(NOW)
    three_days = report.windows[timedelta(days=3)]
    assert three_days.total == 3 * 1440 * 1000 and three_days.bad == 30 * 50
    assert report.burns[timedelta(hours=6)] == Fraction(1500, 360_000) / Fraction(1, 1000)  # 4.17 > 1 ...
    assert report.burns[timedelta(days=3)] < 1  # ... but the 3d window is not: no ticket
    assert report.firing == [] and all(r.reason == "" for r in report.results)
    # the first hour read is only the counters' baseline: the buckets are complete from the next one
    assert states["api"].covered_from == align(NOW - 30 * 86400, 3600) + 3600


def test_a_window_longer_than_the_data_that_can_be_read_is_not_judged_and_says_so() -> None:
    """Timeslices need minutes, which CloudWatch keeps 15 days: a 20-day rule window after a fresh start
    is not judged (it would judge 15 days as if they were 20) and its result says why."""
    policy = """
  alertPolicies:
    - kind: AlertPolicy
      metadata: {name: long}
      spec:
        conditions:
          - kind: AlertCondition
            metadata: {name: long-20d}
            spec: {severity: ticket, condition: {kind: burnrate, threshold: 1.2, lookbackWindow: 20d, shortWindow: 1d}}
"""
    text = slo_yaml(budgeting="Timeslices", extra=", timeSliceTarget: 0.95, timeSliceWindow: 1m") + policy
    cloudwatch = FakeCloudWatch()
    cloudwatch.put("Requests", "api", NOW - 21 * 86400, NOW, 100)
    cloudwatch.put("Errors", "api", NOW - 86400, NOW, 10)  # every slice of the last day is bad
    ev, _ = evaluator(text, cloudwatch)
    [report] = ev.run(NOW)
    [result] = report.results
    assert not result.firing and result.reason.startswith("only 14d23h of the 20d window read so far")


@pytest.mark.slow
def test_late_errors_are_counted_when_they_arrive_and_the_outage_pages() -> None:
    """Before: minutes were read again for 10 minutes only, so errors arriving 15 minutes late were never
    counted and a 30-minute 10% outage never paged. Now the last 3 hours are read again each run."""
    cloudwatch = FakeCloudWatch()
    cloudwatch.put("Requests", "api", NOW - 4 * 86400, NOW + 3 * 3600, 1000)
    cloudwatch.put("Errors", "api", NOW - 4 * 86400, NOW + 3 * 3600, 0)
    ev, states = evaluator(slo_yaml(), cloudwatch)
    outage = range(NOW, NOW + 1800, 60)
    fired: list[str] = []
    for minute in range(NOW, NOW + 3 * 3600, 60):
        arrived = minute - 15 * 60  # the error counts of a minute arrive 15 minutes after it
        if arrived in outage:
            cloudwatch.points[("Errors", "api")][arrived] = 100
        [report] = ev.run(minute)
        fired += [r.rule.name for r in report.firing if r.rule.name not in fired]
    assert report.period.bad == 30 * 100  # every late error counted, once
    # the 6h/30m page sees them (its 30m window is longer than the lateness); the 1h/5m one cannot:
    # its 5-minute window never holds errors that arrive 15 minutes late
    assert fired == ["page-6h-30m"]
    assert states["api"].firing == {}  # and it resolved once the 30m window recovered


def test_a_3d_window_starts_on_its_minute() -> None:
    """Before: windows longer than the minute buckets started on the hour (up to 59 minutes too many)."""
    cloudwatch = FakeCloudWatch()
    start = NOW - 4 * 86400
    for minute in range(start, NOW + 3600, 60):
        cloudwatch.points[("Requests", "api")][minute] = 100 + minute // 60 % 7
        cloudwatch.points[("Errors", "api")][minute] = minute // 60 % 3
    ev, _ = evaluator(slo_yaml(), cloudwatch)
    for offset in (0, 17 * 60, 41 * 60, 59 * 60):
        [report] = ev.run(NOW + offset)
        now = NOW + offset
        minutes = range(now - 3 * 86400, now, 60)
        got = report.windows[timedelta(days=3)]
        assert got.total == sum(100 + m // 60 % 7 for m in minutes)
        assert got.bad == sum(m // 60 % 3 for m in minutes)


@pytest.mark.slow
def test_a_ticket_held_back_by_a_page_stays_active_and_speaks_again_only_if_still_firing() -> None:
    """Before: a firing page suppressed the ticket by resolving it (a false "resolved"), and the ticket
    came back later as a new alert. Now it stays active and silent while the page fires."""
    cloudwatch = FakeCloudWatch()
    cloudwatch.put("Requests", "api", NOW - 4 * 86400, NOW + 3 * 3600, 1000)
    cloudwatch.put("Errors", "api", NOW - 4 * 86400, NOW - 24 * 3600, 0)
    cloudwatch.put("Errors", "api", NOW - 24 * 3600, NOW, 5)  # 0.5% for a day: burn 5, the ticket fires
    cloudwatch.put("Errors", "api", NOW, NOW + 20 * 60, 100)  # 10% for 20 minutes: the pages fire
    cloudwatch.put("Errors", "api", NOW + 20 * 60, NOW + 3 * 3600, 5)  # back to burn 5
    ev, states = evaluator(slo_yaml(), cloudwatch)
    [before] = ev.run(NOW)
    assert [r.rule.name for r in before.firing] == ["ticket-3d-6h"]
    sent, resolved = [], []
    for minute in range(1, 3 * 60):
        [report] = ev.run(NOW + minute * 60)
        sent.append({r.rule.name for r in report.firing})
        resolved += report.resolved
    assert "ticket-3d-6h" not in resolved  # never falsely resolved
    held = [m for m, names in enumerate(sent, start=1) if "page-1h-5m" in names]
    assert held and all("ticket-3d-6h" not in sent[m - 1] for m in held)  # silent while the page fires
    assert "ticket-3d-6h" in states["api"].firing  # active throughout
    assert "ticket-3d-6h" in sent[-1]  # the pages resolved, the ticket still holds: it speaks again


THRESHOLD_SLO = """
apiVersion: openslo/v1
kind: SLO
metadata: {name: latency}
spec:
  service: api
  indicator:
    metadata: {name: latency-max}
    spec:
      thresholdMetric:
        metricSource: {type: CloudWatch, spec: {namespace: T, metricName: Latency, dimensions: {Service: api}, stat: Maximum}}
  timeWindow: [{duration: 30d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{op: lte, value: 0.3, target: 0.99}]
"""


def test_a_threshold_sli_counts_each_minute_as_one_event_good_when_it_meets_the_threshold() -> None:
    cloudwatch = FakeCloudWatch()
    cloudwatch.put("Latency", "api", NOW - 4 * 86400, NOW - 3600, 0.25)  # at most 300 ms: good
    cloudwatch.put("Latency", "api", NOW - 3600, NOW - 3000, 0.3)  # exactly 300 ms: still good (lte)
    cloudwatch.put("Latency", "api", NOW - 3000, NOW, 0.9)  # 50 slow minutes
    ev, _ = evaluator(THRESHOLD_SLO, cloudwatch)
    [report] = ev.run(NOW)
    hour, five = report.windows[timedelta(hours=1)], report.windows[timedelta(minutes=5)]
    assert (hour.total, hour.bad) == (60, 50) and (five.total, five.bad) == (5, 5)
    three_days = report.windows[timedelta(days=3)]
    assert (three_days.total, three_days.bad) == (3 * 1440, 50)  # minutes read back 3 days on the first run
    # burn over 1h: (50/60) / 0.01 = 83.3, over 5m: 100: the page fires
    assert [r.rule.name for r in report.firing] == ["page-1h-5m", "page-6h-30m"]
    assert ev.metrics == 2  # one metric: hourly for the period's older days, minutes for the rule windows

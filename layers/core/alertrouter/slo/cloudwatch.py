"""Reading SLO metrics from CloudWatch for as little as CloudWatch bills.

GetMetricData is billed per metric requested, so each run asks only for what changed: the minutes
since the last run plus the last few again (late data), one query per distinct metric. What was read
before is kept in the state table as per-minute buckets (the last hours) rolled up into hourly buckets
(the rest of the SLO period). Queries follow CloudWatch's rules: periods of 60 s only for data younger
than 15 days, 300 s younger than 63 days, 3600 s beyond; start and end aligned to the period; at most
500 queries per call; results paged with NextToken.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

MAX_QUERIES_PER_CALL = 500
MINUTE, HOUR = 60, 3600


class MetricLike(Protocol):
    """What the plan needs of a metric (slo/compiled.py): where it is, and the queries that read it."""

    @property
    def region(self) -> str | None: ...

    @property
    def billed_metrics(self) -> int: ...

    @property
    def one_per_call(self) -> bool: ...

    def key(self) -> str: ...

    def data_queries(self, qid: str, period: int) -> list[dict[str, Any]]: ...


def finest_period(age: timedelta) -> int:
    """The shortest period CloudWatch keeps for data this old (seconds)."""
    if age <= timedelta(days=15):
        return MINUTE
    if age <= timedelta(days=63):
        return 300
    return HOUR


def align(ts: int, period: int) -> int:
    return ts - ts % period


@dataclass(frozen=True)
class Query:
    """One metric over one aligned time range at one period."""

    metric_key: str
    start: int  # epoch seconds, aligned to period
    end: int
    period: int
    region: str | None = None  # None: the evaluator's own region


@dataclass
class Plan:
    """The queries of one run, de-duplicated (SLOs sharing a metric share its query)."""

    metrics: dict[str, MetricLike] = field(default_factory=dict)
    queries: dict[Query, str] = field(default_factory=dict)  # query -> its GetMetricData id

    def add(self, metric: MetricLike, start: int, end: int, period: int) -> Query:
        start, end = align(start, period), align(end, period)
        key = metric.key()
        self.metrics.setdefault(key, metric)
        query = Query(key, start, end, period, metric.region)
        if end > start:
            self.queries.setdefault(query, f"q{len(self.queries)}")
        return query

    @property
    def metric_count(self) -> int:
        """What CloudWatch bills for the whole plan."""
        return self.billed(self.queries)

    def billed(self, queries: Iterable[Query]) -> int:
        """What CloudWatch bills for these queries: the metrics each reads (one for a plain metric)."""
        return sum(self.metrics[q.metric_key].billed_metrics for q in queries)


@dataclass
class FetchResult:
    values: dict[Query, dict[int, float]]  # query -> epoch second -> value
    calls: int
    metrics: int


def fetch(client_for: Callable[[str | None], Any], plan: Plan) -> FetchResult:
    """Run the plan: per region, queries of the same range in calls of at most 500 queries, every page
    read. `client_for(region)` gives the CloudWatch client of a region (None: the evaluator's own)."""
    by_range: dict[tuple[str, int, int], list[Query]] = {}
    for query in plan.queries:
        by_range.setdefault((query.region or "", query.start, query.end), []).append(query)
    values: dict[Query, dict[int, float]] = {q: {} for q in plan.queries}
    calls = 0
    for (region, start, end), queries in sorted(by_range.items()):
        client = client_for(region or None)
        for batch in _batches(plan, queries):
            by_id = {plan.queries[q]: q for q in batch}
            request: dict[str, Any] = {
                "MetricDataQueries": [entry for q in batch for entry in _queries(plan, q)],
                "StartTime": datetime.fromtimestamp(start, UTC),
                "EndTime": datetime.fromtimestamp(end, UTC),
                "ScanBy": "TimestampAscending",
            }
            while True:
                calls += 1
                got = client.get_metric_data(**request)
                for message in got.get("Messages", []):
                    raise RuntimeError(f"GetMetricData: {message.get('Code')}: {message.get('Value')}")
                for result in got.get("MetricDataResults", []):
                    if result.get("StatusCode") in ("InternalError", "Forbidden"):
                        # not to be skipped: the run fails, its state is not saved, the next run reads it again
                        raise RuntimeError(
                            f"GetMetricData {result.get('StatusCode')} for {result['Id']}: "
                            f"{result.get('Messages')}"
                        )
                    series = values[by_id[result["Id"]]]
                    for when, value in zip(
                        result.get("Timestamps", []), result.get("Values", []), strict=False
                    ):
                        series[int(when.timestamp())] = float(value)
                token = got.get("NextToken")
                if not token:
                    break
                request["NextToken"] = token
    return FetchResult(values, calls, plan.metric_count)


def _batches(plan: Plan, queries: list[Query]) -> Iterable[list[Query]]:
    """Queries in calls of at most 500 MetricDataQueries entries (a metric-math query brings its own)."""
    batch: list[Query] = []
    size = 0
    for query in queries:
        entries = len(_queries(plan, query))
        if plan.metrics[query.metric_key].one_per_call:
            yield [query]  # a Metrics Insights query: CloudWatch takes one per GetMetricData call
            continue
        if batch and size + entries > MAX_QUERIES_PER_CALL:
            yield batch
            batch, size = [], 0
        batch.append(query)
        size += entries
    if batch:
        yield batch


def _queries(plan: Plan, query: Query) -> list[dict[str, Any]]:
    return plan.metrics[query.metric_key].data_queries(plan.queries[query], query.period)


def increases(
    points: Iterable[tuple[int, float]], last: float | None
) -> tuple[dict[int, float], float | None]:
    """A cumulative counter's samples -> the increase in each interval. A drop is a reset (the process
    restarted): the increase is the new value, as Prometheus' increase() counts it. The first sample
    needs the last one of the previous run; without it its increase is unknown and left out."""
    out: dict[int, float] = {}
    for when, value in sorted(points):
        if last is not None:
            out[when] = value - last if value >= last else value
        last = value
    return out, last

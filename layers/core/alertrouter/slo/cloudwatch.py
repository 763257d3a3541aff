"""Reading SLO metrics from CloudWatch for as little as CloudWatch bills.

GetMetricData is billed per metric requested, so each run asks only for what changed: the minutes
since the last run plus the last few again (late data), one query per distinct metric. What was read
before is kept in the state table as per-minute buckets (the last hours) rolled up into hourly buckets
(the rest of the SLO period). Queries follow CloudWatch's rules: periods of 60 s only for data younger
than 15 days, 300 s younger than 63 days, 3600 s beyond; start and end aligned to the period; at most
500 queries per call; results paged with NextToken.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

MAX_QUERIES_PER_CALL = 500
MINUTE, HOUR = 60, 3600


class MetricLike(Protocol):
    @property
    def namespace(self) -> str: ...

    @property
    def metric_name(self) -> str: ...

    @property
    def dimensions(self) -> dict[str, str]: ...

    @property
    def stat(self) -> str: ...

    def key(self) -> str: ...


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


@dataclass
class Plan:
    """The queries of one run, de-duplicated (SLOs sharing a metric share its query)."""

    metrics: dict[str, MetricLike] = field(default_factory=dict)
    queries: dict[Query, str] = field(default_factory=dict)  # query -> its GetMetricData id

    def add(self, metric: MetricLike, start: int, end: int, period: int) -> Query:
        start, end = align(start, period), align(end, period)
        key = metric.key()
        self.metrics.setdefault(key, metric)
        query = Query(key, start, end, period)
        if end > start:
            self.queries.setdefault(query, f"q{len(self.queries)}")
        return query

    @property
    def metric_count(self) -> int:
        """What CloudWatch bills: one metric per query."""
        return len(self.queries)


@dataclass
class FetchResult:
    values: dict[Query, dict[int, float]]  # query -> epoch second -> value
    calls: int
    metrics: int


def fetch(client: Any, plan: Plan) -> FetchResult:
    """Run the plan: queries of the same range in calls of at most 500, every page read."""
    by_range: dict[tuple[int, int], list[Query]] = {}
    for query in plan.queries:
        by_range.setdefault((query.start, query.end), []).append(query)
    values: dict[Query, dict[int, float]] = {q: {} for q in plan.queries}
    calls = 0
    for (start, end), queries in sorted(by_range.items()):
        for first in range(0, len(queries), MAX_QUERIES_PER_CALL):
            batch = queries[first : first + MAX_QUERIES_PER_CALL]
            by_id = {plan.queries[q]: q for q in batch}
            request: dict[str, Any] = {
                "MetricDataQueries": [_query(plan, q) for q in batch],
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


def _query(plan: Plan, query: Query) -> dict[str, Any]:
    metric = plan.metrics[query.metric_key]
    return {
        "Id": plan.queries[query],
        "ReturnData": True,
        "MetricStat": {
            "Metric": {
                "Namespace": metric.namespace,
                "MetricName": metric.metric_name,
                "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(metric.dimensions.items())],
            },
            "Period": query.period,
            "Stat": metric.stat,
        },
    }


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

"""An in-process CloudWatch GetMetricData for MetricStat queries, after the API reference (GetMetricData,
MetricStat), so that the SLO evaluator's own reading code runs against it:

- raw values are stored as published (namespace, name, dimensions, timestamp, value); a statistic is computed
  per period over the raw values in it: Sum, Maximum, Minimum, SampleCount, Average. A cumulative counter is
  its raw samples, so Maximum per period is its last value in that period (for a counter that only grows);
- a value is visible only once its arrival time is at or before the stand-in's `clock` (set by the test):
  late data is simply not there yet;
- StartTime is inclusive, EndTime exclusive; StartTime is rounded down to the minute when less than 15 days
  old, to 5 minutes between 15 and 63 days, to the hour beyond; periods start at StartTime;
- retention: 60-s periods only for data less than 15 days old, multiples of 300 s up to 63 days, of 3600 s up
  to 455 days. The reference states this for the query's StartTime ("no data points in that time range is
  returned"); here it is applied to each period, so a too-fine period returns nothing for its old part;
- at most 500 queries per call (ValidationError beyond), unique Ids; at most MaxDatapoints (100,800 by
  default) values per call: the rest is paged with NextToken (StatusCode PartialData until a query's last
  page, then Complete); ScanBy TimestampDescending unless TimestampAscending is asked.

Nothing else of the API (metric math, Metrics Insights, units, high-resolution periods) is modelled.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

MINUTE, HOUR, DAY = 60, 3600, 86400
MAX_QUERIES = 500
MAX_DATAPOINTS = 100_800
STATS = ("Sum", "Maximum", "Minimum", "SampleCount", "Average")

MetricKey = tuple[str, str, frozenset[tuple[str, str]]]


def _invalid(message: str) -> ClientError:
    return ClientError({"Error": {"Code": "ValidationError", "Message": message}}, "GetMetricData")


def _epoch(value: Any) -> float:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise _invalid("naive datetime: botocore would read it as local time")
        return value.timestamp()
    return float(value)


def finest_period(age: float) -> int:
    """The finest period CloudWatch still answers for data `age` seconds old (0: none any more)."""
    if age < 15 * DAY:
        return MINUTE
    if age < 63 * DAY:
        return 300
    if age < 455 * DAY:
        return HOUR
    return 0


def _statistic(stat: str, values: Sequence[float]) -> float:
    if stat == "Sum":
        return sum(values)
    if stat == "Maximum":
        return max(values)
    if stat == "Minimum":
        return min(values)
    if stat == "SampleCount":
        return float(len(values))
    return sum(values) / len(values)  # Average


@dataclass
class _Series:
    """One metric's raw values in timestamp order, with their arrival times."""

    times: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)

    def between(self, start: float, end: float, clock: float) -> Iterable[tuple[float, float]]:
        lo, hi = bisect.bisect_left(self.times, start), bisect.bisect_left(self.times, end)
        for i in range(lo, hi):
            if self.arrivals[i] <= clock:
                yield self.times[i], self.values[i]


class CloudWatchStandIn:
    """`put` raw values, set `clock`, then call `get_metric_data(**request)` as on a boto3 client."""

    def __init__(self, clock: float = 0) -> None:
        self.clock = clock
        self._series: dict[MetricKey, _Series] = {}
        self.calls = 0

    @staticmethod
    def key(namespace: str, name: str, dimensions: dict[str, str]) -> MetricKey:
        return (namespace, name, frozenset(dimensions.items()))

    def put(
        self,
        namespace: str,
        name: str,
        dimensions: dict[str, str],
        values: Iterable[tuple[float, float, float]],
    ) -> None:
        """Raw values (timestamp, value, arrival) of one metric; an arrival at or before the timestamp is
        data visible at once."""
        series = self._series.setdefault(self.key(namespace, name, dimensions), _Series())
        merged = sorted(
            [*zip(series.times, series.values, series.arrivals, strict=True), *values], key=lambda p: p[0]
        )
        series.times = [p[0] for p in merged]
        series.values = [p[1] for p in merged]
        series.arrivals = [p[2] for p in merged]

    # ---- the API ----
    def get_metric_data(self, **request: Any) -> dict[str, Any]:
        self.calls += 1
        queries = request.get("MetricDataQueries")
        if not queries or "StartTime" not in request or "EndTime" not in request:
            raise _invalid("MetricDataQueries, StartTime and EndTime are required")
        if len(queries) > MAX_QUERIES:
            raise _invalid(f"at most {MAX_QUERIES} MetricDataQueries per call, got {len(queries)}")
        ids = [q.get("Id", "") for q in queries]
        if len(set(ids)) != len(ids) or not all(i[:1].islower() for i in ids):
            raise _invalid("query Ids must be unique and start with a lowercase letter")
        start, end = _epoch(request["StartTime"]), _epoch(request["EndTime"])
        if end <= start:
            raise _invalid("EndTime must be after StartTime")
        limit = int(request.get("MaxDatapoints", MAX_DATAPOINTS))
        ascending = request.get("ScanBy", "TimestampDescending") == "TimestampAscending"
        series = [
            (q["Id"], self._query(q, start, end, ascending)) for q in queries if q.get("ReturnData", True)
        ]
        offset = int(request.get("NextToken") or 0)
        results, taken, seen = [], 0, 0
        for qid, points in series:
            first = max(0, offset - seen)
            page = points[first : first + max(0, limit - taken)] if first < len(points) else []
            taken += len(page)
            seen += len(points)
            more = first + len(page) < len(points)
            results.append(
                {
                    "Id": qid,
                    "Label": qid,
                    "Timestamps": [datetime.fromtimestamp(t, tz=UTC) for t, _ in page],
                    "Values": [v for _, v in page],
                    "StatusCode": "PartialData" if more else "Complete",
                }
            )
        answer: dict[str, Any] = {"MetricDataResults": results, "Messages": []}
        if offset + taken < seen:
            answer["NextToken"] = str(offset + taken)
        return answer

    def _query(
        self, query: dict[str, Any], start: float, end: float, ascending: bool
    ) -> list[tuple[int, float]]:
        if "MetricStat" not in query:
            raise _invalid("only MetricStat queries are modelled")
        stat = query["MetricStat"]
        period, statistic = int(stat["Period"]), stat["Stat"]
        if period <= 0 or (period % MINUTE and period not in (1, 5, 10, 20, 30)):
            raise _invalid(f"Period must be 1, 5, 10, 20, 30 or a multiple of 60, got {period}")
        if statistic not in STATS:
            raise _invalid(f"statistic {statistic!r} is not modelled")
        metric = stat["Metric"]
        dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
        series = self._series.get(self.key(metric["Namespace"], metric["MetricName"], dims))
        rounding = finest_period(self.clock - start) or HOUR
        first = start - start % rounding
        out: list[tuple[int, float]] = []
        if series is None:
            return out
        when = first
        while when < end:
            finest = finest_period(self.clock - when)
            if finest and period % finest == 0:
                values = [v for _, v in series.between(when, min(when + period, end), self.clock)]
                if values:
                    out.append((int(when), _statistic(statistic, values)))
            when += period
        return out if ascending else out[::-1]

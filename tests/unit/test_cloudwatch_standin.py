"""The CloudWatch GetMetricData stand-in (support/cloudwatch_standin.py) keeps the documented rules the SLO
conformance test relies on: statistics per aligned period, StartTime inclusive and EndTime exclusive,
retention by period, data visible only once arrived, at most 500 queries, NextToken pages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from support.cloudwatch_standin import CloudWatchStandIn

DAY = 86400
NOW = int(datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp())
DIMS = {"Service": "api"}


def query(qid: str, stat: str = "Sum", period: int = 60, name: str = "Requests") -> dict[str, Any]:
    metric = {"Namespace": "T", "MetricName": name, "Dimensions": [{"Name": "Service", "Value": "api"}]}
    return {"Id": qid, "MetricStat": {"Metric": metric, "Period": period, "Stat": stat}}


def ask(
    cw: CloudWatchStandIn, start: int, end: int, *queries: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    return cw.get_metric_data(
        MetricDataQueries=list(queries) or [query("q")],
        StartTime=datetime.fromtimestamp(start, UTC),
        EndTime=datetime.fromtimestamp(end, UTC),
        ScanBy="TimestampAscending",
        **extra,
    )


def series(answer: dict[str, Any], qid: str = "q") -> dict[int, float]:
    [result] = [r for r in answer["MetricDataResults"] if r["Id"] == qid]
    return {int(t.timestamp()): v for t, v in zip(result["Timestamps"], result["Values"], strict=True)}


def test_statistics_per_period_with_start_inclusive_and_end_exclusive() -> None:
    cw = CloudWatchStandIn(clock=NOW)
    start = NOW - 3600
    cw.put("T", "Requests", DIMS, [(start + 15, 4, start), (start + 45, 6, start), (start + 60, 100, start)])
    assert series(ask(cw, start, start + 60)) == {start: 10}  # the point at start + 60 is past EndTime
    answer = ask(
        cw,
        start,
        start + 120,
        query("s"),
        query("m", "Maximum"),
        query("n", "SampleCount"),
        query("a", "Average", 120),
    )
    assert series(answer, "s") == {start: 10, start + 60: 100}
    assert series(answer, "m") == {start: 6, start + 60: 100}
    assert series(answer, "n") == {start: 2, start + 60: 1}
    assert series(answer, "a") == {start: 110 / 3}


def test_a_point_is_visible_once_arrived() -> None:
    cw = CloudWatchStandIn(clock=NOW - 60)
    cw.put("T", "Requests", DIMS, [(NOW - 120, 5, NOW - 60), (NOW - 60, 7, NOW + 840)])
    assert series(ask(cw, NOW - 120, NOW)) == {NOW - 120: 5}
    cw.clock = NOW + 840
    assert series(ask(cw, NOW - 120, NOW)) == {NOW - 120: 5, NOW - 60: 7}


def test_old_data_needs_a_coarser_period() -> None:
    cw = CloudWatchStandIn(clock=NOW)
    old = NOW - 20 * DAY
    cw.put("T", "Requests", DIMS, [(old + m * 60, 1, old) for m in range(10)])
    assert series(ask(cw, old, old + 600)) == {}  # 60 s periods are gone after 15 days
    assert series(ask(cw, old, old + 600, query("q", period=300))) == {old: 5, old + 300: 5}
    cw.clock = NOW + 50 * DAY  # 70 days old: hours only
    assert series(ask(cw, old, old + 600, query("q", period=300))) == {}
    assert series(ask(cw, old - old % 3600, old - old % 3600 + 3600, query("q", period=3600))) == {
        old - old % 3600: 10
    }


def test_at_most_500_queries_and_unique_ids() -> None:
    cw = CloudWatchStandIn(clock=NOW)
    with pytest.raises(ClientError):
        ask(cw, NOW - 60, NOW, *[query(f"q{i}") for i in range(501)])
    with pytest.raises(ClientError):
        ask(cw, NOW - 60, NOW, query("q"), query("q"))
    ask(cw, NOW - 60, NOW, *[query(f"q{i}") for i in range(500)])


def test_pages_hold_at_most_max_datapoints_and_are_followed_with_next_token() -> None:
    cw = CloudWatchStandIn(clock=NOW)
    start = NOW - 3600
    cw.put("T", "Requests", DIMS, [(start + m * 60, m, start) for m in range(60)])
    cw.put("T", "Errors", DIMS, [(start + m * 60, 1, start) for m in range(60)])
    queries = [query("r"), query("e", name="Errors")]
    got: dict[str, dict[int, float]] = {"r": {}, "e": {}}
    token = None
    pages = 0
    while True:
        extra: dict[str, str] = {"NextToken": token} if token else {}
        answer = ask(cw, start, NOW, *queries, MaxDatapoints=50, **extra)
        pages += 1
        assert sum(len(r["Values"]) for r in answer["MetricDataResults"]) <= 50
        for qid in got:
            got[qid].update(series(answer, qid))
        token = answer.get("NextToken")
        if not token:
            assert all(r["StatusCode"] == "Complete" for r in answer["MetricDataResults"])
            break
    assert pages == 3 and len(got["r"]) == 60 and len(got["e"]) == 60
    assert got["r"][start + 59 * 60] == 59


def test_descending_unless_asked_otherwise() -> None:
    cw = CloudWatchStandIn(clock=NOW)
    cw.put("T", "Requests", DIMS, [(NOW - 120, 1, 0), (NOW - 60, 2, 0)])
    answer = cw.get_metric_data(
        MetricDataQueries=[query("q")],
        StartTime=datetime.fromtimestamp(NOW - 120, UTC),
        EndTime=datetime.fromtimestamp(NOW, UTC),
    )
    assert answer["MetricDataResults"][0]["Values"] == [2, 1]

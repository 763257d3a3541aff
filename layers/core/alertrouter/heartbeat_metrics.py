"""Heartbeat checks whose sign of life is a CloudWatch metric (kind `metric`) or a log group's intake (kind
`log_group`: AWS/Logs IncomingLogEvents by LogGroupName): the newest datapoint at or above the check's
`at_least` in the last hour is its ping, at the end of that datapoint's period.

Cost: read only on every fifth minute of the clock (EVERY_MIN), so each check is read at most every 5 minutes,
all of them in GetMetricData calls of up to 500 queries, per region."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from alertrouter.models.heartbeat import CheckKind, HeartbeatCheck, HeartbeatRecord

EVERY_MIN = 5
LOOKBACK_MS = 3_600_000  # late datapoints are still found; an older one is no news
MAX_QUERIES = 500  # GetMetricData's limit per call
LOG_GROUP_PERIOD_S = 300


@dataclass(frozen=True, slots=True)
class MetricPing:
    name: str
    at_ms: int  # the end of the datapoint's period
    value: float


class MetricSignals:
    """Reads the metric checks' datapoints; `cloudwatch(region)` gives a client (None: the function's)."""

    def __init__(self, cloudwatch: Callable[[str | None], Any]) -> None:
        self.cloudwatch = cloudwatch

    @staticmethod
    def due(now_ms: int) -> bool:
        return (now_ms // 60_000) % EVERY_MIN == 0

    def pings(self, records: list[HeartbeatRecord], now_ms: int) -> list[MetricPing]:
        """The newest qualifying datapoint of each metric or log group check (those with none left out)."""
        checks = [r.check for r in records if r.check.kind in (CheckKind.METRIC, CheckKind.LOG_GROUP)]
        by_region: dict[str | None, list[HeartbeatCheck]] = {}
        for check in checks:
            by_region.setdefault(_region(check), []).append(check)
        found: list[MetricPing] = []
        for region, those in by_region.items():
            client = self.cloudwatch(region)
            for start in range(0, len(those), MAX_QUERIES):
                found += _read(client, those[start : start + MAX_QUERIES], now_ms)
        return found


def query(check: HeartbeatCheck, index: int) -> dict[str, Any]:
    """The check's GetMetricData query (Id `q<index>`)."""
    if check.metric is not None:
        metric = {
            "Namespace": check.metric.namespace,
            "MetricName": check.metric.metric_name,
            "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(check.metric.dimensions.items())],
        }
        period, stat = int(check.metric.period.total_seconds()), check.metric.statistic
    else:
        assert check.log_group is not None  # the model holds its kind's section
        metric = {
            "Namespace": "AWS/Logs",
            "MetricName": "IncomingLogEvents",
            "Dimensions": [{"Name": "LogGroupName", "Value": check.log_group.name}],
        }
        period, stat = LOG_GROUP_PERIOD_S, "Sum"
    return {
        "Id": f"q{index}",
        "MetricStat": {"Metric": metric, "Period": period, "Stat": stat},
        "ReturnData": True,
    }


def _read(client: Any, checks: list[HeartbeatCheck], now_ms: int) -> Iterator[MetricPing]:
    queries = [query(check, i) for i, check in enumerate(checks)]
    request: dict[str, Any] = {
        "MetricDataQueries": queries,
        "StartTime": datetime.fromtimestamp((now_ms - LOOKBACK_MS) / 1000, UTC),
        "EndTime": datetime.fromtimestamp(now_ms / 1000, UTC),
        "ScanBy": "TimestampDescending",
    }
    newest: dict[str, tuple[int, float]] = {}
    while True:
        got = client.get_metric_data(**request)
        for result in got.get("MetricDataResults", []):
            index = int(result["Id"][1:])
            check = checks[index]
            period_ms = queries[index]["MetricStat"]["Period"] * 1000
            for when, value in zip(result.get("Timestamps", []), result.get("Values", []), strict=False):
                at = min(int(when.timestamp() * 1000) + period_ms, now_ms)
                if float(value) >= _at_least(check) and at > newest.get(check.name, (0, 0.0))[0]:
                    newest[check.name] = (at, float(value))
        token = got.get("NextToken")
        if not token:
            break
        request["NextToken"] = token
    for name, (at, value) in newest.items():
        yield MetricPing(name, at, value)


def _at_least(check: HeartbeatCheck) -> float:
    section = check.metric or check.log_group
    assert section is not None
    return section.at_least


def _region(check: HeartbeatCheck) -> str | None:
    section = check.metric or check.log_group
    return section.region if section is not None else None

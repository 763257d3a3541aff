"""The `MetricWidget` JSON a graph is drawn from: an alarm's metrics around its threshold and its time in ALARM,
or an SLO's error budget and burn rates (pure: no AWS calls).

Widget syntax: "GetMetricWidgetImage: Metric Widget Structure and Syntax",
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Metric-Widget-Structure.html
(metrics as arrays `[namespace, name, dim, value, ..., {rendering properties}]` or `[{expression, id}]`,
`annotations.horizontal` objects with `value`/`fill` "above"|"below", `annotations.vertical` bands as pairs).
The alarm is the `MetricAlarms` item of DescribeAlarms:
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricAlarm.html
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

ALARM_SOURCES = frozenset(
    {"cloudwatch", "opensearch"}
)  # an OpenSearch domain's alarm is routed as OpenSearch's
GRAPHABLE_KINDS = frozenset({"metric", "metric-math", "anomaly-detection"})
SLO_SOURCE = "slo"

WIDTH, HEIGHT = 600, 300
HISTORY = timedelta(hours=3)  # shown before the alarm fired
MIN_PERIODS = 6  # at least this many of the alarm's periods before the firing
MAX_METRICS = 100  # GetMetricWidgetImage's limit
MAX_POINTS = 1440  # per line: a long episode is drawn with a coarser period (a graph 600 pixels wide)
ALARM_COLOUR = "#d62728"
THRESHOLD_COLOUR = "#d62728"
TITLE_MAX = 120

# "above": the alarming side of the threshold is shaded (API_PutMetricAlarm ComparisonOperator values)
_FILL = {
    "GreaterThanOrEqualToThreshold": "above",
    "GreaterThanThreshold": "above",
    "LessThanThreshold": "below",
    "LessThanOrEqualToThreshold": "below",
}
_WORDS = {
    "GreaterThanOrEqualToThreshold": ">=",
    "GreaterThanThreshold": ">",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}

# The SLO evaluator's metrics (slo/service.py `publish`): namespace, its Powertools `service` dimension
SLO_NAMESPACE = "AlertRouter/SLO"
SLO_PUBLISHER = "alertrouter-slo"
SLO_DEFAULT_PERIOD = timedelta(days=28)
# The SRE Workbook's page rules (slo/rules.py `_WORKBOOK`, which this layer may not import; a test keeps them
# equal): (share of the budget, long window, short window); threshold = share * SLO period / long window.
PAGE_RULES = (
    (0.02, timedelta(hours=1), timedelta(minutes=5)),
    (0.05, timedelta(hours=6), timedelta(minutes=30)),
)


class WidgetError(ValueError):
    """The alarm cannot be drawn as a metric graph (composite, Metrics Insights, no metric)."""


def graphable(source: str, labels: Mapping[str, str]) -> bool:
    """Whether an alert can have a graph: a metric, metric-math or anomaly-detection alarm, or an SLO's burn."""
    if source == SLO_SOURCE:
        return bool(labels.get("slo"))
    return source in ALARM_SOURCES and labels.get("alarm_kind") in GRAPHABLE_KINDS


def iso(ms: int) -> str:
    """An absolute time as the widget takes it (ISO 8601, UTC)."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _dimensions(raw: Any) -> list[str]:
    flat: list[str] = []
    for dimension in raw or []:
        flat += [str(dimension["Name"]), str(dimension["Value"])]
    return flat


def _metric_row(namespace: str, name: str, dimensions: Any, properties: dict[str, Any]) -> list[Any]:
    return [namespace, name, *_dimensions(dimensions), {k: v for k, v in properties.items() if v is not None}]


def _query_rows(queries: list[Mapping[str, Any]]) -> tuple[list[list[Any]], int]:
    """A metric-math or anomaly-detection alarm's `Metrics` (MetricDataQuery) as widget rows, and its period.
    Ids are kept (expressions name them); queries the alarm does not return are drawn hidden."""
    rows: list[list[Any]] = []
    period = 0
    for query in queries:
        common: dict[str, Any] = {"id": query["Id"], "label": query.get("Label")}
        if not query.get("ReturnData", True):
            common["visible"] = False
        if query.get("AccountId"):
            common["accountId"] = query["AccountId"]
        expression = query.get("Expression")
        if expression:
            if expression.lstrip()[:6].upper() == "SELECT":
                raise WidgetError("a Metrics Insights alarm has no fixed metrics to draw")
            rows.append([{"expression": expression, **{k: v for k, v in common.items() if v is not None}}])
            period = max(period, int(query.get("Period") or 0))
            continue
        stat = query.get("MetricStat")
        if not stat:
            raise WidgetError(f"query {query['Id']!r} has neither a metric nor an expression")
        metric = stat["Metric"]
        properties = {**common, "stat": stat["Stat"], "period": int(stat["Period"])}
        rows.append(
            _metric_row(metric["Namespace"], metric["MetricName"], metric.get("Dimensions"), properties)
        )
        period = max(period, int(stat["Period"]))
    return rows, period


def _alarm_rows(alarm: Mapping[str, Any]) -> tuple[list[list[Any]], int]:
    if alarm.get("Metrics"):
        return _query_rows(list(alarm["Metrics"]))
    if not alarm.get("MetricName"):
        raise WidgetError("the alarm names no metric (a composite alarm?)")
    period = int(alarm.get("Period") or 60)
    stat = alarm.get("ExtendedStatistic") or alarm.get("Statistic") or "Average"
    properties = {"id": "m1", "stat": stat, "period": period, "label": alarm["MetricName"]}
    return [_metric_row(alarm["Namespace"], alarm["MetricName"], alarm.get("Dimensions"), properties)], period


def _number(value: float) -> str:
    return f"{value:g}"


def _alarm_band(fired_ms: int, until_ms: int, resolved: bool) -> list[list[dict[str, Any]]]:
    """The time in ALARM as one vertical band (a pair of edges), red."""
    start: dict[str, Any] = {"value": iso(fired_ms), "label": "ALARM", "color": ALARM_COLOUR}
    end: dict[str, Any] = {"value": iso(until_ms)}
    if resolved:
        end["label"] = "OK"
    return [[start, end]]


def _window(fired_ms: int, period_s: int, end_ms: int, history: timedelta) -> tuple[int, int]:
    before_ms = max(int(history.total_seconds() * 1000), MIN_PERIODS * period_s * 1000)
    start_ms = fired_ms - before_ms
    return start_ms, max(end_ms, fired_ms + period_s * 1000)


def _coarsened(period_s: int, span_ms: int) -> int:
    """The period (a multiple of 60 s, at least the alarm's) that draws the span in at most MAX_POINTS points."""
    needed = -(-span_ms // (MAX_POINTS * 1000))
    return max(period_s, -(-needed // 60) * 60)


def alarm_widget(
    alarm: Mapping[str, Any],
    *,
    fired_ms: int,
    resolved_ms: int | None,
    now_ms: int,
    region: str,
    history: timedelta = HISTORY,
) -> dict[str, Any]:
    """The widget of a metric, metric-math or anomaly-detection alarm (a DescribeAlarms `MetricAlarms` item):
    its metrics (helper queries hidden), the threshold with the alarming side shaded (an anomaly band is drawn
    itself), the time in ALARM as a red band, from `history` (at least 6 periods) before the firing."""
    rows, period = _alarm_rows(alarm)
    if not 1 <= len(rows) <= MAX_METRICS:
        raise WidgetError(f"{len(rows)} metrics: a graph takes 1 to {MAX_METRICS}")
    period = period or 60
    until_ms = resolved_ms if resolved_ms is not None else now_ms
    start_ms, end_ms = _window(fired_ms, period, max(now_ms, until_ms), history)
    step = _coarsened(period, end_ms - start_ms)
    if step > period:
        for row in rows:
            if "period" in row[-1]:
                row[-1]["period"] = max(int(row[-1]["period"]), step)
        period = step
    annotations: dict[str, Any] = {"vertical": _alarm_band(fired_ms, until_ms, resolved_ms is not None)}
    operator = str(alarm.get("ComparisonOperator", ""))
    threshold = alarm.get("Threshold")
    if not alarm.get("ThresholdMetricId") and threshold is not None and operator in _FILL:
        annotations["horizontal"] = [
            {
                "value": float(threshold),
                "label": f"{_WORDS[operator]} {_number(float(threshold))}",
                "color": THRESHOLD_COLOUR,
                "fill": _FILL[operator],
            }
        ]
    return {
        "title": str(alarm.get("AlarmName", ""))[:TITLE_MAX],
        "view": "timeSeries",
        "stacked": False,
        "region": region,
        "metrics": rows,
        "annotations": annotations,
        "period": period,
        "start": iso(start_ms),
        "end": iso(end_ms),
        "timezone": "+0000",
        "width": WIDTH,
        "height": HEIGHT,
        "legend": {"position": "bottom"},
    }


def _duration_words(delta: timedelta) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if delta.total_seconds() % size == 0:
            return f"{int(delta.total_seconds() // size)}{unit}"
    return f"{int(delta.total_seconds())}s"


def _windows(labels: Mapping[str, str]) -> list[str]:
    """The burn-rate windows to draw: the page rules' and the alert's own rule's (label window "1h/5m")."""
    names = [_duration_words(w) for _, long, short in PAGE_RULES for w in (long, short)]
    names += [w for w in labels.get("window", "").split("/") if w]
    return list(dict.fromkeys(names))


def slo_widget(
    labels: Mapping[str, str],
    *,
    fired_ms: int,
    resolved_ms: int | None,
    now_ms: int,
    region: str,
    period: timedelta | None = None,
) -> dict[str, Any]:
    """An SLO alert's widget: ErrorBudgetRemaining (%, left axis) over the SLO's period (default 28 days) and
    the BurnRate<window> lines (right axis) with each page rule's threshold, and the alert's time as a band.
    The dimensions are those the SLO evaluator publishes with (slo/service.py `publish`, SLO_SCHEMA in
    dashboards/cloudwatch.py): account, service (the publisher), slo, slo_service."""
    length = period or SLO_DEFAULT_PERIOD
    dimensions = [
        {"Name": "account", "Value": labels.get("account") or "none"},
        {"Name": "service", "Value": SLO_PUBLISHER},
        {"Name": "slo", "Value": labels["slo"]},
        {"Name": "slo_service", "Value": labels.get("service", "")},
    ]
    # about 700 points over the period, in whole minutes: the API's period is a multiple of 60
    step = max(60, int(length.total_seconds() // 700 // 60 * 60))
    budget = {"id": "budget", "stat": "Minimum", "period": step, "label": "Error budget left (%)"}
    rows = [_metric_row(SLO_NAMESPACE, "ErrorBudgetRemaining", dimensions, budget)]
    for index, window in enumerate(_windows(labels)):
        burn = {
            "id": f"burn{index}",
            "stat": "Maximum",
            "period": step,
            "label": f"Burn rate {window}",
            "yAxis": "right",
        }
        rows.append(_metric_row(SLO_NAMESPACE, f"BurnRate{window}", dimensions, burn))
    horizontal = [
        {
            "value": round(share * (length / long), 4),
            "label": f"page {_number(round(share * (length / long), 4))}x ({_duration_words(long)}/"
            f"{_duration_words(short)})",
            "color": THRESHOLD_COLOUR,
            "yAxis": "right",
        }
        for share, long, short in PAGE_RULES
    ]
    horizontal.append({"value": 0, "label": "budget exhausted", "color": "#7f7f7f"})
    until_ms = resolved_ms if resolved_ms is not None else now_ms
    end_ms = max(now_ms, until_ms)
    name = labels["slo"]
    return {
        "title": f"SLO {name}: error budget and burn rate"[:TITLE_MAX],
        "view": "timeSeries",
        "stacked": False,
        "region": region,
        "metrics": rows,
        "annotations": {
            "horizontal": horizontal,
            "vertical": _alarm_band(fired_ms, until_ms, resolved_ms is not None),
        },
        "period": step,
        "start": iso(end_ms - int(length.total_seconds() * 1000)),
        "end": iso(end_ms),
        "timezone": "+0000",
        "width": WIDTH,
        "height": HEIGHT,
        "yAxis": {"left": {"min": 0, "max": 100, "label": "%", "showUnits": False}, "right": {"min": 0}},
        "legend": {"position": "bottom"},
    }


def metric_count(widget: Mapping[str, Any]) -> int:
    """How many metrics and expressions the widget asks for (GetMetricWidgetImage is priced per metric)."""
    return len(widget.get("metrics", []))

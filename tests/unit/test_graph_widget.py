"""The graph's MetricWidget for the real alarm events' definitions (as DescribeAlarms returns them), for SLOs,
and which alerts get a graph; the renderer's "no graph here" cases make no AWS client."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest

from alertrouter.dashboards.cloudwatch import SLO_SCHEMA
from alertrouter.graphs.render import MAX_PNG_BYTES, PNG_SIGNATURE, GraphError, GraphRenderer
from alertrouter.graphs.widget import (
    PAGE_RULES,
    WidgetError,
    alarm_widget,
    graphable,
    iso,
    metric_count,
    slo_widget,
)
from alertrouter.models.state import AlertState
from alertrouter.observability import NAMESPACES, SLO
from alertrouter.slo.rules import default_rules
from alertrouter.slo.service import ACCOUNT_DIMENSION, SLO_DIMENSION, SLO_SERVICE_DIMENSION
from alertrouter.sources import cloudwatch
from support.paths import ROOT
from support.widget_image_standin import validate

EVENTS = ROOT / "events"
SINGLE = "eventbridge_cw_alarm_state_change_single_metric_ALARM_awsdocs.json"
MATH = "eventbridge_cw_alarm_state_change_metric_math_ALARM_from_INSUFFICIENT_DATA_awsdocs.json"
ANOMALY = "eventbridge_cw_alarm_state_change_anomaly_detection_ALARM_awsdocs.json"
COMPOSITE = "eventbridge_cw_alarm_state_change_composite_with_suppressor_ALARM_awsdocs.json"
INSIGHTS = "eventbridge_cw_alarm_state_change_metrics_insights_multi_timeseries_ALARM_awsdocs_current.json"
FIRED_MS = 1_570_035_880_000  # 2019-10-02T17:04:40Z
NOW_MS = FIRED_MS + 10 * 60_000
ACCOUNT, REGION = "123456789012", "us-east-1"


def _event(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / name).read_text()))


def _operator(reason: str) -> str | None:
    """The ComparisonOperator CloudWatch's state reason words ("was greater than the threshold")."""
    if "lower thresholds" in reason:
        return "LessThanLowerOrGreaterThanUpperThreshold"
    words = re.search(
        r"was (not )?(greater than or equal to|greater than|less than or equal to|less than)", reason
    )
    return (
        {
            "greater than or equal to": "GreaterThanOrEqualToThreshold",
            "greater than": "GreaterThanThreshold",
            "less than or equal to": "LessThanOrEqualToThreshold",
            "less than": "LessThanThreshold",
        }.get(words.group(2))
        if words
        else None
    )


def described_alarm(event: dict[str, Any]) -> dict[str, Any]:
    """The DescribeAlarms `MetricAlarms` item (API_MetricAlarm) the event's alarm would have: a lone metric in
    the top-level fields (as an alarm made with MetricName is returned), else `Metrics` (MetricDataQuery); the
    threshold from the state's reasonData, the operator from its reason, ThresholdMetricId naming the band."""
    detail = event["detail"]
    queries = detail["configuration"]["metrics"]
    reason_data = json.loads(detail["state"].get("reasonData") or "{}")
    alarm: dict[str, Any] = {
        "AlarmName": detail["alarmName"],
        "AlarmArn": event["resources"][0],
        "StateValue": detail["state"]["value"],
        "EvaluationPeriods": 1,
        "ComparisonOperator": _operator(detail["state"]["reason"]),
    }
    if "threshold" in reason_data:
        alarm["Threshold"] = float(reason_data["threshold"])

    def metric(stat: dict[str, Any]) -> dict[str, Any]:
        return {
            "Namespace": stat["metric"]["namespace"],
            "MetricName": stat["metric"]["name"],
            "Dimensions": [{"Name": k, "Value": v} for k, v in stat["metric"]["dimensions"].items()],
        }

    if len(queries) == 1 and "metricStat" in queries[0]:
        stat = queries[0]["metricStat"]
        alarm.update(metric(stat), Statistic=stat["stat"], Period=stat["period"], Metrics=[])
        return alarm
    alarm["Metrics"] = []
    for query in queries:
        item: dict[str, Any] = {"Id": query["id"], "ReturnData": query.get("returnData", True)}
        if "label" in query:
            item["Label"] = query["label"]
        if "expression" in query:
            item["Expression"] = query["expression"]
            if "ANOMALY_DETECTION_BAND" in query["expression"]:
                alarm["ThresholdMetricId"] = query["id"]
        else:
            stat = query["metricStat"]
            item["MetricStat"] = {"Metric": metric(stat), "Period": stat["period"], "Stat": stat["stat"]}
        alarm["Metrics"].append(item)
    return alarm


def _widget(name: str, resolved_ms: int | None = None) -> dict[str, Any]:
    return alarm_widget(
        described_alarm(_event(name)),
        fired_ms=FIRED_MS,
        resolved_ms=resolved_ms,
        now_ms=NOW_MS,
        region=REGION,
    )


def test_a_single_metric_alarm_graphs_its_metric_threshold_and_time_in_alarm() -> None:
    widget = _widget(SINGLE)
    assert widget["metrics"] == [
        [
            "AWS/EC2",
            "CPUUtilization",
            "InstanceId",
            "i-12345678901234567",
            {"id": "m1", "stat": "Average", "period": 300, "label": "CPUUtilization"},
        ]
    ]
    assert widget["annotations"]["horizontal"] == [
        {"value": 50.0, "label": "> 50", "color": "#d62728", "fill": "above"}
    ]
    assert widget["annotations"]["vertical"] == [
        [
            {"value": "2019-10-02T17:04:40Z", "label": "ALARM", "color": "#d62728"},
            {"value": "2019-10-02T17:14:40Z"},
        ]
    ]
    assert (widget["start"], widget["end"]) == ("2019-10-02T14:04:40Z", "2019-10-02T17:14:40Z")  # 3 h before
    assert widget["title"] == "ServerCpuTooHigh"
    assert (widget["view"], widget["timezone"], widget["width"], widget["height"]) == (
        "timeSeries",
        "+0000",
        600,
        300,
    )
    assert widget["region"] == REGION and widget["period"] == 300


def test_a_metric_math_alarm_keeps_its_ids_and_hides_the_helper_metrics() -> None:
    widget = _widget(MATH)
    e1, m1, m2 = widget["metrics"]
    assert e1 == [{"expression": "SUM(METRICS())", "id": "e1", "label": "Total Network Traffic"}]
    assert m1 == [
        "AWS/EC2",
        "NetworkIn",
        "InstanceId",
        "i-12345678901234567",
        {"id": "m1", "visible": False, "stat": "Maximum", "period": 300},
    ]
    assert m2[1] == "NetworkOut" and m2[-1]["visible"] is False and m2[-1]["id"] == "m2"
    assert widget["annotations"]["horizontal"][0]["value"] == 10000.0
    assert widget["annotations"]["horizontal"][0]["fill"] == "above"
    assert metric_count(widget) == 3


def test_an_anomaly_detection_alarm_draws_its_band_and_no_threshold_line() -> None:
    widget = _widget(ANOMALY)
    m1, ad1 = widget["metrics"]
    assert m1[:4] == ["AWS/EC2", "CPUUtilization", "InstanceId", "i-12345678901234567"]
    assert m1[-1] == {"id": "m1", "stat": "Average", "period": 60}  # returned: drawn
    assert ad1 == [
        {"expression": "ANOMALY_DETECTION_BAND(m1, 0.8)", "id": "ad1", "label": "CPUUtilization (expected)"}
    ]
    assert "horizontal" not in widget["annotations"]
    assert widget["period"] == 60


def test_a_resolved_alarm_band_ends_at_the_resolve() -> None:
    resolved = FIRED_MS + 5 * 60_000
    (band,) = _widget(SINGLE, resolved_ms=resolved)["annotations"]["vertical"]
    assert band[1] == {"value": iso(resolved), "label": "OK"}


def test_the_graph_shows_at_least_six_periods_before_the_firing() -> None:
    alarm = {**described_alarm(_event(SINGLE)), "Period": 3600}
    widget = alarm_widget(alarm, fired_ms=FIRED_MS, resolved_ms=None, now_ms=NOW_MS, region=REGION)
    assert widget["start"] == iso(FIRED_MS - 6 * 3600_000)


def test_a_long_episode_is_drawn_with_a_coarser_period() -> None:
    three_days_ms = 3 * 86400_000
    widget = alarm_widget(
        described_alarm(_event(ANOMALY)),
        fired_ms=FIRED_MS,
        resolved_ms=FIRED_MS + three_days_ms,
        now_ms=FIRED_MS + three_days_ms,
        region=REGION,
    )
    span_s = (three_days_ms + 3 * 3600_000) / 1000
    assert widget["period"] % 60 == 0 and span_s / widget["period"] <= 1440 < span_s / 60
    assert widget["metrics"][0][-1]["period"] == widget["period"]


@pytest.mark.parametrize(
    ("operator", "fill", "words"),
    [
        ("LessThanThreshold", "below", "< 50"),
        ("LessThanOrEqualToThreshold", "below", "<= 50"),
        ("GreaterThanOrEqualToThreshold", "above", ">= 50"),
    ],
)
def test_the_alarming_side_of_the_threshold_is_shaded(operator: str, fill: str, words: str) -> None:
    alarm = {**described_alarm(_event(SINGLE)), "ComparisonOperator": operator}
    widget = alarm_widget(alarm, fired_ms=FIRED_MS, resolved_ms=None, now_ms=NOW_MS, region=REGION)
    (line,) = widget["annotations"]["horizontal"]
    assert (line["fill"], line["label"]) == (fill, words)


def test_a_percentile_alarm_graphs_its_extended_statistic() -> None:
    alarm = {**described_alarm(_event(SINGLE)), "ExtendedStatistic": "p99"}
    del alarm["Statistic"]
    widget = alarm_widget(alarm, fired_ms=FIRED_MS, resolved_ms=None, now_ms=NOW_MS, region=REGION)
    assert widget["metrics"][0][-1]["stat"] == "p99"


def test_composite_and_metrics_insights_alarms_have_no_widget() -> None:
    composite = {"AlarmName": "c", "AlarmRule": "ALARM(a)", "Metrics": []}
    insights = {
        "AlarmName": "i",
        "Metrics": [
            {"Id": "q1", "Expression": 'SELECT AVG(CPUUtilization) FROM SCHEMA("AWS/EC2")', "Period": 60}
        ],
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanThreshold",
    }
    for alarm in (composite, insights):
        with pytest.raises(WidgetError):
            alarm_widget(alarm, fired_ms=FIRED_MS, resolved_ms=None, now_ms=NOW_MS, region=REGION)


def test_every_widget_passes_cloudwatchs_checks() -> None:
    """The stand-in's validation (documented limits and keys) accepts what the router sends."""
    labels = {"slo": "checkout-availability", "service": "checkout", "account": ACCOUNT, "window": "3d/6h"}
    widgets = [_widget(name) for name in (SINGLE, MATH, ANOMALY)]
    widgets.append(slo_widget(labels, fired_ms=FIRED_MS, resolved_ms=None, now_ms=NOW_MS, region=REGION))
    for widget in widgets:
        assert validate(json.dumps(widget)) == widget


def _alert(name: str) -> tuple[str, dict[str, str]]:
    (alert,) = cloudwatch.parse_eventbridge(_event(name))  # type: ignore[misc]
    return alert.source, alert.labels


def test_which_alerts_get_a_graph() -> None:
    for name in (SINGLE, MATH, ANOMALY):
        assert graphable(*_alert(name)), name
    for name in (COMPOSITE, INSIGHTS):
        assert not graphable(*_alert(name)), name
    assert graphable("slo", {"slo": "checkout-availability"})
    assert not graphable("guardduty", {"alarm_kind": "metric"})
    assert not graphable("cloudwatch", {})


def test_an_slo_widget_graphs_the_budget_and_burn_rates_the_evaluator_publishes() -> None:
    labels = {
        "slo": "checkout-availability",
        "service": "checkout",
        "account": ACCOUNT,
        "rule": "ticket-3d-6h",
        "window": "3d/6h",
    }
    widget = slo_widget(labels, fired_ms=FIRED_MS, resolved_ms=None, now_ms=NOW_MS, region=REGION)
    dims = [
        "account",
        ACCOUNT,
        "service",
        "alertrouter-slo",
        "slo",
        "checkout-availability",
        "slo_service",
        "checkout",
    ]
    budget, *burns = widget["metrics"]
    assert budget[:2] == ["AlertRouter/SLO", "ErrorBudgetRemaining"] and budget[2:-1] == dims
    assert [row[1] for row in burns] == [
        "BurnRate1h",
        "BurnRate5m",
        "BurnRate6h",
        "BurnRate30m",
        "BurnRate3d",
    ]
    assert all(row[2:-1] == dims and row[-1]["yAxis"] == "right" for row in burns)
    assert widget["start"] == iso(NOW_MS - 28 * 86400_000)  # the default period: 28 days
    thresholds = [a["value"] for a in widget["annotations"]["horizontal"] if a.get("yAxis") == "right"]
    assert thresholds == [13.44, 5.6]


def test_the_slo_widget_reads_what_the_evaluator_publishes() -> None:
    labels = {"slo": "s", "service": "svc", "account": ACCOUNT}
    widget = slo_widget(labels, fired_ms=FIRED_MS, resolved_ms=None, now_ms=NOW_MS, region=REGION)
    budget = widget["metrics"][0]
    assert budget[0] == NAMESPACES[SLO]
    names = budget[2:-1:2]
    assert names == [ACCOUNT_DIMENSION, "service", SLO_DIMENSION, SLO_SERVICE_DIMENSION]
    assert budget[budget.index("service") + 1] == SLO  # Powertools' service dimension: the publisher
    assert set(SLO_SCHEMA.strip("{}").split(",")[1:]) == set(names)


@pytest.mark.parametrize("days", [28, 30])
def test_the_page_thresholds_are_the_slo_rules(days: int) -> None:
    period = timedelta(days=days)
    labels = {"slo": "s", "service": "svc", "account": ACCOUNT}
    widget = slo_widget(
        labels, fired_ms=FIRED_MS, resolved_ms=None, now_ms=NOW_MS, region=REGION, period=period
    )
    drawn = [a["value"] for a in widget["annotations"]["horizontal"] if a.get("yAxis") == "right"]
    pages = [float(rule.threshold) for rule in default_rules(period) if rule.pages]
    assert drawn == pytest.approx(pages)
    assert [(long, short) for _, long, short in PAGE_RULES] == [
        (rule.long, rule.short) for rule in default_rules(period) if rule.pages
    ]


def test_the_widget_module_imports_no_aws_sdk() -> None:
    code = "import sys, alertrouter.graphs.widget; print(sorted({'boto3', 'botocore', 'requests'} & set(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "layers" / "core")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT, env=env
    )
    assert out.stdout.strip() == "[]"


# ---- the renderer's answers that need no CloudWatch call ----
def _state(source: str, labels: dict[str, str]) -> AlertState:
    return AlertState(
        fingerprint="f" * 16,
        status="firing",
        severity="warning",
        title="t",
        source=source,
        labels=labels,
        ts_ms=0,
        starts_at_ms=0,
    )


def _no_client() -> Any:
    raise AssertionError("no CloudWatch client should be made")


@pytest.mark.parametrize(
    ("source", "labels"),
    [
        (
            "cloudwatch",
            {"alertname": "a", "account": "210987654321", "region": REGION, "alarm_kind": "metric"},
        ),
        ("cloudwatch", {"alertname": "a", "account": ACCOUNT, "region": "eu-west-1", "alarm_kind": "metric"}),
        ("cloudwatch", {"alertname": "a", "account": ACCOUNT, "region": REGION, "alarm_kind": "composite"}),
        (
            "cloudwatch",
            {"alertname": "a", "account": ACCOUNT, "region": REGION, "alarm_kind": "metrics-insights"},
        ),
        ("ecs", {"account": ACCOUNT, "region": REGION}),
        ("slo", {"slo": "s", "account": "210987654321", "region": REGION}),
    ],
)
def test_no_graph_here_makes_no_client(source: str, labels: dict[str, str]) -> None:
    renderer = GraphRenderer(_no_client, account=ACCOUNT, region=REGION)
    assert (
        renderer.graph_for(_state(source, labels), fired_ms=FIRED_MS, resolved_ms=None, now_ms=NOW_MS) is None
    )


class _Answers:
    """A CloudWatch client answering with fixed documents (the renderer's checks of what comes back)."""

    def __init__(self, image: Any) -> None:
        self.image = image

    def get_metric_widget_image(self, **_: Any) -> dict[str, Any]:
        return {"MetricWidgetImage": self.image}


@pytest.mark.parametrize(
    ("image", "reason"),
    [
        (b"<html>oops</html>", "not_png"),
        (b"", "not_png"),
        (PNG_SIGNATURE + b"\0" * MAX_PNG_BYTES, "too_large"),
    ],
)
def test_what_is_not_a_small_png_is_refused(image: bytes, reason: str) -> None:
    labels = {"slo": "s", "service": "svc", "account": ACCOUNT, "region": REGION}
    renderer = GraphRenderer(_Answers(image), account=ACCOUNT, region=REGION)
    with pytest.raises(GraphError) as raised:
        renderer.graph_for(_state("slo", labels), fired_ms=FIRED_MS, resolved_ms=None, now_ms=NOW_MS)
    assert raised.value.reason == reason


def test_an_slo_graph_is_made_from_one_call() -> None:
    labels = {"slo": "s", "service": "svc", "account": ACCOUNT, "region": REGION}
    renderer = GraphRenderer(_Answers(PNG_SIGNATURE + b"rest"), account=ACCOUNT, region=REGION)
    graph = renderer.graph_for(_state("slo", labels), fired_ms=FIRED_MS, resolved_ms=None, now_ms=NOW_MS)
    assert graph is not None and graph.png == PNG_SIGNATURE + b"rest"
    assert graph.title == "SLO s: error budget and burn rate"
    assert graph.alt_text.startswith(
        "Graph of SLO s: error budget left and burn rates; in alarm from 17:04 UTC"
    )

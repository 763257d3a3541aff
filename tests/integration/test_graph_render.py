"""An alarm's graph end to end: a moto alarm with metric data, the renderer's real boto3 calls (CBOR) to the
GetMetricWidgetImage stand-in, which forwards DescribeAlarms to moto and draws the PNG from moto's data."""

from __future__ import annotations

import io
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from PIL import Image

from alertrouter.graphs.render import GRAPH_CLIENT_CONFIG, PNG_SIGNATURE, GraphError, GraphRenderer
from alertrouter.models.state import AlertState
from support.local_aws import use_fake_aws_environment
from support.widget_image_standin import WidgetImageStandIn, cbor_decode, cbor_encode, widget_image_standin

pytestmark = pytest.mark.integration

ACCOUNT, REGION = "123456789012", "us-east-1"
INSTANCE = [{"Name": "InstanceId", "Value": "i-12345678901234567"}]


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[WidgetImageStandIn]:
    use_fake_aws_environment(monkeypatch)
    with widget_image_standin(REGION) as server:
        yield server


def _client(url: str, config: Config | None = None) -> Any:
    once = Config(retries={"mode": "standard", "total_max_attempts": 1}, read_timeout=10)
    return boto3.client("cloudwatch", endpoint_url=url, region_name=REGION, config=config or once)


def _state(name: str, kind: str = "metric", **labels: str) -> AlertState:
    return AlertState(
        fingerprint="f" * 16,
        status="firing",
        severity="critical",
        title=name,
        source="cloudwatch",
        labels={"alertname": name, "account": ACCOUNT, "region": REGION, "alarm_kind": kind, **labels},
        ts_ms=0,
        starts_at_ms=0,
    )


def _cpu_alarm(cloudwatch: Any, now: float) -> None:
    cloudwatch.put_metric_alarm(
        AlarmName="ServerCpuTooHigh",
        Namespace="AWS/EC2",
        MetricName="CPUUtilization",
        Dimensions=INSTANCE,
        Statistic="Average",
        Period=300,
        EvaluationPeriods=1,
        Threshold=50.0,
        ComparisonOperator="GreaterThanThreshold",
    )
    values = [10, 12, 11, 14, 13, 12, 95, 99]  # five-minute points, the last two above 50
    cloudwatch.put_metric_data(
        Namespace="AWS/EC2",
        MetricData=[
            {
                "MetricName": "CPUUtilization",
                "Dimensions": INSTANCE,
                "Value": float(v),
                "Timestamp": now - (len(values) - i) * 300,
            }
            for i, v in enumerate(values)
        ],
    )


def test_an_alarm_with_data_renders_a_png_with_its_threshold(standin: WidgetImageStandIn) -> None:
    now = time.time()
    cloudwatch = _client(standin.url)
    _cpu_alarm(cloudwatch, now)
    made: list[Any] = []

    def factory() -> Any:
        made.append(1)
        return cloudwatch

    renderer = GraphRenderer(factory, account=ACCOUNT, region=REGION)
    assert made == []  # no client until a graph is asked for
    fired_ms = int((now - 600) * 1000)
    graph = renderer.graph_for(
        _state("ServerCpuTooHigh"), fired_ms=fired_ms, resolved_ms=None, now_ms=int(now * 1000)
    )

    assert graph is not None and graph.png.startswith(PNG_SIGNATURE)
    assert graph.title == "ServerCpuTooHigh"
    assert "CPUUtilization" in graph.alt_text and "threshold 50" in graph.alt_text
    assert [f.operation for f in standin.forwarded] == ["PutMetricAlarm", "PutMetricData", "DescribeAlarms"]
    (call,) = standin.images()
    assert call.widget == graph.widget
    image = Image.open(io.BytesIO(graph.png))
    assert image.format == "PNG" and image.size == (600, 300)
    rgb = image.convert("RGB")
    left, _, right, _ = call.plot_box
    row = call.row_of(50.0)
    assert rgb.getpixel((left + 5, row)) == (0xD6, 0x27, 0x28)  # the threshold line, #d62728
    assert rgb.getpixel((left + 5, row + 3)) != (0xD6, 0x27, 0x28)  # and only on its row
    # the series was drawn from moto's data: the CPU line's colour is on the image
    assert (0x1F, 0x77, 0xB4) in {colour for _, colour in rgb.getcolors(maxcolors=100_000) or []}
    assert made == [1]


def test_a_metric_math_alarm_draws_its_metrics_and_skips_the_expression(standin: WidgetImageStandIn) -> None:
    now = time.time()
    cloudwatch = _client(standin.url)
    network = {"Namespace": "AWS/EC2", "Dimensions": INSTANCE}
    cloudwatch.put_metric_alarm(
        AlarmName="TotalNetworkTrafficTooHigh",
        Metrics=[
            {
                "Id": "e1",
                "Expression": "SUM(METRICS())",
                "Label": "Total Network Traffic",
                "ReturnData": True,
            },
            {
                "Id": "m1",
                "MetricStat": {
                    "Metric": {**network, "MetricName": "NetworkIn"},
                    "Period": 300,
                    "Stat": "Maximum",
                },
                "ReturnData": False,
            },
        ],
        EvaluationPeriods=1,
        Threshold=10000.0,
        ComparisonOperator="GreaterThanThreshold",
    )
    renderer = GraphRenderer(cloudwatch, account=ACCOUNT, region=REGION)
    graph = renderer.graph_for(
        _state("TotalNetworkTrafficTooHigh", "metric-math"),
        fired_ms=int(now * 1000) - 60_000,
        resolved_ms=int(now * 1000),
        now_ms=int(now * 1000),
    )
    assert graph is not None
    assert [row[-1]["id"] for row in graph.widget["metrics"]] == ["e1", "m1"]
    assert "resolved at" in graph.alt_text


@pytest.mark.parametrize(
    ("fault", "reason"),
    [("throttle", "throttled"), ("500", "cloudwatch_error"), ("invalid", "invalid_widget")],
)
def test_cloudwatch_failures_are_graph_errors_with_a_reason(
    standin: WidgetImageStandIn, fault: str, reason: str
) -> None:
    now = time.time()
    cloudwatch = _client(standin.url)
    _cpu_alarm(cloudwatch, now)
    standin.faults.append(fault)
    renderer = GraphRenderer(cloudwatch, account=ACCOUNT, region=REGION)
    with pytest.raises(GraphError) as raised:
        renderer.graph_for(
            _state("ServerCpuTooHigh"), fired_ms=int(now * 1000), resolved_ms=None, now_ms=int(now * 1000)
        )
    assert raised.value.reason == reason
    assert standin.calls[-1].fault == fault


def test_with_the_graph_client_config_one_throttle_is_retried(standin: WidgetImageStandIn) -> None:
    now = time.time()
    cloudwatch = _client(standin.url, GRAPH_CLIENT_CONFIG)
    _cpu_alarm(cloudwatch, now)
    standin.faults.append("throttle")
    renderer = GraphRenderer(cloudwatch, account=ACCOUNT, region=REGION)
    graph = renderer.graph_for(
        _state("ServerCpuTooHigh"), fired_ms=int(now * 1000), resolved_ms=None, now_ms=int(now * 1000)
    )
    assert graph is not None
    assert [(c.status, c.fault) for c in standin.calls] == [(400, "throttle"), (200, "")]


def test_an_anomaly_detection_alarm_draws_its_metric_without_a_threshold_line(
    standin: WidgetImageStandIn,
) -> None:
    now = time.time()
    cloudwatch = _client(standin.url)
    cpu = {"Namespace": "AWS/EC2", "MetricName": "CPUUtilization", "Dimensions": INSTANCE}
    cloudwatch.put_metric_alarm(
        AlarmName="EC2 CPU Utilization Anomaly",
        Metrics=[
            {"Id": "m1", "MetricStat": {"Metric": cpu, "Period": 60, "Stat": "Average"}, "ReturnData": True},
            {
                "Id": "ad1",
                "Expression": "ANOMALY_DETECTION_BAND(m1, 0.8)",
                "Label": "expected",
                "ReturnData": True,
            },
        ],
        EvaluationPeriods=1,
        ThresholdMetricId="ad1",
        ComparisonOperator="LessThanLowerOrGreaterThanUpperThreshold",
    )
    cloudwatch.put_metric_data(
        Namespace="AWS/EC2",
        MetricData=[
            {
                "MetricName": "CPUUtilization",
                "Dimensions": INSTANCE,
                "Value": float(v),
                "Timestamp": now - (5 - i) * 60,
            }
            for i, v in enumerate([1, 2, 1, 0, 0])
        ],
    )
    renderer = GraphRenderer(cloudwatch, account=ACCOUNT, region=REGION)
    graph = renderer.graph_for(
        _state("EC2 CPU Utilization Anomaly", "anomaly-detection"),
        fired_ms=int(now * 1000) - 60_000,
        resolved_ms=None,
        now_ms=int(now * 1000),
    )
    assert graph is not None and "expected band" in graph.alt_text
    assert "horizontal" not in graph.widget["annotations"]
    colours = {
        colour for _, colour in Image.open(io.BytesIO(graph.png)).convert("RGB").getcolors(100_000) or []
    }
    assert (0x1F, 0x77, 0xB4) in colours  # the metric, from moto's data


def test_a_deleted_alarm_is_alarm_not_found_and_nothing_is_drawn(standin: WidgetImageStandIn) -> None:
    renderer = GraphRenderer(_client(standin.url), account=ACCOUNT, region=REGION)
    with pytest.raises(GraphError) as raised:
        renderer.graph_for(_state("Gone"), fired_ms=0, resolved_ms=None, now_ms=1000)
    assert raised.value.reason == "alarm_not_found"
    assert standin.calls == []


def test_the_standin_refuses_a_widget_cloudwatch_would_refuse(standin: WidgetImageStandIn) -> None:
    cloudwatch = _client(standin.url)
    for widget in (
        '{"metrics": []}',
        '{"metrics": [["AWS/EC2", "CPUUtilization"]], "colour": 1}',
        "not json",
    ):
        with pytest.raises(cloudwatch.exceptions.ClientError) as raised:
            cloudwatch.get_metric_widget_image(MetricWidget=widget)
        assert raised.value.response["Error"]["Code"] == "InvalidParameterInput"
    too_big = '{"metrics": [["AWS/EC2", "CPUUtilization"]], "title": "' + "x" * 100 * 1024 + '"}'
    with pytest.raises(cloudwatch.exceptions.ClientError):
        cloudwatch.get_metric_widget_image(MetricWidget=too_big)
    assert [c.status for c in standin.calls] == [400, 400, 400, 400]


def test_the_standin_answers_the_cbor_protocol_too(standin: WidgetImageStandIn) -> None:
    """botocore may speak smithy-rpc-v2-cbor to CloudWatch: the same answer, CBOR-encoded."""
    widget = '{"metrics": [["AWS/EC2", "CPUUtilization", {"stat": "Average"}]], "width": 200, "height": 100}'
    request = urllib.request.Request(  # noqa: S310 - the stand-in on loopback
        standin.url + "/service/GraniteServiceVersion20100801/operation/GetMetricWidgetImage",
        data=cbor_encode({"MetricWidget": widget, "OutputFormat": "png"}),
        headers={"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        assert answer.headers["smithy-protocol"] == "rpc-v2-cbor"
        png = cbor_decode(answer.read())["MetricWidgetImage"]
    assert Image.open(io.BytesIO(png)).size == (200, 100)
    assert standin.calls[-1].encoding == "cbor"

"""The graph in the message with nothing stood in but AWS and Slack themselves: the router's own
GraphRenderer (its boto3 calls) against the GetMetricWidgetImage stand-in, which reads the alarm and its
metric data from moto and draws the PNG; the Slack stand-in takes the upload and shows the image."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from PIL import Image

from alertrouter.aws import Clients
from alertrouter.composition.router import compose
from alertrouter.graphs.render import GraphRenderer
from alertrouter.graphs.widget import graphable
from support.graph_alarms import put_cpu_alarm
from support.harness import Harness, drain_scheduled, fire, make_harness
from support.slack_standin import SlackStandIn
from support.widget_image_standin import WidgetImageStandIn, widget_image_standin

pytestmark = pytest.mark.integration

FIRED = datetime(2024, 5, 1, 10, 0, tzinfo=UTC).timestamp()  # the harness's alarm fires then


@pytest.fixture
def cloudwatch_images() -> Iterator[WidgetImageStandIn]:
    with widget_image_standin("us-east-1") as standin:
        yield standin


def cpu_alarm_with_data(cloudwatch: Any, instance: str = "i-0abc") -> None:
    """The harness's ServerCpuTooHigh as CloudWatch holds it, and the CPU it watched: calm, then above 50."""
    values = [12.0] * 30 + [96.0, 99.0]
    put_cpu_alarm(cloudwatch, "ServerCpuTooHigh", instance, values, FIRED - 31 * 300, threshold=50.0)


def with_real_graphs(h: Harness, cloudwatch: Any) -> Harness:
    old = h.service
    settings = old.settings.model_copy(update={"slack_graphs": True})
    h.service = compose(
        settings,
        Clients(h.session),
        slack=old.router.slack,
        webhooks=old.router.env.webhooks,
        now_ms=h.clock,
        graphs=GraphRenderer(lambda: cloudwatch, account="123456789012", region="us-east-1"),
        graphable=graphable,
    )
    return h


def test_an_alarm_message_shows_cloudwatchs_graph_of_its_metric(
    aws: Any, slack: SlackStandIn, tmp_path: Path, cloudwatch_images: WidgetImageStandIn
) -> None:
    cloudwatch = boto3.client("cloudwatch", endpoint_url=cloudwatch_images.url, region_name="us-east-1")
    cpu_alarm_with_data(cloudwatch)
    h = with_real_graphs(make_harness(aws, slack, tmp_path), cloudwatch)
    # When the alarm fires and its graph request is handled
    fire(h)
    (message,) = slack.all_messages()
    assert not any(b["type"] == "image" for b in message.attachments[0]["blocks"])
    drain_scheduled(h)
    # Then CloudWatch was asked for the alarm's definition and one image of it
    widget_calls = [c for c in cloudwatch_images.calls]
    assert len(widget_calls) == 1
    widget = widget_calls[0].widget
    assert widget["metrics"][0][:4] == ["AWS/EC2", "CPUUtilization", "InstanceId", "i-0abc"]
    assert widget["annotations"]["horizontal"][0]["value"] == 50.0
    # And the message shows that PNG, uploaded to Slack, just before its buttons
    blocks = message.attachments[0]["blocks"]
    assert [b["type"] for b in blocks][-2:] == ["image", "actions"]
    (file_id,) = slack.files
    assert blocks[-2]["slack_file"] == {"id": file_id}
    data = slack.files[file_id].data
    assert data is not None
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.size == (widget["width"], widget["height"])
    assert h.service.counts["Graphs"] == 1

"""An alert's graph as a PNG, drawn by CloudWatch (GetMetricWidgetImage) from the widget of `widget.py`.

Calls and cost per image (docs/slack-graphs.md): an alarm's graph is one DescribeAlarms (the alarm's current
definition; CloudWatch's "API requests" price, $0.01 per 1,000 requests) and one GetMetricWidgetImage, priced
per metric requested: $0.02 per 1,000 metrics (us-east-1, https://aws.amazon.com/cloudwatch/pricing/), so a
single-metric alarm's image costs $0.00002 and a 3-query metric-math alarm's $0.00006. An SLO's graph is one
GetMetricWidgetImage of 5 to 7 metrics. IAM: cloudwatch:DescribeAlarms, cloudwatch:GetMetricWidgetImage.

Only the router's own account and region are drawn (the client reads there); composite and Metrics Insights
alarms have no fixed metrics to draw: no graph (None), not a failure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, ReadTimeoutError

from alertrouter.graphs import REASONS
from alertrouter.graphs.widget import SLO_SOURCE, WidgetError, alarm_widget, graphable, slo_widget
from alertrouter.models.state import AlertState

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_PNG_BYTES = 2 * 1024 * 1024  # far above a 600 x 300 graph: a bigger answer is not the image asked for
MAX_WIDGET_BYTES = 100 * 1024  # GetMetricWidgetImage's payload limit

# For the client the renderer is given: drawing can take longer than a plain API call; off the text's path,
# so one retry (throttling, a 5xx) is affordable, and a failure is final (the message keeps its text).
GRAPH_CLIENT_CONFIG = Config(
    connect_timeout=2, read_timeout=10, retries={"mode": "standard", "total_max_attempts": 2}
)

_THROTTLED = frozenset(
    {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"}
)
_DENIED = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnrecognizedClientException"}
)
_INVALID = frozenset(
    {"InvalidParameterInput", "InvalidParameterValue", "InvalidParameterCombination", "ValidationError"}
)


class GraphError(Exception):
    """A graph that could not be made; `reason` is one of REASONS."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason if reason in REASONS else "cloudwatch_error"
        self.detail = detail


@dataclass(frozen=True)
class Graph:
    """A PNG for Slack, with its title, the alt text that describes it, and the widget it was drawn from."""

    png: bytes
    title: str
    alt_text: str
    widget: dict[str, Any]


def _reason(error: Exception) -> str:
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if code in _THROTTLED or status == 429:
            return "throttled"
        if code in _DENIED or status == 403:
            return "access_denied"
        if code in _INVALID:
            return "invalid_widget"
        return "cloudwatch_error"
    if isinstance(error, ConnectTimeoutError | ReadTimeoutError):
        return "timeout"
    return "cloudwatch_error"


def _clock(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%H:%M UTC")


class GraphRenderer:
    """Renders an alert's graph in the router's account and region. `cloudwatch`: a boto3 CloudWatch client,
    or a zero-argument callable making one on first use (a cold start that sends no graph makes none)."""

    def __init__(self, cloudwatch: Any, *, account: str, region: str) -> None:
        self._cloudwatch = cloudwatch
        self._made: Any = None
        self.account, self.region = account, region

    def _client(self) -> Any:
        if self._made is None:
            self._made = self._cloudwatch() if callable(self._cloudwatch) else self._cloudwatch
        return self._made

    def graph_for(
        self, state: AlertState, *, fired_ms: int, resolved_ms: int | None, now_ms: int
    ) -> Graph | None:
        """The alert's graph; None when it has none here (not graphable, another account or region, a
        composite or Metrics Insights alarm). Raises GraphError."""
        labels = state.labels
        if not graphable(state.source, labels):
            return None
        if (
            labels.get("account", self.account) != self.account
            or labels.get("region", self.region) != self.region
        ):
            return None
        if state.source == SLO_SOURCE:
            widget = slo_widget(
                labels, fired_ms=fired_ms, resolved_ms=resolved_ms, now_ms=now_ms, region=self.region
            )
            what = f"SLO {labels['slo']}: error budget left and burn rates"
        else:
            alarm = self._alarm(labels.get("alertname", ""))
            try:
                widget = alarm_widget(
                    alarm, fired_ms=fired_ms, resolved_ms=resolved_ms, now_ms=now_ms, region=self.region
                )
            except WidgetError:
                return (
                    None  # redefined since it fired (now composite-like or Metrics Insights): nothing to draw
                )
            what = self._alarm_words(alarm)
        png = self._image(widget)
        until = f"resolved at {_clock(resolved_ms)}" if resolved_ms is not None else "still in alarm"
        alt_text = f"Graph of {what}; in alarm from {_clock(fired_ms)}, {until}."
        return Graph(png=png, title=str(widget["title"]), alt_text=alt_text[:1000], widget=widget)

    @staticmethod
    def _alarm_words(alarm: dict[str, Any]) -> str:
        metric = alarm.get("MetricName") or ", ".join(
            str(q.get("Label") or q.get("Expression") or q["MetricStat"]["Metric"]["MetricName"])
            for q in alarm.get("Metrics", [])
            if q.get("ReturnData", True)
        )
        threshold = alarm.get("Threshold")
        against = "its expected band" if alarm.get("ThresholdMetricId") else f"threshold {threshold:g}"
        if threshold is None and not alarm.get("ThresholdMetricId"):
            against = "its threshold"
        return f"{metric} for alarm {alarm.get('AlarmName', '')} against {against}"

    def _alarm(self, name: str) -> dict[str, Any]:
        if not name:
            raise GraphError("alarm_not_found", "the alert names no alarm")
        try:
            got = self._client().describe_alarms(AlarmNames=[name], AlarmTypes=["MetricAlarm"])
        except (ClientError, BotoCoreError) as exc:
            raise GraphError(_reason(exc), str(exc)[:300]) from exc
        alarms = got.get("MetricAlarms") or []
        if not alarms:
            raise GraphError("alarm_not_found", name[:255])
        return dict(alarms[0])

    def _image(self, widget: dict[str, Any]) -> bytes:
        body = json.dumps(widget, separators=(",", ":"))
        if len(body.encode()) > MAX_WIDGET_BYTES:
            raise GraphError("invalid_widget", f"widget of {len(body.encode())} bytes")
        try:
            got = self._client().get_metric_widget_image(MetricWidget=body, OutputFormat="png")
        except (ClientError, BotoCoreError) as exc:
            raise GraphError(_reason(exc), str(exc)[:300]) from exc
        png = got.get("MetricWidgetImage") or b""
        if not isinstance(png, bytes) or not png.startswith(PNG_SIGNATURE):
            raise GraphError("not_png", f"{len(png)} bytes without the PNG signature")
        if len(png) > MAX_PNG_BYTES:
            raise GraphError("too_large", f"{len(png)} bytes")
        return png

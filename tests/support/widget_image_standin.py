"""A CloudWatch endpoint on loopback that answers GetMetricWidgetImage with a real PNG (moto 5.2.5 has none).

botocore 1.44's CloudWatch model lists `smithy-rpc-v2-cbor` and `json` (a POST to
`/service/GraniteServiceVersion20100801/operation/<Operation>` with a CBOR body, or to `/` with
`X-Amz-Target: GraniteServiceVersion20100801.<Operation>` and a JSON body); both are answered in kind (CBOR
decoded with botocore's own parser, encoded by the small encoder below; errors carry `x-amzn-query-error`,
as the query-compatible service does). GetMetricWidgetImage is answered here: the
widget is validated as CloudWatch documents it (1-100 metrics, payload up to 100 KB, the documented keys:
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Metric-Widget-Structure.html),
else `InvalidParameterInput`; the PNG is drawn with Pillow: the widget's plain metrics read from moto with
GetMetricData (expressions are not evaluated: skipped, the rest still drawn), the horizontal annotations
(threshold lines, their fill), the vertical bands (time in ALARM), the title. Every other operation
(DescribeAlarms, PutMetricAlarm, PutMetricData, ...) is forwarded to the moto server byte for byte.
`faults` scripts the next GetMetricWidgetImage answers: "throttle" (400 Throttling), "500", "invalid".
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import re
import struct
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any

import boto3
from botocore.parsers import RpcV2CBORParser
from PIL import Image, ImageDraw, ImageFont

from support.local_aws import moto_server
from support.loopback import post_server

OPERATION_PATH = re.compile(r"/service/[^/]+/operation/(?P<operation>[A-Za-z]+)$")
WIDGET_OPERATION = "GetMetricWidgetImage"
MAX_PAYLOAD = 100 * 1024
MAX_METRICS = 100
# The MetricWidget's documented top-level keys ("Overall Structure")
WIDGET_KEYS = frozenset(
    {
        "accountId",
        "annotations",
        "end",
        "height",
        "legend",
        "liveData",
        "metrics",
        "period",
        "region",
        "setPeriodToTimeRange",
        "stacked",
        "start",
        "stat",
        "timezone",
        "title",
        "view",
        "width",
        "yAxis",
    }
)
SERIES_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")
PADDING = {"left": 50, "right": 20, "top": 30, "bottom": 30}
_DURATION = re.compile(r"^-P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?$")


# ---- CBOR (RFC 8949): what the answers need ----
def _head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes([major << 5 | value])
    for info, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if value < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | info]) + struct.pack(fmt, value)
    raise ValueError("integer too large for CBOR")


def cbor_encode(value: Any) -> bytes:
    """Encode maps, lists, text, bytes, ints, floats, booleans and null."""
    if value is None:
        return b"\xf6"
    if value is True or value is False:
        return b"\xf5" if value else b"\xf4"
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, float):
        return b"\xfb" + struct.pack(">d", value)
    if isinstance(value, bytes):
        return _head(2, len(value)) + value
    if isinstance(value, str):
        data = value.encode()
        return _head(3, len(data)) + data
    if isinstance(value, list | tuple):
        return _head(4, len(value)) + b"".join(cbor_encode(v) for v in value)
    if isinstance(value, dict):
        return _head(5, len(value)) + b"".join(cbor_encode(k) + cbor_encode(v) for k, v in value.items())
    raise TypeError(f"cannot CBOR-encode {type(value).__name__}")


def cbor_decode(data: bytes) -> Any:
    parser = RpcV2CBORParser()
    return parser.parse_data_item(parser.get_peekable_stream_from_bytes(data)) if data else {}


@dataclass
class WidgetCall:
    """One GetMetricWidgetImage call: its widget (None when not JSON), the answer's status, the fault used,
    and, when drawn, where values land on the image (`row_of(value)`) and the plot's x range."""

    widget: dict[str, Any] | None
    status: int
    fault: str = ""
    error: str = ""
    encoding: str = "cbor"  # the protocol it came in: "cbor" or "json"
    png: bytes = b""
    y_range: tuple[float, float] = (0.0, 1.0)
    plot_box: tuple[int, int, int, int] = (0, 0, 0, 0)  # left, top, right, bottom

    def row_of(self, value: float) -> int:
        """The image row a value is drawn on (the y axis is linear, low values at the bottom)."""
        low, high = self.y_range
        _, top, _, bottom = self.plot_box
        return round(bottom - (value - low) / (high - low) * (bottom - top))


@dataclass
class Forwarded:
    operation: str
    status: int


class InvalidWidget(ValueError):
    pass


def _when(text: Any, now: datetime) -> datetime:
    """A widget time: absolute ISO 8601 or relative (-PT3H, -P1D)."""
    value = str(text)
    relative = _DURATION.match(value)
    if relative:
        parts = {k: int(v or 0) for k, v in relative.groupdict().items()}
        return now - timedelta(days=parts["d"], hours=parts["h"], minutes=parts["m"], seconds=parts["s"])
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError as exc:
        raise InvalidWidget(f"The time {value[:40]!r} is not valid") from exc


def validate(raw: str) -> dict[str, Any]:
    """The widget as CloudWatch checks it; InvalidWidget with CloudWatch-like words otherwise."""
    if len(raw.encode()) > MAX_PAYLOAD:
        raise InvalidWidget(f"The MetricWidget payload exceeds {MAX_PAYLOAD} bytes")
    try:
        widget = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidWidget(f"MetricWidget is not valid JSON: {exc.msg}") from exc
    if not isinstance(widget, dict):
        raise InvalidWidget("MetricWidget must be a JSON object")
    unknown = sorted(set(widget) - WIDGET_KEYS)
    if unknown:
        raise InvalidWidget(f"Unknown field(s) in MetricWidget: {', '.join(unknown)}")
    metrics = widget.get("metrics")
    if not isinstance(metrics, list) or not 1 <= len(metrics) <= MAX_METRICS:
        raise InvalidWidget(f"The metrics array must hold 1 to {MAX_METRICS} metrics")
    for row in metrics:
        if not isinstance(row, list) or not row:
            raise InvalidWidget("Each metric must be a non-empty array")
        options = row[-1] if isinstance(row[-1], dict) else {}
        names = row[:-1] if isinstance(row[-1], dict) else row
        if "expression" not in options and (len(names) < 2 or len(names) % 2):
            raise InvalidWidget("A metric is [namespace, name, dimension name, value, ...]")
    for side in ("width", "height"):
        if side in widget and not (isinstance(widget[side], int) and 1 <= widget[side] <= 2000):
            raise InvalidWidget(f"{side} must be an integer from 1 to 2000")
    return widget


def _colour(hex_colour: str, alpha: int = 255) -> tuple[int, int, int, int]:
    value = hex_colour.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16), alpha)


class WidgetImageStandIn:
    """Loopback CloudWatch: GetMetricWidgetImage drawn here, the rest forwarded to moto at `moto_url`."""

    def __init__(self, moto_url: str, *, region: str = "us-east-1", host: str = "127.0.0.1") -> None:
        self.moto_url = moto_url.rstrip("/")
        self.region = region
        self.calls: list[WidgetCall] = []
        self.forwarded: list[Forwarded] = []
        self.faults: list[str] = []  # scripted: "throttle", "500", "invalid"; used first
        self._lock = threading.Lock()
        self._moto_clients: dict[str, Any] = {}
        self.server, self._thread = post_server(self._serve, host)

    # ---- lifecycle ----
    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> WidgetImageStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> WidgetImageStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- serving ----
    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        found = OPERATION_PATH.search(request.path.split("?", 1)[0])
        target = request.headers.get("X-Amz-Target", "")
        if found:  # smithy-rpc-v2-cbor
            operation, encoding = found.group("operation"), "cbor"
        else:  # the JSON protocol (awsJson1_0), which botocore picks when it is listed first
            operation, encoding = target.rsplit(".", 1)[-1] or "?", "json"
        if operation == WIDGET_OPERATION:
            self._widget_image(request, body, encoding)
        else:
            self._forward(request, body, operation)

    def _forward(self, request: BaseHTTPRequestHandler, body: bytes, operation: str) -> None:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        forwarded = urllib.request.Request(  # noqa: S310 - the moto server on loopback
            self.moto_url + request.path, data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(forwarded, timeout=30) as answer:  # noqa: S310
                status, answer_headers, answer_body = answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as error:
            status, answer_headers, answer_body = error.code, error.headers, error.read()
        self.forwarded.append(Forwarded(operation, status))
        request.send_response(status)
        for name, value in answer_headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                request.send_header(name, value)
        request.send_header("Content-Length", str(len(answer_body)))
        request.end_headers()
        request.wfile.write(answer_body)

    def _reply(
        self,
        request: BaseHTTPRequestHandler,
        call: WidgetCall,
        payload: dict[str, Any],
        query_error: str = "",
    ) -> None:
        request.send_response(call.status)
        if call.encoding == "cbor":
            data = cbor_encode(payload)
            request.send_header("smithy-protocol", "rpc-v2-cbor")
            request.send_header("Content-Type", "application/cbor")
        else:
            blobs = {
                k: base64.b64encode(v).decode() if isinstance(v, bytes) else v for k, v in payload.items()
            }
            data = json.dumps(blobs).encode()
            request.send_header("Content-Type", "application/x-amz-json-1.0")
        request.send_header("x-amzn-requestid", "widget-image-standin")
        if query_error:
            request.send_header("x-amzn-query-error", query_error)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    def _error(
        self, request: BaseHTTPRequestHandler, call: WidgetCall, code: str, message: str, kind: str
    ) -> None:
        call.error = code
        self._reply(
            request,
            call,
            {"__type": f"com.amazonaws.cloudwatch#{code}", "message": message},
            f"{code};{kind}",
        )

    def _widget_image(self, request: BaseHTTPRequestHandler, body: bytes, encoding: str) -> None:
        decoded = cbor_decode(body) if encoding == "cbor" else json.loads(body or b"{}")
        raw = str(decoded.get("MetricWidget", ""))
        with self._lock:
            fault = self.faults.pop(0) if self.faults else ""
        try:
            widget: dict[str, Any] | None = json.loads(raw)
        except json.JSONDecodeError:
            widget = None
        call = WidgetCall(
            widget=widget if isinstance(widget, dict) else None, status=200, fault=fault, encoding=encoding
        )
        self.calls.append(call)
        if fault == "throttle":
            call.status = 400
            return self._error(request, call, "Throttling", "Rate exceeded", "Sender")
        if fault == "500":
            call.status = 500
            return self._error(request, call, "InternalServiceFault", "Internal service error", "Receiver")
        if fault == "invalid":
            call.status = 400
            return self._error(request, call, "InvalidParameterInput", "The widget is invalid", "Sender")
        if decoded.get("OutputFormat", "png") != "png":
            call.status = 400
            return self._error(request, call, "InvalidParameterInput", "Only png is supported", "Sender")
        try:
            checked = validate(raw)
        except InvalidWidget as exc:
            call.status = 400
            return self._error(request, call, "InvalidParameterInput", str(exc), "Sender")
        call.png = self._draw(checked, call)
        self._reply(request, call, {"MetricWidgetImage": call.png})

    # ---- drawing ----
    def _moto(self, region: str) -> Any:
        with self._lock:
            if region not in self._moto_clients:
                self._moto_clients[region] = boto3.client(
                    "cloudwatch",
                    endpoint_url=self.moto_url,
                    region_name=region,
                    aws_access_key_id="testing",
                    aws_secret_access_key="testing",  # noqa: S106 - moto's fake
                )
            return self._moto_clients[region]

    def _series(
        self, widget: dict[str, Any], start: datetime, end: datetime
    ) -> Iterator[list[tuple[float, float]]]:
        """Each visible plain metric's points (epoch seconds, value) read from moto; expressions skipped."""
        period = int(widget.get("period") or 300)
        for index, row in enumerate(widget["metrics"]):
            options = row[-1] if isinstance(row[-1], dict) else {}
            names = row[:-1] if options else row
            if "expression" in options or options.get("visible") is False:
                continue
            dimensions = [{"Name": names[i], "Value": names[i + 1]} for i in range(2, len(names), 2)]
            query = {
                "Id": f"q{index}",
                "MetricStat": {
                    "Metric": {"Namespace": names[0], "MetricName": names[1], "Dimensions": dimensions},
                    "Period": int(options.get("period") or period),
                    "Stat": str(options.get("stat") or widget.get("stat") or "Average"),
                },
            }
            got = self._moto(str(widget.get("region") or self.region)).get_metric_data(
                MetricDataQueries=[query], StartTime=start, EndTime=end
            )
            result = got["MetricDataResults"][0]
            yield sorted(
                (t.timestamp(), float(v)) for t, v in zip(result["Timestamps"], result["Values"], strict=True)
            )

    def _draw(self, widget: dict[str, Any], call: WidgetCall) -> bytes:
        now = datetime.now(UTC)
        width, height = int(widget.get("width", 600)), int(widget.get("height", 400))
        end = _when(widget.get("end", "-PT0H"), now)
        start = _when(widget.get("start", "-PT3H"), now)
        series = list(self._series(widget, start, end))
        annotations = widget.get("annotations") or {}
        horizontal = [
            a for a in annotations.get("horizontal", []) if isinstance(a, dict) and a.get("yAxis") != "right"
        ]
        values = [v for points in series for _, v in points] + [float(a["value"]) for a in horizontal]
        low, high = min([0.0, *values]), max([1.0, *values])
        high += (high - low) * 0.1
        left, top = PADDING["left"], PADDING["top"]
        right, bottom = width - PADDING["right"], height - PADDING["bottom"]
        call.y_range, call.plot_box = (low, high), (left, top, right, bottom)
        span = max((end - start).total_seconds(), 1.0)

        def x_of(epoch: float) -> int:
            return round(left + (epoch - start.timestamp()) / span * (right - left))

        image = Image.new("RGBA", (width, height), (255, 255, 255, 255))
        shade = Image.new("RGBA", (width, height), (0, 0, 0, 0))
        shading = ImageDraw.Draw(shade)
        draw = ImageDraw.Draw(image)
        font = ImageFont.load_default()
        for band in annotations.get("vertical", []):
            edges = band if isinstance(band, list) else [band]
            colour = str(edges[0].get("color", "#d62728"))
            xs = [min(max(x_of(_when(e["value"], now).timestamp()), left), right) for e in edges]
            shading.rectangle((xs[0], top, xs[-1], bottom), fill=_colour(colour, 48))
            label = str(edges[0].get("label", ""))
            at = min(xs[0] + 2, right - 2 - round(draw.textlength(label, font=font)))  # kept inside the plot
            draw.text((at, top + 2), label, fill=_colour(colour), font=font)
        for line in horizontal:
            row = call.row_of(float(line["value"]))
            fill = line.get("fill")
            colour = str(line.get("color", "#d62728"))
            if fill == "above":
                shading.rectangle((left, top, right, row), fill=_colour(colour, 32))
            elif fill == "below":
                shading.rectangle((left, row, right, bottom), fill=_colour(colour, 32))
        image = Image.alpha_composite(image, shade)
        draw = ImageDraw.Draw(image)
        draw.rectangle((left, top, right, bottom), outline=(180, 180, 180, 255))
        draw.text((left, 8), str(widget.get("title", "")), fill=(0, 0, 0, 255), font=font)
        draw.text((4, top), f"{high:.4g}", fill=(90, 90, 90, 255), font=font)
        draw.text((4, bottom - 10), f"{low:.4g}", fill=(90, 90, 90, 255), font=font)
        for index, points in enumerate(series):
            xy = [(x_of(t), call.row_of(v)) for t, v in points]
            series_colour = _colour(SERIES_COLOURS[index % len(SERIES_COLOURS)])
            if len(xy) > 1:
                draw.line(xy, fill=series_colour, width=2)
            for x, y in xy:
                draw.ellipse((x - 2, y - 2, x + 2, y + 2), fill=series_colour)
        if not any(series):  # as CloudWatch draws a graph with no data points in its time range
            message = "No data available."
            centre = (left + right - round(draw.textlength(message, font=font))) // 2
            draw.text((centre, (top + bottom) // 2), message, fill=(90, 90, 90, 255), font=font)
        for line in horizontal:  # last: the threshold is never hidden under a series
            row = call.row_of(float(line["value"]))
            line_colour = _colour(str(line.get("color", "#d62728")))
            draw.line((left, row, right, row), fill=line_colour, width=1)
            draw.text((right - 80, row - 12), str(line.get("label", "")), fill=line_colour, font=font)
        out = io.BytesIO()
        image.convert("RGB").save(out, format="PNG")
        return out.getvalue()

    # ---- what tests look at ----
    def images(self) -> list[WidgetCall]:
        return [c for c in self.calls if c.status == 200]


@contextlib.contextmanager
def widget_image_standin(region: str = "us-east-1") -> Iterator[WidgetImageStandIn]:
    """A moto server and the stand-in in front of it, started and stopped together (for tests and the demo)."""
    with moto_server() as url, WidgetImageStandIn(url, region=region) as standin:
        yield standin

"""A graph renderer for the router's tests: draws a small real PNG with Pillow (a stand-in for CloudWatch's
GetMetricWidgetImage behind alertrouter.graphs.render.GraphRenderer), or fails as the renderer does (an error
with a `reason`). Records what it was asked."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from PIL import Image, ImageDraw

from alertrouter.models.state import AlertState


@dataclass(frozen=True)
class RenderedGraph:
    """What GraphRenderer returns (alertrouter.graphs.render.Graph)."""

    png: bytes
    title: str
    alt_text: str
    widget: dict[str, object] = field(default_factory=dict)


class RenderFailedError(Exception):
    """As GraphError: a failure with a reason from the renderer's fixed set."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"graph not rendered: {reason}")
        self.reason = reason


def png_of(title: str, width: int = 120, height: int = 60) -> bytes:
    """A small real PNG: a white plot, a red threshold line, a line for the metric."""
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.line([(0, height // 3), (width, height // 3)], fill=(214, 39, 40), width=1)
    draw.line(
        [(0, height - 5), (width // 2, height - 20), (width, height // 4)], fill=(31, 119, 180), width=2
    )
    draw.text((4, 2), title[:20], fill="black")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def graphable(source: str, labels: dict[str, str]) -> bool:
    """The test's stand-in for alertrouter.graphs.widget.graphable: CloudWatch alarms and SLO alerts."""
    return source in ("cloudwatch", "slo")


@dataclass
class PngRenderer:
    """graph_for as GraphRenderer answers it; `fail_with` a reason makes the next renders fail."""

    fail_with: str = ""
    calls: list[tuple[str, int, int | None]] = field(default_factory=list)  # (fingerprint, fired, resolved)

    def graph_for(
        self, state: AlertState, *, fired_ms: int, resolved_ms: int | None, now_ms: int
    ) -> RenderedGraph | None:
        self.calls.append((state.fingerprint, fired_ms, resolved_ms))
        if self.fail_with:
            raise RenderFailedError(self.fail_with)
        title = state.labels.get("alertname") or state.title
        phase = "resolved" if resolved_ms is not None else "firing"
        return RenderedGraph(
            png=png_of(title), title=f"{title} ({phase})", alt_text=f"Graph of {title}, {phase}"
        )

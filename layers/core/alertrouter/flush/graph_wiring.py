"""What the graph delivery (flush/graph.py) is wired with: the renderer, which alerts can be graphed, the
queue its requests go to. Apart from the delivery, so that the flush's environment can name them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from alertrouter.models.state import AlertState
from alertrouter.own_messages import GraphMessage


class GraphImage(Protocol):
    """A rendered graph (alertrouter.graphs.render.Graph)."""

    @property
    def png(self) -> bytes: ...
    @property
    def title(self) -> str: ...
    @property
    def alt_text(self) -> str: ...


class GraphSource(Protocol):
    """What renders an alert's graph (alertrouter.graphs.render.GraphRenderer). Returns None when the alert
    cannot be graphed here; raises an error with a `reason` (GraphError) when rendering failed."""

    def graph_for(
        self, state: AlertState, *, fired_ms: int, resolved_ms: int | None, now_ms: int
    ) -> GraphImage | None: ...


@dataclass(frozen=True)
class GraphWiring:
    """The graphs' collaborators: the renderer, which alerts can be graphed (alertrouter.graphs.widget
    .graphable), and how a GraphMessage reaches the router's queue."""

    source: GraphSource
    graphable: Callable[[str, dict[str, str]], bool]
    request: Callable[[GraphMessage, int], None]  # (the message, its delay in seconds)

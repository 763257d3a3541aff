"""The router's own messages on its queue: a scheduled flush, a Resolve from Slack, a one-shot alert's expiry,
a redraw after an Acknowledge. One model per kind; `encode` and `decode` are the only places their JSON is
written and read.

The bodies keep the keys and values they have always had, so that messages already on a queue during a deploy
still decode. Optional fields read as before: a value of the wrong type counts as absent.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
)

OWN_PREFIX = "alertrouter."  # the stack's own event source and every kind of the router's own messages
FLUSH_KIND: Final = "alertrouter.flush"
RESOLVE_KIND: Final = "alertrouter.resolve"
EXPIRE_KIND: Final = "alertrouter.expire"
REDRAW_KIND: Final = "alertrouter.redraw"
GRAPH_KIND: Final = "alertrouter.graph"


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _texts_or_none(value: Any) -> list[str] | None:
    return [str(item) for item in value] if isinstance(value, list) else None


def _text_or_empty(value: Any) -> str:
    return value if isinstance(value, str) else ""


class _OwnMessage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)  # built on first use

    def encode(self) -> str:
        """The message body: a JSON object, `kind` first, as the router has always written it."""
        return json.dumps(self.model_dump())


class FlushMessage(_OwnMessage):
    """Flush a group when its wait is over (sent with a delay: SQS allows up to 15 minutes)."""

    kind: Literal["alertrouter.flush"] = FLUSH_KIND
    group: StrictStr
    route: StrictStr
    due: Annotated[int | None, BeforeValidator(_int_or_none)] = None  # when the flush is due (ms)


class ResolveMessage(_OwnMessage):
    """Resolve a group's episode by hand (a Resolve click): the alerts the clicked message showed."""

    kind: Literal["alertrouter.resolve"] = RESOLVE_KIND
    group: StrictStr
    episode: StrictInt
    at: StrictInt  # when it was clicked (ms)
    fingerprints: Annotated[list[str] | None, BeforeValidator(_texts_or_none)] = None  # None: all of them


class ExpireMessage(_OwnMessage):
    """Resolve a one-shot alert whose resolve_timeout passed, unless it recurred since `ts`."""

    kind: Literal["alertrouter.expire"] = EXPIRE_KIND
    fingerprint: StrictStr
    ts: StrictInt  # the alert event's time (ms)


class RedrawMessage(_OwnMessage):
    """Redraw a group's messages after a click, except the clicked one (already redrawn)."""

    kind: Literal["alertrouter.redraw"] = REDRAW_KIND
    group: StrictStr
    episode: StrictInt
    clicked: Annotated[str, BeforeValidator(_text_or_empty)] = ""  # the clicked message's channel id


class GraphMessage(_OwnMessage):
    """Render an episode's graph and show it in the group's messages (firing), or post a fresh one in their
    threads (resolved), or show an uploaded one again (show): off the text's path (flush/graph.py)."""

    kind: Literal["alertrouter.graph"] = GRAPH_KIND
    group: StrictStr
    episode: StrictInt
    # "show": edit the messages again with the graph already uploaded (Slack was still processing the file, or
    # a flush held the group when the upload was done: then the upload's file comes with it)
    phase: Literal["firing", "resolved", "show"]
    file_id: Annotated[str, BeforeValidator(_text_or_empty)] = ""
    title: Annotated[str, BeforeValidator(_text_or_empty)] = ""
    alt_text: Annotated[str, BeforeValidator(_text_or_empty)] = ""

    def encode(self) -> str:
        """As the other kinds, `kind` first; the upload's fields only when it carries one."""
        uploaded = ("file_id", "title", "alt_text")
        return json.dumps(self.model_dump(exclude=set() if self.file_id else set(uploaded)))


OwnMessage = FlushMessage | ResolveMessage | ExpireMessage | RedrawMessage | GraphMessage
_MESSAGE = TypeAdapter[OwnMessage](
    Annotated[OwnMessage, Field(discriminator="kind")], config=ConfigDict(defer_build=True)
)

# what each kind cannot do without: the reason a message is refused
REQUIRED = {
    FLUSH_KIND: "group and route",
    RESOLVE_KIND: "group, episode and time",
    EXPIRE_KIND: "fingerprint and ts",
    REDRAW_KIND: "group and episode",
    GRAPH_KIND: "group, episode and phase",
}
KINDS = tuple(REQUIRED)


class MalformedOwnMessageError(ValueError):
    """One of the router's own messages it cannot carry out: an unknown kind, a field missing or of the wrong
    type. `reason` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def decode(body: str) -> OwnMessage | None:
    """The router's own message in an SQS body; None when the body is not one (an alert event). Raises
    MalformedOwnMessageError for a body that names an own kind it cannot carry out."""
    if OWN_PREFIX not in body:
        return None  # one cheap scan first: alert events are never decoded twice
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return None  # not JSON: the event parser says why
    kind = payload.get("kind") if isinstance(payload, dict) else None
    if not isinstance(kind, str) or not kind.startswith(OWN_PREFIX):
        return None
    if kind not in REQUIRED:
        raise MalformedOwnMessageError(f"unknown kind of the router's own message: {kind[:60]!r}")
    try:
        return _MESSAGE.validate_python(payload)
    except ValidationError:
        raise MalformedOwnMessageError(
            f"{kind.removeprefix(OWN_PREFIX)} message without {REQUIRED[kind]}"
        ) from None

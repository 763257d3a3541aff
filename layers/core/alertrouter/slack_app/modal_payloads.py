"""What Slack posts from a modal: `view_submission` (the Submit button) and `block_actions` whose container is
the view (Enter pressed in an input with `dispatch_action`), the parts the Silence modal reads.

Shapes: https://docs.slack.dev/reference/interaction-payloads/view-interactions-payload (view_submission:
`user`, `team`, `view` with `id`, `hash`, `callback_id`, `private_metadata` and `state.values` as
`{block_id: {action_id: {type, value | selected_date_time}}}`) and
https://docs.slack.dev/reference/interaction-payloads/block_actions-payload (`container.type` "view" with
`view_id`; the whole `view`, its state included: https://api.slack.com/changelog/2020-09-full-state-on-view-
submisson-and-block-actions). Both are posted form-encoded as `payload=<json>`, as message clicks are.
"""

from __future__ import annotations

import json
from typing import Any, Literal
from urllib.parse import parse_qs

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class ModalUser(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    name: str = ""
    team_id: str = ""


class SubmittedView(BaseModel):
    """The view as Slack hands it back: its id and hash (for views.update), what we stored in it, the inputs."""

    model_config = ConfigDict(extra="ignore")
    id: str
    hash: str = ""
    callback_id: str = ""
    private_metadata: str = ""
    state: dict[str, Any] = Field(default_factory=dict)

    def value(self, block_id: str, action_id: str) -> dict[str, Any]:
        """One input's state (`{"type": ..., "value": ...}`); {} when Slack sent none (an empty optional input)."""
        values = self.state.get("values") or {}
        block = values.get(block_id) if isinstance(values, dict) else None
        found = block.get(action_id) if isinstance(block, dict) else None
        return found if isinstance(found, dict) else {}

    def text(self, block_id: str, action_id: str) -> str:
        value = self.value(block_id, action_id).get("value")
        return value if isinstance(value, str) else ""


class ViewSubmission(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: Literal["view_submission"]
    user: ModalUser
    team: dict[str, Any] | None = None  # null for an org-wide install
    view: SubmittedView
    trigger_id: str = ""


class ViewContainer(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: Literal["view"]
    view_id: str = ""


class ViewAction(BaseModel):
    model_config = ConfigDict(extra="ignore")
    action_id: str
    block_id: str = ""
    value: str | None = None


class ViewBlockActions(BaseModel):
    """A block_actions payload from inside a modal (not from a message)."""

    model_config = ConfigDict(extra="ignore")
    type: Literal["block_actions"]
    user: ModalUser
    team: dict[str, Any] | None = None
    container: ViewContainer
    view: SubmittedView
    actions: list[ViewAction] = Field(min_length=1)
    trigger_id: str = ""


def team_id(payload: ViewSubmission | ViewBlockActions) -> str:
    return str((payload.team or {}).get("id", ""))


def parse_view_payload(body: bytes) -> ViewSubmission | ViewBlockActions | None:
    """The modal payload in a request body, or None when the body is something else (a click in a message, a
    slash command, an event): those are read where they are handled. A modal payload that does not have the
    documented shape raises ValueError."""
    try:
        form = parse_qs(body.decode("utf-8"), strict_parsing=True)
        payload = json.loads(form["payload"][0])
    except (UnicodeDecodeError, ValueError, KeyError, IndexError, RecursionError):
        return None
    if not isinstance(payload, dict):
        return None
    container = payload.get("container")
    try:
        if payload.get("type") == "view_submission":
            return ViewSubmission.model_validate(payload)
        if (
            payload.get("type") == "block_actions"
            and isinstance(container, dict)
            and container.get("type") == "view"
        ):
            return ViewBlockActions.model_validate(payload)
    except (ValidationError, RecursionError) as exc:
        raise ValueError(f"not a modal payload: {type(exc).__name__}") from exc
    return None

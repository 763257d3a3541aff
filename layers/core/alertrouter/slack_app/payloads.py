"""What Slack sends to the one Request URL, told apart and read (after the signature and replay checks):

- form-encoded `payload=<json>`: interactivity (https://api.slack.com/reference/interaction-payloads):
  `block_actions` in a message (the buttons: interactions.py), and the Silence modal's `view_submission` and
  `block_actions` in a view (part S2);
- form-encoded with `command=`: a slash command
  (https://api.slack.com/interactivity/slash-commands#app_command_handling: token, team_id, team_domain,
  channel_id, channel_name, user_id, user_name, command, text, api_app_id, response_url, trigger_id);
- JSON: the Events API (https://api.slack.com/apis/events-api): `url_verification` (token, challenge, type:
  https://api.slack.com/events/url_verification) and `event_callback` (token, team_id, api_app_id, event,
  type, event_id, event_time) wrapping `app_home_opened` (user, channel, tab, event_ts, view:
  https://api.slack.com/events/app_home_opened).
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any, Literal
from urllib.parse import parse_qs

from pydantic import BaseModel, ConfigDict, ValidationError


class RequestKind(StrEnum):
    BLOCK_ACTIONS = "block_actions"  # a click in a message: interactions.py, as before
    VIEW = "view"  # a modal's submission or a click inside it: the Silence modal (part S2)
    COMMAND = "command"
    EVENT = "event"  # Events API JSON: url_verification or event_callback


class SlashCommand(BaseModel):
    """A slash command as Slack posts it (the fields the router reads; the deprecated ones are ignored)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    command: str
    text: str = ""
    user_id: str
    team_id: str = ""
    channel_id: str = ""
    trigger_id: str = ""
    response_url: str = ""


class UrlVerification(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    type: Literal["url_verification"]
    challenge: str


class AppHomeOpened(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    type: Literal["app_home_opened"]
    user: str
    channel: str = ""
    tab: str = "home"  # "home" or "messages"


class EventCallback(BaseModel):
    """The Events API's outer envelope; `event` is read by its type (only app_home_opened is subscribed)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    type: Literal["event_callback"]
    team_id: str = ""
    event_id: str = ""
    event: dict[str, Any]

    def app_home_opened(self) -> AppHomeOpened | None:
        """The event, when it is app_home_opened (None for any other event type)."""
        if self.event.get("type") != "app_home_opened":
            return None
        return AppHomeOpened.model_validate(self.event)


def request_kind(body: bytes) -> RequestKind:
    """Which kind of request a verified body is. A body none of the new kinds reads is left to the
    block_actions path, which refuses it as it always did."""
    text = body.decode("utf-8", errors="replace")
    if text.lstrip().startswith("{"):
        return RequestKind.EVENT
    try:
        form = parse_qs(text, strict_parsing=True)
    except ValueError:
        return RequestKind.BLOCK_ACTIONS
    if "payload" not in form and "command" in form:
        return RequestKind.COMMAND
    try:
        payload = json.loads(form["payload"][0])
    except (KeyError, IndexError, ValueError, RecursionError):
        return RequestKind.BLOCK_ACTIONS
    if isinstance(payload, dict) and (
        payload.get("type") == "view_submission"
        or (payload.get("type") == "block_actions" and isinstance(payload.get("view"), dict))
    ):
        return RequestKind.VIEW
    return RequestKind.BLOCK_ACTIONS


def parse_command(body: bytes) -> SlashCommand:
    """A slash command's form fields (each once); ValueError when it is not one."""
    try:
        form = parse_qs(body.decode("utf-8"), strict_parsing=True, keep_blank_values=True)
        if any(len(values) != 1 for values in form.values()):
            raise ValueError("a field given twice")
        return SlashCommand.model_validate({name: values[0] for name, values in form.items()})
    except (UnicodeDecodeError, ValueError, ValidationError) as exc:
        raise ValueError(f"not a slash command: {type(exc).__name__}") from exc


def parse_event(body: bytes) -> UrlVerification | EventCallback:
    """An Events API request; ValueError for any other JSON (or an app_home_opened without its user)."""
    try:
        data = json.loads(body.decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not an object")
        if data.get("type") == "url_verification":
            return UrlVerification.model_validate(data)
        envelope = EventCallback.model_validate(data)
        envelope.app_home_opened()  # checked here: a malformed one is refused like any malformed request
        return envelope
    except (UnicodeDecodeError, ValueError, RecursionError, ValidationError) as exc:
        raise ValueError(f"not an Events API request: {type(exc).__name__}") from exc


def interactive_sender(body: bytes) -> tuple[str, str]:
    """(team id, user id) of an interactive `payload=` (its `team.id` and `user.id`; "" when absent), for the
    allow-lists before a modal's payload is handed on."""
    try:
        payload = json.loads(parse_qs(body.decode("utf-8"), strict_parsing=True)["payload"][0])
    except (UnicodeDecodeError, KeyError, IndexError, ValueError, RecursionError):
        return "", ""
    if not isinstance(payload, dict):
        return "", ""
    team, user = payload.get("team"), payload.get("user")
    return (
        str(team.get("id", "")) if isinstance(team, dict) else "",
        str(user.get("id", "")) if isinstance(user, dict) else "",
    )

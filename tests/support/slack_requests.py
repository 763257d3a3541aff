"""Slash commands and Events API requests, built from the shapes Slack documents and signed as Slack signs them
(https://api.slack.com/authentication/verifying-requests-from-slack).

- A slash command is a form-encoded POST of token, team_id, team_domain, channel_id, channel_name, user_id,
  user_name, command, text, api_app_id, is_enterprise_install, response_url, trigger_id
  (https://api.slack.com/interactivity/slash-commands#app_command_handling).
- `url_verification` is {token, challenge, type} (https://api.slack.com/events/url_verification).
- An event is wrapped in the `event_callback` envelope {token, team_id, api_app_id, event, type, event_id,
  event_time, authorizations...} (https://api.slack.com/apis/events-api#callback-field); `app_home_opened` is
  {type, user, channel, event_ts, tab, view?} (https://api.slack.com/events/app_home_opened).
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

from alertrouter.interactions import sign
from support.slack_clicks import SIGNING_SECRET

TEAM = "T0TEAM001"
_SERIAL = itertools.count(
    1
)  # each request Slack sends has its own trigger_id / event_id (so its own signature)


def signed(body: bytes, *, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends with a body: its timestamp and v0 signature (now unless `timestamp`)."""
    at = str(int(time.time()) if timestamp is None else timestamp)
    return {"x-slack-request-timestamp": at, "x-slack-signature": sign(secret, at, body)}


def command_body(
    command: str,
    text: str = "",
    *,
    user: str = "U0ONCALL1",
    team: str = TEAM,
    channel: str = "C0TEAM001",
    trigger_id: str = "",
) -> bytes:
    """A slash command's form body as Slack posts it (the documented example's fields); `trigger_id`: one the
    Slack stand-in issued (default: one it does not know)."""
    fields = {
        "token": "gIkuvaNzQIHg97ATvDxqgjtO",  # the deprecated verification token: not checked
        "team_id": team,
        "team_domain": "example",
        "enterprise_id": "E0001",
        "enterprise_name": "Globular Construct Inc",
        "channel_id": channel,
        "channel_name": "team",
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": text,
        "api_app_id": "A123456",
        "is_enterprise_install": "false",
        "response_url": "https://hooks.slack.com/commands/1234/5678",
        "trigger_id": trigger_id or f"13345224609.738474920.8088930838d88f008e{next(_SERIAL)}",
    }
    return urlencode(fields).encode()


def slash_command(command: str, text: str = "", **kwargs: Any) -> tuple[dict[str, str], bytes]:
    """A signed slash command request (headers, body)."""
    timestamp = kwargs.pop("timestamp", None)
    body = command_body(command, text, **kwargs)
    return signed(body, timestamp=timestamp), body


def url_verification(
    challenge: str = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
) -> tuple[dict[str, str], bytes]:
    body = json.dumps(
        {"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "challenge": challenge, "type": "url_verification"}
    ).encode()
    return signed(body), body


def event_callback(
    event: dict[str, Any], *, team: str = TEAM, timestamp: int | None = None
) -> tuple[dict[str, str], bytes]:
    """A signed Events API request carrying `event`."""
    now = int(time.time())
    body = json.dumps(
        {
            "token": "XXYYZZ",
            "team_id": team,
            "api_app_id": "AXXXXXXXXX",
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{now:08d}{next(_SERIAL)}",
            "event_time": now,
            "authorizations": [
                {"enterprise_id": None, "team_id": team, "user_id": "U0ROUTER", "is_bot": True}
            ],
            "is_ext_shared_channel": False,
            "event_context": "4-eyJldCI6ImFwcF9ob21lX29wZW5lZCJ9",
        }
    ).encode()
    return signed(body, timestamp=timestamp), body


def app_home_opened(
    user: str = "U0ONCALL1", *, tab: str = "home", **kwargs: Any
) -> tuple[dict[str, str], bytes]:
    """A signed app_home_opened event (the first time: no `view` yet)."""
    event = {
        "type": "app_home_opened",
        "user": user,
        "channel": "D0HOME001",
        "event_ts": f"{time.time():.6f}",
        "tab": tab,
    }
    return event_callback(event, **kwargs)


def commands_on(store: Any) -> Any:
    """The slash commands (slack_app.commands.Commands) on one whole store, with no Slack client and no routing
    config: what a unit test of their answers needs."""
    from alertrouter.slack_app.commands import Commands

    return Commands(
        index=store,
        alerts=store,
        groups=store,
        routing=lambda: None,
        overrides=store,
        slack=None,
        acknowledge=lambda *args: "never called",
    )

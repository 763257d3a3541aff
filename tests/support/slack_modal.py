"""What Slack posts around the Silence modal, built from Slack's documented payloads and signed as Slack signs:
the Silence menu's "Custom…" click (with a trigger id the stand-in issued), the modal's Submit
(view_submission) and Enter in its matchers field (block_actions from the view); and a submission handled as
Slack handles the answer (the stand-in's open view updated, errors shown, or closed)."""

from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from alertrouter.interactions import InteractionService, Response, sign
from alertrouter.notify.button_value import SILENCE
from alertrouter.slack_app.silence_modal import COMMENT, DURATION, ENDS, MATCHERS
from support.events import load_event
from support.harness import Harness
from support.slack_clicks import SIGNING_SECRET
from support.slack_standin import OpenView

# The view_submission example of https://docs.slack.dev/reference/interaction-payloads/view-interactions-payload
# (ids and texts as documented; `view` is replaced by the open view, `state.values` by the inputs).
VIEW_SUBMISSION_EXAMPLE: dict[str, Any] = {
    "type": "view_submission",
    "team": {"id": "T0MJRM1A7", "domain": "pandamonium"},
    "user": {"id": "U0MJRG1AL", "username": "george", "name": "george", "team_id": "T0MJRM1A7"},
    "api_app_id": "A0MJRMNHN",
    "token": "Shh_its_a_seekrit",
    "trigger_id": "12466734323.1395872398",
    "view": {
        "id": "VNHU13V36",
        "type": "modal",
        "title": {"type": "plain_text", "text": "Modal with inputs"},
        "submit": {"type": "plain_text", "text": "Submit"},
        "blocks": [],
        "private_metadata": "shhh-its-secret",
        "callback_id": "modal-with-inputs",
        "state": {
            "values": {
                "multi-line": {
                    "ml-value": {"type": "plain_text_input", "value": "This is my example inputted value"}
                }
            }
        },
        "hash": "156663117.cd33ad1f",
    },
    "response_urls": [],
}


@dataclass(frozen=True)
class Inputs:
    """What the user typed or picked in the modal (None: the input left empty, as Slack then sends null)."""

    matchers: str | None = None
    duration: str | None = None
    ends_s: int | None = None
    comment: str | None = None

    def state(self) -> dict[str, Any]:
        text = {"type": "plain_text_input"}
        return {
            "values": {
                MATCHERS: {MATCHERS: {**text, "value": self.matchers}},
                DURATION: {DURATION: {**text, "value": self.duration}},
                ENDS: {ENDS: {"type": "datetimepicker", "selected_date_time": self.ends_s}},
                COMMENT: {COMMENT: {**text, "value": self.comment}},
            }
        }


def signed(
    payload: dict[str, Any], *, timestamp: int | None = None, secret: str = SIGNING_SECRET
) -> tuple[dict[str, str], bytes]:
    """`payload=<json>` form-encoded and signed as Slack signs it (v0, HMAC-SHA256 of `v0:ts:body`)."""
    body = urlencode({"payload": json.dumps(payload)}).encode()
    at = str(int(time.time()) if timestamp is None else timestamp)
    return {"x-slack-request-timestamp": at, "x-slack-signature": sign(secret, at, body)}, body


def _who(payload: dict[str, Any], user: str, team: str) -> None:
    payload["user"] = {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team}
    payload["team"] = {"id": team, "domain": "example"}


def custom_click(
    harness: Harness,
    user: str = "U0ONCALL1",
    *,
    channel: str = "#team",
    trigger_age: float = 0.0,
    team: str = "T0TEAM001",
) -> tuple[dict[str, str], bytes]:
    """The Silence menu's "Custom…" chosen in the channel's latest message, with a trigger id the stand-in
    issued `trigger_age` seconds ago (the documented block_actions payload, as slack_clicks builds clicks)."""
    message = harness.slack.channel_messages(channel)[-1]
    menu = message.attachments[0]["blocks"][-1]["elements"][2]
    [option] = [o for o in menu["options"] if o["value"].startswith("custom|")]
    payload = load_event("slack_block_actions_payload_button_in_message_slack_docs.json")
    _who(payload, user, team)
    payload["container"].update(channel_id=message.channel, message_ts=message.ts)
    payload["trigger_id"] = harness.slack.issue_trigger_id(user, age=trigger_age)
    payload["actions"][0] = {
        "type": "static_select",
        "action_id": SILENCE,
        "block_id": "alertrouter_actions",
        "selected_option": option,
        "action_ts": "1.0",
    }
    return signed(payload)


def _view_as_sent(opened: OpenView, inputs: Inputs) -> dict[str, Any]:
    """The view as Slack hands it back in a payload: the app's view with its id, hash and the inputs' state."""
    return {**opened.view, "id": opened.id, "hash": opened.hash, "state": inputs.state()}


def view_submission(
    opened: OpenView,
    inputs: Inputs,
    user: str = "U0ONCALL1",
    *,
    team: str = "T0TEAM001",
    timestamp: int | None = None,
) -> tuple[dict[str, str], bytes]:
    """The Submit button of an open modal, as Slack posts it."""
    payload = copy.deepcopy(VIEW_SUBMISSION_EXAMPLE)
    _who(payload, user, team)
    payload["view"] = _view_as_sent(opened, inputs)
    return signed(payload, timestamp=timestamp)


def view_enter(
    opened: OpenView, inputs: Inputs, user: str = "U0ONCALL1", *, team: str = "T0TEAM001"
) -> tuple[dict[str, str], bytes]:
    """Enter pressed in the modal's matchers field (dispatch_action): block_actions whose container is the view
    (https://docs.slack.dev/reference/interaction-payloads/block_actions-payload)."""
    payload = load_event("slack_block_actions_payload_button_in_message_slack_docs.json")
    _who(payload, user, team)
    for key in ("channel", "message", "response_url"):
        payload.pop(key, None)
    payload["container"] = {"type": "view", "view_id": opened.id}
    payload["view"] = _view_as_sent(opened, inputs)
    payload["actions"] = [
        {
            "type": "plain_text_input",
            "block_id": MATCHERS,
            "action_id": MATCHERS,
            "value": inputs.matchers,
            "action_ts": "1548426417.840180",
        }
    ]
    return signed(payload)


def submit(
    interactions: InteractionService, harness: Harness, inputs: Inputs, user: str = "U0ONCALL1"
) -> Response:
    """Submit the user's open modal and let the stand-in's Slack act on the answer, as Slack does."""
    opened = harness.slack.open_view(user)
    response = interactions.handle(*view_submission(opened, inputs, user))
    if response.status == 200:
        harness.slack.respond_to_submission(opened.id, response.body)
    return response

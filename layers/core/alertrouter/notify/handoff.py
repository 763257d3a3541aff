"""The handoff notice: who is on call for a schedule now, until when, who was; a button to take the pager."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alertrouter.models.config import MessageSettings
from alertrouter.mrkdwn import escape, mention
from alertrouter.notify.render import SlackMessage
from alertrouter.notify.wording import Wording

TAKE_PAGER = "take_pager"  # the button's action_id; its value is the schedule's name


@dataclass(frozen=True)
class Handoff:
    """One change of who is on call, as the notice tells it."""

    schedule: str
    time_zone: str
    person: str  # "" for nobody
    slack_user: str | None  # the person's Slack id, mentioned when known
    until_ms: int | None  # the next change, None when none is in sight
    previous: str | None  # who was on call ("" nobody, None unknown)


def who(person: str, slack_user: str | None) -> str:
    """`<@U0ALICE> (alice)` when their Slack id is known, else `alice`; escaped."""
    name = escape(person)
    return f"{mention(slack_user)} ({name})" if slack_user else f"*{name}*"


def render_handoff(handoff: Handoff, now_ms: int) -> SlackMessage:
    wording = Wording(MessageSettings(time_zone=handoff.time_zone))
    schedule = escape(handoff.schedule)
    until = f" until {wording.at(handoff.until_ms, now_ms)}" if handoff.until_ms is not None else ""
    was = ""
    if handoff.previous is not None:
        was = f" (was {escape(handoff.previous)})" if handoff.previous else " (was nobody)"
    if handoff.person:
        headline = f"📟 On call for {schedule} now: {escape(handoff.person)}"
        body = f"{who(handoff.person, handoff.slack_user)} is on call for *{schedule}*{until}{was}."
    else:
        headline = f"⚠️ Nobody is on call for {schedule}"
        body = (
            f"Nobody is on call for *{schedule}*{until}{was}: pages to `schedule:{schedule}` go to the "
            "escalation's next step."
        )
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": body}},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Take the pager"},
                    "action_id": TAKE_PAGER,
                    "value": handoff.schedule,
                }
            ],
        },
    ]
    return SlackMessage(text=headline, attachments=[{"color": "#4A154B", "blocks": blocks}])

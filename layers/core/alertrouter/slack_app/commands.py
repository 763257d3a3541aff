"""The slash commands `/alerts`, `/ack` and `/oncall` (`/silence` is the Silence modal's), answered in the HTTP
response within Slack's 3 s (https://api.slack.com/interactivity/slash-commands#responding_to_commands):
`response_type` "ephemeral" (only the person who typed it sees it) unless asked otherwise (`/alerts here`).

- `/alerts [here] [matchers]`: the open alerts, worst first, with age, acknowledgement and a link to the group's
  message; matchers in Alertmanager's syntax (`severity="critical", service=~"pay.*"`, or a bare alert name).
- `/ack <message link>`: acknowledge the alert whose message (or a reply in its thread) the link names, as its
  Acknowledge button does. Slash commands cannot be used in threads (Slack's docs), hence the link.
- `/oncall [schedule]`: who is on call now in each schedule, and until when.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alertrouter.models.config import RoutingConfig
from alertrouter.models.matcher import Matcher, is_alert_name
from alertrouter.models.matcher_syntax import MatcherSyntaxError
from alertrouter.mrkdwn import escape, shorten
from alertrouter.notify.base import NotifyError
from alertrouter.slack_app.links import (
    AlertGroups,
    AppSlack,
    LinkedMessage,
    parse_message_link,
    workspace_url,
)
from alertrouter.slack_app.listing import alert_line, collapsed, listed
from alertrouter.slack_app.oncall import on_call_lines
from alertrouter.slack_app.open_now import open_alerts, unread_text
from alertrouter.slack_app.payloads import SlashCommand
from alertrouter.store.base import AlertStore, GroupView, OpenGroupIndex, OverrideStore

MAX_LINES = 25  # alerts listed in one answer; the rest are counted
USAGE = (
    "*AlertRouter commands*\n"
    "• `/alerts [here] [matchers]`: the open alerts, worst first (`here`: shown to the channel). Matchers as "
    'in a silence: `/alerts severity="critical", service=~"pay.*"`, or an alert name: `/alerts HighLatency`\n'
    "• `/ack <message link>`: acknowledge an alert by the link of its message or of a reply in its thread "
    "(⋯ → Copy link)\n"
    "• `/oncall [schedule]`: who is on call now, and until when\n"
    "• `/silence`: silence alerts by matchers, for a while"
)

# What the router's Acknowledge button does, for the message a link names: (user, message, group key,
# episode, at_ms) -> what to tell the user.
Acknowledge = Callable[[str, LinkedMessage, str, int, int], str]


def unread_line(groups: int) -> str:
    """What a listing says of the open groups it did not read (open_now.MAX_GROUPS_READ)."""
    return f"{unread_text(groups)}: narrow it with matchers."


def ephemeral(text: str) -> dict[str, Any]:
    return {"response_type": "ephemeral", "text": text}


def slack_text(text: str) -> str:
    """A command's text as typed: Slack sends `&`, `<` and `>` as entities
    (https://api.slack.com/reference/surfaces/formatting#escaping)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def parse_matchers(text: str) -> list[Matcher]:
    """Matchers as `/alerts` takes them: one Alertmanager matcher string (`a="x", b=~"y"`, `{a="x"}`), or
    matchers separated by blanks, and a bare alert name first. MatcherSyntaxError with the reason otherwise."""
    if not text:
        return []
    words = text.split()
    first = words[0]
    if is_alert_name(first):
        return [Matcher.of("alertname", "=", first), *parse_matchers(" ".join(words[1:]))]
    if len(words) > 1 and not set(text) & set(",{}"):
        try:  # `severity=critical env=prod`: one matcher a word (a quoted value with a blank reads below)
            return [Matcher.parse(word) for word in words]
        except MatcherSyntaxError:
            pass
    return Matcher.parse_all(text)


class Commands:
    def __init__(
        self,
        *,
        index: OpenGroupIndex,
        alerts: AlertStore,
        groups: GroupView,
        routing: Callable[[], RoutingConfig | None],
        overrides: OverrideStore | None,
        slack: AppSlack | None,
        acknowledge: Acknowledge,
    ) -> None:
        self.index = index
        self.alerts = alerts
        self.groups = groups
        self.routing = routing
        self.overrides = overrides
        self.slack = slack
        self.acknowledge = acknowledge

    def answer(self, command: SlashCommand, now_ms: int) -> dict[str, Any]:
        """The HTTP answer's body for a slash command."""
        text = slack_text(command.text)
        if text.lower() in ("help", "-h", "--help", "?"):
            return ephemeral(USAGE)
        name = command.command.lstrip("/").lower()
        if name == "alerts":
            return self.list_alerts(text, now_ms)
        if name == "ack":
            return ephemeral(self.ack(command.user_id, text, now_ms))
        if name == "oncall":
            return ephemeral("\n".join(on_call_lines(self.routing(), self.overrides, now_ms, text)))
        return ephemeral(
            f"`{escape(shorten(command.command, 40))}` is not a command of AlertRouter.\n{USAGE}"
        )

    def list_alerts(self, text: str, now_ms: int) -> dict[str, Any]:
        here = text.split(" ", 1)[0].lower() == "here"
        filters = text.split(" ", 1)[1].strip() if here and " " in text else ("" if here else text)
        try:
            matchers = parse_matchers(filters)
        except MatcherSyntaxError as exc:
            return ephemeral(
                f"Not a matcher: {escape(shorten(str(exc), 300))}.\nMatchers are written as in a silence: "
                '`severity="critical"`, `service=~"pay.*"`, `team!="web"`, separated by commas.'
            )
        found = open_alerts(self.index, self.groups, self.alerts, matchers)
        states = found.states
        which = f" matching `{escape(shorten(', '.join(map(str, matchers)), 300))}`" if matchers else ""
        if not states:
            among = " in the groups read" if found.unread_groups else ""
            lines = [f"No alerts are firing{which}{among}."]
        else:
            groups = AlertGroups(self.routing, self.groups).known(found.groups)
            shown = listed(states[:MAX_LINES], groups, workspace_url(self.slack))
            count = f"{len(states)} alert{'s' if len(states) != 1 else ''} firing"
            lines = [
                f"*{count}*{which}, worst first:",
                *(alert_line(a, now_ms, n) for a, n in collapsed(shown)),
            ]
            if len(states) > MAX_LINES:
                lines.append(f"…and {len(states) - MAX_LINES} more: narrow it with matchers.")
        if found.unread_groups:
            lines.append(unread_line(found.unread_groups))
        return {"response_type": "in_channel" if here else "ephemeral", "text": "\n".join(lines)}

    def ack(self, user: str, text: str, now_ms: int) -> str:
        linked = parse_message_link(text)
        if linked is None:
            return (
                "Give the link of the alert's message, or of a reply in its thread (⋯ → Copy link): "
                "`/ack https://…slack.com/archives/C…/p…`"
            )
        if self.slack is None:
            return "Acknowledging by link is not set up here (no Slack client)."
        try:
            metadata = self.slack.message_metadata(linked.channel, linked.parent_ts)
        except NotifyError as exc:
            return (
                f"Could not read that message ({escape(exc.code or 'Slack failed')}): the app must be in its "
                "channel."
            )
        group, episode = (metadata or {}).get("group"), (metadata or {}).get("episode")
        if not isinstance(group, str) or not isinstance(episode, int) or isinstance(episode, bool):
            return "That message is not one of AlertRouter's alert messages, so nothing was acknowledged."
        return self.acknowledge(user, linked, group, episode, now_ms)

"""An open alert as `/alerts` and App Home list it: severity, title, how long it has fired, who acknowledged it,
and a link to its group's message. Outside text escaped and shortened; links only http(s)."""

from __future__ import annotations

from dataclasses import dataclass

from alertrouter.models.state import AlertState
from alertrouter.mrkdwn import escape, link, mention, shorten
from alertrouter.notify.wording import duration_words
from alertrouter.slack_app.links import AlertGroups, first_message, message_link

SEVERITY_MARKS = {"critical": "🔴", "warning": "🟠", "info": "🔵"}
MAX_TITLE = 150


@dataclass(frozen=True)
class ListedAlert:
    state: AlertState
    ack_by: str  # Slack user id of who acknowledged its group's current episode ("" none)
    link: str  # its group's message ("" when not posted or the workspace's URL is not known)


def listed(states: list[AlertState], groups: AlertGroups, workspace_url: str) -> list[ListedAlert]:
    """The alerts with their acknowledgement and message link, from the first of their groups that has a
    message (else the first group)."""
    found = []
    for state in states:
        alert_groups = groups.of(state)
        posted = [(g, at) for g in alert_groups if (at := first_message(g)) is not None]
        ack_by = next((g.clicks.ack_by for g in alert_groups if g.clicks.ack_by), "")
        url = message_link(workspace_url, *posted[0][1]) if posted else ""
        found.append(ListedAlert(state, ack_by, url))
    return found


def collapsed(alerts: list[ListedAlert]) -> list[tuple[ListedAlert, int]]:
    """Alerts of one message with the same severity and title (a storm's failed jobs, a crash loop's tasks) as
    one line with their count, in the place of the first (the oldest of them, as the list is sorted)."""
    lines: dict[tuple[str, str, str], list[ListedAlert]] = {}
    for alert in alerts:
        state = alert.state
        lines.setdefault((state.severity, state.title, alert.link or state.fingerprint), []).append(alert)
    return [(same[0], len(same)) for same in lines.values()]


def alert_line(alert: ListedAlert, now_ms: int, count: int = 1) -> str:
    """`🔴 *critical* <link|HighLatency> firing 2 h 5 min · acknowledged by <@U…>` (`×12` after the title for
    twelve alerts like it in one message)."""
    state = alert.state
    mark = SEVERITY_MARKS.get(state.severity, "⚪")
    title = shorten(state.title or state.fingerprint, MAX_TITLE)
    shown = (link(alert.link, title) if alert.link else "") or f"*{escape(title)}*"
    ack = f" · acknowledged by {mention(alert.ack_by)}" if alert.ack_by else " · not acknowledged"
    age = duration_words(now_ms - state.starts_at_ms)
    times = f" ×{count}" if count > 1 else ""
    return f"{mark} {escape(shorten(state.severity, 20))} {shown}{times} firing {age}{ack}"

"""Pure rendering: a group's state -> Slack Block Kit message, thread notes and SMS text.

Every mrkdwn text object is `verbatim`: Slack then leaves the plain text as it is (no bare URL, #channel or
@mention in an alarm's text becomes a link or a ping), while our own explicit `<url|label>`, `<@U…>` and
`<!date…>` markup still works (https://docs.slack.dev/reference/block-kit/composition-objects/text-object).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, Field

from alertrouter.models.alert import Status
from alertrouter.models.state import GroupState, Member
from alertrouter.mrkdwn import escape, escape_keeping_mentions, link, mention, shorten
from alertrouter.notify.button_value import ACK, RESOLVE, SILENCE, UNACK, ButtonValue

COLOURS = {
    "critical": "#E01E5A",
    "warning": "#ECB22E",
    "info": "#36C5F0",
    Status.NODATA: "#9E9E9E",
    Status.RESOLVED: "#2EB67D",
    "acknowledged": "#8E6BBF",
    "silenced": "#607D8B",
}
ICONS = {"critical": "🔴", "warning": "🟠", "info": "🔵", Status.NODATA: "⚪", Status.RESOLVED: "✅"}
MAX_LISTED = 10
SECTION_BUDGET = 2900  # Slack refuses a section text over 3000 characters; room for the "…and N more"
FIELD_LIMIT = 2000  # Slack's limit for a field's or a context element's text
SMS_LIMIT = 160
METADATA_EVENT = "alertrouter_group"
SILENCE_CHOICES = {
    "1h": "for 1 hour",
    "4h": "for 4 hours",
    "24h": "for 24 hours",
    "resolved": "until resolved",
}


class SlackMessage(BaseModel):
    """The arguments of chat.postMessage / chat.update that carry content."""

    text: str
    attachments: list[dict[str, Any]] = Field(default_factory=list)


def human_duration(ms: int) -> str:
    seconds = max(0, ms // 1000)
    if seconds < 60:
        return f"{seconds}s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if days:
        return f"{days}d {hours % 24}h" if hours % 24 else f"{days}d"
    if hours:
        return f"{hours}h {minutes % 60}m" if minutes % 60 else f"{hours}h"
    return f"{minutes}m"


def utc_text(ms: int) -> str:
    return _utc_minute(ms // 60_000)


@lru_cache(maxsize=1024)  # every message shows a time or two, and a storm's share their minutes
def _utc_minute(minute: int) -> str:
    return datetime.fromtimestamp(minute * 60, UTC).strftime("%Y-%m-%d %H:%M UTC")


def slack_date(ms: int) -> str:
    """Slack's date token: shown in the reader's own time zone, with a UTC fallback."""
    return f"<!date^{ms // 1000}^{{date_short_pretty}} {{time}}|{utc_text(ms)}>"


def group_status(group: GroupState) -> Status:
    statuses = {m.status for m in group.members.values()}
    if Status.FIRING in statuses:
        return Status.FIRING
    if Status.NODATA in statuses:
        return Status.NODATA
    return Status.RESOLVED


def _worst(members: list[Member]) -> str:
    order = {"critical": 0, "warning": 1, "info": 2}
    return min((m.severity for m in members), key=lambda s: order.get(s, 3), default="info")


def _colour_key(group: GroupState) -> str:
    status = group_status(group)
    if status != Status.FIRING:
        return status
    firing = [fp for fp, m in group.members.items() if m.status == Status.FIRING]
    if all(fp in group.muting.reasons for fp in firing):
        return "silenced"  # (or otherwise held back): nobody needs to act on it now
    if group.clicks.ack_by:
        return "acknowledged"  # someone is on it: no longer the colour that calls for action
    return _worst([m for m in group.members.values() if m.status == Status.FIRING])


def _links(member: Member) -> str:
    """The links row; a URL that may not be a link (not http(s)) is left out."""
    links = [link(member.console, "Console")] if member.console else []
    links += [link(url, name.capitalize()) for name, url in member.links.items()]
    if member.runbook:
        links.append(link(member.runbook, "Runbook"))
    return " · ".join(shown for shown in links if shown)


def reason_counts(group: GroupState) -> list[tuple[str, int]]:
    """Firing alerts by their reason (kept members and those only counted), most frequent first."""
    counts: dict[str, int] = dict(group.overflow)
    for m in group.members.values():
        if m.status == Status.FIRING and m.reason:
            counts[m.reason] = counts.get(m.reason, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _breakdown(group: GroupState, limit: int = 4) -> str:
    """`480 × Out of memory, 20 × Timeout` (the rest summed as "other")."""
    counts = reason_counts(group)
    shown = [f"{n} × {reason}" for reason, n in counts[:limit]]
    rest = sum(n for _, n in counts[limit:])
    if rest:
        shown.append(f"{rest} × other")
    return ", ".join(shown)


def _jobs(members: list[Member]) -> bool:
    """A group of failed batch jobs: its headline counts jobs and says why they failed."""
    return all(m.source == "batch" and m.reason for m in members)


def _buttons(group: GroupState) -> dict[str, Any]:
    def button(text: str, action: str, style: str | None = None) -> dict[str, Any]:
        b: dict[str, Any] = {
            "type": "button",
            "text": {"type": "plain_text", "text": text},
            "action_id": action,
            "value": ButtonValue(group.key, group.episode).encode(),
        }
        if style:
            b["style"] = style
        return b

    first = button("Unacknowledge", UNACK) if group.clicks.ack_by else button("Acknowledge", ACK, "primary")
    silence = {
        "type": "static_select",
        "action_id": SILENCE,
        "placeholder": {"type": "plain_text", "text": "Silence…"},
        "options": [
            {
                "text": {"type": "plain_text", "text": label},
                "value": ButtonValue(group.key, group.episode, choice).encode(),
            }
            for choice, label in SILENCE_CHOICES.items()
        ],
    }
    return {
        "type": "actions",
        "block_id": "alertrouter_actions",
        "elements": [first, button("Resolve", RESOLVE), silence],
    }


def _headline(group: GroupState, now_ms: int) -> str:
    members = list(group.members.values())
    status = group_status(group)
    if not members:
        name = ", ".join(v for v in group.group_labels.values() if v) or "alerts"
        return f"✅ RESOLVED · {name}"
    if len(members) == 1 and not group.overflow:
        m = members[0]
        if status == Status.RESOLVED:
            return f"✅ RESOLVED · {m.title} · resolved after {human_duration(m.ts_ms - m.starts_at_ms)}"
        if status == Status.NODATA:
            return f"⚪ NO DATA · {m.title}"
        return f"{ICONS.get(m.severity, '🔴')} {m.severity.upper()} · {m.title}"
    firing = [m for m in members if m.status == Status.FIRING]
    resolved = [m for m in members if m.status == Status.RESOLVED]
    nodata = [m for m in members if m.status == Status.NODATA]
    counted = sum(group.overflow.values())
    name = ", ".join(v for v in group.group_labels.values() if v) or "alerts"
    jobs = _jobs(members)
    if status == Status.RESOLVED:
        span = max(m.ts_ms for m in members) - min(m.starts_at_ms for m in members)
        what = "failed jobs" if jobs else "alerts"
        return (
            f"✅ RESOLVED · {len(members) + counted} {what} · {name} · resolved after {human_duration(span)}"
        )
    if jobs and firing:
        queue = group.group_labels.get("queue")
        where = f"in queue {queue}" if queue else f"· {name}"
        total = len(firing) + counted
        return (
            f"{ICONS.get(_worst(firing), '🔴')} {total} job{'s' if total != 1 else ''} failed {where}: "
            f"{_breakdown(group)}"
        )
    counts = [f"{len(firing) + counted} firing"] if firing else []
    if nodata:
        counts.append(f"{len(nodata)} no data")
    if resolved:
        counts.append(f"{len(resolved)} resolved")
    icon = ICONS.get(_worst(firing), "🔴") if firing else "⚪"
    return f"{icon} {', '.join(counts)} · {name}"


def _member_line(m: Member, with_link: bool, muted: str = "") -> str:
    icon = (
        ICONS[Status.RESOLVED]
        if m.status == Status.RESOLVED
        else ICONS.get(Status.NODATA if m.status == Status.NODATA else m.severity, "🔴")
    )
    resource = f" — {escape(shorten(m.resource, 200))}" if m.resource else ""
    count = f" ×{m.count}" if m.count > 1 else ""
    console = link(m.console, "console") if m.console and with_link else ""
    quiet = f" · 🔕 {escape_keeping_mentions(shorten(muted, 120))}" if muted else ""
    return (
        f"{icon} {escape(shorten(m.title, 300))}{resource}{count} · since {slack_date(m.starts_at_ms)}"
        f"{' ' + console if console else ''}{quiet}"
    )


def _member_lines(members: list[tuple[str, Member]], muted: dict[str, str], counted: int = 0) -> str:
    """Whole lines only, at most MAX_LISTED within a section's 3000 characters, then how many more.
    Console links go first when they would crowd alerts out of the list."""
    shown = members[:MAX_LISTED]
    with_links = [_member_line(m, True, muted.get(fp, "")) for fp, m in shown]
    candidates = (
        with_links
        if sum(len(x) + 1 for x in with_links) <= SECTION_BUDGET
        else [_member_line(m, False, muted.get(fp, "")) for fp, m in shown]
    )
    return whole_lines(candidates, SECTION_BUDGET, len(members) + counted)


def whole_lines(lines: list[str], budget: int, total: int) -> str:
    """The first of `lines` that fit in `budget` characters, whole (a cut line could end inside a link or an
    escape), then "…and N more" for the rest of `total`."""
    kept: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > budget:
            break
        kept.append(line)
        used += len(line) + 1
    if total > len(kept):
        kept.append(f"…and {total - len(kept)} more")
    return "\n".join(kept)


def render_group(group: GroupState, now_ms: int) -> SlackMessage:
    """The group's one Slack message, edited in place as its alerts change."""
    members = sorted(
        group.members.items(), key=lambda kv: (kv[1].status != Status.FIRING, kv[1].starts_at_ms)
    )
    # both the text (and push notification) and the block; outside text in it is escaped here, once
    headline = escape(shorten(_headline(group, now_ms), SECTION_BUDGET))
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "verbatim": True, "text": f"*{headline}*"}}
    ]
    counted = sum(group.overflow.values())
    if len(members) == 1 and not counted:
        m = members[0][1]
        if m.summary:
            blocks.append(
                {
                    "type": "section",
                    "text": {
                        "type": "mrkdwn",
                        "verbatim": True,
                        "text": escape(shorten(m.summary, SECTION_BUDGET)),
                    },
                }
            )
        fields = [
            f"*Resource*\n{escape(shorten(m.resource, 300)) or '—'}",
            f"*Account / Region*\n{escape(shorten(m.account, 100))} / {escape(shorten(m.region, 100))}",
            f"*Since*\n{slack_date(m.starts_at_ms)}",
            f"*Count*\n{m.count}",
        ]
        blocks.append(
            {"type": "section", "fields": [{"type": "mrkdwn", "verbatim": True, "text": f} for f in fields]}
        )
        links = _links(m)
        if links:
            blocks.append(
                {"type": "context", "elements": [{"type": "mrkdwn", "verbatim": True, "text": links}]}
            )
    elif members:  # (none at all only when every alert left the group: the headline says resolved)
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "verbatim": True,
                    "text": _member_lines(members, group.muting.reasons, counted),
                },
            }
        )
        first = members[0][1]
        if not _jobs([m for _, m in members]) and any(m.reason for _, m in members):
            blocks.append(
                {
                    "type": "context",
                    "elements": [
                        {
                            "type": "mrkdwn",
                            "verbatim": True,
                            "text": escape(shorten(f"by reason: {_breakdown(group)}", FIELD_LIMIT)),
                        }
                    ],
                }
            )
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "verbatim": True,
                        "text": (
                            f"{escape(shorten(first.account, 100))} / {escape(shorten(first.region, 100))} · first since "
                            f"{slack_date(min(m.starts_at_ms for _, m in members))}"
                        ),
                    }
                ],
            }
        )
    notes = []
    if len(members) == 1 and members[0][0] in group.muting.reasons:
        notes.append(f"🔕 {escape_keeping_mentions(shorten(group.muting.reasons[members[0][0]], 300))}")
    if any(fp in group.muting.flapping for fp, _ in members):
        notes.append("〰️ flapping: this message is kept up to date, pages wait until it settles")
    if group.clicks.ack_by:
        notes.append(
            f"✋ Acknowledged by {mention(group.clicks.ack_by)} at {slack_date(group.clicks.ack_ms)}"
        )
    if group.clicks.resolved_by:
        notes.append(
            f"✅ Resolved by {mention(group.clicks.resolved_by)} at {slack_date(group.clicks.resolved_ms)}"
        )
    for note in notes:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "verbatim": True, "text": note}]})
    if group_status(group) != Status.RESOLVED:
        blocks.append(_buttons(group))
    return SlackMessage(text=headline, attachments=[{"color": COLOURS[_colour_key(group)], "blocks": blocks}])


def with_banner(message: SlackMessage, banner: str) -> SlackMessage:
    """The message with a context line of our own (plain text, escaped here) above everything else."""
    context = {
        "type": "context",
        "elements": [{"type": "mrkdwn", "verbatim": True, "text": escape(shorten(banner, FIELD_LIMIT))}],
    }
    attachments = [dict(a) for a in message.attachments] or [{"blocks": []}]
    attachments[0]["blocks"] = [context, *attachments[0].get("blocks", [])]
    return SlackMessage(text=message.text, attachments=attachments)


def render_change(member: Member, before: str | None) -> str:
    """One line for the message's thread: what happened to an alert since the last notification."""
    title, summary = escape(shorten(member.title, 300)), escape(shorten(member.summary, 300))
    if member.status == Status.RESOLVED:
        return f"✅ *{title}* resolved after {human_duration(member.ts_ms - member.starts_at_ms)}"
    if member.status == Status.NODATA:
        return f"⚪ *{title}* has no data: {summary}"
    icon = ICONS.get(member.severity, "🔴")
    if before == Status.FIRING:
        return f"{icon} *{title}* still firing (×{member.count}): {summary}"
    again = " again" if before == Status.RESOLVED else ""
    return f"{icon} *{title}* firing{again}: {summary}"


def render_repeat(firing: list[Member], now: int) -> str:
    """The thread's line when a group still firing is notified again (repeat_interval)."""
    count = len(firing)
    since = human_duration(now - min(m.starts_at_ms for m in firing))
    return f"🔁 Still firing: {count} alert{'s' if count != 1 else ''}, the first for {since}"


def thread_note(lines: list[str]) -> str:
    """The thread reply listing what changed: whole lines within Slack's 3000 characters."""
    return whole_lines(lines, SECTION_BUDGET, len(lines))


# GSM-7's extension characters cost two septets each; ASCII's backtick is not in GSM-7 at all.
_GSM_EXTENSION = str.maketrans(
    {
        "[": "(",
        "]": ")",
        "{": "(",
        "}": ")",
        "\\": "/",
        "|": "/",
        "~": "-",
        "^": "'",
        "`": "'",
        "\n": " ",
        "\r": " ",
        "\t": " ",
    }
)


def _gsm_safe(text: str) -> str:
    """Text made of GSM-7 basic characters (one septet each), so 160 characters are one SMS segment."""
    return text.encode("ascii", "replace").decode().translate(_GSM_EXTENSION)


def render_sms(members: list[Member], account_label: str = "") -> str:
    """One SMS segment (at most 160 GSM-7 basic characters) for newly firing pages, bundled:
    `CRIT prod: 3 pages: DiskFull i-0abc us-east-1. See Slack.`"""
    if not members:
        raise ValueError("nothing to page about")
    first = members[0]
    head = first.severity[:4].upper() + (f" {account_label}" if account_label else "") + ":"
    if len(members) > 1:
        head += f" {len(members)} pages:"
    where = " ".join(p for p in (first.resource, first.region) if p)
    text = _gsm_safe(f"{head} {first.title} {where}. See Slack.")
    if len(text) > SMS_LIMIT:
        text = text[: SMS_LIMIT - 3] + "..."
    return text

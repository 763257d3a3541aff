"""Pure rendering: a group's state -> Slack Block Kit message, thread notes and SMS text.

Every mrkdwn text object is `verbatim`: Slack then leaves the plain text as it is (no bare URL, #channel or
@mention in an alarm's text becomes a link or a ping), while our own explicit `<url|label>`, `<@U…>` and
`<!date…>` markup still works (https://docs.slack.dev/reference/block-kit/composition-objects/text-object).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from alertrouter.models.alert import Status
from alertrouter.models.config import SlackTarget
from alertrouter.models.state import GroupState, Member
from alertrouter.mrkdwn import escape, escape_keeping_mentions, link, mention, shorten
from alertrouter.notify import details, storm, templated
from alertrouter.notify.button_value import ACK, RESOLVE, SILENCE, UNACK, ButtonValue
from alertrouter.notify.headline import ICONS, failed_jobs, group_status, headline, worst
from alertrouter.notify.templated import template_data
from alertrouter.notify.wording import Wording, account_names, duration_words

__all__ = ["ICONS", "group_status"]

COLOURS = {
    "critical": "#E01E5A",
    "warning": "#ECB22E",
    "info": "#36C5F0",
    Status.NODATA: "#9E9E9E",
    Status.RESOLVED: "#2EB67D",
    "acknowledged": "#8E6BBF",
    "silenced": "#607D8B",
}
MAX_LISTED = 10
SECTION_BUDGET = 2900  # Slack refuses a section text over 3000 characters; room for the "…and N more"
FIELD_LIMIT = 2000  # Slack's limit for a field's or a context element's text
FIELD_VALUE = 300  # a field's value shown (Slack shows ten fields in two columns)
SMS_LIMIT = 160
METADATA_EVENT = "alertrouter_group"
SILENCE_CHOICES = {
    "1h": "for 1 hour",
    "4h": "for 4 hours",
    "24h": "for 24 hours",
    "resolved": "until resolved",
}
# The Silence menu's last option: not a duration but the Silence modal (matchers, duration or end, comment),
# opened pre-filled with the group's labels (slack_app/silence_modal.py).
CUSTOM_SILENCE = "custom"
CUSTOM_SILENCE_LABEL = "Custom…"
UTC_WORDING = Wording()


class SlackMessage(BaseModel):
    """The arguments of chat.postMessage / chat.update that carry content."""

    text: str
    attachments: list[dict[str, Any]] = Field(default_factory=list)


human_duration = duration_words  # (the name the escalator and the CLI use)


def utc_text(ms: int) -> str:
    """`2026-03-02 09:06 UTC`: for logs, the CLI and texts where the team's zone is not known."""
    return UTC_WORDING.at(ms)


def _colour_key(group: GroupState, status: Status) -> str:
    if status != Status.FIRING:
        return status
    firing = [fp for fp, m in group.members.items() if m.status == Status.FIRING]
    if all(fp in group.muting.reasons for fp in firing):
        return "silenced"  # (or otherwise held back): nobody needs to act on it now
    if group.clicks.ack_by:
        return "acknowledged"  # someone is on it: no longer the colour that calls for action
    return worst([m for m in group.members.values() if m.status == Status.FIRING])


def _links(member: Member) -> str:
    """The links row; a URL that may not be a link (not http(s)) is left out."""
    links = [link(member.console, "Console")] if member.console else []
    links += [link(url, name.capitalize()) for name, url in member.links.items()]
    if member.runbook:
        links.append(link(member.runbook, "Runbook"))
    return " · ".join(shown for shown in links if shown)


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
            for choice, label in [*SILENCE_CHOICES.items(), (CUSTOM_SILENCE, CUSTOM_SILENCE_LABEL)]
        ],
    }
    return {
        "type": "actions",
        "block_id": "alertrouter_actions",
        "elements": [first, button("Resolve", RESOLVE), silence],
    }


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


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "verbatim": True, "text": text}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "verbatim": True, "text": text}]}


def _one_alert(m: Member, wording: Wording, now_ms: int) -> list[dict[str, Any]]:
    blocks = [_section(escape(shorten(m.summary, SECTION_BUDGET)))] if m.summary else []
    fields = [
        f"*{label}*\n{escape(shorten(value, FIELD_VALUE))}"
        for label, value in details.facts(m, wording, now_ms)
    ]
    blocks.append(
        {"type": "section", "fields": [{"type": "mrkdwn", "verbatim": True, "text": f} for f in fields]}
    )
    links = _links(m)
    if links:
        blocks.append(_context(links))
    return blocks


def _many_alerts(
    group: GroupState, members: list[tuple[str, Member]], wording: Wording, now_ms: int
) -> list[dict[str, Any]]:
    lines, total_lines = storm.body(group, members, wording, now_ms, limit=MAX_LISTED)
    if sum(len(line) + 1 for line in lines) > SECTION_BUDGET:
        lines, total_lines = storm.body(group, members, wording, now_ms, with_links=False, limit=MAX_LISTED)
    blocks = [_section(whole_lines(lines[:MAX_LISTED], SECTION_BUDGET, total_lines))]
    first = min((m for _, m in members), key=lambda m: m.starts_at_ms)
    jobs = failed_jobs([m for _, m in members])
    what = [
        _shared_definition([m for _, m in members]) if jobs else "",
        details.where_text(first, wording) if len({m.account for _, m in members}) == 1 else "",
    ]
    when = [
        f"{'first failed' if jobs else 'first since'} {details.since(first, wording, now_ms)}",
        storm.still_coming(group, wording, now_ms) if jobs else "",
    ]
    for parts in (what, when):
        if any(parts):
            blocks.append(_context(escape(shorten(" · ".join(p for p in parts if p), FIELD_LIMIT))))
    total = len(members) + sum(group.overflow.values())
    command = storm.full_list(group) if total > min(len(lines), MAX_LISTED) else ""
    if command:
        blocks.append(_context(escape(shorten(f"All {total}: `{command}`", FIELD_LIMIT))))
    return blocks


def _shared_definition(members: list[Member]) -> str:
    definitions = {
        m.labels.get("job_definition", "")
        + (f":{m.labels['job_definition_revision']}" if m.labels.get("job_definition_revision") else "")
        for m in members
    }
    if len(definitions) == 1:
        definition = definitions.pop()
        return f"job definition {definition}" if definition else ""
    return f"{len(definitions)} job definitions"


def render_group(
    group: GroupState, now_ms: int, wording: Wording | None = None, target: SlackTarget | None = None
) -> SlackMessage:
    """The group's one Slack message, edited in place as its alerts change; with a Slack target's own `title`
    and `text` templates when it has them (for its channel)."""
    wording = (wording or UTC_WORDING).knowing(account_names(group.members.values()))
    members = sorted(
        group.members.items(), key=lambda kv: (kv[1].status != Status.FIRING, kv[1].starts_at_ms)
    )
    own_title = own_text = None
    if target is not None and (target.title or target.text):
        data = template_data(group)
        own_title, own_text = templated.rendered(target.title, data), templated.rendered(target.text, data)
    # both the text (and push notification) and the block; outside text in it is escaped here, once
    status = group_status(group)
    title = escape(shorten(own_title or headline(group, wording, status), SECTION_BUDGET))
    blocks: list[dict[str, Any]] = [_section(f"*{title}*")]
    counted = sum(group.overflow.values())
    if own_text:
        blocks.append(_section(escape(shorten(own_text, SECTION_BUDGET))))
    elif len(members) == 1 and not counted:
        blocks += _one_alert(members[0][1], wording, now_ms)
    elif members:  # (none at all only when every alert left the group: the headline says resolved)
        blocks += _many_alerts(group, members, wording, now_ms)
    notes = []
    if len(members) == 1 and members[0][0] in group.muting.reasons:
        notes.append(f"🔕 {escape_keeping_mentions(shorten(group.muting.reasons[members[0][0]], 300))}")
    if any(fp in group.muting.flapping for fp, _ in members):
        notes.append("〰️ flapping: this message is kept up to date, pages wait until it settles")
    if group.clicks.ack_by:
        notes.append(
            f"✋ Acknowledged by {mention(group.clicks.ack_by)} at {wording.at(group.clicks.ack_ms, now_ms)}"
        )
    if group.clicks.resolved_by:
        notes.append(
            f"✅ Resolved by {mention(group.clicks.resolved_by)} at {wording.at(group.clicks.resolved_ms, now_ms)}"
        )
    blocks += [_context(note) for note in notes]
    blocks += _graph_blocks(group)
    if status != Status.RESOLVED:
        blocks.append(_buttons(group))
    return SlackMessage(
        text=title, attachments=[{"color": COLOURS[_colour_key(group, status)], "blocks": blocks}]
    )


def _graph_blocks(group: GroupState) -> list[dict[str, Any]]:
    """The episode's graph, when one was uploaded: an image block of the Slack file (by id), above the buttons
    (https://docs.slack.dev/reference/block-kit/blocks/image-block,
    https://docs.slack.dev/reference/block-kit/composition-objects/slack-file-object)."""
    graph = group.slack.graph
    if graph is None or not graph.file_id or graph.episode != group.episode:
        return []
    block: dict[str, Any] = {
        "type": "image",
        "block_id": f"alertrouter_graph_{graph.file_id}"[:255],
        "slack_file": {"id": graph.file_id},
        "alt_text": shorten(graph.alt_text or graph.title or "graph", 2000),  # plain text: no markup
    }
    if graph.title:
        block["title"] = {"type": "plain_text", "text": shorten(graph.title, 2000)}
    return [block]


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
        lasted = member.ts_ms - member.starts_at_ms
        # (a one-shot alert resolved by its route's resolve_timeout has no duration of its own)
        return (
            f"✅ *{title}* resolved after {duration_words(lasted)}"
            if lasted >= 1000
            else f"✅ *{title}* resolved"
        )
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
    since = duration_words(now - min(m.starts_at_ms for m in firing))
    return f"🔁 Still firing: {count} alert{'s' if count != 1 else ''}, the first for {since}"


def thread_note(lines: list[str]) -> str:
    """The thread reply listing what changed: whole lines within Slack's 3000 characters."""
    return whole_lines(lines, SECTION_BUDGET, len(lines))


# GSM-7's extension characters cost two septets each; ASCII's backtick is not in GSM-7 at all. Our own marks
# (the shortening ellipsis, ×, ·, dashes) are spelled in ASCII rather than lost as "?".
_GSM_EXTENSION = str.maketrans(
    {
        "…": "...",
        "×": "x",
        "·": "-",
        "—": "-",
        "–": "-",
        "≥": ">=",
        "≤": "<=",
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


def sms_account(member: Member, account_label: str, own_account: str) -> str:
    """How an SMS names the member's account: the stack's label for its own (or where the stack's own is not
    known), the account's name (its `account_name` label) or id for another."""
    if not own_account or not member.account or member.account == own_account:
        return account_label
    return member.labels.get("account_name", "")[:30] or member.account


def _gsm_safe(text: str) -> str:
    """Text made of GSM-7 basic characters (one septet each), so 160 characters are one SMS segment."""
    return text.translate(_GSM_EXTENSION).encode("ascii", "replace").decode().translate(_GSM_EXTENSION)


def render_sms(members: list[Member], account_label: str = "", own_account: str = "") -> str:
    """One SMS segment (at most 160 GSM-7 basic characters) for newly firing pages, bundled:
    `CRIT prod: 3 pages: DiskFull i-0abc us-east-1. See Slack.` The stack's `account_label` names its own
    account; an alert of another one (a hub's spoke) is named by that account's name, else its id."""
    if not members:
        raise ValueError("nothing to page about")
    first = members[0]
    where = sms_account(first, account_label, own_account)
    head = first.severity[:4].upper() + (f" {where}" if where else "") + ":"
    if len(members) > 1:
        head += f" {len(members)} pages:"
    resource = first.resource if first.resource not in first.title else ""
    where = " ".join(p for p in (resource, first.region) if p)
    text = _gsm_safe(f"{head} {first.title}" + (f" {where}" if where else "") + ". See Slack.")
    if len(text) > SMS_LIMIT:
        text = text[: SMS_LIMIT - 3] + "..."
    return text

"""The App Home tab (https://api.slack.com/surfaces/app-home): the open alerts by severity with age,
acknowledgement and a link to their message; the active silences (matchers, who made them, when they end); who
is on call now. A `home` view (https://api.slack.com/reference/surfaces/views) of at most 100 blocks, each
section's text at most 3000 characters: what does not fit is counted ("…and N more"). Published with
views.publish when someone opens it (app_home_opened), so it is as fresh as the table when looked at."""

from __future__ import annotations

from collections import Counter
from typing import Any

from alertrouter.models.silence import Silence
from alertrouter.mrkdwn import escape, escape_keeping_mentions, shorten
from alertrouter.notify.render import utc_text, whole_lines
from alertrouter.notify.wording import duration_words
from alertrouter.slack_app.listing import SEVERITY_MARKS, ListedAlert, alert_line, collapsed
from alertrouter.slack_app.open_now import unread_text

MAX_BLOCKS = 100  # Slack's limit for a view
MAX_SECTION = 3000  # Slack's limit for a section's text
SECTION_BUDGET = 2900  # room for "…and N more"
MAX_SILENCES = 20  # listed one per block; the rest counted
FIXED_BLOCKS = 10  # headers, dividers, summaries, "…and N more" lines, the on-call section, the footer


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:150], "emoji": True}}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "verbatim": True, "text": text[:MAX_SECTION]}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "verbatim": True, "text": text[:2000]}]}


def silence_line(silence: Silence, now_ms: int) -> str:
    """`` `service="api"` `` by <@U…> · ends in 2 h (2026-01-05 12:00 UTC) · id `…` · “deploying”."""
    matchers = escape(shorten(silence.describe(), 400))
    by = escape_keeping_mentions(shorten(silence.created_by, 100))
    ends = (
        "until its alert resolves"
        if silence.group
        else f"ends in {duration_words(silence.ends_at_ms - now_ms)} ({utc_text(silence.ends_at_ms)})"
    )
    comment = f" · “{escape(shorten(silence.comment, 200))}”" if silence.comment else ""
    return f"`{matchers}` by {by} · {ends} · id `{escape(silence.id)}`{comment}"


def home_view(
    alerts: list[ListedAlert],
    total_alerts: int,
    silences: list[Silence],
    on_call: list[str],
    now_ms: int,
    updated: str,
    unread_groups: int = 0,
) -> dict[str, Any]:
    """The Home tab: `alerts` the first of `total_alerts` open ones (worst first), the active `silences`, the
    `on_call` lines; `updated` says when it was read; `unread_groups`: open groups not read (open_now's bound)."""
    blocks: list[dict[str, Any]] = [_header(f"🚨 Open alerts ({total_alerts})")]
    if total_alerts:
        counts = Counter(a.state.severity for a in alerts)
        blocks.append(
            _context(
                " · ".join(
                    f"{SEVERITY_MARKS.get(s, '⚪')} {n} {escape(shorten(s, 20))}" for s, n in counts.items()
                )
                + (f" (of the first {len(alerts)})" if total_alerts > len(alerts) else "")
            )
        )
    else:
        blocks.append(
            _section("No alerts are firing in the groups read." if unread_groups else "No alerts are firing.")
        )
    shown_silences = silences[:MAX_SILENCES]
    room = MAX_BLOCKS - FIXED_BLOCKS - len(shown_silences)
    listed_alerts = alerts[:room]
    blocks += [_section(alert_line(a, now_ms, n)) for a, n in collapsed(listed_alerts)]
    if total_alerts > len(listed_alerts):
        blocks.append(
            _context(f"…and {total_alerts - len(listed_alerts)} more: `/alerts` with matchers lists them.")
        )
    if unread_groups:
        blocks.append(_context(f"{unread_text(unread_groups)}: `/alerts` with matchers lists them."))
    blocks += [{"type": "divider"}, _header(f"🔕 Active silences ({len(silences)})")]
    if not silences:
        blocks.append(_section("No silences are active."))
    blocks += [_section(silence_line(s, now_ms)) for s in shown_silences]
    if len(silences) > len(shown_silences):
        blocks.append(
            _context(
                f"…and {len(silences) - len(shown_silences)} more: `alertrouter silence list` shows all."
            )
        )
    blocks += [
        {"type": "divider"},
        _header("📟 On call now"),
        _section(whole_lines(on_call, SECTION_BUDGET, len(on_call))),
        _context(f"Updated {escape(updated)}. Open this tab again to refresh it."),
    ]
    assert len(blocks) <= MAX_BLOCKS, len(blocks)
    return {"type": "home", "blocks": blocks}


def refused_view(reason: str) -> dict[str, Any]:
    """The Home tab of someone not allowed to act on alerts here: it says so, and nothing else."""
    return {"type": "home", "blocks": [_header("AlertRouter"), _section(escape(reason))]}

"""Slack mrkdwn from outside text: the one place that escapes it, makes links and mentions, and shortens it.

Slack reads `<…>` as control sequences (`<!channel>`, `<@U…>`, `<url|label>`) and `&` as the start of an
entity; escaping `& < >` is all it takes to show text as text
(https://api.slack.com/reference/surfaces/formatting#escaping). `*`, `_`, `~` and backticks only format.
"""

from __future__ import annotations

import re
from functools import lru_cache

from alertrouter.weburl import web_url

ELLIPSIS = "…"
_COST = {"&": 5, "<": 4, ">": 4}  # an escaped character's length: `&amp;`, `&lt;`, `&gt;`
_SPECIAL = re.compile(r"[&<>]")
_USER_ID = r"[UW][A-Z0-9_]{1,31}"  # Slack's user ids: no character that could end the mention
_WELL_FORMED_ID = re.compile(_USER_ID)
_ESCAPED_MENTION = re.compile(rf"&lt;@({_USER_ID})&gt;")
# `&` too: Slack decodes `&amp;` `&lt;` `&gt;` in a link's URL as in its text, so a raw `&lt;` would change
# where the link goes.
_LINK_SAFE = str.maketrans({"<": "%3C", ">": "%3E", "|": "%7C", " ": "%20", "&": "&amp;"})
# What a reader's client turns into a link (a scheme, `www.`, or a bare domain such as docs.aws.amazon.com/…):
# shortening never leaves a piece of one.
_URL_IN_TEXT = re.compile(
    r"(?:[A-Za-z][A-Za-z0-9+.\-]*://|www\.)\S*"
    r"|\b(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}(?:[/:?#]\S*)?",
    re.IGNORECASE,
)


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escaped_length(text: str) -> int:
    return len(text) + 4 * text.count("&") + 3 * (text.count("<") + text.count(">"))


def mention(user_id: str) -> str:
    """`<@U…>` for a well-formed Slack user id; anything else is shown as the text it is."""
    return f"<@{user_id}>" if _WELL_FORMED_ID.fullmatch(user_id) else escape(user_id)


def escape_keeping_mentions(text: str) -> str:
    """A text we built around a mention (a mute reason: `silenced by <@U…> until …`, whose maker may also be
    free text from the CLI): all of it escaped except mentions of well-formed user ids."""
    return _ESCAPED_MENTION.sub(r"<@\1>", escape(text))


@lru_cache(maxsize=4096)  # a message's links recur at every edit, a storm's at every line
def link(url: str, label: str) -> str:
    """Slack's `<url|label>` for an http(s) URL with a host, else "" (nothing to click). A `|`, `>` or space in
    the URL would end it early: they are percent-encoded; the label cannot break out either."""
    safe = web_url(url)
    if safe is None:
        return ""
    return f"<{safe.translate(_LINK_SAFE)}|{escape(label.replace('|', '/'))}>"


def shorten(text: str, limit: int) -> str:
    """`text` cut so that escaped it is at most `limit` characters long, with `…` where it was cut: at a word
    boundary, and never inside a URL (one that does not fit is left out whole). Cut before escaping, so an
    entity is never split."""
    if len(text) * 5 <= limit or escaped_length(text) <= limit:  # (escaping at most quintuples a text)
        return text
    if limit < len(ELLIPSIS):
        return ""
    end = _fitting(text, limit - len(ELLIPSIS))
    for url in _URL_IN_TEXT.finditer(text):
        if url.start() >= end:
            break
        if url.end() > end:
            end = url.start()
            break
    if 0 < end < len(text) and not text[end].isspace() and not text[end - 1].isspace():
        space = max(text.rfind(" ", 0, end), text.rfind("\n", 0, end), text.rfind("\t", 0, end))
        if space >= end // 2:  # a word boundary, unless that would lose most of what fits (one long word)
            end = space
    return text[:end].rstrip() + ELLIPSIS


def _fitting(text: str, budget: int) -> int:
    """The length of the longest start of `text` whose escaped length is at most `budget`."""
    if not _SPECIAL.search(text, 0, budget):
        return min(len(text), budget)
    used = 0
    for index, char in enumerate(text):
        used += _COST.get(char, 1)
        if used > budget:
            return index
    return len(text)

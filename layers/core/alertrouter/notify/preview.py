"""Show a Slack message in a terminal roughly as Slack draws it (CLI and demo)."""

from __future__ import annotations

import re
from typing import Any

_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_MENTION = re.compile(r"<@([A-Z0-9]+)>")
_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]+)>")
_COLOUR_NAMES = {
    "#E01E5A": "red",
    "#ECB22E": "amber",
    "#36C5F0": "blue",
    "#9E9E9E": "grey",
    "#2EB67D": "green",
    "#8E6BBF": "purple",  # acknowledged
    "#607D8B": "slate",  # silenced
}
_ANSI = {"red": "31", "amber": "33", "blue": "36", "grey": "90", "green": "32", "purple": "35", "slate": "34"}
# Terminal control characters (ESC, C1 controls such as CSI and OSC): outside text must not move the cursor,
# recolour, retitle or plant an OSC-8 link in the terminal of whoever previews a message.
_TERMINAL_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def mrkdwn_to_text(text: str) -> str:
    text = _DATE.sub(r"\1", text)
    text = _LINK.sub(r"\2 ↗", text)
    text = _MENTION.sub(r"@\1", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return _TERMINAL_CONTROL.sub("\ufffd", text)


def _block_lines(block: dict[str, Any]) -> list[str]:
    kind = block.get("type")
    if kind == "section":
        lines = []
        if block.get("text"):
            lines.extend(mrkdwn_to_text(block["text"]["text"]).splitlines())
        fields = [mrkdwn_to_text(f["text"]).replace("\n", ": ", 1) for f in block.get("fields", [])]
        for i in range(0, len(fields), 2):
            lines.append("   ".join(f"{f:<38}" for f in fields[i : i + 2]).rstrip())
        return lines
    if kind == "context":
        return [" · ".join(mrkdwn_to_text(e.get("text", "")) for e in block.get("elements", []))]
    if kind == "image":  # a terminal shows no picture: what it is of, as a screen reader would say it
        return [f"🖼  {mrkdwn_to_text(str(block.get('alt_text', 'image')))}"]
    if kind == "actions":
        return [
            "  ".join(
                f"[ {e['text']['text']} ]" if "text" in e else f"[ {e['placeholder']['text']} ▾ ]"
                for e in block.get("elements", [])
                if "text" in e or "placeholder" in e
            )
        ]
    return []


def render_text(
    text: str, attachments: list[dict[str, Any]] | None = None, *, colour: bool = False, indent: str = ""
) -> str:
    """A message as lines: a coloured bar on the left for each attachment, like Slack's."""
    if not attachments:
        return "\n".join(indent + line for line in mrkdwn_to_text(text).splitlines())
    out = []
    for attachment in attachments:
        name = _COLOUR_NAMES.get(str(attachment.get("color", "")).upper(), "grey")
        bar = f"\033[{_ANSI[name]}m┃\033[0m" if colour else "┃"
        for block in attachment.get("blocks", []):
            for line in _block_lines(block):
                out.append(f"{indent}{bar} {line}")
    return "\n".join(out)


_HTML_TOKEN = re.compile(r"<(!date\^\d+\^[^|>]*\|[^>]+|https?://[^|>]+(?:\|[^>]+)?|@[A-Z0-9]+)>")
_HTML_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_HTML_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_HTML_CODE = re.compile(r"`([^`\n]+)`")


def mrkdwn_to_html(text: str) -> str:
    """Slack mrkdwn as HTML (demo page): *bold*, _italic_, `code`, links, mentions, dates as their fallback.
    Everything else is text: Slack's entities are decoded, then all of it is escaped for HTML."""
    import html

    def plain(part: str) -> str:
        part = part.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        return html.escape(_TERMINAL_CONTROL.sub("\ufffd", part), quote=True)

    out, last = [], 0
    for token in _HTML_TOKEN.finditer(text):
        out.append(plain(text[last : token.start()]))
        inner = token.group(1)
        if inner.startswith("!date"):
            out.append(plain(inner.split("|", 1)[1]))
        elif inner.startswith("@"):
            out.append(f'<span class="mention">@{plain(inner[1:])}</span>')
        else:
            url, _, label = inner.partition("|")
            out.append(f'<a href="{plain(url)}">{plain(label or url)}</a>')
        last = token.end()
    out.append(plain(text[last:]))
    parts = re.split(r"(<[^>]*>)", "".join(out))  # text between tags is styled, never a tag's attributes
    for i in range(0, len(parts), 2):
        part = _HTML_CODE.sub(r"<code>\1</code>", parts[i])
        part = _HTML_BOLD.sub(r"<b>\1</b>", part)
        parts[i] = _HTML_ITALIC.sub(r"<i>\1</i>", part)
    return "".join(parts).replace("\n", "<br>")

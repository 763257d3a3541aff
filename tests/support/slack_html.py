"""The Slack stand-in's channels as one self-contained HTML page, drawn roughly as Slack draws Block Kit
(colour bar, section text, fields in two columns, context, buttons and the select, thread replies, edits).
Inline CSS, no script, nothing fetched: `make docs-images` screenshots it for the README."""

from __future__ import annotations

import base64
import html
import time
from pathlib import Path
from typing import Any

from alertrouter.notify.preview import mrkdwn_to_html
from support.slack_standin import Message, SlackStandIn, StoredFile

CSS = """
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif;
       color: #1d1c1d; background: #f4f4f5; }
header { padding: 14px 24px; background: #3f0e40; color: #fff; font-size: 17px; font-weight: 700; }
header small { font-weight: 400; opacity: .75; margin-left: 10px; font-size: 13px; }
main { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 16px; padding: 16px;
       align-items: start; }
section.channel { background: #fff; border: 1px solid #ddd; border-radius: 8px; overflow: hidden; }
section.channel h2 { margin: 0; padding: 10px 16px; font-size: 15px; border-bottom: 1px solid #eee; }
.message { display: flex; gap: 10px; padding: 10px 16px; }
.avatar { flex: 0 0 36px; height: 36px; border-radius: 6px; background: #4a154b; color: #fff; font-weight: 700;
          display: flex; align-items: center; justify-content: center; font-size: 15px; }
.body { flex: 1; min-width: 0; }
.who { font-weight: 700; } .app { font-size: 10px; background: #e8e8e8; color: #616061; padding: 1px 4px;
       border-radius: 3px; margin: 0 4px; font-weight: 700; } .when, .edited { color: #616061; font-size: 12px; }
.attachment { display: flex; margin-top: 4px; }
.bar { flex: 0 0 4px; border-radius: 4px; margin-right: 10px; }
.blocks { flex: 1; min-width: 0; }
.blocks > div { margin: 3px 0; overflow-wrap: anywhere; }
.fields { display: grid; grid-template-columns: 1fr 1fr; gap: 4px 16px; }
.context { color: #616061; font-size: 12px; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 6px !important; }
.button, .select { border: 1px solid #bbb; border-radius: 4px; padding: 3px 10px; font-size: 13px; font-weight: 700;
                   background: #fff; }
.select { font-weight: 400; color: #616061; }
a { color: #1264a3; text-decoration: none; }
.mention { color: #1264a3; background: #e8f5fa; border-radius: 3px; padding: 0 2px; }
code { font: 12px Menlo, Consolas, monospace; background: #f6f6f6; border: 1px solid #ddd; border-radius: 3px;
       padding: 0 3px; color: #c01343; }
.thread { margin: 2px 16px 8px 62px; padding-left: 10px; border-left: 2px solid #e0e0e0; }
.thread .reply { font-size: 13px; margin: 4px 0; }
.thread .label { color: #616061; font-size: 11px; font-weight: 700; }
.image img, .file img { max-width: 100%; border: 1px solid #e0e0e0; border-radius: 4px; display: block; }
.image .title, .file .title { color: #616061; font-size: 12px; }
"""


def _picture(stored: StoredFile | None, title: str, alt_text: str, css: str) -> str:
    """A Slack file drawn from its stored bytes (inline: nothing fetched); a file Slack would not show says so."""
    caption = f'<div class="title">{html.escape(title)}</div>' if title else ""
    if stored is None or stored.data is None:
        return f'<div class="{css}">{caption}<i>(file not available)</i></div>'
    source = "data:image/png;base64," + base64.b64encode(stored.data).decode()
    return f'<div class="{css}">{caption}<img src="{source}" alt="{html.escape(alt_text, quote=True)}"></div>'


def _image(block: dict[str, Any], files: dict[str, StoredFile]) -> str:
    """An image block showing a Slack file by id (what the router draws; image_url would be fetched)."""
    file_id = str((block.get("slack_file") or {}).get("id", ""))
    title = str((block.get("title") or {}).get("text", ""))
    return _picture(files.get(file_id), title, str(block.get("alt_text", "")), "image")


def _shared_files(message: Message, files: dict[str, StoredFile]) -> str:
    """The files a message shares (files.completeUploadExternal with a channel)."""
    return "".join(
        _picture(files.get(str(f.get("id", ""))), str(f.get("title", "")), str(f.get("title", "")), "file")
        for f in message.files
    )


def _when(ts: str) -> str:
    return time.strftime("%H:%M", time.gmtime(float(ts)))


def _block(block: dict[str, Any], files: dict[str, StoredFile] | None = None) -> str:
    kind = block.get("type")
    if kind == "image":
        return _image(block, files or {})
    if kind == "section":
        parts = []
        if block.get("text"):
            parts.append(f"<div>{mrkdwn_to_html(block['text'].get('text', ''))}</div>")
        if block.get("fields"):
            cells = "".join(f"<div>{mrkdwn_to_html(f.get('text', ''))}</div>" for f in block["fields"])
            parts.append(f'<div class="fields">{cells}</div>')
        return "".join(parts)
    if kind == "context":
        return (
            '<div class="context">'
            + " · ".join(mrkdwn_to_html(e.get("text", "")) for e in block.get("elements", []))
            + "</div>"
        )
    if kind == "actions":
        controls = []
        for element in block.get("elements", []):
            if "placeholder" in element:
                controls.append(
                    f'<span class="select">{html.escape(element["placeholder"]["text"])} ▾</span>'
                )
            elif "text" in element:
                controls.append(f'<span class="button">{html.escape(element["text"]["text"])}</span>')
        return '<div class="actions">' + "".join(controls) + "</div>"
    if kind == "header":
        return f"<div><b>{html.escape(block.get('text', {}).get('text', ''))}</b></div>"
    if kind == "divider":
        return "<hr>"
    return ""


def _message(message: Message, files: dict[str, StoredFile] | None = None) -> str:
    files = files or {}
    edited = f' <span class="edited">(edited ×{message.edits})</span>' if message.edits else ""
    head = (
        f'<div><span class="who">AlertRouter</span><span class="app">APP</span>'
        f'<span class="when">{_when(message.ts)}</span>{edited}</div>'
    )
    if message.attachments:
        content = ""
        for attachment in message.attachments:
            colour = html.escape(str(attachment.get("color", "#9E9E9E")), quote=True)
            blocks = "".join(_block(b, files) for b in attachment.get("blocks", []))
            content += (
                f'<div class="attachment"><div class="bar" style="background:{colour}"></div>'
                f'<div class="blocks">{blocks}</div></div>'
            )
    elif message.files:
        content = _shared_files(message, files)
    else:
        content = f"<div>{mrkdwn_to_html(message.text)}</div>"
    out = f'<div class="message"><div class="avatar">A</div><div class="body">{head}{content}</div></div>'
    if message.replies:
        replies = "".join(
            f'<div class="reply"><span class="label">AlertRouter {_when(r.ts)}</span><br>'
            f"{mrkdwn_to_html(r.text) if r.text or not r.files else _shared_files(r, files)}</div>"
            for r in message.replies
        )
        label = f"{len(message.replies)} repl{'y' if len(message.replies) == 1 else 'ies'}"
        out += f'<div class="thread"><div class="label">{label}</div>{replies}</div>'
    return out


def render_page(
    slack: SlackStandIn,
    title: str,
    first: tuple[str, ...] = (),
    *,
    only: tuple[str, ...] = (),
    limit: int = 0,
) -> str:
    """Every channel the stand-in holds messages in, one section each (the `first` channels first, by name), as
    a complete HTML document; `only`: just those channels; `limit`: just each channel's first that many messages."""
    sections = []
    rank = {slack.channel_id(name): i for i, name in enumerate(first)}
    shown = {slack.channel_id(name) for name in only}
    channels = sorted(slack.messages.items(), key=lambda item: rank.get(item[0], len(rank)))
    for channel, messages in channels:
        if shown and channel not in shown:
            continue
        body = "".join(_message(m, slack.files) for m in (messages[:limit] if limit else messages))
        sections.append(
            f'<section class="channel"><h2>{html.escape(slack.channel_name(channel))}</h2>{body}</section>'
        )
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{CSS}</style></head><body><header>{html.escape(title)}<small>Slack stand-in, "
        f"{sum(len(m) for m in slack.messages.values())} messages</small></header>"
        f"<main>{''.join(sections)}</main></body></html>\n"
    )


def write_page(
    slack: SlackStandIn,
    path: Path,
    title: str,
    first: tuple[str, ...] = (),
    *,
    only: tuple[str, ...] = (),
    limit: int = 0,
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_page(slack, title, first, only=only, limit=limit), encoding="utf-8")
    return path

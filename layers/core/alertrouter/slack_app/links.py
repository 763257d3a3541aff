"""Where an alert is talked about in Slack: its group's message (the routing config gives the routes and group
keys for its labels, the group its channels' ids and message ts), as a link; and the message a link names.

A message's link is its permalink (https://api.slack.com/methods/chat.getPermalink):
`https://WORKSPACE.slack.com/archives/CHANNEL/pTS` with the ts's digits (its dot dropped); a reply's adds
`?thread_ts=PARENT_TS&cid=CHANNEL`. The workspace's URL is auth.test's `url`
(https://api.slack.com/methods/auth.test).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable
from urllib.parse import parse_qs, urlsplit

from alertrouter.models.config import RoutingConfig
from alertrouter.models.state import AlertState, GroupState
from alertrouter.notify.base import NotifyError
from alertrouter.routing.tree import group_identity, match_routes
from alertrouter.store.base import GroupView

_ARCHIVES = re.compile(r"/archives/([CGD][A-Z0-9]{2,})/p([0-9]{7,})")
_TS = re.compile(r"[0-9]{1,12}\.[0-9]{6}")
_CHANNEL = re.compile(r"[CGD][A-Z0-9]{2,}")


@runtime_checkable
class AppSlack(Protocol):
    """What slash commands and App Home need of Slack, beyond the router's calls (SlackClient has them)."""

    def workspace_url(self) -> str:
        """auth.test's `url` (https://example.slack.com/), read once per process."""

    def message_metadata(self, channel: str, ts: str) -> dict[str, object] | None:
        """The router's metadata on the channel's message at `ts` (its group and episode); None when that
        message is not there or carries none."""

    def views_publish(self, user_id: str, view: dict[str, object]) -> None:
        """Publish a user's Home tab (views.publish)."""


def workspace_url(slack: AppSlack | None) -> str:
    """The workspace's URL, "" when it cannot be read (what lists alerts is still worth having without links)."""
    if slack is None:
        return ""
    try:
        return slack.workspace_url()
    except NotifyError:
        return ""


@dataclass(frozen=True)
class LinkedMessage:
    """A message a link names: its channel and ts; `thread_ts` is the thread's parent when it is a reply."""

    channel: str
    ts: str
    thread_ts: str | None = None

    @property
    def parent_ts(self) -> str:
        return self.thread_ts or self.ts


def parse_message_link(text: str) -> LinkedMessage | None:
    """The message a Slack message link names (as pasted, or as Slack escapes it: `<https://…|label>`)."""
    text = text.strip().removeprefix("<").removesuffix(">").split("|", 1)[0]
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    found = _ARCHIVES.fullmatch(parts.path.rstrip("/"))
    if found is None:
        return None
    channel, digits = found.groups()
    ts = f"{digits[:-6]}.{digits[-6:]}"
    query = parse_qs(parts.query)
    thread = (query.get("thread_ts") or [""])[0]
    if thread and not _TS.fullmatch(thread):
        return None
    return LinkedMessage(channel, ts, thread if thread and thread != ts else None)


def message_link(workspace_url: str, channel: str, ts: str) -> str:
    """The permalink of a channel's message ("" when the workspace's URL is not known or the parts are odd)."""
    if not workspace_url.startswith("https://") or not _CHANNEL.fullmatch(channel) or not _TS.fullmatch(ts):
        return ""
    return f"{workspace_url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"


class AlertGroups:
    """An alert's groups as the router made them, read once per request (a listing shares them)."""

    def __init__(self, routing: Callable[[], RoutingConfig | None], groups: GroupView) -> None:
        self.routing = routing
        self.groups = groups
        self._read: dict[str, GroupState | None] = {}

    def group_keys(self, state: AlertState) -> list[str]:
        """The keys of the groups the alert joined: one per route its labels take (and its fail-safe group)."""
        config = self.routing()
        routes = match_routes(config, state.labels) if config is not None else []
        keys = [group_identity(route, state.labels)[0] for route in routes]
        return list(dict.fromkeys([*keys, *([state.failsafe_group] if state.failsafe_group else [])]))

    def group(self, key: str) -> GroupState | None:
        if key not in self._read:
            self._read[key] = self.groups.group_header(key)
        return self._read[key]

    def of(self, state: AlertState) -> list[GroupState]:
        return [g for key in self.group_keys(state) if (g := self.group(key)) is not None]

    def known(self, groups: Mapping[str, GroupState]) -> AlertGroups:
        """Groups read already (open_now's): not read again."""
        self._read.update(groups)
        return self


def first_message(group: GroupState) -> tuple[str, str] | None:
    """(channel id, ts) of the group's message in its first channel that has both, if any."""
    for name, ts in group.slack.ts.items():
        channel = group.slack.channels.get(name, "")
        if ts and _CHANNEL.fullmatch(channel):
            return channel, ts
    return None

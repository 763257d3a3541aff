"""Slack interactivity: verify the request is Slack's, then apply a button click to the alert group.

Verification (https://api.slack.com/authentication/verifying-requests-from-slack): `X-Slack-Signature`
is `v0=` + hex HMAC-SHA256(signing secret, `v0:{X-Slack-Request-Timestamp}:{raw body}`), compared in
constant time; the timestamp must be within 5 minutes; the same signed request is accepted only once.
A rejected request changes nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from alertrouter.models.state import GroupState
from alertrouter.notify.base import NotifyError
from alertrouter.notify.render import SlackMessage, render_group
from alertrouter.notify.slack import SlackApi
from alertrouter.router import visible_members
from alertrouter.store.base import StateStore

logger = Logger(service="alertrouter-interactions", child=True)

MAX_SKEW_S = 300
MAX_BODY_BYTES = 64 * 1024  # Slack's interaction payloads are a few KB
ACK, UNACK = "alertrouter_ack", "alertrouter_unack"


class SignatureError(Exception):
    """Not a genuine, fresh Slack request. The reason is for our logs, never for the caller."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def verify_signature(secret: str, headers: Mapping[str, str], body: bytes, now: float) -> str:
    """Check a request's Slack signature; return the signature (the replay key) or raise SignatureError."""
    lowered = {k.lower(): v for k, v in headers.items()}
    timestamp = lowered.get("x-slack-request-timestamp", "")
    signature = lowered.get("x-slack-signature", "")
    if not timestamp or not signature:
        raise SignatureError("missing X-Slack-Request-Timestamp or X-Slack-Signature")
    if not timestamp.isdigit():
        raise SignatureError("timestamp is not a number")
    if abs(now - int(timestamp)) > MAX_SKEW_S:
        raise SignatureError(f"timestamp {timestamp} is more than {MAX_SKEW_S}s from now")
    if not hmac.compare_digest(sign(secret, timestamp, body).encode(), signature.encode()):
        raise SignatureError("signature does not match")
    return signature


class SlackUser(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    username: str = ""
    name: str = ""
    team_id: str = ""


class SlackAction(BaseModel):
    model_config = ConfigDict(extra="ignore")
    action_id: str
    value: str = ""


class Container(BaseModel):
    model_config = ConfigDict(extra="ignore")
    channel_id: str = ""
    message_ts: str = ""


class BlockActions(BaseModel):
    """The parts of a `block_actions` payload the router uses (Slack sends many more)."""

    model_config = ConfigDict(extra="ignore")
    type: str
    user: SlackUser
    team: dict[str, Any] = Field(default_factory=dict)
    container: Container = Field(default_factory=Container)
    channel: dict[str, Any] = Field(default_factory=dict)
    actions: list[SlackAction] = Field(min_length=1)


def parse_block_actions(body: bytes) -> BlockActions:
    """Slack posts `payload=<json>` form-encoded."""
    try:
        form = parse_qs(body.decode("utf-8"), strict_parsing=True)
        payload = json.loads(form["payload"][0])
        return BlockActions.model_validate(payload)
    except (UnicodeDecodeError, ValueError, KeyError, IndexError, RecursionError, ValidationError) as exc:
        raise ValueError(f"not a block_actions payload: {type(exc).__name__}") from exc


@dataclass
class Response:
    status: int
    body: dict[str, Any]


class InteractionService:
    """Applies verified button clicks: Acknowledge and Unacknowledge today."""

    def __init__(self, store: StateStore, signing_secret: Callable[[], str], slack: SlackApi | None,
                 *, now: Callable[[], float] = time.time, allowed_teams: frozenset[str] = frozenset()) -> None:
        self.store = store
        self.signing_secret = signing_secret
        self.slack = slack
        self.now = now
        self.allowed_teams = allowed_teams

    def handle(self, headers: Mapping[str, str], body: bytes) -> Response:
        if len(body) > MAX_BODY_BYTES:
            return Response(413, {"error": "body too large"})
        now = self.now()
        try:
            signature = verify_signature(self.signing_secret(), headers, body, now)
        except SignatureError as exc:
            return Response(401, {"error": "invalid request", "reason": str(exc)})
        # Only now is the request known to be Slack's: record it so the same request cannot act twice.
        if not self.store.remember_request(signature, int(now) + 2 * MAX_SKEW_S):
            return Response(401, {"error": "invalid request", "reason": "replayed request"})
        try:
            click = parse_block_actions(body)
        except ValueError as exc:
            return Response(400, {"error": str(exc)})
        if self.allowed_teams and str(click.team.get("id", "")) not in self.allowed_teams:
            return Response(403, {"error": "team not allowed"})
        action = click.actions[0]
        if action.action_id not in (ACK, UNACK):
            return Response(200, {"response_type": "ephemeral", "replace_original": False,
                                  "text": "That button is not active yet."})
        acked = action.action_id == ACK
        key, _, episode_text = action.value.rpartition(":")
        episode = int(episode_text) if episode_text.isdigit() and key else None
        group, changed = self.store.acknowledge(key or action.value, click.user.id, int(now * 1000), ack=acked,
                                                episode=episode)
        if group is None:
            return Response(200, {"response_type": "ephemeral", "replace_original": False,
                                  "text": "This alert is no longer known to the router."})
        if episode is not None and group.episode != episode:
            return Response(200, {"response_type": "ephemeral", "replace_original": False,
                                  "text": "This message is about an earlier episode; the alert fired again "
                                          "since: see the newer message."})
        if not changed:  # someone else was first (or it was already so): say who, change nothing
            state = f"acknowledged by <@{group.ack_by}>" if group.ack_by else "not acknowledged"
            return Response(200, {"response_type": "ephemeral", "replace_original": False,
                                  "text": f"Already {state}."})
        try:  # best effort: the acknowledgement is stored; its history line must not fail the click
            self.store.add_history(group.key, int(now * 1000), "ack" if acked else "unack",
                                   {"user": click.user.id, "episode": group.episode})
        except Exception:  # noqa: BLE001
            logger.warning("history entry not written", exc_info=True)
        if self.slack is not None:
            self._show(click, group, now)
        return Response(200, {})

    def _show(self, click: BlockActions, group: GroupState, now: float) -> None:
        """Redraw the clicked message (what the router last showed, with the acknowledgement) and note the
        click in its thread. A Slack failure here loses nothing: the state is stored and the router's next
        edit shows it."""
        assert self.slack is not None
        channel = click.container.channel_id or str(click.channel.get("id", ""))
        ts = click.container.message_ts
        shown = group.model_copy(update={"members": visible_members(group)})
        verb = "Acknowledged" if group.ack_by else "Unacknowledged"
        when = datetime.fromtimestamp(now, UTC).strftime("%H:%M UTC")
        try:
            if shown.members:
                self.slack.update(channel, ts, render_group(shown, int(now * 1000)))
            self.slack.post(channel, SlackMessage(text=f"✋ {verb} by <@{click.user.id}> at {when}"), thread_ts=ts)
        except NotifyError as exc:
            logger.warning("acknowledgement stored, message not redrawn", extra={"reason": str(exc)})


def function_url_body(event: Mapping[str, Any]) -> bytes:
    """The raw bytes Slack signed: a Function URL may hand them over base64-encoded."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return b""
    return str(body).encode("utf-8")

"""Slack interactivity: verify the request is Slack's, then apply a button click to the alert group.

Verification (https://api.slack.com/authentication/verifying-requests-from-slack): `X-Slack-Signature`
is `v0=` + hex HMAC-SHA256(signing secret, `v0:{X-Slack-Request-Timestamp}:{raw body}`), compared in
constant time; the timestamp must be within 5 minutes (in whole seconds: its second and the clock's second at
most 300 apart, so a request exactly 300 s old is fresh, one 301 s old is not); the same signed request is
accepted only once. A rejected request changes nothing; headers that are not text get 400.

Slash commands, the Events API (App Home) and the Silence modal's payloads come to the same Request URL: after
the same checks they are told apart and answered in slack_app/ (payloads.py, endpoint.py).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import parse_qs

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from alertrouter.flush.visible import visible_members
from alertrouter.models.alert import Status
from alertrouter.models.config import RoutingConfig, parse_duration
from alertrouter.models.silence import MAX_SILENCE_MS, Silence, message_silence_id
from alertrouter.models.state import GroupState
from alertrouter.mrkdwn import escape, mention
from alertrouter.notify.base import NotifyError, SlackApi
from alertrouter.notify.button_value import ACK, RESOLVE, SILENCE, UNACK, ButtonValue
from alertrouter.notify.handoff import TAKE_PAGER
from alertrouter.notify.render import CUSTOM_SILENCE, SILENCE_CHOICES, SlackMessage, render_group, utc_text
from alertrouter.notify.wording import Wording
from alertrouter.observability import INTERACTIONS, module_logger
from alertrouter.own_messages import OwnMessage, RedrawMessage, ResolveMessage
from alertrouter.slack_app.endpoint import SlackAppEndpoint
from alertrouter.slack_app.links import AppSlack, LinkedMessage
from alertrouter.slack_app.modal_payloads import ViewBlockActions, ViewSubmission, parse_view_payload, team_id
from alertrouter.slack_app.payloads import RequestKind, request_kind
from alertrouter.slack_app.silence_modal import CALLBACK_ID, MATCHERS, SilenceModal, silence_matchers
from alertrouter.store.base import ClickStore, HistoryStore, OverrideStore, RequestStore, SilenceStore, Stores
from alertrouter.take_pager import Refused, take_pager

logger = module_logger(INTERACTIONS, __name__)

MAX_SKEW_S = 300
_EPOCH = re.compile(r"[0-9]{1,12}")
MAX_BODY_BYTES = 64 * 1024  # Slack's interaction payloads are a few KB
GROUP_CACHE_S = 300  # Slack user group members are read at most this often per process


class ClickSlack(SlackApi, Protocol):
    """What the interactions function needs of Slack: the router's calls, and user group members."""

    def usergroup_members(self, usergroup: str) -> set[str]: ...

    def views_open(self, trigger_id: str, view: dict[str, Any]) -> dict[str, Any]: ...

    def views_update(self, view_id: str, view: dict[str, Any], *, hash: str = "") -> dict[str, Any]: ...


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
    if not _EPOCH.fullmatch(timestamp):  # ASCII digits, a sane length (isdigit() also takes "²")
        raise SignatureError("timestamp is not a number")
    if abs(int(now) - int(timestamp)) > MAX_SKEW_S:  # in whole seconds, as the timestamp is
        raise SignatureError(f"timestamp {timestamp} is more than {MAX_SKEW_S}s from now")
    if not hmac.compare_digest(sign(secret, timestamp, body).encode(), signature.encode()):
        raise SignatureError("signature does not match")
    return signature


def _text_headers(headers: Mapping[str, str]) -> bool:
    """Whether every header name and value is text UTF-8 can encode (a lone surrogate cannot)."""
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            return False
        try:
            name.encode("utf-8")
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
    return True


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
    selected_option: dict[str, Any] | None = None  # a select menu's choice


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
    trigger_id: str = ""  # what views.open needs to open a modal for the clicker (valid 3 s)


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
    """Applies verified clicks: Acknowledge / Unacknowledge, Resolve, Silence (1h, 4h, 24h, until resolved) on
    an alert's message; Take the pager on a handoff notice (take_pager.py)."""

    def __init__(
        self,
        stores: Stores,
        signing_secret: Callable[[], str],
        slack: ClickSlack | None,
        *,
        now: Callable[[], float] = time.time,
        allowed_teams: frozenset[str] = frozenset(),
        allowed_users: frozenset[str] = frozenset(),
        allowed_groups: frozenset[str] = frozenset(),
        enqueue: Callable[[OwnMessage], None] | None = None,
        routing: Callable[[], RoutingConfig | None] = lambda: None,
        overrides: OverrideStore | None = None,
    ) -> None:
        # the aggregates a click reads and writes, each its own
        self.requests: RequestStore = stores.requests
        self.clicks: ClickStore = stores.clicks
        self.silences: SilenceStore = stores.silences
        self.history: HistoryStore = stores.history
        self.signing_secret = signing_secret
        self.slack = slack
        self.now = now
        self.allowed_teams = allowed_teams
        self.allowed_users = allowed_users
        self.allowed_groups = allowed_groups
        self._group_members: dict[str, tuple[float, set[str]]] = {}
        self.enqueue = enqueue  # hands a resolve to the router's queue
        self.routing = routing  # the routing config (None: unknown): a redraw reads as the router's
        self.overrides = overrides  # where Take the pager stores its override (None: not set up)
        # /silence and the menu's "Custom…"; on the service's clock (a test or the demo may set it)
        self.silence_modal = SilenceModal(stores, slack, now=lambda: self.now())
        # slash commands and the Events API (App Home): the same Request URL (slack_app/)
        self.slack_app = SlackAppEndpoint(
            stores,
            slack if isinstance(slack, AppSlack) else None,
            routing=routing,
            allowed_teams=allowed_teams,
            refuse=self._refusal,
            acknowledge=self._ack_by_link,
            open_silence=self.silence_modal.open_from_command,
        )

    def handle(self, headers: Mapping[str, str], body: bytes) -> Response:  # noqa: C901 - one branch per kind of request and button
        if len(body) > MAX_BODY_BYTES:
            return Response(413, {"error": "body too large"})
        if not _text_headers(headers):
            return Response(400, {"error": "headers are not text"})
        now = self.now()
        try:
            signature = verify_signature(self.signing_secret(), headers, body, now)
        except SignatureError as exc:
            return Response(401, {"error": "invalid request", "reason": str(exc)})
        # Only now is the request known to be Slack's: record it so the same request cannot act twice.
        if not self.requests.remember_request(signature, int(now) + 2 * MAX_SKEW_S):
            return Response(401, {"error": "invalid request", "reason": "replayed request"})
        kind = request_kind(body)
        if kind is RequestKind.VIEW:  # the Silence modal: its submission, or a click inside it
            try:
                from_modal = parse_view_payload(body)
            except ValueError as exc:
                return Response(400, {"error": str(exc)})
            if from_modal is None:
                return Response(400, {"error": "not a modal payload"})
            return self._from_modal(from_modal, now)
        if kind is not RequestKind.BLOCK_ACTIONS:  # a slash command, an Events API request: slack_app/
            answer = self.slack_app.answer(kind, body, now)
            return Response(answer.status, answer.body)
        try:
            click = parse_block_actions(body)
        except ValueError as exc:
            return Response(400, {"error": str(exc)})
        if self.allowed_teams and str(click.team.get("id", "")) not in self.allowed_teams:
            return Response(403, {"error": "team not allowed"})
        refused = self._refuse(click.user.id, now)
        if refused is not None:
            return refused
        action = click.actions[0]
        at_ms = int(now * 1000)
        if action.action_id == TAKE_PAGER:
            return self._take_pager(click, action.value, at_ms)
        button = ButtonValue.parse(
            action.value or str((action.selected_option or {}).get("value", "")),
            with_choice=action.action_id == SILENCE,
        )
        key, episode, choice = button.key, button.episode, button.choice
        if action.action_id in (ACK, UNACK):
            return self._acknowledge(click, key, episode, action.action_id == ACK, at_ms)
        if action.action_id == RESOLVE and episode is not None:
            return self._resolve(click, key, episode, at_ms)
        if action.action_id == SILENCE and episode is not None and choice == CUSTOM_SILENCE:
            return self._custom_silence(click, key, episode)
        if action.action_id == SILENCE and episode is not None and choice in SILENCE_CHOICES:
            return self._silence(click, key, episode, choice, at_ms)
        return _ephemeral("That button is not known to this version of the router.")

    def _from_modal(self, payload: ViewSubmission | ViewBlockActions, now: float) -> Response:
        """What the Silence modal posts, under the allow-lists that apply to clicks. A refused submission is
        told so under the matchers field (an ephemeral message has nowhere to show from a modal)."""
        if self.allowed_teams and team_id(payload) not in self.allowed_teams:
            return Response(403, {"error": "team not allowed"})
        if payload.view.callback_id != CALLBACK_ID:
            return Response(200, {})  # not a view of ours: nothing to do
        refused = self._refuse(payload.user.id, now)
        if isinstance(payload, ViewSubmission):
            if refused is not None:
                return Response(
                    200, {"response_action": "errors", "errors": {MATCHERS: refused.body["text"]}}
                )
            return Response(200, self.silence_modal.submit(payload))
        if refused is not None:
            return Response(200, {})
        return Response(200, self.silence_modal.action(payload))

    def _custom_silence(self, click: BlockActions, key: str, episode: int) -> Response:
        """The Silence menu's "Custom…": the Silence modal, pre-filled with the clicked group's labels."""
        group = self._clicked_group(click, key, episode)
        if isinstance(group, Response):
            return group
        channel, ts = _clicked_channel(click), click.container.message_ts
        return Response(
            200, self.silence_modal.open_from_message(click.trigger_id, click.user.id, group, channel, ts)
        )

    def _refuse(self, user: str, now: float) -> Response | None:
        """With an allowlist (users and/or Slack user groups), only those on it may act; None if allowed."""
        if not self.allowed_users and not self.allowed_groups or user in self.allowed_users:
            return None
        for usergroup in sorted(self.allowed_groups):
            read_at, members = self._group_members.get(usergroup, (float("-inf"), set()))
            if now - read_at > GROUP_CACHE_S:
                if self.slack is None:
                    break
                try:
                    members = self.slack.usergroup_members(usergroup)
                except NotifyError as exc:  # fail closed: an allowlist that cannot be read allows no one
                    logger.warning(
                        "user group not readable", extra={"usergroup": usergroup, "reason": str(exc)}
                    )
                    return _ephemeral("Could not check who may act on alerts (Slack user groups): try again.")
                self._group_members[usergroup] = (now, members)
            if user in members:
                return None
        return _ephemeral("You are not on the list of people who may act on alerts here.")

    def _refusal(self, user: str, now: float) -> str | None:
        """Why the allow-lists refuse this user (what a click would be told), None if they may act."""
        refused = self._refuse(user, now)
        return None if refused is None else str(refused.body["text"])

    def _ack_by_link(self, user: str, message: LinkedMessage, key: str, episode: int, at_ms: int) -> str:
        """`/ack <link>`: what the Acknowledge button in that message does, and what to tell the user."""
        click = BlockActions(
            type="block_actions",
            user=SlackUser(id=user),
            container=Container(channel_id=message.channel, message_ts=message.parent_ts),
            actions=[SlackAction(action_id=ACK)],
        )
        answer = self._acknowledge(click, key, episode, True, at_ms)
        return str(answer.body.get("text") or f"✋ Acknowledged by {mention(user)}.")

    def _acknowledge(
        self, click: BlockActions, key: str, episode: int | None, acked: bool, at_ms: int
    ) -> Response:
        clicked = self._clicked_group(click, key, episode)
        if isinstance(clicked, Response):
            return clicked
        episode = clicked.episode  # the episode whose message was clicked, also for a button without one
        group, changed = self.clicks.acknowledge(key, click.user.id, at_ms, ack=acked, episode=episode)
        refused = _stale(group, episode)
        if refused is not None:
            return refused
        assert group is not None
        if not changed:  # someone else was first (or it was already so): say who, change nothing
            state = (
                f"acknowledged by {mention(group.clicks.ack_by)}"
                if group.clicks.ack_by
                else "not acknowledged"
            )
            return _ephemeral(f"Already {state}.")
        verb = "Acknowledged" if acked else "Unacknowledged"
        self._record(
            group, "ack" if acked else "unack", {"user": click.user.id, "episode": group.episode}, at_ms
        )
        self._show(
            click,
            group.model_copy(update={"members": visible_members(group)}),
            f"✋ {verb} by {mention(click.user.id)} at {_clock(at_ms)}",
            at_ms,
        )
        if len(group.slack.ts) > 1 and self.enqueue is not None:
            # The group's messages in its other channels are redrawn by the router (off Slack's 3 s clock).
            # A failed hand-over loses nothing: the click is stored and the group's next edit shows it.
            try:
                self.enqueue(
                    RedrawMessage(group=group.key, episode=group.episode, clicked=_clicked_channel(click))
                )
            except Exception:  # noqa: BLE001
                logger.warning("redraw of the other channels not handed over", exc_info=True)
        return Response(200, {})

    def _resolve(self, click: BlockActions, key: str, episode: int, at_ms: int) -> Response:
        """Mark who resolved (first click wins), and hand the resolve to the router, which applies it to each
        alert through the normal conditional path (a click never un-resolves, a newer source event wins)."""
        if self.enqueue is None:  # checked first: nothing is marked that the router will not carry out
            return _ephemeral("Resolving from Slack is not set up (no router queue configured).")
        clicked = self._clicked_group(click, key, episode)
        if isinstance(clicked, Response):
            return clicked
        group, changed = self.clicks.resolve_by_hand(key, click.user.id, at_ms, episode)
        refused = _stale(group, episode)
        if refused is not None:
            return refused
        assert group is not None
        # Every click that got this far is handed on (resolving twice is harmless), so a failed hand-over
        # is mended by clicking again.
        shown = visible_members(group)  # what the clicked message showed: only those are resolved
        self.enqueue(
            ResolveMessage(
                group=key,
                episode=episode,
                at=at_ms,
                fingerprints=sorted(fp for fp, m in shown.items() if m.status != Status.RESOLVED),
            )
        )
        if not changed:
            return _ephemeral(f"Already resolved by {mention(group.clicks.resolved_by)}.")
        self._record(group, "resolve", {"user": click.user.id, "episode": episode}, at_ms)
        resolved = {
            fp: m.model_copy(update={"status": Status.RESOLVED, "ts_ms": max(at_ms, m.ts_ms)})
            for fp, m in shown.items()
        }
        self._show(
            click,
            group.model_copy(update={"members": resolved}),
            f"✅ Resolved by {mention(click.user.id)} at {_clock(at_ms)}",
            at_ms,
        )
        return Response(200, {})

    def _silence(self, click: BlockActions, key: str, episode: int, choice: str, at_ms: int) -> Response:
        group = self._clicked_group(click, key, episode)
        if isinstance(group, Response):
            return group
        shown = visible_members(group)
        firing = [fp for fp, m in shown.items() if m.status != Status.RESOLVED]
        if not firing:
            return _ephemeral("Nothing in this message is firing: there is nothing to silence.")
        until_resolved = choice == "resolved"
        ends = at_ms + (
            MAX_SILENCE_MS if until_resolved else int(parse_duration(choice).total_seconds() * 1000)
        )
        matchers = silence_matchers(group, firing)
        # One silence per message: a second click (another person, a double click) finds it and extends it.
        silence, kept = self.silences.extend_silence(
            Silence(
                id=message_silence_id(key, episode),
                matchers=matchers,
                starts_at_ms=at_ms,
                ends_at_ms=ends,
                created_by=f"<@{click.user.id}>",
                comment=f"from Slack, {SILENCE_CHOICES[choice]}",
                group=key if until_resolved else "",
                episode=episode if until_resolved else 0,
            )
        )
        outcome = (
            "new"
            if kept is None or kept.ends_at_ms <= at_ms
            else "extended"
            if silence != kept
            else "unchanged"
        )
        self._record(
            group,
            "silence",
            {
                "user": click.user.id,
                "silence": silence.id,
                "matchers": silence.describe(),
                "ends_at_ms": silence.ends_at_ms,
                "until_resolved": bool(silence.group),
                "outcome": outcome,
            },
            at_ms,
        )
        until = "until it resolves" if silence.group else f"until {utc_text(silence.ends_at_ms)}"
        reason = f"silenced by <@{click.user.id}> {until}"
        said = {
            "new": f"Silenced by {mention(click.user.id)} {until}",
            "extended": f"Silence extended by {mention(click.user.id)} {until}",
            "unchanged": f"Already silenced {until}, as long as {mention(click.user.id)} asked "
            f"({SILENCE_CHOICES[choice]}) or longer",
        }[outcome]
        self._show(
            click,
            group.model_copy(
                update={
                    "members": shown,
                    "muting": group.muting.model_copy(
                        update={"reasons": {**group.muting.reasons, **dict.fromkeys(firing, reason)}}
                    ),
                }
            ),
            f"🔕 {said} ({escape(silence.describe())}). To end it: `alertrouter silence expire {silence.id}`",
            at_ms,
        )
        return Response(200, {})

    def _take_pager(self, click: BlockActions, schedule: str, at_ms: int) -> Response:
        """Put the clicker on call in the notice's schedule; the note goes to the notice's thread."""
        if self.overrides is None:
            return _ephemeral("Taking the pager from Slack is not set up (no override store configured).")
        taken = take_pager(self.routing(), self.overrides, schedule, click.user.id, at_ms)
        if isinstance(taken, Refused):
            return _ephemeral(taken.text)
        if self.slack is None:
            return _ephemeral(taken.note)
        try:
            self.slack.post(
                _clicked_channel(click), SlackMessage(text=taken.note), thread_ts=click.container.message_ts
            )
        except NotifyError as exc:  # the override is stored: the next handoff notice shows it
            logger.warning("pager taken, thread note not posted", extra={"reason": str(exc)})
            return _ephemeral(taken.note)
        return Response(200, {})

    def _clicked_group(self, click: BlockActions, key: str, episode: int | None) -> GroupState | Response:
        """The group the button names, if the click was made in that group's message of its current episode;
        else the answer that refuses it (a button value is only trusted together with the message it is in)."""
        group = self.clicks.get_group(key)
        refused = _stale(group, episode)
        if refused is not None:
            return refused
        assert group is not None
        if not _shows(group, click):
            return _ephemeral("This button is not about this message, so nothing was changed.")
        return group

    def _record(self, group: GroupState, kind: str, detail: dict[str, Any], at_ms: int) -> None:
        try:  # best effort: the change is stored; its history line must not fail the click
            self.history.add_history(group.key, at_ms, kind, detail)
        except Exception:  # noqa: BLE001
            logger.warning("history entry not written", exc_info=True)

    def _drawn(self, shown: GroupState, channel_id: str, at_ms: int) -> SlackMessage:
        """The group's message as the router draws it in that channel: the config's `messages:` settings, the
        channel's own title/text templates."""
        config = self.routing()
        if config is None:
            return render_group(shown, at_ms)
        names = [name for name, known in shown.slack.channels.items() if known == channel_id]
        target = next(
            (t for name in names if (t := config.slack_target(shown.receiver, name)) is not None), None
        )
        return render_group(shown, at_ms, Wording(config.messages), target)

    def _show(self, click: BlockActions, shown: GroupState, note: str, at_ms: int) -> None:
        """Redraw the clicked message (`shown`: what the router last showed, with the change) and note the
        click in its thread. A Slack failure here loses nothing: the state is stored and the router's next
        edit shows it."""
        if self.slack is None:
            return
        channel = _clicked_channel(click)
        ts = click.container.message_ts
        try:
            if shown.members:
                self.slack.update(channel, ts, self._drawn(shown, channel, at_ms))
            self.slack.post(channel, SlackMessage(text=note), thread_ts=ts)
        except NotifyError as exc:
            logger.warning("change stored, message not redrawn", extra={"reason": str(exc)})


def _clicked_channel(click: BlockActions) -> str:
    return click.container.channel_id or str(click.channel.get("id", ""))


def _shows(group: GroupState, click: BlockActions) -> bool:
    """Whether the click was made in one of the group's messages (those of its current episode): the same ts,
    in the same channel where the group knows the channel's id (items from before ids were kept: ts alone)."""
    ts, channel = click.container.message_ts, _clicked_channel(click)
    return any(
        kept == ts and group.slack.channels.get(name, channel) == channel
        for name, kept in group.slack.ts.items()
    )


def _ephemeral(text: str) -> Response:
    return Response(200, {"response_type": "ephemeral", "replace_original": False, "text": text})


def _stale(group: GroupState | None, episode: int | None) -> Response | None:
    """The answer when the clicked message is not about the group's current episode, else None."""
    if group is None:
        return _ephemeral("This alert is no longer known to the router.")
    if episode is not None and group.episode != episode:
        return _ephemeral(
            "This message is about an earlier episode; the alert fired again since: see the newer message."
        )
    return None


def _clock(at_ms: int) -> str:
    return datetime.fromtimestamp(at_ms / 1000, UTC).strftime("%H:%M UTC")


def function_url_body(event: Mapping[str, Any]) -> bytes:
    """The raw bytes Slack signed: a Function URL may hand them over base64-encoded."""
    body = event.get("body") or ""
    if not isinstance(body, str):
        return b""  # not what a Function URL sends: it will not verify
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return b""
    try:
        return body.encode("utf-8")
    except UnicodeEncodeError:  # an unpaired surrogate: not text Slack signed
        return b""

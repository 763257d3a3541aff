"""A Slack Web API stand-in on loopback: the methods the router calls, with Slack's answers and faults.

Implements chat.postMessage, chat.update, conversations.history, conversations.list, conversations.info,
usergroups.users.list, usergroups.users.update, views.publish (each user's published Home tab kept), views.open
and views.update (modals), auth.test (the workspace's url; the granted scopes in its X-OAuth-Scopes header),
and the file upload flow (files.getUploadURLExternal, the POST of the bytes to the upload URL,
files.completeUploadExternal; image blocks showing a Slack file by id are checked); like Slack,
chat.update, conversations.history and conversations.info take channel ids, not names. It keeps every
message (with thread replies and metadata) so tests and the demo can show what Slack would show,
records every call, and can be told to answer 429 (with Retry-After), 5xx, or to time out after
carrying out the request (the ambiguous case). It also checks the client honours Retry-After.

Modals: views.open exchanges a trigger id the stand-in issued (`issue_trigger_id`, as Slack hands one with a
click or command) for an open view, once, within 3 s (else `expired_trigger_id`); views.update replaces an open
view by id (`not_found`), refusing a stale `hash` (`hash_conflict`); both check the view as Slack does
(`invalid_arguments`, `view_too_large` over 250 KB). Open views are kept (`views`, `open_view`) so tests see
what the user sees; `respond_to_submission` applies a view_submission's answer as Slack would.
(https://docs.slack.dev/reference/methods/views.open, https://docs.slack.dev/reference/methods/views.update,
https://docs.slack.dev/reference/views/modal-view-object)
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs

from support.loopback import post_server

TOKEN_PREFIX = "xoxb-"
# The bot scopes slack/manifest.yaml asks for: what an app installed from it is granted.
MANIFEST_SCOPES = frozenset(
    {
        "chat:write",
        "chat:write.public",
        "channels:history",
        "groups:history",
        "channels:read",
        "groups:read",
        "usergroups:read",
        "usergroups:write",
        "files:write",
        "commands",
    }
)
WORKSPACE_URL = "https://standin-workspace.slack.com/"  # auth.test's `url`
MAX_VIEW_BLOCKS = 100  # a view's blocks (https://api.slack.com/reference/surfaces/views)
# The scope each method needs (public channels; Slack names both forms when one is missing).
METHOD_SCOPES = {
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "conversations.history": "channels:history",
    "conversations.list": "channels:read",
    "conversations.info": "channels:read",
    "usergroups.users.list": "usergroups:read",
    "usergroups.users.update": "usergroups:write",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
}
UPLOAD_PATH = "/upload/"  # where the stand-in's upload URLs point (Slack's are on files.slack.com)


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    attachments: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, Any] | None = None
    thread_ts: str | None = None
    edits: int = 0
    replies: list[Message] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)  # a file shared as a message: its id and title


@dataclass
class StoredFile:
    """A file of the upload flow: announced (getUploadURLExternal), its bytes uploaded, completed."""

    id: str
    filename: str
    length: int
    alt_txt: str = ""
    title: str = ""
    data: bytes | None = None  # None: not uploaded yet
    completed: bool = False


@dataclass
class PublishedHome:
    """A user's Home tab as views.publish last set it, with the hash that guards the next publish."""

    view: dict[str, Any]
    hash: str
    id: str
    publishes: int = 1


TRIGGER_TTL_S = 3.0  # a trigger id opens a modal within 3 s of the interaction that gave it
MAX_VIEW_BYTES = 250 * 1024  # views.publish, views.open, views.update: view_too_large beyond 250 kB


@dataclass
class OpenView:
    """A modal open in the stand-in's Slack: its current view (as the app sent it), hash and who sees it."""

    id: str
    user: str
    view: dict[str, Any]
    hash: str
    versions: list[dict[str, Any]] = field(default_factory=list)  # every view it showed, the first first
    errors: dict[str, str] = field(default_factory=dict)  # the last `response_action: errors` shown
    closed: bool = False


def view_problems(view: Any) -> list[str]:
    """What Slack's views.open / views.update refuse in a modal view object (invalid_arguments)."""
    if not isinstance(view, dict):
        return ["view is not a JSON object"]
    problems = []
    if view.get("type") != "modal":
        problems.append("type must be modal")
    for key, limit in (("title", 24), ("submit", 24), ("close", 24)):
        text = view.get(key)
        if text is None:
            if key == "title":
                problems.append("title is required")
            continue
        if (
            not isinstance(text, dict)
            or text.get("type") != "plain_text"
            or not 0 < len(text.get("text", "")) <= limit
        ):
            problems.append(f"{key} must be plain_text of 1 to {limit} characters")
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or len(blocks) > 100:
        return [*problems, "blocks must be a list of at most 100 blocks"]
    if any(b.get("type") == "input" for b in blocks) and "submit" not in view:
        problems.append("a modal with input blocks must have submit")
    if len(str(view.get("private_metadata", ""))) > 3000 or len(str(view.get("callback_id", ""))) > 255:
        problems.append("private_metadata (3000) or callback_id (255) too long")
    return problems + _block_problems(blocks)


def _block_problems(blocks: list[dict[str, Any]]) -> list[str]:
    problems = []
    ids = [b.get("block_id") for b in blocks if b.get("block_id")]
    if len(ids) != len(set(ids)):
        problems.append("block_id values must be unique")
    for block in blocks:
        element = block.get("element") or {}
        if block.get("type") == "input" and element.get("type") not in (
            "plain_text_input",
            "datetimepicker",
            "datepicker",
            "timepicker",
            "static_select",
        ):
            problems.append(f"input block {block.get('block_id')} has an unknown element")
        initial = element.get("initial_value")
        if initial is not None and len(initial) > int(element.get("max_length") or 3000):
            problems.append(f"{block.get('block_id')}: initial_value longer than max_length")
        if len(str((block.get("text") or {}).get("text", ""))) > 3000:
            problems.append(f"{block.get('block_id')}: section text over 3000 characters")
    return problems


@dataclass
class Call:
    method: str
    payload: dict[str, Any]
    at: float
    status: int = 200
    fault: str = ""


class SlackStandIn:
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        fault_rate: float = 0.0,
        seed: int = 7,
        timeout_delay: float = 0.5,
        retry_after: float = 1,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.messages: dict[str, list[Message]] = {}
        self.calls: list[Call] = []
        self.faults: list[str] = []  # scripted: "429", "500", "timeout", "ok"; used first
        self.fault_rate = fault_rate
        self.random = random.Random(seed)
        self.timeout_delay = timeout_delay
        self.retry_after = retry_after
        self.retry_after_violations = 0
        self._blocked_until: dict[str, float] = {}
        self._lock = threading.Lock()
        self.now = now  # the clock messages' ts are taken from (the demo passes its fixed clock)
        self._ts = int(now()) * 1_000_000
        self._channel_ids: dict[str, str] = {}
        self.usergroups: dict[str, set[str]] = {}  # user group id -> member user ids
        self.scopes: set[str] = set(MANIFEST_SCOPES)  # granted to the token; a method without its scope fails
        self.token_error = ""  # e.g. "token_revoked", "invalid_auth": every call answers it
        # per channel ("#name"), a permanent state: "channel_not_found", "is_archived", "not_in_channel"
        self.broken: dict[str, str] = {}
        self.files: dict[str, StoredFile] = {}  # file id -> the file (bytes kept)
        self.upload_faults: list[str] = []  # scripted answers to the next uploads of bytes: "500", "timeout"
        # Slack processes a completed upload asynchronously: this many image blocks naming a file are refused
        # (invalid_blocks) before it shows (0: at once)
        self.processing_refusals = 0
        self.homes: dict[str, PublishedHome] = {}  # user id -> the Home tab published for them
        self.home_tab_enabled = True  # the app's Home tab (off: views.publish answers not_enabled)
        self.triggers: dict[
            str, tuple[float, str]
        ] = {}  # trigger id -> (issued at, user): see issue_trigger_id
        self.views: dict[str, OpenView] = {}
        self.exchanged: set[str] = set()  # trigger ids already used to open a view
        self.server, self._thread = post_server(self._serve, host, port)

    # ---- lifecycle ----
    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/api/"

    def start(self) -> SlackStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- what tests look at ----
    @staticmethod
    def _is_id(name: str) -> bool:
        return len(name) >= 9 and name[0] in "CGD" and name[1:].isalnum() and name.isupper()

    def channel_id(self, name: str) -> str:
        """Slack's id for a channel name; any name is a channel here (the stand-in creates it on first use)."""
        if self._is_id(name):
            return name
        with self._lock:
            return self._channel_ids.setdefault(name.lstrip("#"), f"C{len(self._channel_ids) + 1:08d}")

    def channel_name(self, channel: str) -> str:
        """'#name' for a channel id the stand-in gave out (or for a name); an unknown id as it is."""
        if not self._is_id(channel):
            return "#" + channel.lstrip("#")
        with self._lock:
            return next(("#" + n for n, cid in self._channel_ids.items() if cid == channel), channel)

    def channel_messages(self, name: str) -> list[Message]:
        return self.messages.get(self.channel_id(name), [])

    def all_messages(self) -> list[Message]:
        return [m for msgs in self.messages.values() for m in msgs]

    def count(self, method: str, *, ok_only: bool = True) -> int:
        return sum(
            1
            for c in self.calls
            if c.method == method and (not ok_only or (c.status == 200 and c.fault in ("", "ok")))
        )

    # ---- modals ----
    def issue_trigger_id(self, user: str = "U0ONCALL1", *, age: float = 0.0) -> str:
        """A trigger id as Slack hands one with a click or command (`12345.98765.abcd2358fdea`), issued `age`
        seconds ago."""
        with self._lock:
            trigger = f"{int(time.time())}.{len(self.triggers) + 1}.{random.Random(len(self.triggers)).getrandbits(64):016x}"
            self.triggers[trigger] = (time.monotonic() - age, user)
        return trigger

    def open_view(self, user: str = "U0ONCALL1") -> OpenView:
        """The one modal open for the user (an assertion error if none or several)."""
        [found] = [v for v in self.views.values() if v.user == user and not v.closed]
        return found

    def _new_hash(self) -> str:
        return f"{int(time.time())}.{random.Random(len(self.calls)).getrandbits(32):08x}"

    def _views_open(self, payload: dict[str, Any]) -> dict[str, Any]:
        trigger = str(payload.get("trigger_id") or "")
        if not trigger:
            return {"ok": False, "error": "invalid_arguments"}
        with self._lock:
            if trigger in self.exchanged:
                return {"ok": False, "error": "exchanged_trigger_id"}
            issued = self.triggers.get(trigger)
            if issued is None:
                return {"ok": False, "error": "invalid_trigger_id"}
            self.exchanged.add(trigger)
            if time.monotonic() - issued[0] > TRIGGER_TTL_S:
                return {"ok": False, "error": "expired_trigger_id"}
        view, refused = self._read_view(payload)
        if refused:
            return refused
        opened = OpenView(
            id=f"V{len(self.views) + 1:08d}",
            user=issued[1],
            view=view,
            hash=self._new_hash(),
            versions=[view],
        )
        self.views[opened.id] = opened
        return {"ok": True, "view": self._shown(opened)}

    def _views_update(self, payload: dict[str, Any]) -> dict[str, Any]:
        opened = self.views.get(str(payload.get("view_id") or ""))
        if opened is None or opened.closed:
            return {"ok": False, "error": "not_found"}
        if payload.get("hash") and payload["hash"] != opened.hash:
            return {"ok": False, "error": "hash_conflict"}
        view, refused = self._read_view(payload)
        if refused:
            return refused
        opened.view, opened.hash, opened.errors = view, self._new_hash(), {}
        opened.versions.append(view)
        return {"ok": True, "view": self._shown(opened)}

    def _read_view(self, payload: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
        text = str(payload.get("view") or "")
        if len(text.encode()) > MAX_VIEW_BYTES:
            return {}, {"ok": False, "error": "view_too_large"}
        try:
            view = json.loads(text)
        except ValueError:
            view = None
        problems = view_problems(view)
        if problems:
            return {}, {
                "ok": False,
                "error": "invalid_arguments",
                "response_metadata": {"messages": problems},
            }
        return view, None

    @staticmethod
    def _shown(opened: OpenView) -> dict[str, Any]:
        return {
            **opened.view,
            "id": opened.id,
            "team_id": "T0STANDIN",
            "hash": opened.hash,
            "state": {"values": {}},
            "root_view_id": opened.id,
            "app_id": "A0STANDIN",
            "bot_id": "B0STANDIN",
        }

    def respond_to_submission(self, view_id: str, answer: dict[str, Any]) -> None:
        """What Slack does with the app's answer to a view_submission (https://docs.slack.dev/surfaces/modals):
        `update` replaces the view (checked as views.update checks it), `errors` shows them under the fields,
        anything else closes the modal."""
        opened = self.views[view_id]
        action = answer.get("response_action")
        if action == "update":
            problems = view_problems(answer.get("view"))
            assert not problems, problems  # Slack would show the user an error instead
            opened.view, opened.hash, opened.errors = answer["view"], self._new_hash(), {}
            opened.versions.append(answer["view"])
        elif action == "errors":
            opened.errors = dict(answer["errors"])
        else:
            opened.closed = True

    # ---- serving ----
    def _next_fault(self) -> str:
        with self._lock:
            if self.faults:
                return self.faults.pop(0)
        if self.fault_rate and self.random.random() < self.fault_rate:
            return self.random.choice(["429", "500", "timeout"])
        return "ok"

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        method = request.path.rsplit("/", 1)[-1]
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        if request.path.startswith(UPLOAD_PATH):
            return self._upload(request, raw)
        if "json" in (request.headers.get("Content-Type") or ""):
            payload = json.loads(raw or b"{}")
            if method not in ("chat.postMessage", "chat.update"):
                # like Slack: read methods ignore a JSON body's arguments
                payload = {}
        else:
            payload = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        call = Call(method=method, payload=payload, at=time.monotonic())
        self.calls.append(call)
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer " + TOKEN_PREFIX):
            return self._reply(
                request, 200, {"ok": False, "error": "not_authed" if not auth else "invalid_auth"}
            )
        if self.token_error:
            return self._reply(request, 200, {"ok": False, "error": self.token_error})
        needed = METHOD_SCOPES.get(method)
        if needed and needed not in self.scopes:
            return self._reply(
                request,
                200,
                {
                    "ok": False,
                    "error": "missing_scope",
                    "needed": needed,
                    "provided": ",".join(sorted(self.scopes)),
                },
            )
        channel = self.channel_id(str(payload.get("channel", "")))
        with self._lock:
            if self._blocked_until.get(channel, 0.0) > call.at + 0.05:
                self.retry_after_violations += 1
        refused = self._refusal(method, channel)
        if refused:
            call.fault = refused["error"]
            return self._reply(request, 200, refused)
        fault = self._next_fault()
        call.fault = fault
        if fault == "429":
            with self._lock:
                self._blocked_until[channel] = call.at + self.retry_after
            call.status = 429
            return self._reply(
                request, 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": f"{self.retry_after:g}"}
            )  # Slack's are whole seconds
        if fault == "500":
            call.status = 500
            return self._reply(request, 500, {"ok": False, "error": "internal_error"})
        result = self._apply(method, channel, payload)
        if fault == "timeout":
            time.sleep(self.timeout_delay)  # carried out, but the answer comes too late
        return self._reply(request, 200, result)

    def _reply(
        self,
        request: BaseHTTPRequestHandler,
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(body).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json; charset=utf-8")
            request.send_header("Content-Length", str(len(data)))
            request.send_header("X-OAuth-Scopes", ",".join(sorted(self.scopes)))  # as Slack, on every answer
            for k, v in (headers or {}).items():
                request.send_header(k, v)
            request.end_headers()
            request.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout): the request was still carried out

    def _new_ts(self) -> str:
        with (
            self._lock
        ):  # like Slack: a message's ts is when it was posted (conversations.history filters on it)
            self._ts = max(self._ts + 100, int(self.now() * 1_000_000))
            return f"{self._ts // 1_000_000}.{self._ts % 1_000_000:06d}"

    def _find(self, channel: str, ts: str) -> Message | None:
        for message in self.messages.get(channel, []):
            if message.ts == ts:
                return message
        return None

    def _state(self, channel_id: str) -> str:
        """The permanent state `broken` gives a channel (by id), or ""."""
        name = next((n for n, cid in self._channel_ids.items() if cid == channel_id), channel_id)
        return self.broken.get("#" + name, self.broken.get(channel_id, ""))

    def _refusal(self, method: str, channel: str) -> dict[str, Any] | None:
        """Slack's answer to a write or a history read in a channel `broken` gives a permanent state (None:
        served normally); conversations.info and .list show the state instead of refusing."""
        if method not in ("chat.postMessage", "chat.update", "conversations.history"):
            return None
        state = self._state(channel)
        if not state:
            return None
        if state == "missing_scope":
            needed = METHOD_SCOPES.get(method, "chat:write")
            return {
                "ok": False,
                "error": state,
                "needed": needed,
                "provided": ",".join(sorted(self.scopes - {needed})),
            }
        return {"ok": False, "error": state}

    def _info(self, channel: str) -> dict[str, Any]:
        state = self._state(channel)
        if state == "channel_not_found" or not self._is_id(channel):
            return {"ok": False, "error": "channel_not_found"}
        name = next((n for n, cid in self._channel_ids.items() if cid == channel), channel)
        return {
            "ok": True,
            "channel": {
                "id": channel,
                "name": name,
                "is_channel": True,
                "is_private": False,
                "is_archived": state == "is_archived",
                "is_member": state != "not_in_channel",
            },
        }

    def _update_usergroup(self, payload: dict[str, Any]) -> dict[str, Any]:
        """usergroups.users.update: the whole member list replaced; like Slack, never emptied."""
        usergroup = str(payload.get("usergroup", ""))
        if usergroup not in self.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        users = [u.strip() for u in str(payload.get("users") or "").split(",") if u.strip()]
        if not users:
            return {"ok": False, "error": "no_users_provided"}
        if any(not re.fullmatch(r"[UW][A-Z0-9]{2,}", u) for u in users):
            return {"ok": False, "error": "invalid_users"}
        self.usergroups[usergroup] = set(users)
        return {"ok": True, "usergroup": {"id": usergroup, "users": sorted(users), "user_count": len(users)}}

    # ---- files ----
    def _upload(self, request: BaseHTTPRequestHandler, raw: bytes) -> None:
        """The POST of a file's bytes to its upload URL: 200 when taken; an unknown URL 404; bytes of another
        length than announced 400 (the file stays not uploaded)."""
        file_id = request.path[len(UPLOAD_PATH) :]
        call = Call(method="upload", payload={"file_id": file_id, "length": len(raw)}, at=time.monotonic())
        self.calls.append(call)
        with self._lock:
            fault = self.upload_faults.pop(0) if self.upload_faults else ""
        call.fault = fault
        found = self.files.get(file_id)
        if fault == "500":
            call.status = 500
            return self._reply_text(request, 500, "internal error")
        if found is None or found.completed:
            call.status = 404
            return self._reply_text(request, 404, "not found")
        if len(raw) != found.length:
            call.status = 400
            return self._reply_text(request, 400, "length does not match")
        found.data = raw
        if fault == "timeout":
            time.sleep(self.timeout_delay)
        return self._reply_text(request, 200, f"OK - {len(raw)}")

    def _reply_text(self, request: BaseHTTPRequestHandler, status: int, text: str) -> None:
        data = text.encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "text/plain")
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _get_upload_url(self, payload: dict[str, Any]) -> dict[str, Any]:
        """files.getUploadURLExternal: filename and length (> 0) required, alt_txt up to 1000 characters."""
        filename = str(payload.get("filename") or "")
        length = str(payload.get("length") or "")
        if not filename or not length.isdigit() or int(length) <= 0:
            return {"ok": False, "error": "invalid_arguments"}
        if len(str(payload.get("alt_txt") or "")) > 1000:
            return {"ok": False, "error": "alt_txt_too_large"}
        with self._lock:
            file_id = f"F{len(self.files) + 1:010d}"
            self.files[file_id] = StoredFile(
                file_id, filename, int(length), alt_txt=str(payload.get("alt_txt") or "")
            )
        host, port = self.server.server_address[:2]
        return {"ok": True, "upload_url": f"http://{host!s}:{port}{UPLOAD_PATH}{file_id}", "file_id": file_id}

    def _complete_upload(self, payload: dict[str, Any]) -> dict[str, Any]:
        """files.completeUploadExternal: files=[{id, title}] (JSON); each announced and uploaded, else
        file_not_found; with channel_id (and thread_ts) the files are shared there as a message (a reply)."""
        try:
            listed = json.loads(str(payload.get("files") or ""))
        except ValueError:
            return {"ok": False, "error": "invalid_arguments"}
        if not isinstance(listed, list) or not listed or not all(isinstance(f, dict) for f in listed):
            return {"ok": False, "error": "invalid_arguments"}
        found = [self.files.get(str(f.get("id", ""))) for f in listed]
        if any(f is None or f.data is None or f.completed for f in found):
            return {"ok": False, "error": "file_not_found"}
        channel_id = str(payload.get("channel_id") or "")
        thread_ts = str(payload.get("thread_ts") or "")
        parent = None
        if channel_id:
            if not self._is_id(channel_id):
                return {"ok": False, "error": "invalid_arguments"}
            if thread_ts and (parent := self._find(channel_id, thread_ts)) is None:
                return {"ok": False, "error": "invalid_arguments"}
        shared = []
        for entry, stored in zip(listed, found, strict=True):
            assert stored is not None
            stored.title, stored.completed = str(entry.get("title") or stored.filename), True
            shared.append({"id": stored.id, "title": stored.title})
        if channel_id:
            message = Message(
                channel=channel_id, ts=self._new_ts(), text="", files=shared, thread_ts=thread_ts or None
            )
            if parent is not None:
                parent.replies.append(message)
            else:
                self.messages.setdefault(channel_id, []).append(message)
        return {"ok": True, "files": shared}

    def _unknown_image(self, payload: dict[str, Any]) -> bool:
        """An image block of the message showing a Slack file (slack_file.id) that is not a completed file."""
        blocks = list(payload.get("blocks") or [])
        for attachment in payload.get("attachments") or []:
            blocks += list(attachment.get("blocks") or [])
        for block in blocks:
            if block.get("type") != "image" or "slack_file" not in block:
                continue
            file_id = str((block.get("slack_file") or {}).get("id", ""))
            stored = self.files.get(file_id)
            if stored is None or not stored.completed or not block.get("alt_text"):
                return True
            with self._lock:
                if self.processing_refusals > 0:
                    self.processing_refusals -= 1
                    return True
        return False

    def _apply(self, method: str, channel: str, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: C901 - one branch per Slack Web API method the stand-in answers
        if method == "files.getUploadURLExternal":
            return self._get_upload_url(payload)
        if method == "files.completeUploadExternal":
            return self._complete_upload(payload)
        if method in ("chat.postMessage", "chat.update") and self._unknown_image(payload):
            return {"ok": False, "error": "invalid_blocks"}
        if method == "auth.test":
            return {
                "ok": True,
                "team": "Stand-in",
                "user": "alertrouter",
                "team_id": "T0STANDIN",
                "user_id": "U0ROUTER",
                "url": WORKSPACE_URL,
            }
        if method == "conversations.info":
            return self._info(channel)
        if method == "views.publish":
            return self._publish_home(payload)
        if method == "views.open":
            return self._views_open(payload)
        if method == "views.update":
            return self._views_update(payload)
        if method == "chat.postMessage":
            if not payload.get("text") and not payload.get("blocks") and not payload.get("attachments"):
                return {"ok": False, "error": "no_text"}
            message = Message(
                channel=channel,
                ts=self._new_ts(),
                text=str(payload.get("text", "")),
                attachments=list(payload.get("attachments") or []),
                metadata=payload.get("metadata"),
                thread_ts=payload.get("thread_ts"),
            )
            if message.thread_ts:
                parent = self._find(channel, message.thread_ts)
                if parent is None:
                    return {"ok": False, "error": "thread_not_found"}
                parent.replies.append(message)
            else:
                self.messages.setdefault(channel, []).append(message)
            return {
                "ok": True,
                "channel": channel,
                "ts": message.ts,
                "message": {"text": message.text, "ts": message.ts},
            }
        if method in ("chat.update", "conversations.history") and not self._is_id(
            str(payload.get("channel", ""))
        ):
            return {"ok": False, "error": "channel_not_found"}  # as Slack: these take channel ids only
        if method == "usergroups.users.list":
            members = self.usergroups.get(str(payload.get("usergroup", "")))
            if members is None:
                return {"ok": False, "error": "no_such_subteam"}
            return {"ok": True, "users": sorted(members)}
        if method == "usergroups.users.update":
            return self._update_usergroup(payload)
        if method == "conversations.list":
            hidden = {"channel_not_found"} | (
                {"is_archived"} if payload.get("exclude_archived") == "true" else set()
            )
            listed = [
                {
                    "id": cid,
                    "name": name,
                    "is_channel": True,
                    "is_archived": self._state(cid) == "is_archived",
                }
                for name, cid in self._channel_ids.items()
                if self._state(cid) not in hidden
            ]
            return {"ok": True, "channels": listed, "response_metadata": {"next_cursor": ""}}
        if method == "chat.update":
            found = self._find(channel, str(payload.get("ts", "")))
            if found is None:
                return {"ok": False, "error": "message_not_found"}
            found.text = str(payload.get("text", found.text))
            if "attachments" in payload:
                found.attachments = list(payload["attachments"] or [])
            found.edits += 1
            return {"ok": True, "channel": channel, "ts": found.ts, "text": found.text}
        if method == "conversations.history":
            # As Slack: messages after `oldest` and before `latest` (now by default), the bounds themselves only
            # with `inclusive`; metadata only with `include_all_metadata`.
            oldest = float(payload.get("oldest") or 0)
            latest = float(payload.get("latest") or "inf")
            inclusive = payload.get("inclusive") in ("true", "1")
            metadata = payload.get("include_all_metadata") in ("true", "1")
            found_messages = [
                {"ts": m.ts, "text": m.text, **({"metadata": m.metadata} if m.metadata and metadata else {})}
                for m in reversed(self.messages.get(channel, []))
                if (oldest <= float(m.ts) <= latest if inclusive else oldest < float(m.ts) < latest)
            ]
            return {
                "ok": True,
                "messages": found_messages[: int(payload.get("limit") or 100)],
                "has_more": False,
            }
        return {"ok": False, "error": "unknown_method"}

    def _publish_home(self, payload: dict[str, Any]) -> dict[str, Any]:
        """views.publish (https://api.slack.com/methods/views.publish): user_id, view as a JSON-encoded
        string, optional hash; errors invalid_arguments, not_enabled (the Home tab is off), hash_conflict (a
        hash that is not the current one), view_too_large."""
        user = str(payload.get("user_id") or "")
        raw = str(payload.get("view") or "")
        if not re.fullmatch(r"[UW][A-Z0-9]{2,}", user) or not raw:
            return {"ok": False, "error": "invalid_arguments"}
        if len(raw.encode()) > MAX_VIEW_BYTES:
            return {"ok": False, "error": "view_too_large"}
        try:
            view = json.loads(raw)
        except ValueError:
            return {"ok": False, "error": "invalid_arguments"}
        blocks = view.get("blocks") if isinstance(view, dict) else None
        if not isinstance(blocks, list) or view.get("type") != "home" or len(blocks) > MAX_VIEW_BLOCKS:
            return {"ok": False, "error": "invalid_arguments"}
        if not self.home_tab_enabled:
            return {"ok": False, "error": "not_enabled"}
        with self._lock:
            kept = self.homes.get(user)
            if payload.get("hash") and (kept is None or payload["hash"] != kept.hash):
                return {"ok": False, "error": "hash_conflict"}
            view_id = kept.id if kept else f"V{len(self.homes) + 1:08d}"
            published = PublishedHome(
                view=view,
                hash=f"{self.now():.6f}.{self.random.randrange(10**8):08d}",
                id=view_id,
                publishes=kept.publishes + 1 if kept else 1,
            )
            self.homes[user] = published
        return {"ok": True, "view": {"id": view_id, "type": "home", **view, "hash": published.hash}}


if __name__ == "__main__":
    import sys

    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8765
    with SlackStandIn(port=port) as standin:
        print(f"Slack stand-in listening on {standin.url}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass

"""Slack Web API through requests: timeouts on every call, paced per channel, 429 honoured,
and exactly-once posting even when a post times out (the message is found again by its metadata)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from alertrouter.notify.base import NotifyError, SlackApi
from alertrouter.notify.render import METADATA_EVENT, SlackMessage

if TYPE_CHECKING:
    import requests

# Slack `error` codes worth another try; every other `ok: false` is permanent (bad channel, auth...).
RETRYABLE_ERRORS = frozenset(
    {
        "ratelimited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "team_added_to_org",
    }
)
WRITE_METHODS = frozenset({"chat.postMessage", "chat.update"})
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{8,}")
# the pace (and Retry-After) of a graph's upload calls: their own, so that a 429 on an upload never holds back
# the posts and edits of every channel (which wait on "*")
UPLOAD_PACE = "files:upload"


class SlackAmbiguousError(NotifyError):
    """The request may or may not have been carried out (5xx, read timeout)."""


class SlackClient(SlackApi):
    """A small Slack Web API client.

    Written here rather than taken from slack_sdk: the router needs per-channel pacing, a shared
    Retry-After deadline, and the ambiguous/definite failure split that exactly-once posting relies on.
    """

    def __init__(
        self,
        token: Callable[[], str],
        base_url: str = "https://slack.com/api/",
        *,
        timeout: tuple[float, float] = (3.05, 10.0),
        min_interval: float = 1.0,
        max_wait: float = 10.0,
        attempts: int = 3,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
    ) -> None:
        self._token = token
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout = timeout
        self.min_interval = min_interval
        self.max_wait = max_wait
        self.attempts = attempts
        self.clock = clock
        self.sleep = sleep
        self._session = session  # made on first call: a cold start that sends nothing never imports requests
        self._ids: dict[str, str] = {}  # channel name (without #) -> id, learned from Slack's answers
        self._names: dict[str, str] = {}  # and back
        self._not_before: dict[str, float] = {}  # channel (or "*") -> monotonic time
        self._last_write: dict[str, float] = {}
        self.calls = 0
        self._workspace_url: str | None = None  # auth.test's url, once read
        self.last_headers: Mapping[
            str, str
        ] = {}  # of the last answer that was ok (auth.test's scopes are there)

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            self._session = new_session()
        return self._session

    # ---- pacing ----
    def _pace_key(self, channel: str) -> str:
        """One pace per channel whether it is named or given by id."""
        return self._names.get(channel) or channel.lstrip("#")

    def learn(self, name: str, channel_id: str) -> None:
        self._ids[name.lstrip("#")] = channel_id
        self._names[channel_id] = name.lstrip("#")

    def _wait_turn(self, method: str, channel: str) -> None:
        channel = self._pace_key(channel)
        now = self.clock()
        not_before = max(
            self._not_before.get(channel, 0.0),
            self._not_before.get("*", 0.0),
            self._not_before.get("method:" + method, 0.0),
        )
        if method in WRITE_METHODS:
            not_before = max(not_before, self._last_write.get(channel, -1e9) + self.min_interval)
        delay = not_before - now
        if delay > self.max_wait:
            raise NotifyError(
                f"{method}: Slack asked us to wait {delay:.0f}s", retryable=True, retry_after=delay
            )
        if delay > 0:
            self.sleep(delay)
        if method in WRITE_METHODS:
            self._last_write[channel] = max(now, not_before)

    # ---- one call ----
    def call(self, method: str, payload: dict[str, Any], *, channel: str = "*") -> dict[str, Any]:
        """Call a Web API method once (waiting out pacing and 429s); raise NotifyError on failure."""
        import requests

        for attempt in range(1, self.attempts + 1):
            self._wait_turn(method, channel)
            self.calls += 1
            try:
                # Slack reads JSON bodies for write methods only; read methods take form fields.
                body_kw: dict[str, Any] = (
                    {"json": payload}
                    if method in WRITE_METHODS
                    else {
                        "data": {
                            k: (str(v).lower() if isinstance(v, bool) else v) for k, v in payload.items()
                        }
                    }
                )
                response = self.session.post(
                    self.base_url + method,
                    timeout=self.timeout,
                    headers={"Authorization": f"Bearer {self._token()}"},
                    **body_kw,
                )
            except requests.Timeout as exc:  # ReadTimeout: Slack may have acted; ConnectTimeout: it did not
                ambiguous = not isinstance(exc, requests.ConnectTimeout)
                kind = SlackAmbiguousError if ambiguous else NotifyError
                raise kind(f"{method}: timed out", retryable=True) from exc
            except requests.ConnectionError as exc:
                raise NotifyError(f"{method}: cannot connect ({type(exc).__name__})", retryable=True) from exc
            if response.status_code == 429:
                retry_after = _retry_after(response)
                # Slack's limits are per method (per workspace) and, for posts, per channel: honour both
                until = self.clock() + retry_after
                self._not_before[self._pace_key(channel)] = until
                self._not_before["method:" + method] = until
                if attempt < self.attempts and retry_after <= self.max_wait:
                    continue  # Slack did not act on a 429: trying again cannot duplicate
                raise NotifyError(f"{method}: rate limited", retryable=True, retry_after=retry_after)
            if response.status_code >= 500:
                raise SlackAmbiguousError(f"{method}: HTTP {response.status_code}", retryable=True)
            if response.status_code >= 400:
                raise NotifyError(
                    f"{method}: HTTP {response.status_code}",
                    retryable=False,
                    code=f"http_{response.status_code}",
                )
            try:
                body = response.json()
            except ValueError as exc:
                raise SlackAmbiguousError(f"{method}: response is not JSON", retryable=True) from exc
            if body.get("ok"):
                self.last_headers = response.headers
                return dict(body)
            error = str(body.get("error", "unknown_error"))
            needed = str(body.get("needed") or "")
            raise NotifyError(
                f"{method}: {error}" + (f" (needed: {needed})" if needed else ""),
                retryable=error in RETRYABLE_ERRORS,
                code=error,
                needed=needed,
            )
        raise AssertionError("unreachable")

    def usergroup_members(self, usergroup: str) -> set[str]:
        """The user ids in a Slack user group (usergroups.users.list; needs the usergroups:read scope)."""
        body = self.call("usergroups.users.list", {"usergroup": usergroup, "include_disabled": False})
        return {str(u) for u in body.get("users", [])}

    def set_usergroup_members(self, usergroup: str, users: list[str]) -> None:
        """Replace a Slack user group's members (usergroups.users.update; needs usergroups:write). Slack
        refuses an empty list: a group keeps at least one member."""
        self.call("usergroups.users.update", {"usergroup": usergroup, "users": ",".join(users)})

    # ---- what slash commands and App Home use (slack_app/) ----
    def workspace_url(self) -> str:
        """The workspace's URL (auth.test's `url`, https://example.slack.com/), read once per client."""
        if self._workspace_url is None:
            self._workspace_url = str(self.call("auth.test", {}).get("url") or "")
        return self._workspace_url

    def message_metadata(self, channel: str, ts: str) -> dict[str, Any] | None:
        """The router's metadata (event_payload) on the channel's message at `ts`; None when there is no such
        message or it carries none of ours. conversations.history with latest=ts, inclusive and limit 1 is
        how Slack reads one message (https://api.slack.com/methods/conversations.history: `latest`, `inclusive`);
        metadata is only returned with include_all_metadata."""
        body = self.call(
            "conversations.history",
            {"channel": channel, "latest": ts, "inclusive": True, "limit": 1, "include_all_metadata": True},
            channel=channel,
        )
        for message in body.get("messages", []):
            meta = message.get("metadata") or {}
            if message.get("ts") == ts and meta.get("event_type") == METADATA_EVENT:
                payload = meta.get("event_payload")
                return dict(payload) if isinstance(payload, dict) else None
        return None

    def views_publish(self, user_id: str, view: dict[str, Any]) -> None:
        """Publish a user's Home tab (https://api.slack.com/methods/views.publish: user_id, and the view as a
        JSON-encoded string)."""
        self.call("views.publish", {"user_id": user_id, "view": json.dumps(view)})

    # ---- modals (https://docs.slack.dev/reference/methods/views.open, .../views.update) ----
    def views_open(self, trigger_id: str, view: dict[str, Any]) -> dict[str, Any]:
        """views.open: a modal for the user whose click or command gave the trigger id (valid 3 s); returns
        the opened view (its `id` and `hash`). The view goes as a JSON-encoded form field, as documented."""
        body = self.call("views.open", {"trigger_id": trigger_id, "view": json.dumps(view)})
        return dict(body.get("view") or {})

    def views_update(self, view_id: str, view: dict[str, Any], *, hash: str = "") -> dict[str, Any]:
        """views.update of an open view; with its `hash`, Slack refuses (hash_conflict) when the view changed
        since that hash was handed out."""
        payload = {"view_id": view_id, "view": json.dumps(view), **({"hash": hash} if hash else {})}
        return dict(self.call("views.update", payload).get("view") or {})

    # ---- what preflight reads (alertrouter doctor, the scheduled check) ----
    def auth_test(self) -> tuple[dict[str, Any], frozenset[str]]:
        """auth.test: who the token is, and the scopes it was granted (Slack's X-OAuth-Scopes header)."""
        body = self.call("auth.test", {})
        scopes = str(self.last_headers.get("X-OAuth-Scopes") or "")
        return body, frozenset(s.strip() for s in scopes.split(",") if s.strip())

    def conversation_info(self, channel: str) -> dict[str, Any]:
        """conversations.info of a channel given by id or name, archived ones too (NotifyError
        `conversations.info: channel_not_found` when the app cannot see it)."""
        channel_id = channel if _CHANNEL_ID.fullmatch(channel) else self._any_channel_id(channel)
        return dict(self.call("conversations.info", {"channel": channel_id})["channel"])

    def _any_channel_id(self, channel: str) -> str:
        """A channel name's id, looked up among archived channels too (channel_id leaves them out)."""
        name, cursor = channel.lstrip("#"), ""
        while True:
            body = self.call(
                "conversations.list",
                {
                    "types": "public_channel,private_channel",
                    "exclude_archived": False,
                    "limit": 1000,
                    "cursor": cursor,
                },
            )
            for found in body.get("channels", []):
                if found.get("name") == name:
                    return str(found.get("id"))
            cursor = str((body.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:
                raise NotifyError("conversations.list: channel_not_found", retryable=False)

    # ---- what the router uses ----
    def channel_id(self, channel: str) -> str:
        """Slack's id for a channel given by id or name (chat.update and conversations.history need ids)."""
        if _CHANNEL_ID.fullmatch(channel):
            return channel
        name = channel.lstrip("#")
        cursor = ""
        while name not in self._ids:
            body = self.call(
                "conversations.list",
                {
                    "types": "public_channel,private_channel",
                    "exclude_archived": True,
                    "limit": 1000,
                    "cursor": cursor,
                },
            )
            for found in body.get("channels", []):
                self.learn(str(found.get("name")), str(found.get("id")))
            cursor = str((body.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:
                break
        if name not in self._ids:
            raise NotifyError(
                f"Slack channel {channel!r} not found (or the app cannot see it)",
                retryable=False,
                code="channel_not_found",
            )
        return self._ids[name]

    def post(
        self,
        channel: str,
        message: SlackMessage,
        *,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> tuple[str, str]:
        """chat.postMessage; returns (channel id, ts)."""
        payload: dict[str, Any] = {
            "channel": channel,
            "text": message.text,
            "attachments": message.attachments,
            "unfurl_links": False,
            "unfurl_media": False,
        }
        if thread_ts:
            payload["thread_ts"] = thread_ts
        if metadata:
            payload["metadata"] = {"event_type": METADATA_EVENT, "event_payload": metadata}
        body = self.call("chat.postMessage", payload, channel=channel)
        channel_id = str(body.get("channel") or channel)
        if not _CHANNEL_ID.fullmatch(channel):
            self.learn(channel, channel_id)
        return channel_id, str(body["ts"])

    def update(self, channel: str, ts: str, message: SlackMessage) -> None:
        self.call(
            "chat.update",
            {"channel": channel, "ts": ts, "text": message.text, "attachments": message.attachments},
            channel=channel,
        )

    def find_posted(
        self, channel: str, metadata: dict[str, Any], oldest: float, *, max_pages: int = 5
    ) -> str | None:
        """The ts of a message we posted with exactly this metadata since `oldest`, if any (newest first,
        up to max_pages pages of 200: a busy channel does not hide it)."""
        cursor = ""
        for _ in range(max_pages):
            body = self.call(
                "conversations.history",
                {
                    "channel": self.channel_id(channel),
                    "oldest": f"{oldest:.6f}",
                    "limit": 200,
                    "include_all_metadata": True,
                    **({"cursor": cursor} if cursor else {}),
                },
                channel=channel,
            )
            for message in body.get("messages", []):
                meta = message.get("metadata") or {}
                if meta.get("event_type") == METADATA_EVENT and meta.get("event_payload") == metadata:
                    return str(message["ts"])
            cursor = str((body.get("response_metadata") or {}).get("next_cursor") or "")
            if not body.get("has_more") or not cursor:
                return None
        return None

    def post_once(
        self,
        channel: str,
        message: SlackMessage,
        metadata: dict[str, Any],
        oldest: float,
        *,
        look_first: bool = False,
    ) -> tuple[str, str]:
        """Post a group's message exactly once: after an ambiguous failure (or when an earlier attempt may
        have posted: look_first), look for it before posting. Returns (channel id, ts) either way."""
        last: NotifyError | None = None
        for attempt in range(self.attempts):
            if last is not None or (look_first and attempt == 0):
                found = self.find_posted(channel, metadata, oldest)
                if found:
                    return self.channel_id(channel), found
            try:
                return self.post(channel, message, metadata=metadata)
            except SlackAmbiguousError as exc:
                last = exc
        assert last is not None
        raise last

    # ---- files ----
    def upload_file(
        self,
        png: bytes,
        filename: str,
        title: str,
        alt_text: str,
        *,
        channel_id: str | None = None,
        thread_ts: str | None = None,
    ) -> str:
        """Upload a file with Slack's external flow; returns its file id. Without channel_id the file stays
        private (shown by an image block's slack_file); with it (and thread_ts) it is shared there as a message
        (a reply). The three steps: files.getUploadURLExternal (filename, length, alt_txt), the bytes POSTed to
        its upload_url, files.completeUploadExternal (files=[{id, title}])
        (https://docs.slack.dev/reference/methods/files.getUploadURLExternal,
        https://docs.slack.dev/reference/methods/files.completeUploadExternal). Raises NotifyError."""
        got = self.call(
            "files.getUploadURLExternal",
            {"filename": filename, "length": len(png), "alt_txt": alt_text[:1000]},
            channel=UPLOAD_PACE,
        )
        upload_url, file_id = str(got.get("upload_url") or ""), str(got.get("file_id") or "")
        if not upload_url.startswith(("https://", "http://")) or not file_id:
            raise NotifyError("files.getUploadURLExternal: no upload_url or file_id", retryable=False)
        self._send_bytes(upload_url, png, filename)
        completing: dict[str, Any] = {"files": json.dumps([{"id": file_id, "title": title}])}
        if channel_id:
            completing["channel_id"] = channel_id
            if thread_ts:
                completing["thread_ts"] = thread_ts
        self.call("files.completeUploadExternal", completing, channel=channel_id or UPLOAD_PACE)
        return file_id

    def _send_bytes(self, upload_url: str, data: bytes, filename: str) -> None:
        """POST a file's bytes to the URL Slack gave for it (raw bytes; Slack answers 200 when it took them)."""
        import requests

        self.calls += 1
        try:
            response = self.session.post(
                upload_url,
                data=data,
                timeout=self.timeout,
                headers={"Content-Type": "application/octet-stream", "X-Filename": filename[:200]},
            )
        except requests.Timeout as exc:
            raise NotifyError("file upload: timed out", retryable=True, code="timeout") from exc
        except requests.ConnectionError as exc:
            raise NotifyError(f"file upload: cannot connect ({type(exc).__name__})", retryable=True) from exc
        if response.status_code != 200:
            raise NotifyError(
                f"file upload: HTTP {response.status_code}",
                retryable=response.status_code >= 500 or response.status_code == 429,
                code=f"http_{response.status_code}",
            )


def new_session() -> requests.Session:
    """A requests session that retries only failures to connect (imported on first use: a cold start that
    sends nothing never imports requests)."""
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    session = requests.Session()
    # Only failures to connect are retried here: nothing reached Slack, so a retry cannot duplicate.
    # read=False re-raises a read timeout as itself (requests' ReadTimeout), never retried here.
    retry = Retry(
        total=2,
        connect=2,
        read=False,
        status=0,
        other=0,
        redirect=0,
        backoff_factor=0.2,
        allowed_methods=None,
        respect_retry_after_header=False,
        raise_on_status=False,
    )
    session.mount("https://", HTTPAdapter(max_retries=retry, pool_maxsize=4))
    session.mount("http://", HTTPAdapter(max_retries=retry, pool_maxsize=4))
    return session


def _retry_after(response: requests.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "1")))
    except ValueError:
        return 1.0

"""Test doubles for the router: a scheduler, Slack, SMS, page calls and webhooks that record what they were asked, a
Slack sink that only counts (the bench), and alerts made from the reference event."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alertrouter.config import parse_config
from alertrouter.models.alert import Alert
from alertrouter.models.webhook import WebhookTarget
from alertrouter.notify.base import NotifyError
from alertrouter.notify.render import SlackMessage
from alertrouter.notify.voice_script import VoiceScript
from alertrouter.router import Router
from alertrouter.sources import parse_payload
from support.clock import Clock
from support.events import ALARM_EVENT, load_event
from support.memory_store import MemoryStore


def alert(name: str = "A", state: str = "ALARM", minute: int = 0, severity: str = "warning") -> Alert:
    event = load_event(ALARM_EVENT)
    event["detail"]["alarmName"] = name
    event["resources"] = [f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}"]
    stamp = f"2024-05-01T{10 + minute // 60:02d}:{minute % 60:02d}:00.000+0000"  # `minute` may pass the hour
    event["detail"]["state"].update(value=state, timestamp=stamp)
    event["detail"]["alarmTags"] = {"severity": severity}
    return parse_payload(event).alerts[0]


class Scheduler:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, int]] = []
        self.due: list[int] = []

    def schedule(self, key: str, route_id: str, delay_s: int, due_ms: int) -> None:
        self.sent.append((key, route_id, delay_s))
        self.due.append(due_ms)


class Slack:
    """Records what would reach Slack; `fail` holds channels whose next call fails (retryably)."""

    def __init__(self) -> None:
        self.posts: list[str] = []
        self.updates: list[str] = []
        self.threads: list[tuple[str, str]] = []
        self.fail: set[str] = set()
        self.during_post: Any = None
        self.last_text = ""
        self.last_message: SlackMessage | None = None
        self.uploads: list[tuple[str, str]] = []  # (channel id, "" for a private file; title)

    def _maybe_fail(self, channel: str) -> None:
        if channel in self.fail:
            self.fail.discard(channel)
            raise NotifyError(f"{channel}: HTTP 503", retryable=True)

    def post_once(
        self,
        channel: str,
        message: SlackMessage,
        metadata: dict[str, Any],
        oldest: float,
        *,
        look_first: bool = False,
    ) -> tuple[str, str]:
        self._maybe_fail(channel)
        if self.during_post:
            hook, self.during_post = self.during_post, None
            hook()
        self.posts.append(channel)
        self.last_text, self.last_message = message.text, message
        return f"ID{channel}", f"{len(self.posts)}.000100"

    def post(
        self,
        channel: str,
        message: SlackMessage,
        *,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> tuple[str, str]:
        self._maybe_fail(channel)
        self.threads.append((channel, message.text))
        return channel, "9.000100"

    def update(self, channel: str, ts: str, message: SlackMessage) -> None:
        self._maybe_fail(channel)
        self.updates.append(channel)
        self.last_text, self.last_message = message.text, message

    def learn(self, name: str, channel_id: str) -> None:
        pass

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
        self.uploads.append((channel_id or "", title))
        return f"F{len(self.uploads):09d}"


def router(
    config: str,
    store: MemoryStore,
    slack: Slack,
    scheduler: Scheduler,
    clock: Clock,
    sms: Any = None,
    webhooks: Any = None,
) -> Router:
    return Router(
        parse_config(config), store.stores(), scheduler, slack=slack, sms=sms, webhooks=webhooks, now_ms=clock
    )


class Webhooks:
    """Records what each webhook (by id) was sent; `fail` holds, per webhook id, errors its next sends raise."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.fail: dict[str, list[NotifyError]] = {}

    def send(self, target: WebhookTarget, message: dict[str, Any]) -> int:
        errors = self.fail.get(target.id)
        if errors:
            raise errors.pop(0)
        self.sent.append((target.id, message))
        return 1

    def to(self, target_id: str) -> list[dict[str, Any]]:
        return [m for i, m in self.sent if i == target_id]


class Sms:
    """Records each text; names in `refuse` are not in the numbers secret, names in `fail` get that error."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.refuse: set[str] = set()
        self.fail: dict[str, NotifyError] = {}

    def send(self, name: str, text: str) -> str:
        if name in self.refuse:
            raise NotifyError(f"no number for {name}", retryable=False)
        if name in self.fail:
            raise self.fail[name]
        self.sent.append((name, text))
        return "+*******00"


class Calls:
    """Records each page call (name, its words as text, context); names in `refuse` are refused for good
    (opted out), `throttled` calls are refused for now (each one uses one up)."""

    def __init__(self) -> None:
        self.placed: list[tuple[str, str, dict[str, str]]] = []
        self.refuse: set[str] = set()
        self.throttled = 0

    def call(self, name: str, script: VoiceScript, context: Mapping[str, str] | None = None) -> str:
        if self.throttled:
            self.throttled -= 1
            raise NotifyError(
                "call to +*******00: ThrottlingException", retryable=True, code="ThrottlingException"
            )
        if name in self.refuse:
            raise NotifyError(
                "call to +*******00: ConflictException: DESTINATION_PHONE_NUMBER_OPTED_OUT",
                retryable=False,
                code="DESTINATION_PHONE_NUMBER_OPTED_OUT",
            )
        self.placed.append((name, script.text(), dict(context or {})))
        return "+*******00"

    def called(self) -> list[str]:
        return [name for name, _, _ in self.placed]


class SlackSink:
    """Accepts what the router would send to Slack and counts it (a SlackApi with no network)."""

    def __init__(self) -> None:
        self.calls = 0

    def post_once(
        self,
        channel: str,
        message: SlackMessage,
        metadata: dict[str, Any],
        oldest: float,
        *,
        look_first: bool = False,
    ) -> tuple[str, str]:
        self.calls += 1
        return channel, f"{self.calls}.000100"

    def post(
        self,
        channel: str,
        message: SlackMessage,
        *,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> tuple[str, str]:
        self.calls += 1
        return channel, f"{self.calls}.000100"

    def update(self, channel: str, ts: str, message: SlackMessage) -> None:
        self.calls += 1

    def learn(self, name: str, channel_id: str) -> None:
        pass

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
        self.calls += 1
        return f"F{self.calls:09d}"


class TimedSink:
    """A Slack sink that notes, on the bench's clock, when each post or edit went to which channel."""

    def __init__(self, clock: Any) -> None:
        self.clock = clock
        self.calls: list[tuple[str, str, int]] = []

    def post_once(
        self,
        channel: str,
        message: SlackMessage,
        metadata: dict[str, Any],
        oldest: float,
        *,
        look_first: bool = False,
    ) -> tuple[str, str]:
        self.calls.append(("post", channel, self.clock.ms))
        return channel, f"{len(self.calls)}.000100"

    def post(
        self,
        channel: str,
        message: SlackMessage,
        *,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> tuple[str, str]:
        self.calls.append(("thread" if thread_ts else "post", channel, self.clock.ms))
        return channel, f"{len(self.calls)}.000100"

    def update(self, channel: str, ts: str, message: SlackMessage) -> None:
        self.calls.append(("update", channel, self.clock.ms))

    def learn(self, name: str, channel_id: str) -> None:
        pass

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
        self.calls.append(("upload", channel_id or "", self.clock.ms))
        return f"F{len(self.calls):09d}"

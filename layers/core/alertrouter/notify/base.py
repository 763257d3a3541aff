"""The notifier contract, one for Slack, SMS, voice calls and the ops topic: a call returns once the far end took the message;
any failure is a NotifyError that says whether trying again later can help (Alertmanager's rule).

What the router does with a failure follows from `retryable` alone, whichever notifier raised it:
- retryable (429, 5xx, timeout, throttling): the record goes back to SQS and is tried again; a flush frees its
  lease first, a page gives its SMS slot back so the retry may text at once.
- permanent (a bad channel, a refused token, an unknown recipient): recorded and logged with its fix, never
  raised to SQS; the rest of the flush carries on. A Slack channel is tried again after 1, 5, then every 15
  minutes while its group fires; a refused token pages the ops topic; an SMS recipient at the next flush.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Mapping

    from alertrouter.models.webhook import WebhookTarget
    from alertrouter.notify.render import SlackMessage
    from alertrouter.notify.voice_script import VoiceScript

SMS_GAP_MS = 60_000  # at most one SMS per recipient per minute; what comes sooner waits and is bundled
# At most one page call per person per 5 minutes: a call rings, speaks and maybe reaches voicemail for a minute
# or two; a second one sooner says nothing the first did not, to someone likely already on Slack. What comes
# sooner waits and is bundled into the next call.
CALL_GAP_MS = 5 * 60_000


class NotifyError(Exception):
    """A notification did not go out.

    retryable: a later attempt may succeed (429, 5xx, timeout, throttling); the record goes back to SQS.
    retry_after: seconds the far end asked us to wait, when it said so.
    code: the far end's error code (Slack's `error`: `not_in_channel`, `token_revoked`...), "" if none.
    needed: what the far end said is missing (Slack's `needed` scope with `missing_scope`).
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        code: str = "",
        needed: str = "",
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.code = code
        self.needed = needed


class Notifier(Protocol):
    """A way to tell people. Every method of a notifier raises only NotifyError, its `retryable` set (above)."""


class SlackApi(Notifier, Protocol):
    """Slack, as the router needs it (SlackClient; the benchmark's in-process sink)."""

    def post(
        self,
        channel: str,
        message: SlackMessage,
        *,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> tuple[str, str]:
        """chat.postMessage; returns (channel id, ts)."""

    def update(self, channel: str, ts: str, message: SlackMessage) -> None: ...

    def post_once(
        self,
        channel: str,
        message: SlackMessage,
        metadata: dict[str, Any],
        oldest: float,
        *,
        look_first: bool = False,
    ) -> tuple[str, str]:
        """Post a group's message exactly once, even after an ambiguous failure; returns (channel id, ts)."""

    def learn(self, name: str, channel_id: str) -> None:
        """A channel's id, known from an earlier post: so both forms share one pace and Retry-After."""

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
        """Upload a file (private, or shared in a channel / thread); returns its file id."""


class SmsSender(Notifier, Protocol):
    """SMS pages (SmsNotifier through SNS)."""

    def send(self, name: str, text: str) -> str:
        """Text the number kept under `name`; returns the number masked for logs."""


class VoiceSender(Notifier, Protocol):
    """Page calls (VoiceCaller through AWS End User Messaging SMS and Voice)."""

    def call(self, name: str, script: VoiceScript, context: Mapping[str, str] | None = None) -> str:
        """Call the number kept under `name` and read `script`; returns the number masked for logs."""


class OpsPager(Notifier, Protocol):
    """The stack's ops topic: for what cannot be said in Slack (its token refused)."""

    def page(self, subject: str, message: str) -> None: ...


class WebhookSender(Notifier, Protocol):
    """Webhooks fed Alertmanager's webhook JSON (WebhookClient)."""

    def send(self, target: WebhookTarget, message: dict[str, Any]) -> int:
        """POST the message, retrying 5xx, 429 and timeouts within a few seconds; returns the attempts it took.
        Raises NotifyError (code http_<status>, timeout, connection...) once it gives up."""

"""The notifier contract: a failure says whether trying again later can help (Alertmanager's rule)."""

from __future__ import annotations

from typing import Protocol


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


SMS_GAP_MS = 60_000  # at most one SMS per recipient per minute; what comes sooner waits and is bundled


class OpsPager(Protocol):
    """The stack's ops topic: for what cannot be said in Slack (its token refused)."""

    def page(self, subject: str, message: str) -> None: ...

"""The notifier contract: a failure says whether trying again later can help (Alertmanager's rule)."""

from __future__ import annotations


class NotifyError(Exception):
    """A notification did not go out.

    retryable: a later attempt may succeed (429, 5xx, timeout, throttling); the record goes back to SQS.
    retry_after: seconds the far end asked us to wait, when it said so.
    """

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


SMS_GAP_MS = 60_000  # at most one SMS per recipient per minute; what comes sooner waits and is bundled

"""When a target that failed (a refused Slack channel, a webhook that is down) is due another try."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from alertrouter.limits import MAX_HOP_MS


class Tried(Protocol):
    @property
    def last_ms(self) -> int: ...

    @property
    def tries(self) -> int: ...


def retry_at(failed: Iterable[Tried], waits_s: tuple[int, ...], now: int) -> int:
    """The next try of the earliest due (backoff by its tries: waits_s, then its last), within SQS's longest
    delay and at least a second away."""
    due = min(f.last_ms + waits_s[min(f.tries, len(waits_s)) - 1] * 1000 for f in failed)
    return min(max(due, now + 1000), now + MAX_HOP_MS)

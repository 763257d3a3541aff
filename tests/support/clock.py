"""Clocks the tests and the bench move by hand, and the SQS delay the router schedules flushes with."""

from __future__ import annotations

import heapq
from typing import Any

T0 = 1_700_000_000_000  # the unit tests' start: before the sample events' dates
AFTER_SAMPLE_EVENTS = 1_767_225_600_000  # 2026-01-01: after the sample events (ones dated ahead are refused)
BENCH_START = 1_800_000_000_000  # after every event the bench sends


class Clock:
    """Milliseconds since the epoch (a `now_ms` for the services), moved only by its owner: `advance` by
    seconds, `tick` by the step it was made with."""

    def __init__(self, ms: int = T0, step_ms: int = 0) -> None:
        self.ms, self.step = ms, step_ms

    def __call__(self) -> int:
        return self.ms

    def advance(self, seconds: float) -> None:
        self.ms += int(seconds * 1000)

    def tick(self) -> None:
        self.ms += self.step


_NOTHING_DUE: list[tuple[str, str, int]] = []


class DelayQueue:
    """The SQS delay the router schedules group flushes with, on a hand-moved clock (duck-types the
    FlushScheduler): due flushes are handed back as the clock passes them."""

    def __init__(self, now: Clock) -> None:
        self.now = now
        self.pending: list[tuple[int, str, str, int]] = []

    def schedule(self, key: str, route_id: str, delay_s: int, due_ms: int) -> None:
        heapq.heappush(self.pending, (self.now.ms + delay_s * 1000, key, route_id, due_ms))

    def due(self) -> list[tuple[str, str, int]]:
        if not self.pending or self.pending[0][0] > self.now.ms:
            return _NOTHING_DUE  # (the common case, asked after every event: the bench's own cost kept small)
        out = []
        while self.pending and self.pending[0][0] <= self.now.ms:
            _, key, route_id, due_ms = heapq.heappop(self.pending)
            out.append((key, route_id, due_ms))
        return out

    def deliver(self, router: Any) -> int:
        """Hand every flush that has come due to the router, as SQS hands a delayed message over; how many."""
        due = self.due()
        for key, route_id, due_ms in due:
            router.flush_due(key, route_id, due_ms)
        return len(due)

"""The active silences, read at most every SILENCE_CACHE_MS per process (a storm flushes many groups).

Those that have not ended are kept, whether they mute now or not: one that starts later, and a recurring one
between its windows (its `ends_at_ms` is the end of its whole span), are there when they come to mute."""

from __future__ import annotations

from alertrouter.limits import SILENCE_CACHE_MS
from alertrouter.models.silence import Silence
from alertrouter.store.base import SilenceStore


class SilenceCache:
    def __init__(self, store: SilenceStore) -> None:
        self.store = store
        self._read: tuple[int, list[Silence]] = (-SILENCE_CACHE_MS, [])

    def active(self, now: int) -> list[Silence]:
        read_at, silences = self._read
        if now - read_at >= SILENCE_CACHE_MS or now < read_at:
            silences = [s for s in self.store.silences() if s.ends_at_ms > now]
            self._read = (now, silences)
        return [s for s in silences if s.ends_at_ms > now]

    def forget(self) -> None:
        """Read them again at the next look (another process changed them)."""
        self._read = (-(10**15), [])

"""The open-alert index: an entry per firing alert, in a few sharded partitions, so the escalator can count
the open alerts each minute (the OpenAlerts gauge) without reading every alert's state."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from alertrouter.models.state import AlertState

OPEN_SHARDS = 8  # partitions the entries are spread over: a 500-alert storm writes ~60 to each


def open_shard(fingerprint: str) -> int:
    """The shard an alert's entry lives in (stable across processes: not Python's salted hash)."""
    return int.from_bytes(hashlib.blake2b(fingerprint.encode(), digest_size=4).digest()) % OPEN_SHARDS


@dataclass(frozen=True, slots=True)
class OpenEntry:
    """An alert indexed as open: what the gauge counts it by, and the firing event it was put for (`ts_ms`, the
    event's time, so a resolve deletes only an entry as old as itself; `put_ms`, when it was written)."""

    fingerprint: str
    ts_ms: int
    put_ms: int
    account: str = ""  # the alert's `account` label ("" when it has none)
    account_name: str = ""  # its `account_name` label, when the router gave it one
    severity: str = ""

    @property
    def shard(self) -> int:
        return open_shard(self.fingerprint)

    @classmethod
    def of(cls, state: AlertState, now_ms: int) -> OpenEntry:
        """The entry of a firing state (written before the state itself)."""
        return cls(
            fingerprint=state.fingerprint,
            ts_ms=state.ts_ms,
            put_ms=now_ms,
            account=state.labels.get("account", ""),
            account_name=state.labels.get("account_name", ""),
            severity=state.severity,
        )

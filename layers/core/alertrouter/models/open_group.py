"""The open-group index: an entry per group with something open, in a few sharded partitions, so `/alerts`, App
Home and the Silence modal can find what fires now without an index write per alert: the flush puts a group's
entry when it first finds the group firing and deletes it after the flush that finds it all resolved."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

OPEN_GROUP_SHARDS = 8  # partitions the entries are spread over (a storm of new groups writes to all of them)


def open_group_shard(key: str) -> int:
    """The shard a group's entry lives in (stable across processes: not Python's salted hash)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest()) % OPEN_GROUP_SHARDS


@dataclass(frozen=True, slots=True)
class OpenGroup:
    """A group listed as open: its key, when its entry was put (`put_ms`, also kept on the group as
    `open_listed_ms`, so the flush that ends it deletes only this entry) and its group labels (every member
    has them: a reader's matchers may rule the group out without reading it)."""

    key: str
    put_ms: int
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def shard(self) -> int:
        return open_group_shard(self.key)

"""moto's DynamoDB Query, made to read only the queried partition as DynamoDB does.

moto 5 answers a table Query by sorting every item of the table and keeping the queried partition's: each
Query costs O(table), so a test whose table grows (a thousand alerts, a 5,000-job storm) slows down with the
square of its size, and the suite's time goes to moto, not to the router. Narrowing the items moto looks at
to the queried partition gives exactly the same answer: moto keeps those same items and sorts them the same
way. Index queries and scans are left as they are.

And moto's item writes made atomic, as DynamoDB's are: moto checks a write's condition and then writes,
unlocked, so two threads' `attribute_not_exists` puts can both pass (seen once in a clean-clone run of the
concurrent silence clicks). One lock around each write gives DynamoDB's guarantee that a conditional
write sees the item as the last write left it."""

from __future__ import annotations

import threading
from typing import Any

INDEX_NAME = 6  # Table.query's index_name, counted from the argument after hash_key
_installed = threading.Lock()
_state = {"installed": False}


def query_reads_one_partition() -> None:
    """Install (once per process; idempotent, thread-safe) the partition-only table Query into moto."""
    from moto.dynamodb.models.table import Table

    with _installed:
        if _state["installed"]:
            return
        real_query = Table.query
        local = threading.local()

        def query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
            index_name = kwargs.get("index_name", args[INDEX_NAME] if len(args) > INDEX_NAME else None)
            if index_name or hash_key is None or not self.range_key_attr:
                return real_query(self, hash_key, *args, **kwargs)
            local.partition = (self, hash_key)
            try:
                return real_query(self, hash_key, *args, **kwargs)
            finally:
                local.partition = None

        real_all_items = Table.all_items

        def all_items(self: Table) -> Any:
            partition = getattr(local, "partition", None)
            if partition is None or partition[0] is not self:
                return real_all_items(self)
            items = self.items.get(partition[1]) or {}
            return sorted(
                items.values(), key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key
            )

        Table.query = query  # type: ignore[method-assign]
        Table.all_items = all_items  # type: ignore[method-assign]
        _writes_atomic()
        _state["installed"] = True


def _writes_atomic() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    writing = threading.RLock()
    for name in ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item"):
        real = getattr(DynamoDBBackend, name, None)
        if real is None:
            continue

        def atomic(self: Any, *args: Any, _real: Any = real, **kwargs: Any) -> Any:
            with writing:
                return _real(self, *args, **kwargs)

        setattr(DynamoDBBackend, name, atomic)

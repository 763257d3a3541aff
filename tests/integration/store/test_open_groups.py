"""OpenGroupIndex: the open-group index the flush keeps (an entry per group with something open), on both
stores: put replaces, a delete takes only the entry as put, the entries spread over sharded partitions."""

from __future__ import annotations

import pytest

from alertrouter.models.open_group import OPEN_GROUP_SHARDS, OpenGroup, open_group_shard
from alertrouter.store.dynamodb import DynamoDBStore
from support.store_items import NOW, WholeStore

pytestmark = pytest.mark.integration


def test_an_entry_is_put_replaced_and_deleted_only_as_put(store: WholeStore) -> None:
    first = OpenGroup("route0/abc", NOW, {"alertname": "DiskFull", "account": "123456789012"})
    store.list_open_group(first)
    assert store.open_groups() == [first]
    # a retry, or the next episode's put, replaces it (one entry per group)
    again = OpenGroup("route0/abc", NOW + 60_000, {"alertname": "DiskFull", "account": "123456789012"})
    store.list_open_group(again)
    assert store.open_groups() == [again]
    # a late delete of the earlier put leaves the newer entry
    assert store.unlist_open_group("route0/abc", NOW) is False
    assert store.open_groups() == [again]
    assert store.unlist_open_group("route0/abc", NOW + 60_000) is True
    assert store.open_groups() == [] and store.unlist_open_group("route0/abc", NOW + 60_000) is False


def test_entries_are_read_oldest_first_across_every_shard(store: WholeStore) -> None:
    entries = [OpenGroup(f"route0/g{n:03d}", NOW + (n * 7919) % 100, {}) for n in range(40)]
    for entry in entries:
        store.list_open_group(entry)
    assert store.open_groups() == sorted(entries, key=lambda e: (e.put_ms, e.key))
    assert len({open_group_shard(e.key) for e in entries}) == OPEN_GROUP_SHARDS


def test_the_dynamodb_entries_live_in_sharded_partitions(dynamodb_stack: tuple[object, str]) -> None:
    client, table = dynamodb_stack
    store = DynamoDBStore(table, client)
    store.list_open_group(OpenGroup("route0/abc", NOW, {"alertname": "DiskFull"}))
    got = store.client.get_item(
        TableName=table,
        Key={"pk": {"S": f"OPENGROUP#{open_group_shard('route0/abc')}"}, "sk": {"S": "route0/abc"}},
    )
    assert got["Item"]["put_ms"] == {"N": str(NOW)}
    assert got["Item"]["labels"] == {"M": {"alertname": {"S": "DiskFull"}}}

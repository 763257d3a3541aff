"""OpenAlertIndex: the open-alert index AlertStore.apply_alert keeps beside each alert's state (an entry while
it fires), on both stores."""

from __future__ import annotations

from typing import Any

import pytest

from alertrouter.models.open_alert import OPEN_SHARDS, OpenEntry, open_shard
from support.store_items import NOW, WholeStore, alert

pytestmark = pytest.mark.integration


def fingerprints(store: WholeStore) -> set[str]:
    return {e.fingerprint for e in store.open_entries()}


def test_an_alert_is_indexed_while_it_fires_and_no_longer_once_it_resolves(store: WholeStore) -> None:
    # Given an alarm that fires
    fp = store.apply_alert(alert(minute=0), NOW).state.fingerprint
    # Then it is indexed with what the gauge counts it by
    [entry] = store.open_entries()
    assert (entry.fingerprint, entry.ts_ms, entry.put_ms) == (fp, alert(minute=0).timestamp_ms, NOW)
    assert (entry.account, entry.severity) == ("123456789012", "warning")
    assert (
        store.open_entries(entry.shard) == [entry]
        and store.open_entries((entry.shard + 1) % OPEN_SHARDS) == []
    )
    # When it repeats, Then the entry is not written again (it is open already)
    store.apply_alert(alert(minute=1), NOW + 60_000)
    assert store.open_entries() == [entry]
    # When it resolves, Then the entry is gone; a late ALARM older than the OK does not bring it back
    store.apply_alert(alert("OK", minute=2), NOW + 120_000)
    assert store.open_entries() == []
    store.apply_alert(alert(minute=1), NOW + 180_000)
    assert store.open_entries() == []
    # When it fires again, Then it is indexed again
    store.apply_alert(alert(minute=3), NOW + 240_000)
    assert fingerprints(store) == {fp}


def test_an_entry_is_dropped_only_as_it_was_read(store: WholeStore) -> None:
    store.apply_alert(alert(minute=0), NOW)
    [entry] = store.open_entries()
    # an entry put again since it was read (a new episode) is kept
    assert not store.drop_open(OpenEntry(entry.fingerprint, entry.ts_ms, entry.put_ms + 1))
    assert store.drop_open(entry)
    assert store.open_entries() == [] and not store.drop_open(entry)


def test_entries_spread_over_the_shards() -> None:
    shards = {open_shard(f"fp-{n}") for n in range(200)}
    assert shards == set(range(OPEN_SHARDS))


@pytest.mark.parametrize("store", ["dynamodb"], indirect=True)  # (DynamoDB's item: the memory store has none)
def test_the_dynamodb_entry_is_a_small_item_in_its_shard(store: WholeStore, request: Any) -> None:
    fp = store.apply_alert(alert(minute=0), NOW).state.fingerprint
    client, table = request.getfixturevalue("dynamodb_stack")
    item = client.get_item(TableName=table, Key={"pk": {"S": f"OPEN#{open_shard(fp)}"}, "sk": {"S": fp}})[
        "Item"
    ]
    assert set(item) == {"pk", "sk", "ts_ms", "put_ms", "account", "account_name", "severity"}

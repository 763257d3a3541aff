"""HistoryStore and RequestStore: each group's notification history, and the one-time request keys that
refuse a replayed Slack request."""

from __future__ import annotations

import pytest

from support.store_items import KEY, NOW, WholeStore

pytestmark = pytest.mark.integration


def test_history_is_read_oldest_first_per_group_and_limited_to_the_newest(store: WholeStore) -> None:
    assert store.history(KEY) == []
    store.add_history(KEY, NOW + 2000, "update", {"channel": "#team", "ts": "2.0"})
    store.add_history(KEY, NOW, "post", {"channel": "#team", "ts": "1.0", "members": ["a", "b"]})
    store.add_history("route0/other", NOW + 1000, "sms", {"to": "primary"})
    store.add_history(KEY, NOW + 1000, "ack", {"user": "U-alice"})
    assert store.history(KEY) == [
        {"at_ms": NOW, "kind": "post", "channel": "#team", "ts": "1.0", "members": ["a", "b"]},
        {"at_ms": NOW + 1000, "kind": "ack", "user": "U-alice"},
        {"at_ms": NOW + 2000, "kind": "update", "channel": "#team", "ts": "2.0"},
    ]
    assert [e["kind"] for e in store.history(KEY, limit=2)] == ["ack", "update"]  # the newest, oldest first
    assert store.history("route0/other") == [{"at_ms": NOW + 1000, "kind": "sms", "to": "primary"}]


def test_a_request_key_is_remembered_once(store: WholeStore) -> None:
    assert store.remember_request("v0=signature-1", NOW // 1000 + 600)
    assert not store.remember_request("v0=signature-1", NOW // 1000 + 900)  # a replay
    assert store.remember_request("v0=signature-2", NOW // 1000 + 600)

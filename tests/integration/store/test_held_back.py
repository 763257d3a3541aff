"""The alerts held back now, read across every group (the maintenance view's last part), on moto."""

from __future__ import annotations

from typing import Any

from alertrouter.models.state import Member
from alertrouter.store.base import HeldBack
from alertrouter.store.dynamodb import DynamoDBStore
from support.store_items import KEY, NOW, alert

LEASE_MS = 30_000


def test_held_back_lists_the_members_a_flush_muted_with_their_reason_until_a_flush_unmutes_them(
    dynamodb_stack: tuple[Any, str],
) -> None:
    client, table = dynamodb_stack
    store = DynamoDBStore(table, client)
    a = store.apply_alert(alert(name="DiskFull"), NOW).state
    b = store.apply_alert(alert(name="CpuHigh"), NOW).state
    for state in (a, b):
        store.upsert_member(KEY, "route0", "team", {}, state.fingerprint, Member.of(state), NOW)
    other = store.apply_alert(alert(name="Other"), NOW).state
    store.upsert_member("other-group", "route0", "team", {}, other.fingerprint, Member.of(other), NOW)
    assert store.held_back() == []
    # Given a flush that held DiskFull back by a mute rule, and a flush of the other group that muted nothing
    reason = "muted by CloudWatch mute rule nightly until 2026-03-02 12:00 UTC"
    store.claim(KEY, "lease-a", NOW + 1, LEASE_MS)
    store.release(KEY, "lease-a", {"muted": {a.fingerprint: reason}}, NOW + 1)
    store.claim("other-group", "lease-b", NOW + 1, LEASE_MS)
    store.release("other-group", "lease-b", {"muted": {}}, NOW + 1)
    # Then the view names that alert alone, its group, title and reason
    assert store.held_back() == [HeldBack(KEY, a.fingerprint, a.title, reason)]
    # When a later flush sends it (the window ended), Then nothing is held back
    store.claim(KEY, "lease-c", NOW + 2, LEASE_MS)
    store.release(KEY, "lease-c", {"muted": {}}, NOW + 2)
    assert store.held_back() == []

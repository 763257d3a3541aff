"""FlushLeaseStore: the lease one flush holds on a group, and what it writes under it."""

from __future__ import annotations

from typing import Any

import pytest

from alertrouter.models.state import Notified
from alertrouter.store.base import LeaseHeldError
from alertrouter.store.dynamodb import DynamoDBStore
from support.store_items import KEY, NOW, WholeStore, alert, upsert

pytestmark = pytest.mark.integration

LEASE_MS = 30_000


def test_claim_is_exclusive_until_the_lease_expires(store: WholeStore) -> None:
    upsert(store, alert())
    # Given worker A holds the lease from NOW for 30 s
    claimed = store.claim(KEY, "lease-a", NOW, LEASE_MS)
    assert (claimed.lease.id, claimed.lease.until_ms) == ("lease-a", NOW + LEASE_MS)
    assert claimed.members and claimed.version == 1  # the group comes with the lease
    # When worker B tries while it is live (up to its last millisecond), Then B is refused
    for now in (NOW, NOW + 1, NOW + LEASE_MS - 1):
        with pytest.raises(LeaseHeldError):
            store.claim(KEY, "lease-b", now, LEASE_MS)
    # When the lease has run out, Then B takes it over
    taken = store.claim(KEY, "lease-b", NOW + LEASE_MS, LEASE_MS)
    assert (taken.lease.id, taken.lease.until_ms) == ("lease-b", NOW + 2 * LEASE_MS)
    # and A, come back late, can neither record progress nor release B's lease
    with pytest.raises(LeaseHeldError):
        store.save_progress(KEY, "lease-a", {"slack_ts": {"#team": "1.000001"}})
    with pytest.raises(LeaseHeldError):
        store.release(KEY, "lease-a", {"notified_version": 1}, NOW)
    after = store.get_group(KEY)
    assert after is not None
    assert (after.lease.id, after.slack.ts, after.notified_version) == ("lease-b", {}, 0)


def test_a_claim_retried_with_its_own_lease_id_succeeds_and_another_is_refused(store: WholeStore) -> None:
    from alertrouter.store.base import LeaseHeldError

    upsert(store, alert())
    store.claim(KEY, "lease-1", NOW, 120_000)
    store.claim(
        KEY, "lease-1", NOW + 1, 120_000
    )  # botocore's retry of an applied claim whose answer was lost
    with pytest.raises(LeaseHeldError):
        store.claim(KEY, "lease-2", NOW + 2, 120_000)


def test_save_progress_needs_the_lease_and_keeps_it(store: WholeStore) -> None:
    g = upsert(store, alert())
    fp = next(iter(g.members))
    store.claim(KEY, "lease-a", NOW, LEASE_MS)
    # When someone without the lease saves progress, Then it is refused and nothing is written
    with pytest.raises(LeaseHeldError):
        store.save_progress(KEY, "lease-x", {"slack_ts": {"#team": "1.000001"}})
    assert store.get_group(KEY).slack.ts == {}  # type: ignore[union-attr]
    # When the holder saves it, Then it is stored and the lease is still held
    store.save_progress(
        KEY,
        "lease-a",
        {
            "slack_ts": {"#team": "1714557600.000100"},
            "sms_notified": {f"{fp}@primary": str(g.members[fp].starts_at_ms)},
        },
    )
    saved = store.get_group(KEY)
    assert saved is not None
    assert saved.slack.ts == {"#team": "1714557600.000100"}
    assert saved.sms_notified == {f"{fp}@primary": str(g.members[fp].starts_at_ms)}
    assert (saved.lease.id, saved.lease.until_ms) == ("lease-a", NOW + LEASE_MS)
    with pytest.raises(LeaseHeldError):
        store.claim(KEY, "lease-b", NOW + 1, LEASE_MS)


def test_release_writes_the_outcome_drops_the_lease_and_clears_a_due_flush(store: WholeStore) -> None:
    g = upsert(store, alert())
    fp = next(iter(g.members))
    store.mark_flush_scheduled(KEY, NOW + 30_000)
    store.claim(KEY, "lease-a", NOW + 30_000, LEASE_MS)
    # When the holder releases with a wrong lease id, Then it is refused and nothing changes
    with pytest.raises(LeaseHeldError):
        store.release(KEY, "lease-x", {"notified_version": 1}, NOW + 30_000)
    assert store.get_group(KEY).lease.id == "lease-a"  # type: ignore[union-attr]
    # When released by the holder after flushing everything due up to now
    store.release(
        KEY,
        "lease-a",
        {
            "notified_version": 1,
            "last_notified_ms": NOW + 30_000,
            "notified": {fp: {"status": "firing", "count": 1, "thread_ms": NOW + 30_000}},
        },
        clear_flush_until_ms=NOW + 30_000,
    )
    # Then the outcome is stored, the lease and the flush mark are gone, and nothing is pending
    done = store.get_group(KEY)
    assert done is not None
    assert (done.lease.id, done.lease.until_ms, done.flush_at_ms) == ("", 0, 0)
    assert done.notified == {fp: Notified(status="firing", count=1, thread_ms=NOW + 30_000)}
    assert done.notified_version == 1 and done.last_notified_ms == NOW + 30_000 and not done.pending
    # and the next worker can claim at once
    assert store.claim(KEY, "lease-b", NOW + 30_001, LEASE_MS).lease.id == "lease-b"


@pytest.mark.parametrize("clear_until", [0, NOW + 59_999])
def test_release_keeps_a_flush_that_is_due_later(store: WholeStore, clear_until: int) -> None:
    upsert(store, alert())
    store.mark_flush_scheduled(KEY, NOW + 60_000)
    store.claim(KEY, "lease-a", NOW, LEASE_MS)
    store.release(KEY, "lease-a", {}, clear_until)
    kept = store.get_group(KEY)
    assert kept is not None and kept.flush_at_ms == NOW + 60_000 and kept.lease.id == ""


def test_a_change_racing_the_release_keeps_the_group_pending_and_alive(
    dynamodb_stack: tuple[Any, str],
) -> None:
    client, table = dynamodb_stack
    store = DynamoDBStore(table, client)
    upsert(store, alert(minute=0))
    claimed = store.claim(KEY, "lease-1", NOW, 60_000)
    upsert(store, alert(minute=1))  # lands during the flush of version 1
    after = store.release(
        KEY,
        "lease-1",
        {"notified_version": claimed.version},
        NOW,
        expires=True,
        claimed_version=claimed.version,
    )
    item = client.get_item(TableName=table, Key={"pk": {"S": f"GROUP#{KEY}"}, "sk": {"S": "GROUP"}})["Item"]
    assert after.pending and "expires_at" not in item and int(item["pending_since_ms"]["N"]) > 0


def test_prune_members_removes_all_or_none_and_only_under_the_lease(store: WholeStore) -> None:
    upsert(store, alert(name="A"))
    upsert(store, alert(name="B"))
    a, b = (store.apply_alert(alert(name=n), NOW).state for n in "AB")
    ts = {fp: m.ts_ms for fp, m in store.get_group(KEY).members.items()}  # type: ignore[union-attr]
    store.claim(KEY, "lease-a", NOW, LEASE_MS)
    sms = {f"{a.fingerprint}@primary": "1", f"{b.fingerprint}@primary": "2"}  # (recipient "primary")
    store.save_progress(KEY, "lease-a", {"sms_notified": sms})
    # Without the lease, or with a member changed since it was read, Then nothing is removed
    assert not store.prune_members(KEY, "lease-x", {a.fingerprint: ts[a.fingerprint]}, [])
    assert not store.prune_members(KEY, "lease-a", {a.fingerprint: ts[a.fingerprint], b.fingerprint: 1}, [])
    kept = store.get_group(KEY)
    assert kept is not None and set(kept.members) == {a.fingerprint, b.fingerprint}
    assert kept.sms_notified == sms
    # When the holder prunes a member as read, with its SMS key, Then both go and the rest stays
    assert store.prune_members(
        KEY, "lease-a", {a.fingerprint: ts[a.fingerprint]}, [f"{a.fingerprint}@primary"]
    )
    pruned = store.get_group(KEY)
    assert pruned is not None and set(pruned.members) == {b.fingerprint}
    assert pruned.sms_notified == {f"{b.fingerprint}@primary": "2"} and pruned.lease.id == "lease-a"

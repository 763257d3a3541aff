"""GroupView and GroupStore: a group as stored, its members, and when its next flush is due."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from alertrouter.models.state import Clicks, Member
from alertrouter.store.dynamodb import DynamoDBStore
from support.store_items import KEY, NOW, WholeStore, alert, upsert

pytestmark = pytest.mark.integration

LEASE_MS = 30_000


def test_clicks_are_read_as_stored_without_the_rest_of_the_group(store: WholeStore) -> None:
    # Given a group nobody clicked on yet
    upsert(store, alert())
    assert store.get_clicks(KEY) == Clicks(ack_by="", ack_ms=0, resolved_by="", resolved_ms=0)
    # When someone acknowledges and someone resolves by hand
    store.acknowledge(KEY, "U0ACK", NOW + 1, ack=True)
    store.resolve_by_hand(KEY, "U0RES", NOW + 2, episode=1)
    # Then the clicks read back are exactly what the full group holds
    group = store.get_group(KEY)
    assert group is not None
    assert store.get_clicks(KEY) == Clicks(
        ack_by="U0ACK", ack_ms=NOW + 1, resolved_by="U0RES", resolved_ms=NOW + 2
    )
    assert store.get_clicks(KEY) == group.clicks


def test_upsert_member_bumps_the_version_only_when_the_member_is_newer(store: WholeStore) -> None:
    # Given a new group with one member
    first = upsert(store, alert(minute=0))
    fp = alert().fingerprint
    assert (first.key, first.route_id, first.receiver, first.created_ms) == (KEY, "route0", "team", NOW)
    assert first.group_labels == {"alertname": "ServerCpuTooHigh"}
    assert first.version == 1 and list(first.members) == [fp] and first.pending
    # When the same member comes again, Then the version stays
    assert upsert(store, alert(minute=0), NOW + 1).version == 1
    # When a newer state of it comes, Then it replaces the member and the version goes up
    newer = upsert(store, alert(minute=1), NOW + 2)
    assert newer.version == 2 and newer.members[fp].count == 2
    # When an older member is offered directly, Then it is refused
    old = Member.of(store.apply_alert(alert(minute=0), NOW).state)
    kept = store.upsert_member(KEY, "route0", "team", {}, fp, old, NOW + 3)
    assert kept.version == 2 and kept.members[fp].ts_ms == alert(minute=1).timestamp_ms
    # When another alert joins, Then both are members
    both = upsert(store, alert(name="DiskFull"), NOW + 4)
    stored = store.get_group(KEY)
    assert both.version == 3 and stored is not None and stored.version == 3
    assert set(stored.members) == {fp, alert(name="DiskFull").fingerprint}
    # (upsert_member hands back the group's own fields and the member it was given, not all the members)
    assert list(both.members) == [alert(name="DiskFull").fingerprint]


def test_a_group_handed_out_does_not_change_when_the_store_changes_later(store: WholeStore) -> None:
    # Given a caller holding the group as upsert_member and get_group returned it
    held = upsert(store, alert(minute=0))
    got = store.get_group(KEY)
    assert got is not None
    before_held, before_got = held.model_dump(), got.model_dump()
    # When the store changes in every way it can
    upsert(store, alert(minute=1))
    upsert(store, alert(name="DiskFull"))
    store.mark_flush_scheduled(KEY, NOW + 30_000)
    store.claim(KEY, "lease-a", NOW, LEASE_MS)
    store.save_progress(KEY, "lease-a", {"slack_ts": {"#team": "1714557600.000100"}})
    store.release(KEY, "lease-a", {"notified_version": 3, "last_notified_ms": NOW}, NOW + 60_000)
    # Then what the caller holds is unchanged
    assert held.model_dump() == before_held
    assert got.model_dump() == before_got
    assert store.get_group(KEY).model_dump() != before_got  # type: ignore[union-attr]


def test_changing_what_the_store_handed_out_does_not_change_the_store(store: WholeStore) -> None:
    upsert(store, alert(minute=0))
    fp = alert().fingerprint
    # When a caller edits what it was given, in place
    group = store.get_group(KEY)
    assert group is not None
    group.slack.ts["#team"] = "1714557600.000100"
    group.members.pop(fp)
    state = store.get_alert(fp)
    assert state is not None
    # (alert states and members are immutable: an edit is refused outright)
    with pytest.raises(ValidationError):
        state.count = 99  # type: ignore[misc]
    with pytest.raises(ValidationError):
        store.get_group(KEY).members[fp].count = 99  # type: ignore[union-attr,misc]
    # Then the stored group and alert are as they were
    stored = store.get_group(KEY)
    assert stored is not None and stored.slack.ts == {} and stored.members[fp].count == 1
    assert store.get_alert(fp).count == 1  # type: ignore[union-attr]


def test_mark_flush_scheduled_keeps_the_earliest_due(store: WholeStore) -> None:
    upsert(store, alert())
    # Given a flush marked for +60 s
    assert store.mark_flush_scheduled(KEY, NOW + 60_000) is True
    # When a later or equal one is offered, Then it is refused and the earlier one stays
    assert store.mark_flush_scheduled(KEY, NOW + 90_000) is False
    assert store.mark_flush_scheduled(KEY, NOW + 60_000) is False
    assert store.get_group(KEY).flush_at_ms == NOW + 60_000  # type: ignore[union-attr]
    # When an earlier one is offered, Then it replaces it
    assert store.mark_flush_scheduled(KEY, NOW + 30_000) is True
    assert store.get_group(KEY).flush_at_ms == NOW + 30_000  # type: ignore[union-attr]


def test_a_full_group_refuses_new_members_and_a_resolved_ones_place_can_be_taken_once(
    store: WholeStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alertrouter.store.dynamodb import groups
    from support import memory_store

    monkeypatch.setattr(groups, "MAX_GROUP_MEMBERS", 3)
    monkeypatch.setattr(memory_store, "MAX_GROUP_MEMBERS", 3)
    for name in ("A", "B", "C"):
        upsert(store, alert(name=name))
    full = upsert(store, alert(name="D"))
    fp = {name: store.apply_alert(alert(name=name), NOW).state.fingerprint for name in "ABCD"}
    assert fp["D"] not in full.members  # refused: the group is full
    assert len(store.get_group(KEY).members) == 3  # type: ignore[union-attr]
    resolved = upsert(store, alert(name="A", state="OK", minute=5))
    assert resolved.members[fp["A"]].status == "resolved"
    group = store.get_group(KEY)
    assert group is not None and group.version == resolved.version
    d = Member.of(store.apply_alert(alert(name="D"), NOW).state)
    replaced = store.replace_member(group, fp["A"], fp["D"], d, NOW)
    assert replaced is not None and set(replaced.members) == {fp["B"], fp["C"], fp["D"]}
    assert replaced.version == group.version + 1
    assert store.replace_member(group, fp["A"], fp["D"], d, NOW) is None  # its place is taken: not twice
    assert store.replace_member(replaced, fp["B"], "e" * 16, d, NOW) is None  # B fires: not replaceable
    counted = store.count_overflow(replaced, "Out of memory", NOW)
    counted = store.count_overflow(counted, "Out of memory", NOW)
    stored = store.get_group(KEY)
    assert stored is not None and stored.overflow == counted.overflow == {"Out of memory": 2}
    assert stored.version == counted.version == replaced.version + 2


def test_two_workers_creating_the_same_group_keep_both_members(dynamodb_stack: tuple[Any, str]) -> None:
    client, table = dynamodb_stack
    store = DynamoDBStore(table, client)
    other = DynamoDBStore(table, client)
    disk = other.apply_alert(alert(name="DiskFull"), NOW).state
    # Given the group does not exist yet, and another worker creates it just before this one does
    real_update = client.update_item
    raced = False

    def update_after_the_other(**kwargs: Any) -> Any:
        nonlocal raced
        if kwargs["Key"]["sk"]["S"] == "GROUP" and not raced:
            raced = True
            other.upsert_member(KEY, "route0", "team", {}, disk.fingerprint, Member.of(disk), NOW)
        return real_update(**kwargs)

    client.update_item = update_after_the_other  # type: ignore[method-assign]
    try:
        group = upsert(store, alert())
    finally:
        del client.update_item
    # Then both creates are one: one group, both members, two versions
    assert raced and group.version == 2
    stored = store.get_group(KEY)
    assert stored is not None and set(stored.members) == {alert().fingerprint, disk.fingerprint}
    assert stored.version == 2 and stored.created_ms == NOW


def test_episode_of_a_group_as_stored_and_of_an_unknown_one(store: WholeStore) -> None:
    assert store.episode_of(KEY) is None
    upsert(store, alert())
    assert store.episode_of(KEY) == 1
    store.claim(KEY, "lease-a", NOW, LEASE_MS)
    store.release(KEY, "lease-a", {"episode": 2}, NOW)
    assert store.episode_of(KEY) == 2 == store.get_group(KEY).episode  # type: ignore[union-attr]


def test_a_group_written_by_the_single_item_layout_keeps_working_and_moves_at_its_first_flush(
    dynamodb_stack: tuple[Any, str],
) -> None:
    """Upgrading in place: a group item as the single-item layout wrote it (members and their records inside
    it) is read as it is, takes new members, and its first flush moves it to header and member items."""
    from alertrouter.store.dynamodb.codec import encode_item, group_key
    from alertrouter.store.group_item import group_item

    client, table = dynamodb_stack
    store = DynamoDBStore(table, client)
    a = store.apply_alert(alert(name="A"), NOW).state
    b = store.apply_alert(alert(name="B", state="OK"), NOW).state
    # Given a group item as the earlier layout wrote it: both members inside, A announced and paged
    old = store.get_group(KEY)
    assert old is None
    legacy = group_item(upsert(store, alert(name="Z"), key="scratch"))  # every field, in their stored names
    legacy.update(
        key=KEY,
        members={a.fingerprint: Member.of(a).model_dump(), b.fingerprint: Member.of(b).model_dump()},
        notified={a.fingerprint: {"status": "firing", "count": 1, "thread_ms": NOW}},
        sms_notified={f"{a.fingerprint}@primary": str(a.starts_at_ms)},
        muted={b.fingerprint: "inhibited"},
        version=2,
        notified_version=2,
        route_fp="",
    )
    client.put_item(TableName=table, Item={**group_key(KEY), **encode_item(legacy)})
    read = store.get_group(KEY)
    assert read is not None and set(read.members) == {a.fingerprint, b.fingerprint}
    assert set(read.notified) == {a.fingerprint} and read.muting.reasons == {b.fingerprint: "inhibited"}
    # When a new alert joins (a member item of the new layout beside the old maps)
    c = store.apply_alert(alert(name="C"), NOW).state
    joined = store.upsert_member(KEY, "route0", "team", {}, c.fingerprint, Member.of(c), NOW + 1)
    assert joined.version == 3 and joined.pending
    both = store.get_group(KEY)
    assert both is not None and set(both.members) == {a.fingerprint, b.fingerprint, c.fingerprint}
    # When its first flush claims it, Then it reads the same, and the header no longer holds the maps
    claimed = store.claim(KEY, "lease-a", NOW + 2, LEASE_MS)
    assert set(claimed.members) == set(both.members) and claimed.notified == both.notified
    assert claimed.sms_notified == {f"{a.fingerprint}@primary": str(a.starts_at_ms)}
    header = client.get_item(TableName=table, Key=group_key(KEY))["Item"]
    assert not {"members", "notified", "sms_notified", "muted", "flapping", "channel_notified"} & set(header)
    assert header["member_count"] == {"N": "3"} and header["resolved_count"] == {"N": "1"}
    store.release(KEY, "lease-a", {"notified_version": 3}, NOW + 2)
    moved = store.get_group(KEY)
    assert moved is not None and moved.members == both.members and moved.notified == both.notified
    assert moved.sms_notified == both.sms_notified and moved.muting.reasons == both.muting.reasons

"""The state store contract, run against both stores (MemoryStore and DynamoDBStore on a moto table made
from template.yaml): repeated, reordered and concurrent deliveries converge on the newest event."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError
from support.local_aws import deploy, load_template
from support.memory_store import MemoryStore
from support.store_items import KEY, NOW, alert, upsert

from alertrouter.models.state import Member, Notified
from alertrouter.store.base import LeaseHeldError, StateStore
from alertrouter.store.dynamodb import DynamoDBStore

pytestmark = pytest.mark.integration

LEASE_MS = 30_000


@pytest.fixture
def dynamodb_stack(aws: Any) -> tuple[Any, str]:
    stack = deploy(aws)
    return aws.client("dynamodb"), stack.table_name


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[StateStore]:
    if request.param == "memory":
        yield MemoryStore()
    else:
        client, table = request.getfixturevalue("dynamodb_stack")
        yield DynamoDBStore(table, client)


# ---- alerts ----


def test_first_event_is_applied_as_a_new_episode(store: StateStore) -> None:
    # Given nothing stored, When the first ALARM arrives
    a = alert(minute=0)
    result = store.apply_alert(a, NOW)
    # Then it is applied and stored as the start of an episode
    assert result.applied
    s = result.state
    assert (s.fingerprint, s.status, s.severity, s.title) == (
        a.fingerprint,
        "firing",
        "warning",
        "ServerCpuTooHigh",
    )
    assert s.ts_ms == s.starts_at_ms == a.timestamp_ms and s.count == 1 and s.updated_ms == NOW
    assert s.labels == a.labels and s.annotations == a.annotations
    assert store.get_alert(a.fingerprint) == s


def test_same_or_older_event_is_not_applied(store: StateStore) -> None:
    # Given the ALARM of 10:05 is stored
    store.apply_alert(alert(minute=5), NOW)
    # When it is delivered again, Then nothing changes
    again = store.apply_alert(alert(minute=5), NOW + 1000)
    assert not again.applied and again.state.count == 1 and again.state.updated_ms == NOW
    # When an older OK (10:00) arrives late, Then it does not resolve the newer ALARM
    late = store.apply_alert(alert("OK", minute=0), NOW + 2000)
    assert not late.applied and late.state.status == "firing"
    stored = store.get_alert(late.state.fingerprint)
    assert stored is not None and stored.status == "firing" and stored.ts_ms == alert(minute=5).timestamp_ms


def test_counts_repeats_within_an_episode_and_restarts_after_a_resolve(store: StateStore) -> None:
    start = alert(minute=0).timestamp_ms
    # Given an alarm that fires, then repeats twice
    assert store.apply_alert(alert(minute=0), NOW).state.count == 1
    assert store.apply_alert(alert(minute=1), NOW).state.count == 2
    repeated = store.apply_alert(alert(minute=2), NOW)
    assert repeated.applied and repeated.state.count == 3 and repeated.state.starts_at_ms == start
    # When it resolves, Then the episode keeps its start and its tally
    resolved = store.apply_alert(alert("OK", minute=3), NOW).state
    assert (resolved.status, resolved.count, resolved.starts_at_ms) == ("resolved", 3, start)
    # When it fires again later, Then a new episode starts: count 1 from the new time
    again = store.apply_alert(alert(minute=10), NOW).state
    assert (again.status, again.count, again.starts_at_ms) == ("firing", 1, alert(minute=10).timestamp_ms)
    # and missing data within that episode keeps its start and count
    nodata = store.apply_alert(alert("INSUFFICIENT_DATA", minute=11), NOW).state
    assert (nodata.status, nodata.count, nodata.starts_at_ms) == ("nodata", 1, again.starts_at_ms)
    assert store.get_alert(again.fingerprint) == nodata


def test_unknown_alert_and_group_are_none(store: StateStore) -> None:
    assert store.get_alert("0000000000000000") is None
    assert store.get_group("route0/none") is None
    assert store.get_clicks("route0/none") is None


def test_clicks_are_read_as_stored_without_the_rest_of_the_group(store: StateStore) -> None:
    # Given a group nobody clicked on yet
    upsert(store, alert())
    assert store.get_clicks(KEY) == {"ack_by": "", "ack_ms": 0, "resolved_by": "", "resolved_ms": 0}
    # When someone acknowledges and someone resolves by hand
    store.acknowledge(KEY, "U0ACK", NOW + 1, ack=True)
    store.resolve_by_hand(KEY, "U0RES", NOW + 2, episode=1)
    # Then the clicks read back are exactly what the full group holds
    group = store.get_group(KEY)
    assert group is not None
    assert store.get_clicks(KEY) == {
        "ack_by": "U0ACK",
        "ack_ms": NOW + 1,
        "resolved_by": "U0RES",
        "resolved_ms": NOW + 2,
    }
    assert store.get_clicks(KEY) == {
        name: getattr(group, name) for name in ("ack_by", "ack_ms", "resolved_by", "resolved_ms")
    }


# ---- groups ----


def test_upsert_member_bumps_the_version_only_when_the_member_is_newer(store: StateStore) -> None:
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
    assert both.version == 3 and set(both.members) == {fp, alert(name="DiskFull").fingerprint}
    assert store.get_group(KEY) == both


def test_a_group_handed_out_does_not_change_when_the_store_changes_later(store: StateStore) -> None:
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


def test_changing_what_the_store_handed_out_does_not_change_the_store(store: StateStore) -> None:
    upsert(store, alert(minute=0))
    fp = alert().fingerprint
    # When a caller edits what it was given, in place
    group = store.get_group(KEY)
    assert group is not None
    group.slack_ts["#team"] = "1714557600.000100"
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
    assert stored is not None and stored.slack_ts == {} and stored.members[fp].count == 1
    assert store.get_alert(fp).count == 1  # type: ignore[union-attr]


def test_mark_flush_scheduled_keeps_the_earliest_due(store: StateStore) -> None:
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


# ---- the flush lease ----


def test_claim_is_exclusive_until_the_lease_expires(store: StateStore) -> None:
    upsert(store, alert())
    # Given worker A holds the lease from NOW for 30 s
    claimed = store.claim(KEY, "lease-a", NOW, LEASE_MS)
    assert (claimed.lease_id, claimed.lease_until_ms) == ("lease-a", NOW + LEASE_MS)
    assert claimed.members and claimed.version == 1  # the group comes with the lease
    # When worker B tries while it is live (up to its last millisecond), Then B is refused
    for now in (NOW, NOW + 1, NOW + LEASE_MS - 1):
        with pytest.raises(LeaseHeldError):
            store.claim(KEY, "lease-b", now, LEASE_MS)
    # When the lease has run out, Then B takes it over
    taken = store.claim(KEY, "lease-b", NOW + LEASE_MS, LEASE_MS)
    assert (taken.lease_id, taken.lease_until_ms) == ("lease-b", NOW + 2 * LEASE_MS)
    # and A, come back late, can neither record progress nor release B's lease
    with pytest.raises(LeaseHeldError):
        store.save_progress(KEY, "lease-a", {"slack_ts": {"#team": "1.000001"}})
    with pytest.raises(LeaseHeldError):
        store.release(KEY, "lease-a", {"notified_version": 1}, NOW)
    after = store.get_group(KEY)
    assert after is not None
    assert (after.lease_id, after.slack_ts, after.notified_version) == ("lease-b", {}, 0)


def test_save_progress_needs_the_lease_and_keeps_it(store: StateStore) -> None:
    g = upsert(store, alert())
    fp = next(iter(g.members))
    store.claim(KEY, "lease-a", NOW, LEASE_MS)
    # When someone without the lease saves progress, Then it is refused and nothing is written
    with pytest.raises(LeaseHeldError):
        store.save_progress(KEY, "lease-x", {"slack_ts": {"#team": "1.000001"}})
    assert store.get_group(KEY).slack_ts == {}  # type: ignore[union-attr]
    # When the holder saves it, Then it is stored and the lease is still held
    store.save_progress(
        KEY,
        "lease-a",
        {"slack_ts": {"#team": "1714557600.000100"}, "sms_notified": {fp: str(g.members[fp].starts_at_ms)}},
    )
    saved = store.get_group(KEY)
    assert saved is not None
    assert saved.slack_ts == {"#team": "1714557600.000100"}
    assert saved.sms_notified == {fp: str(g.members[fp].starts_at_ms)}
    assert (saved.lease_id, saved.lease_until_ms) == ("lease-a", NOW + LEASE_MS)
    with pytest.raises(LeaseHeldError):
        store.claim(KEY, "lease-b", NOW + 1, LEASE_MS)


def test_release_writes_the_outcome_drops_the_lease_and_clears_a_due_flush(store: StateStore) -> None:
    g = upsert(store, alert())
    fp = next(iter(g.members))
    store.mark_flush_scheduled(KEY, NOW + 30_000)
    store.claim(KEY, "lease-a", NOW + 30_000, LEASE_MS)
    # When the holder releases with a wrong lease id, Then it is refused and nothing changes
    with pytest.raises(LeaseHeldError):
        store.release(KEY, "lease-x", {"notified_version": 1}, NOW + 30_000)
    assert store.get_group(KEY).lease_id == "lease-a"  # type: ignore[union-attr]
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
    assert (done.lease_id, done.lease_until_ms, done.flush_at_ms) == ("", 0, 0)
    assert done.notified == {fp: Notified(status="firing", count=1, thread_ms=NOW + 30_000)}
    assert done.notified_version == 1 and done.last_notified_ms == NOW + 30_000 and not done.pending
    # and the next worker can claim at once
    assert store.claim(KEY, "lease-b", NOW + 30_001, LEASE_MS).lease_id == "lease-b"


@pytest.mark.parametrize("clear_until", [0, NOW + 59_999])
def test_release_keeps_a_flush_that_is_due_later(store: StateStore, clear_until: int) -> None:
    upsert(store, alert())
    store.mark_flush_scheduled(KEY, NOW + 60_000)
    store.claim(KEY, "lease-a", NOW, LEASE_MS)
    store.release(KEY, "lease-a", {}, clear_until)
    kept = store.get_group(KEY)
    assert kept is not None and kept.flush_at_ms == NOW + 60_000 and kept.lease_id == ""


# ---- DynamoDB only ----


def _ttl_attribute() -> str:
    return str(
        load_template()["Resources"]["StateTable"]["Properties"]["TimeToLiveSpecification"]["AttributeName"]
    )


def test_items_carry_the_templates_ttl_attribute_in_the_future(dynamodb_stack: tuple[Any, str]) -> None:
    client, table = dynamodb_stack
    store = DynamoDBStore(table, client)
    ttl = _ttl_attribute()
    assert client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]["AttributeName"] == ttl
    # When an alert and its group are written
    upsert(store, alert())
    now_s = time.time()

    # Then the alert's state expires in the future, in epoch seconds (DynamoDB ignores a TTL in ms)
    def expiry(pk: str, sk: str) -> int | None:
        item = client.get_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}})["Item"]
        return int(item[ttl]["N"]) if ttl in item else None

    alert_expiry = expiry(f"ALERT#{alert().fingerprint}", "STATE")
    assert alert_expiry is not None and now_s + 7 * 86400 < alert_expiry < now_s + 366 * 86400
    # while a pending or firing group never expires: a long alarm must still find its message when it ends
    assert expiry(f"GROUP#{KEY}", "GROUP") is None
    store.claim(KEY, "lease-1", NOW, 60_000)
    store.release(KEY, "lease-1", {"notified_version": 1}, NOW, expires=False, claimed_version=1)
    assert expiry(f"GROUP#{KEY}", "GROUP") is None
    # a failed flush (no claimed version) starts nothing either
    store.claim(KEY, "lease-2", NOW, 60_000)
    store.release(KEY, "lease-2", {}, 0, expires=True)
    assert expiry(f"GROUP#{KEY}", "GROUP") is None
    # only a flush that leaves it resolved and announced, with no newer change, starts its expiry
    store.claim(KEY, "lease-3", NOW, 60_000)
    store.release(KEY, "lease-3", {"notified_version": 1}, NOW, expires=True, claimed_version=1)
    group_expiry = expiry(f"GROUP#{KEY}", "GROUP")
    assert group_expiry is not None and now_s + 7 * 86400 < group_expiry < now_s + 366 * 86400
    # and a new change stops it again
    upsert(store, alert(minute=1))
    assert expiry(f"GROUP#{KEY}", "GROUP") is None


def test_store_calls_only_what_the_router_role_may_do(dynamodb_stack: tuple[Any, str]) -> None:
    client, table = dynamodb_stack
    called: set[str] = set()
    client.meta.events.register(
        "before-call.dynamodb", lambda **kw: called.add(f"dynamodb:{kw['model'].name}")
    )
    store = DynamoDBStore(table, client)
    # When the store goes through everything the router asks of it
    upsert(store, alert())
    upsert(store, alert(minute=1))
    store.apply_alert(alert(minute=0), NOW)
    store.get_alert(alert().fingerprint)
    store.mark_flush_scheduled(KEY, NOW)
    store.claim(KEY, "lease-a", NOW, LEASE_MS)
    store.save_progress(KEY, "lease-a", {"slack_ts": {"#team": "1.000001"}})
    store.release(KEY, "lease-a", {"notified_version": 2}, NOW)
    store.claim(KEY, "lease-b", NOW, LEASE_MS)
    with pytest.raises(LeaseHeldError):
        store.claim(KEY, "lease-c", NOW, LEASE_MS)
    # Then every DynamoDB action it used is granted to the router function in template.yaml
    statements = load_template()["Resources"]["RouterFunction"]["Properties"]["Policies"][0]["Statement"]
    [table_statement] = [s for s in statements if s.get("Sid") == "StateTable"]
    assert table_statement["Resource"] == {"GetAtt": "StateTable.Arn"}
    assert called and called <= set(table_statement["Action"])


def test_concurrent_newer_event_wins_over_a_stale_read(dynamodb_stack: tuple[Any, str]) -> None:
    client, table = dynamodb_stack
    slow, fast = DynamoDBStore(table, client), DynamoDBStore(table, client)
    slow.apply_alert(alert(minute=0), NOW)
    # Given worker "slow" has read the 10:00 state when worker "fast" stores the OK of 10:05
    real_get = slow.get_alert
    reads = 0

    def get_then_race(fingerprint: str) -> Any:
        nonlocal reads
        reads += 1
        got = real_get(fingerprint)
        if reads == 1:
            assert fast.apply_alert(alert("OK", minute=5), NOW).applied
        return got

    slow.get_alert = get_then_race  # type: ignore[method-assign]
    # When "slow" now applies the ALARM of 10:02, computed from its stale read
    result = slow.apply_alert(alert(minute=2), NOW)
    # Then its conditional write fails, it reads again, and the newer OK stands
    assert reads == 2 and not result.applied
    stored = fast.get_alert(alert().fingerprint)
    assert stored is not None and stored.status == "resolved" and stored.ts_ms == alert(minute=5).timestamp_ms


def test_two_workers_creating_the_same_group_keep_both_members(dynamodb_stack: tuple[Any, str]) -> None:
    client, table = dynamodb_stack
    store = DynamoDBStore(table, client)
    other = DynamoDBStore(table, client)
    disk = other.apply_alert(alert(name="DiskFull"), NOW).state
    # Given the group does not exist yet, and another worker creates it just before this one does
    real_put = client.put_item
    raced = False

    def put_after_the_other(**kwargs: Any) -> Any:
        nonlocal raced
        if kwargs["Item"]["pk"]["S"].startswith("GROUP#") and not raced:
            raced = True
            other.upsert_member(KEY, "route0", "team", {}, disk.fingerprint, Member.of(disk), NOW)
        return real_put(**kwargs)

    client.put_item = put_after_the_other  # type: ignore[method-assign]
    try:
        group = upsert(store, alert())
    finally:
        del client.put_item
    # Then the losing create is turned into an update: one group, both members, two versions
    assert raced
    assert set(group.members) == {alert().fingerprint, disk.fingerprint} and group.version == 2
    assert store.get_group(KEY) == group


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


def test_a_full_group_refuses_new_members_and_a_resolved_ones_place_can_be_taken_once(
    store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from support import memory_store

    from alertrouter.store.dynamodb import groups

    monkeypatch.setattr(groups, "MAX_GROUP_MEMBERS", 3)
    monkeypatch.setattr(memory_store, "MAX_GROUP_MEMBERS", 3)
    for name in ("A", "B", "C"):
        upsert(store, alert(name=name))
    full = upsert(store, alert(name="D"))
    fp = {name: store.apply_alert(alert(name=name), NOW).state.fingerprint for name in "ABCD"}
    assert fp["D"] not in full.members and len(full.members) == 3  # refused: the group is full
    group = upsert(store, alert(name="A", state="OK", minute=5))
    assert group.members[fp["A"]].status == "resolved"
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

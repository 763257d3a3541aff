"""The newer parts of the state store contract (silences, hand resolution, inhibition sources, batch reads,
escalations, SMS pacing), run against both stores: MemoryStore and DynamoDBStore on a moto table made from
template.yaml. The two must behave the same."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from support.local_aws import deploy
from support.memory_store import MemoryStore
from support.store_items import alert, upsert  # the same helpers, the same reference event

from alertrouter.models.silence import MAX_SILENCE_MS, Silence
from alertrouter.models.state import EscalationState, Member
from alertrouter.store.base import StateStore
from alertrouter.store.dynamodb import DynamoDBStore

pytestmark = pytest.mark.integration

NOW = 1_714_557_600_000
HOUR = 3_600_000
KEY = "route0/abc123"
OTHER = "route0/def456"
_stacks = itertools.count()


@pytest.fixture(scope="module")
def moto_session() -> Iterator[Any]:
    """One moto for the module (making a client per test is most of a test's time); each test deploys its
    own stack (a fresh table from template.yaml) under its own prefix."""
    with pytest.MonkeyPatch.context() as mp:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            mp.setenv(name, value)
        mp.delenv("AWS_ENDPOINT_URL", raising=False)
        with mock_aws():
            yield boto3.session.Session(region_name="us-east-1")


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[StateStore]:
    if request.param == "memory":
        yield MemoryStore()
    else:
        session: Any = request.getfixturevalue("moto_session")
        stack = deploy(session, prefix=f"t{next(_stacks)}")
        yield DynamoDBStore(stack.table_name, session.client("dynamodb"))


def silence(matchers: list[str], start: int = NOW, hours: int = 1, **kw: Any) -> Silence:
    return Silence(
        matchers=matchers,
        starts_at_ms=start,
        ends_at_ms=start + hours * HOUR,
        created_by=kw.pop("created_by", "alice"),
        **kw,
    )


# ---- silences ----


def test_silences_round_trip_sorted_by_start(store: StateStore) -> None:
    # Given three silences put out of start order, with every kind of matcher
    late = silence(['alertname="DiskFull"', 'env!="dev"'], start=NOW + 2 * HOUR, comment="disk swap")
    early = silence(
        ['instance=~"i-0(abc|def).*"', 'region!~"eu-.*|ap-.*"'], start=NOW - HOUR, hours=3, created_by="bob"
    )
    middle = silence(
        ['alertname="ServerCpuTooHigh"'], start=NOW, group=KEY, episode=2, comment="until resolved"
    )
    for s in (late, early, middle):
        store.put_silence(s)
    # Then they come back whole, by start time
    listed = store.silences()
    assert [s.id for s in listed] == [early.id, middle.id, late.id]
    assert listed == [early, middle, late]
    assert [s.model_dump() for s in listed] == [early.model_dump(), middle.model_dump(), late.model_dump()]
    # and the regex matchers still match as before (anchored, alternation kept)
    got_early = listed[0]
    assert [str(m) for m in got_early.matchers] == ['instance=~"i-0(abc|def).*"', 'region!~"eu-.*|ap-.*"']
    assert got_early.matches("fp", {"instance": "i-0abc123", "region": "us-east-1"})
    assert not got_early.matches("fp", {"instance": "i-0abc123", "region": "eu-west-1"})
    assert not got_early.matches("fp", {"instance": "x-i-0abc", "region": "us-east-1"})
    assert (listed[1].group, listed[1].episode, listed[2].comment) == (KEY, 2, "disk swap")
    assert [s.active(NOW) for s in listed] == [True, True, False]


def test_putting_a_silence_again_replaces_it(store: StateStore) -> None:
    first = silence(['alertname="DiskFull"'])
    store.put_silence(first)
    changed = first.model_copy(update={"comment": "longer", "ends_at_ms": NOW + 2 * HOUR})
    store.put_silence(changed)
    assert store.silences() == [changed]


def test_no_silences(store: StateStore) -> None:
    assert store.silences() == []


def test_expire_ends_an_active_silence_once(store: StateStore) -> None:
    kept = silence(['alertname="DiskFull"'], start=NOW - HOUR, hours=2)
    store.put_silence(kept)
    other = silence(['alertname="Other"'], start=NOW - HOUR, hours=2)
    store.put_silence(other)
    # When it is expired now
    ended = store.expire_silence(kept.id, NOW)
    # Then it ends now: no longer active, kept in the list, and the other one is untouched
    assert ended is not None
    assert (ended.id, ended.ends_at_ms, ended.starts_at_ms, ended.matchers) == (
        kept.id,
        NOW,
        kept.starts_at_ms,
        kept.matchers,
    )
    assert not ended.active(NOW) and not ended.active(NOW + HOUR)
    listed = {s.id: s for s in store.silences()}
    assert listed[kept.id] == ended
    assert not listed[kept.id].active(NOW)
    assert listed[other.id] == other and other.active(NOW)
    # When it is expired again, Then it is already over: None, and nothing changes
    assert store.expire_silence(kept.id, NOW + 1) is None
    assert {s.id: s for s in store.silences()}[kept.id] == ended


def test_expire_of_unknown_or_already_ended_silence_is_none(store: StateStore) -> None:
    assert store.expire_silence("nosuchsilence", NOW) is None
    # a silence that ended on its own (its end is now or past) is already over
    past = silence(['alertname="DiskFull"'], start=NOW - 2 * HOUR, hours=1)
    at_end = silence(['alertname="DiskFull"'], start=NOW - HOUR, hours=1)
    store.put_silence(past)
    store.put_silence(at_end)
    assert store.expire_silence(past.id, NOW) is None
    assert store.expire_silence(at_end.id, NOW) is None
    assert store.silences() == [past, at_end]
    assert "nosuchsilence" not in {s.id for s in store.silences()}


def test_expiring_a_pending_silence_keeps_the_silences_readable(store: StateStore) -> None:
    # Given a silence that starts in an hour (planned maintenance), and another active one
    pending = silence(['alertname="DiskFull"'], start=NOW + HOUR, hours=2)
    active = silence(['alertname="Other"'], start=NOW - HOUR, hours=2)
    store.put_silence(pending)
    store.put_silence(active)
    # When the maintenance is called off and the pending silence expired now
    ended = store.expire_silence(pending.id, NOW)
    assert ended is not None and ended.id == pending.id and not ended.active(NOW)
    # Then every silence can still be read, and what is kept is what expire returned
    listed = {s.id: s for s in store.silences()}
    assert set(listed) == {pending.id, active.id}
    assert listed[pending.id] == ended
    assert listed[active.id].active(NOW)


def test_an_expired_pending_silence_is_over(store: StateStore) -> None:
    pending = silence(['alertname="DiskFull"'], start=NOW + HOUR, hours=2)
    store.put_silence(pending)
    assert store.expire_silence(pending.id, NOW) is not None
    # "already over": a second expire finds nothing to end
    assert store.expire_silence(pending.id, NOW + 1) is None


# ---- resolve by hand ----


def test_resolve_by_hand_first_click_wins(store: StateStore) -> None:
    upsert(store, alert())
    # When alice resolves episode 1
    group, changed = store.resolve_by_hand(KEY, "U-alice", NOW + 1000, 1)
    assert changed and group is not None
    assert (group.key, group.resolved_by, group.resolved_ms, group.episode) == (KEY, "U-alice", NOW + 1000, 1)
    # When bob clicks too, Then alice's stays and bob is told it did not change
    again, changed = store.resolve_by_hand(KEY, "U-bob", NOW + 2000, 1)
    assert not changed and again is not None
    assert (again.resolved_by, again.resolved_ms) == ("U-alice", NOW + 1000)
    stored = store.get_group(KEY)
    assert stored is not None and (stored.resolved_by, stored.resolved_ms) == ("U-alice", NOW + 1000)
    # and the rest of the group is untouched
    assert stored.version == 1 and list(stored.members) == [alert().fingerprint]


def test_resolve_by_hand_of_another_episode_changes_nothing(store: StateStore) -> None:
    upsert(store, alert())
    # A click on a message of a later (not yet known) episode
    group, changed = store.resolve_by_hand(KEY, "U-alice", NOW, 2)
    assert not changed and group is not None and (group.resolved_by, group.resolved_ms) == ("", 0)
    # Given the group moves on to episode 2 (a flush records it)
    store.claim(KEY, "lease-a", NOW, 30_000)
    store.release(KEY, "lease-a", {"episode": 2}, NOW)
    # When someone clicks "resolve" on episode 1's message, Then nothing changes
    group, changed = store.resolve_by_hand(KEY, "U-alice", NOW + 1, 1)
    assert not changed and group is not None
    assert (group.episode, group.resolved_by, group.resolved_ms) == (2, "", 0)
    stored = store.get_group(KEY)
    assert stored is not None and (stored.resolved_by, stored.resolved_ms) == ("", 0)
    # and a click on episode 2's message does resolve it
    group, changed = store.resolve_by_hand(KEY, "U-bob", NOW + 2, 2)
    assert changed and group is not None and (group.resolved_by, group.resolved_ms) == ("U-bob", NOW + 2)


def test_resolve_by_hand_of_unknown_group(store: StateStore) -> None:
    assert store.resolve_by_hand("route0/none", "U-alice", NOW, 1) == (None, False)
    assert store.get_group("route0/none") is None


# ---- inhibition sources ----


def test_inhibit_sources_keep_only_the_newest_event_and_list_only_firing(store: StateStore) -> None:
    labels = {"alertname": "RegionDown", "region": "us-east-1"}
    assert store.inhibit_sources() == {}
    # Given a source firing at 10:00 and another firing at 10:01
    store.set_inhibit_source("fp-a", labels, NOW, True)
    store.set_inhibit_source("fp-b", {"alertname": "AzDown"}, NOW + 60_000, True)
    assert store.inhibit_sources() == {"fp-a": labels, "fp-b": {"alertname": "AzDown"}}
    # When fp-a resolves at 10:05, Then it is no longer a source
    store.set_inhibit_source("fp-a", labels, NOW + 300_000, False)
    assert store.inhibit_sources() == {"fp-b": {"alertname": "AzDown"}}
    # When its firing event of 10:02 arrives late, Then it does not come back
    store.set_inhibit_source("fp-a", {**labels, "late": "yes"}, NOW + 120_000, True)
    assert store.inhibit_sources() == {"fp-b": {"alertname": "AzDown"}}
    # nor does one of the very same time
    store.set_inhibit_source("fp-a", labels, NOW + 300_000, True)
    assert store.inhibit_sources() == {"fp-b": {"alertname": "AzDown"}}
    # When it fires again later, Then it is a source again, with its new labels
    store.set_inhibit_source("fp-a", {**labels, "again": "yes"}, NOW + 600_000, True)
    assert store.inhibit_sources() == {"fp-a": {**labels, "again": "yes"}, "fp-b": {"alertname": "AzDown"}}
    # and an older firing event does not change its labels either
    store.set_inhibit_source("fp-a", {"alertname": "Stale"}, NOW + 500_000, True)
    assert store.inhibit_sources()["fp-a"] == {**labels, "again": "yes"}


def test_a_resolve_seen_first_is_not_undone_by_an_older_firing(store: StateStore) -> None:
    # The resolve of 10:05 is delivered before the firing of 10:00 (never seen firing)
    store.set_inhibit_source("fp-a", {"alertname": "RegionDown"}, NOW + 300_000, False)
    store.set_inhibit_source("fp-a", {"alertname": "RegionDown"}, NOW, True)
    assert store.inhibit_sources() == {}


# ---- batch reads ----


def test_get_alerts_reads_more_than_a_batch_and_leaves_out_unknown(store: StateStore) -> None:
    # Given 150 stored alerts (more than BatchGetItem's 100 keys)
    states = {}
    for i in range(150):
        applied = store.apply_alert(alert(name=f"Alarm{i:03d}"), NOW)
        assert applied.applied
        states[applied.state.fingerprint] = applied.state
    assert len(states) == 150
    unknown = [f"{i:016x}" for i in range(5)]
    fps = list(states)
    # When they are read at once, unknown ones and repeats mixed in
    asked = unknown[:2] + fps + unknown[2:] + fps[:10]
    got = store.get_alerts(asked)
    # Then every known one comes back as stored, and the unknown ones are left out
    assert got == states
    assert got[fps[0]] == store.get_alert(fps[0])
    assert store.get_alerts(unknown) == {}
    assert store.get_alerts([]) == {}
    assert store.get_alerts(fps[140:]) == {fp: states[fp] for fp in fps[140:]}


def test_get_alerts_asks_again_for_keys_dynamodb_left_unprocessed(moto_session: Any) -> None:
    stack = deploy(moto_session, prefix=f"t{next(_stacks)}")
    client = moto_session.client("dynamodb")
    store = DynamoDBStore(stack.table_name, client)
    fps = [store.apply_alert(alert(name=f"Alarm{i:03d}"), NOW).state.fingerprint for i in range(120)]
    # Given DynamoDB processes only half of each request of 50 keys or more (as it may under throttling)
    real = client.batch_get_item
    asked: list[int] = []

    def half(**kwargs: Any) -> Any:
        [(table, request)] = kwargs["RequestItems"].items()
        keys = request["Keys"]
        asked.append(len(keys))
        if len(keys) < 50:
            return real(**kwargs)
        done, left = keys[: len(keys) // 2], keys[len(keys) // 2 :]
        got = real(RequestItems={table: {**request, "Keys": done}})
        return {**got, "UnprocessedKeys": {table: {**request, "Keys": left}}}

    client.batch_get_item = half  # type: ignore[method-assign]
    # When 120 alerts are read, Then every one comes back all the same
    got = store.get_alerts(fps)
    assert set(got) == set(fps)
    # (asked in chunks of 100, what was left unprocessed asked again)
    assert asked == [100, 50, 25, 20]


# ---- escalation ----


def escalation(key: str = KEY, episode: int = 1, next_ms: int = NOW + 300_000, **kw: Any) -> EscalationState:
    return EscalationState(
        key=key,
        episode=episode,
        next_ms=next_ms,
        after_ms=300_000,
        steps=kw.pop("steps", (("ann",), ("bob", "cat"))),
        **kw,
    )


def only(store: StateStore, key: str = KEY) -> EscalationState:
    [found] = [e for e in store.escalations() if e.key == key]
    return found


def test_start_escalation_is_idempotent_per_episode(store: StateStore) -> None:
    assert store.escalations() == []
    first = escalation(repeat=1, reminder_ms=3_600_000)
    assert store.start_escalation(first) is True
    assert store.escalations() == [first]
    # When the same episode's escalation is started again (a later flush), Then its timer keeps running
    assert store.start_escalation(escalation(next_ms=NOW + 900_000, steps=(("zed",),))) is False
    assert store.escalations() == [first]
    # When a new episode begins, Then its escalation replaces the old one
    second = escalation(episode=2, next_ms=NOW + 600_000)
    assert store.start_escalation(second) is True
    assert store.escalations() == [second]
    # and another group's escalation is kept beside it
    other = escalation(key=OTHER)
    assert store.start_escalation(other) is True
    assert sorted(store.escalations(), key=lambda e: e.key) == [second, other]


def test_advance_escalation_is_conditional_on_what_was_read(store: StateStore) -> None:
    store.start_escalation(escalation())
    read = only(store)
    # When one run moves it on, Then it is moved
    assert store.advance_escalation(read, {"next_ms": NOW + 600_000}) is True
    assert only(store).next_ms == NOW + 600_000
    # When another run moves it on from the same (now stale) copy, Then it is refused and nothing changes
    assert store.advance_escalation(read, {"next_ms": NOW + 999_000}) is False
    assert only(store).next_ms == NOW + 600_000
    # From a fresh read it works again
    fresh = only(store)
    assert (
        store.advance_escalation(fresh, {"step": 1, "round": 0, "sent": [], "next_ms": NOW + 900_000}) is True
    )
    moved = only(store)
    assert (moved.step, moved.round, moved.next_ms, moved.episode) == (1, 0, NOW + 900_000, 1)
    assert (
        store.advance_escalation(fresh, {"step": 0, "round": 1, "sent": [], "next_ms": NOW + 900_000})
        is False
    )
    assert only(store) == moved


def test_advance_escalation_of_a_paced_step_is_conditional_too(store: StateStore) -> None:
    # Given two runs that read the escalation at step 1 (bob and cat to text)
    store.start_escalation(escalation(step=1))
    read = only(store)
    # When the first records that bob was texted (cat was paced)
    assert store.advance_escalation(read, {"sent": ["bob"]}) is True
    # Then the second, from the same stale copy, cannot overwrite it (else bob is texted again)
    assert store.advance_escalation(read, {"sent": ["cat"]}) is False
    assert tuple(only(store).sent) == ("bob",)


def test_advance_escalation_keeps_the_models_types(store: StateStore) -> None:
    # What escalations() returns after an advance is what a fresh read of the same values would be
    store.start_escalation(escalation(sent=("ann",)))
    read = only(store)
    changes = {"step": 1, "round": 0, "sent": ["bob"], "next_ms": NOW + 600_000, "reminded_ms": NOW}
    assert store.advance_escalation(read, changes) is True
    moved = only(store)
    assert moved == EscalationState.model_validate({**read.model_dump(), **changes, "rev": read.rev + 1})
    assert moved.sent == ("bob",) and isinstance(moved.sent, tuple)
    # and it can be moved on again from that read
    assert store.advance_escalation(moved, {"next_ms": NOW + 900_000}) is True


def test_advance_of_an_ended_or_replaced_escalation_is_refused(store: StateStore) -> None:
    store.start_escalation(escalation())
    old = only(store)
    # a new episode replaced it: the old episode's copy cannot move the new one
    store.start_escalation(escalation(episode=2))
    new = only(store)
    assert store.advance_escalation(old, {"next_ms": NOW + 1}) is False
    assert only(store) == new
    # it ended: nothing to move, and nothing is created
    store.end_escalation(KEY, 2)
    assert store.advance_escalation(new, {"next_ms": NOW + 1}) is False
    assert store.escalations() == []


def test_end_escalation_ends_only_the_given_episode(store: StateStore) -> None:
    first = escalation(episode=3)
    other = escalation(key=OTHER, episode=3)
    store.start_escalation(first)
    store.start_escalation(other)
    # When an older or newer episode's end comes, Then the escalation stays
    store.end_escalation(KEY, 2)
    store.end_escalation(KEY, 4)
    assert sorted(store.escalations(), key=lambda e: e.key) == [first, other]
    # When its own episode ends, Then it alone is gone
    store.end_escalation(KEY, 3)
    assert store.escalations() == [other]
    # and ending what is not there is harmless
    store.end_escalation(KEY, 3)
    store.end_escalation("route0/none", 1)
    assert store.escalations() == [other]
    # a new escalation for the group can start again
    assert store.start_escalation(first) is True


# ---- SMS pacing ----


def test_claim_sms_slot_enforces_the_gap(store: StateStore) -> None:
    gap = 60_000
    assert store.claim_sms_slot("ann", NOW, gap) is True
    # within the gap: refused (and a refusal does not move the slot)
    assert store.claim_sms_slot("ann", NOW, gap) is False
    assert store.claim_sms_slot("ann", NOW + 1, gap) is False
    assert store.claim_sms_slot("ann", NOW + gap - 1, gap) is False
    # another recipient has their own slot
    assert store.claim_sms_slot("bob", NOW + 1, gap) is True
    # a clock behind the last text is refused too
    assert store.claim_sms_slot("ann", NOW - 10 * gap, gap) is False
    # once the gap has passed: granted, and the gap counts from then
    assert store.claim_sms_slot("ann", NOW + gap, gap) is True
    assert store.claim_sms_slot("ann", NOW + gap + 1, gap) is False
    assert store.claim_sms_slot("ann", NOW + 2 * gap, gap) is True
    assert store.claim_sms_slot("bob", NOW + gap, gap) is False
    assert store.claim_sms_slot("bob", NOW + gap + 1, gap) is True


# ---- pages waiting for an SMS slot, slots given back, one-shot expiries ----


def queued_page(recipient: str = "primary", fp: str = "fp1", at: int = NOW) -> Any:
    from alertrouter.models.state import QueuedPage

    member = Member.of(store_state())
    return QueuedPage(recipient=recipient, key=KEY, episode=1, fingerprint=fp, member=member, queued_ms=at)


def store_state() -> Any:
    from alertrouter.models.state import AlertState

    return AlertState.first(alert(), NOW)


def test_queued_pages_round_trip_and_only_the_page_as_read_is_dropped(store: StateStore) -> None:
    first, other = queued_page(), queued_page(recipient="secondary", at=NOW + 1)
    store.queue_pages([first, other])
    assert store.queued_pages() == [first, other]  # oldest first, members intact
    again = queued_page(at=NOW + 5)  # queued again (same recipient, group, alert) after it was read
    store.queue_pages([again])
    store.drop_queued_pages([first])  # the sender drops what it read: the newer one stays
    assert store.queued_pages() == [other, again]
    store.drop_queued_pages([other, again])
    assert store.queued_pages() == []


def test_a_released_sms_slot_can_be_claimed_again_at_once(store: StateStore) -> None:
    assert store.claim_sms_slot("primary", NOW, 60_000)
    assert not store.claim_sms_slot("primary", NOW + 1, 60_000)
    store.release_sms_slot("primary", NOW - 5)  # not the claim that was made: nothing changes
    assert not store.claim_sms_slot("primary", NOW + 2, 60_000)
    store.release_sms_slot("primary", NOW)
    assert store.claim_sms_slot("primary", NOW + 3, 60_000)


def test_expiries_keep_the_newest_event_and_end_only_their_own(store: StateStore) -> None:
    store.set_expiry("fp1", 100, NOW + 3_600_000)
    store.set_expiry("fp1", 50, NOW + 10)  # an older event delivered late: ignored
    assert store.expiries() == [("fp1", 100, NOW + 3_600_000)]
    store.set_expiry("fp1", 200, NOW + 7_200_000)  # it recurred: the timeout counts from the newer event
    store.end_expiry("fp1", 100)  # the escalator's message for the older event: the newer expiry stays
    assert store.expiries() == [("fp1", 200, NOW + 7_200_000)]
    store.end_expiry("fp1", 200)
    assert store.expiries() == []


def test_a_claim_retried_with_its_own_lease_id_succeeds_and_another_is_refused(store: StateStore) -> None:
    from alertrouter.store.base import LeaseHeldError

    upsert(store, alert())
    store.claim(KEY, "lease-1", NOW, 120_000)
    store.claim(
        KEY, "lease-1", NOW + 1, 120_000
    )  # botocore's retry of an applied claim whose answer was lost
    with pytest.raises(LeaseHeldError):
        store.claim(KEY, "lease-2", NOW + 2, 120_000)


# ---- one silence per message: a second Silence click extends it (or finds it as long already) ----


def test_extend_silence_keeps_one_silence_as_long_as_the_longest_asked_for(store: StateStore) -> None:
    # Given a 1-hour silence kept under its id
    first = silence(['alertname="DiskFull"'], id="5eed5eed5eed", comment="from Slack, 1 hour")
    assert store.extend_silence(first) == (first, None)
    # When a 4-hour one with the same id comes 10 minutes later
    later = silence(
        ['alertname="DiskFull"'],
        start=NOW + HOUR // 6,
        hours=4,
        id=first.id,
        created_by="bob",
        comment="from Slack, 4 hours",
    )
    extended, kept = store.extend_silence(later)
    # Then the one silence lasts until the later end; its creator and start stay
    assert kept == first
    assert (extended.starts_at_ms, extended.ends_at_ms, extended.created_by) == (
        NOW,
        later.ends_at_ms,
        "alice",
    )
    assert extended.comment == "from Slack, 4 hours, extended by bob"
    assert store.silences() == [extended]
    # When a shorter one comes, Then nothing changes
    shorter = silence(
        ['alertname="DiskFull"'], start=NOW + HOUR // 3, hours=1, id=first.id, created_by="carol"
    )
    assert store.extend_silence(shorter) == (extended, extended)
    assert store.silences() == [extended]
    # and expiring it by its id ends the only silence there is
    assert store.expire_silence(first.id, NOW + HOUR // 2) is not None
    assert not any(s.active(NOW + HOUR // 2) for s in store.silences())


def test_until_resolved_is_the_longest_a_silence_from_slack_gets(store: StateStore) -> None:
    timed = silence(['alertname="DiskFull"'], hours=24, id="0ddba110ddba")
    store.extend_silence(timed)
    until_resolved = silence(
        ['alertname="DiskFull"'], start=NOW + HOUR, hours=30 * 24, id=timed.id, group=KEY, episode=3
    )
    extended, _ = store.extend_silence(until_resolved)
    # ends with the episode, or 30 days after the silence began (the most a silence may last)
    assert (extended.group, extended.episode, extended.ends_at_ms) == (KEY, 3, NOW + MAX_SILENCE_MS)
    assert extended.starts_at_ms == NOW
    # a timed choice after it is shorter, however long
    again = silence(['alertname="DiskFull"'], start=NOW + 2 * HOUR, hours=24, id=timed.id)
    assert store.extend_silence(again) == (extended, extended)
    assert store.silences() == [extended]


def test_a_silence_that_is_over_is_replaced_by_the_new_one(store: StateStore) -> None:
    first = silence(['alertname="DiskFull"'], id="feedfacefeed")
    store.extend_silence(first)
    ended = store.expire_silence(first.id, NOW + HOUR // 2)
    again = silence(['alertname="DiskFull"'], start=NOW + HOUR, hours=1, id=first.id, created_by="bob")
    assert store.extend_silence(again) == (again, ended)
    assert store.silences() == [again] and again.active(NOW + HOUR)


def test_silence_clicks_at_the_same_time_leave_one_silence_as_long_as_the_longest(store: StateStore) -> None:
    from concurrent.futures import ThreadPoolExecutor

    clicks = [
        silence(['alertname="DiskFull"'], hours=hours, id="c0ffeec0ffee", created_by=f"u{i}")
        for i, hours in enumerate([1, 24, 4, 1, 4, 24, 1, 4])
    ]
    with ThreadPoolExecutor(len(clicks)) as pool:
        outcomes = list(pool.map(store.extend_silence, clicks))
    [kept] = store.silences()
    assert kept.ends_at_ms == NOW + 24 * HOUR
    assert sum(before is None for _, before in outcomes) == 1  # exactly one click made it

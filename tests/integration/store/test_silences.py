"""SilenceStore and InhibitSourceStore: silences (one per message, extended by a second click) and the
firing alerts inhibit rules may take as sources."""

from __future__ import annotations

from typing import Any

import pytest

from alertrouter.models.recurrence import parse_every
from alertrouter.models.silence import MAX_SILENCE_MS, Silence
from alertrouter.routing.timeintervals import silence_window
from support.store_items import KEY, NOW, WholeStore

pytestmark = pytest.mark.integration

HOUR = 3_600_000


def silence(matchers: list[str], start: int = NOW, hours: int = 1, **kw: Any) -> Silence:
    return Silence(
        matchers=matchers,
        starts_at_ms=start,
        ends_at_ms=start + hours * HOUR,
        created_by=kw.pop("created_by", "alice"),
        **kw,
    )


def test_silences_round_trip_sorted_by_start(store: WholeStore) -> None:
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


def test_putting_a_silence_again_replaces_it(store: WholeStore) -> None:
    first = silence(['alertname="DiskFull"'])
    store.put_silence(first)
    changed = first.model_copy(update={"comment": "longer", "ends_at_ms": NOW + 2 * HOUR})
    store.put_silence(changed)
    assert store.silences() == [changed]


def test_no_silences(store: WholeStore) -> None:
    assert store.silences() == []


def test_expire_ends_an_active_silence_once(store: WholeStore) -> None:
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


def test_expire_of_unknown_or_already_ended_silence_is_none(store: WholeStore) -> None:
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


def test_expiring_a_pending_silence_keeps_the_silences_readable(store: WholeStore) -> None:
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


def test_an_expired_pending_silence_is_over(store: WholeStore) -> None:
    pending = silence(['alertname="DiskFull"'], start=NOW + HOUR, hours=2)
    store.put_silence(pending)
    assert store.expire_silence(pending.id, NOW) is not None
    # "already over": a second expire finds nothing to end
    assert store.expire_silence(pending.id, NOW + 1) is None


def test_extend_silence_keeps_one_silence_as_long_as_the_longest_asked_for(store: WholeStore) -> None:
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


def test_until_resolved_is_the_longest_a_silence_from_slack_gets(store: WholeStore) -> None:
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


def test_a_silence_that_is_over_is_replaced_by_the_new_one(store: WholeStore) -> None:
    first = silence(['alertname="DiskFull"'], id="feedfacefeed")
    store.extend_silence(first)
    ended = store.expire_silence(first.id, NOW + HOUR // 2)
    again = silence(['alertname="DiskFull"'], start=NOW + HOUR, hours=1, id=first.id, created_by="bob")
    assert store.extend_silence(again) == (again, ended)
    assert store.silences() == [again] and again.active(NOW + HOUR)


def test_a_recurring_silence_round_trips_and_expiring_it_ends_the_whole_recurrence(store: WholeStore) -> None:
    # Given a weekly silence for 90 days, put between two of its windows, and a one-off one
    every = parse_every("sun 02:00-04:00 -1 22:00-02:00", "Europe/Berlin")
    weekly = silence(['alertname="Backup"'], start=NOW - 24 * HOUR, hours=90 * 24, every=every)
    one_off = silence(['alertname="Other"'])
    store.put_silence(weekly)
    store.put_silence(one_off)
    assert not weekly.active(NOW)  # a wednesday, 10:00 UTC
    # Then it comes back whole, its periods as written
    listed = {s.id: s for s in store.silences()}
    assert listed[weekly.id] == weekly and listed[weekly.id].every == every
    assert listed[one_off.id].every == ()
    assert silence_window(listed[weekly.id], NOW) == silence_window(weekly, NOW) is not None
    # When it is expired between two windows, Then it is over: no more windows, and a second expire finds nothing
    ended = store.expire_silence(weekly.id, NOW)
    assert ended is not None and ended.every == every and ended.ends_at_ms == NOW
    assert silence_window(ended, NOW) is None
    assert store.expire_silence(weekly.id, NOW + 1) is None
    assert {s.id: s for s in store.silences()}[weekly.id] == ended


def test_a_recurring_silence_not_started_yet_expires_too(store: WholeStore) -> None:
    pending = silence(['alertname="Backup"'], start=NOW + HOUR, hours=200 * 24, every=parse_every("sat,sun"))
    store.put_silence(pending)
    ended = store.expire_silence(pending.id, NOW)
    assert ended is not None and ended.ends_at_ms == NOW and silence_window(ended, NOW) is None


def test_extending_a_recurring_silence_keeps_its_recurrence(store: WholeStore) -> None:
    every = parse_every("sun 02:00-04:00")
    first = silence(['alertname="Backup"'], hours=90 * 24, id="beefbeefbeef", every=every)
    store.extend_silence(first)
    # a year-long span is allowed for a recurring silence (a one-off stops at 30 days)
    longer = silence(['alertname="Backup"'], hours=300 * 24, id=first.id, every=every, created_by="bob")
    stored, kept = store.extend_silence(longer)
    assert kept == first and (stored.every, stored.ends_at_ms, stored.starts_at_ms) == (
        every,
        longer.ends_at_ms,
        NOW,
    )
    # one of another recurrence under the same id replaces it
    other = silence(['alertname="Backup"'], hours=24, id=first.id, every=parse_every("sat"))
    assert store.extend_silence(other) == (other, stored)
    assert store.silences() == [other]


def test_silence_clicks_at_the_same_time_leave_one_silence_as_long_as_the_longest(store: WholeStore) -> None:
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


def test_inhibit_sources_keep_only_the_newest_event_and_list_only_firing(store: WholeStore) -> None:
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


def test_a_resolve_seen_first_is_not_undone_by_an_older_firing(store: WholeStore) -> None:
    # The resolve of 10:05 is delivered before the firing of 10:00 (never seen firing)
    store.set_inhibit_source("fp-a", {"alertname": "RegionDown"}, NOW + 300_000, False)
    store.set_inhibit_source("fp-a", {"alertname": "RegionDown"}, NOW, True)
    assert store.inhibit_sources() == {}

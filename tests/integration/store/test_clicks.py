"""ClickStore: what Slack's buttons record on a group (acknowledgement, manual resolve)."""

from __future__ import annotations

import pytest

from alertrouter.models.state import Clicks
from support.store_items import KEY, NOW, WholeStore, alert, upsert

pytestmark = pytest.mark.integration


def test_resolve_by_hand_first_click_wins(store: WholeStore) -> None:
    upsert(store, alert())
    # When alice resolves episode 1
    group, changed = store.resolve_by_hand(KEY, "U-alice", NOW + 1000, 1)
    assert changed and group is not None
    assert (group.key, group.clicks.resolved_by, group.clicks.resolved_ms, group.episode) == (
        KEY,
        "U-alice",
        NOW + 1000,
        1,
    )
    # When bob clicks too, Then alice's stays and bob is told it did not change
    again, changed = store.resolve_by_hand(KEY, "U-bob", NOW + 2000, 1)
    assert not changed and again is not None
    assert (again.clicks.resolved_by, again.clicks.resolved_ms) == ("U-alice", NOW + 1000)
    stored = store.get_group(KEY)
    assert stored is not None and (stored.clicks.resolved_by, stored.clicks.resolved_ms) == (
        "U-alice",
        NOW + 1000,
    )
    # and the rest of the group is untouched
    assert stored.version == 1 and list(stored.members) == [alert().fingerprint]


def test_resolve_by_hand_of_another_episode_changes_nothing(store: WholeStore) -> None:
    upsert(store, alert())
    # A click on a message of a later (not yet known) episode
    group, changed = store.resolve_by_hand(KEY, "U-alice", NOW, 2)
    assert (
        not changed and group is not None and (group.clicks.resolved_by, group.clicks.resolved_ms) == ("", 0)
    )
    # Given the group moves on to episode 2 (a flush records it)
    store.claim(KEY, "lease-a", NOW, 30_000)
    store.release(KEY, "lease-a", {"episode": 2}, NOW)
    # When someone clicks "resolve" on episode 1's message, Then nothing changes
    group, changed = store.resolve_by_hand(KEY, "U-alice", NOW + 1, 1)
    assert not changed and group is not None
    assert (group.episode, group.clicks.resolved_by, group.clicks.resolved_ms) == (2, "", 0)
    stored = store.get_group(KEY)
    assert stored is not None and (stored.clicks.resolved_by, stored.clicks.resolved_ms) == ("", 0)
    # and a click on episode 2's message does resolve it
    group, changed = store.resolve_by_hand(KEY, "U-bob", NOW + 2, 2)
    assert (
        changed
        and group is not None
        and (group.clicks.resolved_by, group.clicks.resolved_ms) == ("U-bob", NOW + 2)
    )


def test_resolve_by_hand_of_unknown_group(store: WholeStore) -> None:
    assert store.resolve_by_hand("route0/none", "U-alice", NOW, 1) == (None, False)
    assert store.get_group("route0/none") is None


def test_acknowledge_first_click_wins_and_unacknowledge_clears_it(store: WholeStore) -> None:
    upsert(store, alert())
    group, changed = store.acknowledge(KEY, "U-alice", NOW + 1000, ack=True, episode=1)
    assert (
        changed
        and group is not None
        and (group.clicks.ack_by, group.clicks.ack_ms) == ("U-alice", NOW + 1000)
    )
    # a second acknowledgement finds the first one and changes nothing
    again, changed = store.acknowledge(KEY, "U-bob", NOW + 2000, ack=True)
    assert (
        not changed
        and again is not None
        and (again.clicks.ack_by, again.clicks.ack_ms) == ("U-alice", NOW + 1000)
    )
    # unacknowledging clears it, once
    cleared, changed = store.acknowledge(KEY, "U-bob", NOW + 3000, ack=False, episode=1)
    assert changed and cleared is not None and (cleared.clicks.ack_by, cleared.clicks.ack_ms) == ("", 0)
    cleared, changed = store.acknowledge(KEY, "U-bob", NOW + 4000, ack=False)
    assert not changed and cleared is not None and cleared.clicks.ack_by == ""
    stored = store.get_group(KEY)
    assert stored is not None and (stored.clicks.ack_by, stored.clicks.ack_ms, stored.version) == ("", 0, 1)


def test_acknowledge_of_another_episode_or_of_an_unknown_group_changes_nothing(store: WholeStore) -> None:
    assert store.acknowledge(KEY, "U-alice", NOW, ack=True) == (None, False)
    upsert(store, alert())
    group, changed = store.acknowledge(KEY, "U-alice", NOW, ack=True, episode=2)
    assert not changed and group is not None and (group.clicks.ack_by, group.episode) == ("", 1)
    assert store.get_clicks(KEY) == Clicks(ack_by="", ack_ms=0, resolved_by="", resolved_ms=0)

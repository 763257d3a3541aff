"""EscalationStore: each paging group's escalation, started once per episode and moved on conditionally."""

from __future__ import annotations

from typing import Any

import pytest

from alertrouter.models.state import EscalationState
from support.store_items import KEY, NOW, WholeStore

pytestmark = pytest.mark.integration

OTHER = "route0/def456"


def escalation(key: str = KEY, episode: int = 1, next_ms: int = NOW + 300_000, **kw: Any) -> EscalationState:
    return EscalationState(
        key=key,
        episode=episode,
        next_ms=next_ms,
        after_ms=300_000,
        steps=kw.pop("steps", (("ann",), ("bob", "cat"))),
        **kw,
    )


def only(store: WholeStore, key: str = KEY) -> EscalationState:
    [found] = [e for e in store.escalations() if e.key == key]
    return found


def test_start_escalation_is_idempotent_per_episode(store: WholeStore) -> None:
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


def test_advance_escalation_is_conditional_on_what_was_read(store: WholeStore) -> None:
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


def test_advance_escalation_of_a_paced_step_is_conditional_too(store: WholeStore) -> None:
    # Given two runs that read the escalation at step 1 (bob and cat to text)
    store.start_escalation(escalation(step=1))
    read = only(store)
    # When the first records that bob was texted (cat was paced)
    assert store.advance_escalation(read, {"sent": ["bob"]}) is True
    # Then the second, from the same stale copy, cannot overwrite it (else bob is texted again)
    assert store.advance_escalation(read, {"sent": ["cat"]}) is False
    assert tuple(only(store).sent) == ("bob",)


def test_advance_escalation_keeps_the_models_types(store: WholeStore) -> None:
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


def test_advance_of_an_ended_or_replaced_escalation_is_refused(store: WholeStore) -> None:
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


def test_end_escalation_ends_only_the_given_episode(store: WholeStore) -> None:
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

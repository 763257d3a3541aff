"""HandoffStore: each schedule's last noted person on call, noted once per handoff."""

from __future__ import annotations

import pytest

from alertrouter.models.state import NotedHandoff
from support.store_items import NOW, WholeStore

pytestmark = pytest.mark.integration


def test_the_first_handoff_is_noted_once_and_read_back(store: WholeStore) -> None:
    alice = NotedHandoff(schedule="payments", person="alice", since_ms=NOW)
    assert store.noted_handoffs() == {}
    assert store.note_handoff(alice, None) is True
    assert store.note_handoff(alice, None) is False  # a second run noting the same first handoff
    assert store.noted_handoffs() == {"payments": alice}


def test_a_handoff_replaces_only_the_note_it_was_computed_from(store: WholeStore) -> None:
    alice = NotedHandoff(schedule="payments", person="alice", since_ms=NOW)
    bob = NotedHandoff(schedule="payments", person="bob", since_ms=NOW + 3_600_000)
    carol = NotedHandoff(schedule="payments", person="carol", since_ms=NOW + 3_600_000)
    store.note_handoff(alice, None)
    assert store.note_handoff(bob, alice) is True
    assert store.note_handoff(carol, alice) is False  # a stale run: alice is no longer the note
    assert store.noted_handoffs()["payments"] == bob


def test_finishing_records_the_notice_for_that_handoff_only(store: WholeStore) -> None:
    alice = NotedHandoff(schedule="payments", person="alice", since_ms=NOW)
    bob = NotedHandoff(schedule="payments", person="bob", since_ms=NOW + 60_000)
    store.note_handoff(alice, None)
    store.finish_handoff(alice.model_copy(update={"posted": True}))
    assert store.noted_handoffs()["payments"].posted is True
    store.note_handoff(bob, store.noted_handoffs()["payments"])
    store.finish_handoff(alice.model_copy(update={"posted": True, "synced": True}))  # late: changes nothing
    assert store.noted_handoffs()["payments"] == bob


def test_schedules_are_noted_apart(store: WholeStore) -> None:
    store.note_handoff(NotedHandoff(schedule="payments", person="alice", since_ms=NOW), None)
    store.note_handoff(NotedHandoff(schedule="data", person="", since_ms=NOW), None)
    assert {s: n.person for s, n in store.noted_handoffs().items()} == {"payments": "alice", "data": ""}

"""MemoryStore details of its own: its lock, and how it validates what it stores. The contract it shares
with DynamoDBStore is tested on both stores in tests/integration/store/."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from alertrouter.models.alert import Alert
from alertrouter.models.state import Member, Notified
from alertrouter.sources import parse_payload
from alertrouter.store.base import LeaseHeldError
from support.events import load_event
from support.memory_store import MemoryStore

NOW = 1_714_557_600_000
KEY = "route0/abc123"


def alert(state: str = "ALARM", second: int = 0) -> Alert:
    """The reference EventBridge alarm event, in the given state at 10:00:ss."""
    event = load_event("eventbridge_cw_alarm_state_change_single_metric_ALARM_awsdocs.json")
    event["detail"]["state"]["value"] = state
    event["detail"]["state"]["timestamp"] = f"2024-05-01T10:00:{second:02d}.000+0000"
    [parsed] = parse_payload(event).alerts
    return parsed


def with_group(store: MemoryStore) -> str:
    state = store.apply_alert(alert(), NOW).state
    store.upsert_member(KEY, "route0", "team", {}, state.fingerprint, Member.of(state), NOW)
    return state.fingerprint


def run_together(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run the jobs on threads released at the same moment; return results (or exceptions) in order."""
    start = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = jobs[i]()
        except Exception as exc:  # noqa: BLE001 - the test looks at what each job raised
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=5)
    return results


def test_concurrent_claims_have_exactly_one_winner() -> None:
    # Given a group and 16 workers claiming it at the same moment
    store = MemoryStore()
    with_group(store)
    results = run_together([lambda i=i: store.claim(KEY, f"lease-{i}", NOW, 30_000) for i in range(16)])
    # Then one holds the lease and every other was told it is held
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1
    assert all(isinstance(r, LeaseHeldError) for r in results if r not in winners)
    assert store.get_group(KEY).lease.id == winners[0].lease.id  # type: ignore[union-attr]


def test_concurrent_deliveries_in_any_order_converge_on_the_newest() -> None:
    # Given 20 states of one alarm, each delivered twice, in a shuffled order, all at once
    deliveries = [alert(second=s) for s in range(20)] * 2
    random.Random(3).shuffle(deliveries)
    store = MemoryStore()
    results = run_together([lambda a=a: store.apply_alert(a, NOW) for a in deliveries])
    # Then no state was applied twice, and the stored state is the newest
    applied = [r.state.ts_ms for r in results if r.applied]
    assert applied and len(applied) == len(set(applied))
    newest = alert(second=19)
    assert store.get_alert(newest.fingerprint).ts_ms == newest.timestamp_ms  # type: ignore[union-attr]


def test_concurrent_upserts_of_different_members_lose_none() -> None:
    store = MemoryStore()
    members = {f"fp{i:02d}": Member.of(store.apply_alert(alert(second=i), NOW).state) for i in range(12)}
    run_together(
        [
            lambda fp=fp, m=m: store.upsert_member(KEY, "route0", "team", {}, fp, m, NOW)
            for fp, m in members.items()
        ]
    )
    group = store.get_group(KEY)
    assert group is not None and set(group.members) == set(members) and group.version == 12


def test_progress_is_validated_into_the_stored_models() -> None:
    store = MemoryStore()
    fp = with_group(store)
    store.claim(KEY, "lease-a", NOW, 30_000)
    # When progress arrives as plain data, as the router sends it
    store.save_progress(KEY, "lease-a", {"notified": {fp: {"status": "firing"}}, "episode": 2})
    # Then it is stored as the models, defaults filled in
    group = store.get_group(KEY)
    assert group is not None
    assert group.notified == {fp: Notified(status="firing", count=1, thread_ms=0)} and group.episode == 2


def test_invalid_progress_is_refused_and_leaves_the_group_as_it_was() -> None:
    store = MemoryStore()
    with_group(store)
    store.claim(KEY, "lease-a", NOW, 30_000)
    before = store.get_group(KEY)
    with pytest.raises(ValidationError):
        store.save_progress(KEY, "lease-a", {"notified_version": "not a number"})
    with pytest.raises(ValidationError):
        store.release(KEY, "lease-a", {"slack_ts": ["not", "a", "mapping"]}, NOW)
    # the failed release did not drop the lease either
    assert store.get_group(KEY) == before
    assert before is not None and before.lease.id == "lease-a"

"""SloStateStore: each SLO's rolling aggregates, one record per SLO."""

from __future__ import annotations

import pytest

from support.store_items import WholeStore

pytestmark = pytest.mark.integration


def test_slo_state_round_trips_per_slo_and_the_next_save_replaces_it(store: WholeStore) -> None:
    assert store.load_slo_state("checkout-availability") is None
    state = {"name": "checkout-availability", "buckets": [[1, 2.5], [2, 0]], "last_ms": 7, "firing": ["fast"]}
    store.save_slo_state("checkout-availability", state)
    store.save_slo_state("checkout-latency", {"name": "checkout-latency", "last_ms": 1})
    loaded = store.load_slo_state("checkout-availability")
    assert loaded is not None and {k: loaded[k] for k in state} == state
    store.save_slo_state("checkout-availability", {**loaded, "last_ms": 8, "firing": []})
    again = store.load_slo_state("checkout-availability")
    assert again is not None and (again["last_ms"], again["firing"], again["buckets"]) == (
        8,
        [],
        state["buckets"],
    )
    latency = store.load_slo_state("checkout-latency")
    assert latency is not None and latency["last_ms"] == 1

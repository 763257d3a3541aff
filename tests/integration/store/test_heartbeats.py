"""HeartbeatStore: a check's definition, token hash and state, kept per check; states moved conditionally on
the revision they were computed from, definitions replaced keeping state and token."""

from __future__ import annotations

import pytest

from alertrouter.models.heartbeat import HeartbeatCheck, HeartbeatStatus, PingKind
from alertrouter.oncall.heartbeat import apply_ping, overdue
from support.store_items import NOW, WholeStore

pytestmark = pytest.mark.integration

NIGHTLY = HeartbeatCheck.model_validate(
    {
        "name": "nightly-etl",
        "cron": "0 2 * * *",
        "tz": "Europe/Berlin",
        "grace": "4h",
        "labels": {"team": "data"},
    }
)
HOURLY = HeartbeatCheck(name="hourly", period="1h")  # type: ignore[arg-type]


def test_a_check_is_added_once_and_read_back_as_defined(store: WholeStore) -> None:
    assert store.add_heartbeat(NIGHTLY, "hash-1", NOW)
    assert not store.add_heartbeat(NIGHTLY, "hash-2", NOW + 1)
    record = store.heartbeat("nightly-etl")
    assert record is not None
    assert (record.check, record.token_hash, record.created_ms) == (NIGHTLY, "hash-1", NOW)
    assert record.state.status == HeartbeatStatus.NEW and record.state.rev == 0
    assert store.heartbeat("unknown") is None


def test_checks_are_listed_by_name(store: WholeStore) -> None:
    store.add_heartbeat(NIGHTLY, "h", NOW)
    store.add_heartbeat(HOURLY, "h", NOW)
    assert [r.check.name for r in store.heartbeats()] == ["hourly", "nightly-etl"]


def test_a_state_is_saved_only_from_the_revision_it_was_computed_from(store: WholeStore) -> None:
    store.add_heartbeat(HOURLY, "h", NOW)
    read = store.heartbeat("hourly")
    assert read is not None
    pinged = apply_ping(HOURLY, read.state, PingKind.SUCCESS, NOW, "ok")
    assert pinged is not None
    assert store.save_heartbeat_state("hourly", pinged.state, read.state.rev)
    # a second writer that read the same revision loses: it reads again and decides again
    down = overdue(HOURLY, pinged.state, NOW + 3 * 3_600_000)
    assert down is not None
    assert not store.save_heartbeat_state("hourly", down.state, read.state.rev)
    now = store.heartbeat("hourly")
    assert now is not None and now.state == pinged.state and now.state.note == "ok"
    assert store.save_heartbeat_state("hourly", down.state, now.state.rev)
    after = store.heartbeat("hourly")
    assert after is not None and after.state.status == HeartbeatStatus.DOWN
    assert not store.save_heartbeat_state("gone", down.state, 0)


def test_a_definition_is_replaced_keeping_its_state_and_token(store: WholeStore) -> None:
    assert store.put_heartbeat_definition(HOURLY, "first", NOW)
    read = store.heartbeat("hourly")
    assert read is not None
    pinged = apply_ping(HOURLY, read.state, PingKind.SUCCESS, NOW)
    assert pinged is not None and store.save_heartbeat_state("hourly", pinged.state, 0)
    slower = HOURLY.model_copy(update={"period": HOURLY.period * 2})  # type: ignore[operator]
    assert not store.put_heartbeat_definition(slower, "second", NOW + 1)
    record = store.heartbeat("hourly")
    assert record is not None
    assert (record.check, record.token_hash, record.state) == (slower, "first", pinged.state)


def test_a_token_is_rotated_and_a_check_removed(store: WholeStore) -> None:
    store.add_heartbeat(HOURLY, "old", NOW)
    assert store.set_heartbeat_token("hourly", "new")
    record = store.heartbeat("hourly")
    assert record is not None and record.token_hash == "new"
    assert not store.set_heartbeat_token("unknown", "x")
    assert store.remove_heartbeat("hourly")
    assert not store.remove_heartbeat("hourly")
    assert store.heartbeat("hourly") is None

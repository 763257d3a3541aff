"""The store contract tests' alert (the reference alarm event at a chosen minute) and its group member, put
into a group as the router puts it."""

from __future__ import annotations

from alertrouter.models.alert import Alert
from alertrouter.models.state import GroupState, Member
from alertrouter.sources import parse_body
from alertrouter.store.dynamodb import DynamoDBStore
from support.events import alarm_body
from support.memory_store import MemoryStore

NOW = 1_714_557_600_000
KEY = "route0/abc123"

WholeStore = DynamoDBStore | MemoryStore  # what the contract tests run on: every aggregate, in one object


def alert(state: str = "ALARM", minute: int = 0, name: str = "ServerCpuTooHigh") -> Alert:
    """The reference EventBridge alarm event, in the given state at 10:mm."""
    [parsed] = parse_body(
        alarm_body(name=name, state=state, ts=f"2024-05-01T10:{minute:02d}:00.000+0000")
    ).alerts
    return parsed


def upsert(store: WholeStore, a: Alert, now_ms: int = NOW, key: str = KEY) -> GroupState:
    """Apply the alert and put its member into the group, as the router does."""
    state = store.apply_alert(a, now_ms).state
    return store.upsert_member(
        key, "route0", "team", {"alertname": state.title}, state.fingerprint, Member.of(state), now_ms
    )

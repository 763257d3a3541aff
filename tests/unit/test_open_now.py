"""slack_app/open_now.py on the memory store: the open groups read (their members still firing, their states
filtered by matchers, worst first, then the oldest), stale entries skipped, groups ruled out by their labels
not read, and at most MAX_GROUPS_READ groups read a call (the rest counted, and said by /alerts)."""

from __future__ import annotations

import json

import pytest

from alertrouter.models.matcher import Matcher
from alertrouter.models.open_group import OpenGroup
from alertrouter.slack_app import open_now
from alertrouter.slack_app.home import home_view
from alertrouter.slack_app.open_now import open_alerts
from alertrouter.slack_app.payloads import SlashCommand
from alertrouter.slack_app.silence_modal import preview_of
from support.memory_store import MemoryStore
from support.slack_requests import commands_on
from support.store_items import NOW, alert, upsert


def listed(store: MemoryStore, name: str, minute: int, state: str = "ALARM") -> str:
    """Fire (or resolve) an alarm in its own group, listed as the flush lists it; the group key."""
    key = f"route0/{name}"
    upsert(store, alert(state, minute, name), NOW + minute * 60_000, key)
    store.list_open_group(OpenGroup(key, NOW + minute, {"alertname": name}))
    return key


def test_what_fires_in_the_listed_groups_is_listed_worst_then_oldest() -> None:
    store = MemoryStore()
    listed(store, "DiskFull", 2)
    listed(store, "ApiDown", 1)
    listed(store, "QueueDepth", 3, state="OK")  # a stale entry: its group resolved
    store.list_open_group(OpenGroup("route0/gone", NOW, {"alertname": "Gone"}))  # and one of no group
    found = open_alerts(store, store, store)
    assert [s.title for s in found.states] == ["ApiDown", "DiskFull"]  # all warnings: the oldest first
    assert set(found.groups) == {"route0/DiskFull", "route0/ApiDown", "route0/QueueDepth"}
    assert found.unread_groups == 0
    only = open_alerts(store, store, store, [Matcher.of("alertname", "=", "DiskFull")])
    assert [s.title for s in only.states] == ["DiskFull"]
    assert set(only.groups) == {"route0/DiskFull"}  # the others ruled out by their group labels, not read


def test_at_most_max_groups_read_and_the_rest_said(monkeypatch: pytest.MonkeyPatch) -> None:
    store = MemoryStore()
    for minute, name in enumerate(["A1", "A2", "A3"]):
        listed(store, name, minute)
    monkeypatch.setattr(open_now, "MAX_GROUPS_READ", 2)
    found = open_alerts(store, store, store)
    # the newest groups first: A3 and A2 read, A1 (the oldest entry) counted
    assert [s.title for s in found.states] == ["A2", "A3"] and found.unread_groups == 1
    commands = commands_on(store)
    text = commands.answer(SlashCommand(command="/alerts", text="", user_id="U0ALICE01"), NOW)["text"]
    assert text.splitlines()[-1] == "…and 1 more group with open alerts, not read: narrow it with matchers."


def test_home_and_the_silence_preview_say_the_groups_not_read() -> None:
    home = json.dumps(home_view([], 0, [], [], NOW, "now", unread_groups=3), ensure_ascii=False)
    assert "…and 3 more groups with open alerts, not read: `/alerts` with matchers lists them." in home
    assert "not read" not in json.dumps(home_view([], 0, [], [], NOW, "now"))
    preview = preview_of([], unread_groups=1)
    assert preview.text.endswith("…and 1 more group with open alerts, not read.") and preview.count == 0
    assert "No open alert matches" in preview_of([]).text


def test_entries_left_over_never_crowd_out_what_fires_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry a crash left behind is old: read last, so a group that fires now is listed first."""
    store = MemoryStore()
    for n in range(3):  # three groups resolved long ago whose entries were never deleted
        listed(store, f"Old{n}", n, state="OK")
    fresh = listed(store, "ApiDown", 30)
    monkeypatch.setattr(open_now, "MAX_GROUPS_READ", 2)
    found = open_alerts(store, store, store)
    assert [s.title for s in found.states] == ["ApiDown"] and fresh in found.groups
    assert found.unread_groups == 2


def test_reading_stops_once_the_groups_read_hold_max_listed_alerts(monkeypatch: pytest.MonkeyPatch) -> None:
    store = MemoryStore()
    for minute, name in enumerate(["A1", "A2", "A3", "A4"]):
        listed(store, name, minute)
    monkeypatch.setattr(open_now, "MAX_LISTED", 2)
    monkeypatch.setattr(open_now, "PARALLEL_READS", 1)
    found = open_alerts(store, store, store)
    assert [s.title for s in found.states] == ["A3", "A4"] and found.unread_groups == 2


def test_none_firing_among_the_groups_read_does_not_say_none_fire(monkeypatch: pytest.MonkeyPatch) -> None:
    store = MemoryStore()
    listed(store, "Firing", 0)
    listed(store, "Resolved", 5, state="OK")  # newer, read first
    monkeypatch.setattr(open_now, "MAX_GROUPS_READ", 1)
    commands = commands_on(store)
    text = commands.answer(SlashCommand(command="/alerts", text="", user_id="U0ALICE01"), NOW)["text"]
    assert text.splitlines() == [
        "No alerts are firing in the groups read.",
        "…and 1 more group with open alerts, not read: narrow it with matchers.",
    ]
    view = json.dumps(home_view([], 0, [], [], NOW, "now", unread_groups=1), ensure_ascii=False)
    assert "No alerts are firing in the groups read." in view

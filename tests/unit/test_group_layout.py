"""The group's header and member items (store/dynamodb/group_layout.py): read back into the flat values GroupState is
read from, and a flush's progress turned into writes of only the member items it changes."""

from __future__ import annotations

from typing import Any

from alertrouter.store.dynamodb.group_layout import assemble, counts, record_writes

MEMBER = {"status": "firing", "severity": "critical", "title": "t", "ts_ms": 10, "starts_at_ms": 10}
RESOLVED = {**MEMBER, "status": "resolved", "ts_ms": 20}
HEADER: dict[str, Any] = {
    "pk": "GROUP#g",
    "sk": "GROUP",
    "key": "g",
    "route_id": "r",
    "receiver": "team",
    "episode": 2,
    "created_ms": 5,
    "records_gen": 3,
    "member_count": 2,
    "resolved_count": 0,
}
TOLD = {"status": "firing", "count": 1, "thread_ms": 7}


def member_item(fp: str, **records: Any) -> dict[str, Any]:
    return {"pk": "GROUP#g", "sk": f"M#{fp}", "m": MEMBER, **records}


def test_member_items_and_their_current_records_read_into_the_groups_maps() -> None:
    items = [
        member_item(
            "a",
            ann={**TOLD, "ep": 2, "gc": 5},
            mute="silenced",
            flap=True,
            **{"s:primary": "10", "c:#team": {**TOLD, "gen": 3}},
        ),
        member_item("b"),
    ]
    flat = assemble(HEADER, items)
    assert flat["members"] == {"a": MEMBER, "b": MEMBER}
    assert flat["notified"] == {"a": TOLD}
    assert flat["muted"] == {"a": "silenced"} and flat["flapping"] == ["a"]
    assert flat["sms_notified"] == {"a@primary": "10"}
    assert flat["channel_notified"] == {"#team": {"a": TOLD}}
    # the header's own counters are not the group's fields
    assert not {"member_count", "resolved_count", "records_gen", "pk", "sk"} & set(flat)


def test_records_of_another_episode_group_or_flush_generation_are_void() -> None:
    items = [
        member_item("old-episode", ann={**TOLD, "ep": 1, "gc": 5}),
        member_item("old-group", ann={**TOLD, "ep": 2, "gc": 4}),  # the key's earlier group, expired since
        member_item("old-gen", **{"c:#team": {**TOLD, "gen": 2}}),
    ]
    flat = assemble(HEADER, items)
    assert flat["notified"] == {} and flat["channel_notified"] == {}
    assert set(flat["members"]) == {"old-episode", "old-group", "old-gen"}


def test_a_member_that_gave_its_place_keeps_only_its_announcement() -> None:
    flat = assemble(HEADER, [{"pk": "GROUP#g", "sk": "M#gone", "ann": {**TOLD, "ep": 2, "gc": 5}}])
    assert flat["members"] == {} and flat["notified"] == {"gone": TOLD}


def test_an_item_of_the_single_item_layout_reads_as_it_is_with_newer_member_items_over_it() -> None:
    legacy = {
        **HEADER,
        "members": {"a": MEMBER, "b": RESOLVED},
        "notified": {"a": TOLD},
        "sms_notified": {"a@primary": "10"},
        "muted": {"b": "inhibited"},
        "flapping": ["a"],
        "channel_notified": {},
    }
    newer_a = {**MEMBER, "ts_ms": 30, "count": 2}
    flat = assemble(legacy, [member_item("a") | {"m": newer_a}, member_item("b") | {"m": MEMBER}])
    assert flat["members"] == {"a": newer_a, "b": RESOLVED}  # b's item is older than the header's copy
    assert flat["notified"] == {"a": TOLD} and flat["sms_notified"] == {"a@primary": "10"}
    assert flat["muted"] == {"b": "inhibited"} and flat["flapping"] == ["a"]


def test_progress_writes_only_the_members_it_changes() -> None:
    before = assemble(HEADER, [member_item("a", ann={**TOLD, "ep": 2, "gc": 5}), member_item("b")])
    after = {
        **before,
        "notified": {"a": TOLD, "b": {**TOLD, "thread_ms": 9}},
        "sms_notified": {"b@primary": "10"},
        "muted": {"a": "silenced"},
    }
    writes = record_writes(before, after, gen=3)
    assert set(writes.members) == {"a", "b"} and not writes.new_records_gen
    assert writes.members["b"].sets == {"ann": {**TOLD, "thread_ms": 9, "ep": 2, "gc": 5}, "s:primary": "10"}
    assert writes.members["a"].sets == {"mute": "silenced"} and writes.members["a"].removes == []
    # nothing changed: nothing written
    assert record_writes(after, after, gen=3).members == {}


def test_what_is_taken_back_is_removed_from_its_member() -> None:
    before = {
        **assemble(HEADER, [member_item("a")]),
        "notified": {"a": TOLD},
        "sms_notified": {"a@primary": "10"},
        "muted": {"a": "silenced"},
        "flapping": ["a"],
    }
    after = {**before, "notified": {}, "sms_notified": {}, "muted": {}, "flapping": []}
    writes = record_writes(before, after, gen=3)
    assert writes.members["a"].sets == {}
    assert sorted(writes.members["a"].removes) == ["ann", "flap", "mute", "s:primary"]


def test_a_new_episode_or_a_release_voids_records_by_their_tag_without_writing_members() -> None:
    before = {
        **assemble(HEADER, [member_item("a"), member_item("b")]),
        "notified": {"a": TOLD, "b": TOLD},
        "channel_notified": {"#team": {"a": TOLD}},
    }
    # a new episode: its announcements start empty, the old ones void by their episode
    episode = record_writes(before, {**before, "episode": 3, "notified": {}}, gen=3)
    assert episode.members == {}
    # the release: every channel's record reset at once, by a new generation
    release = record_writes(before, {**before, "channel_notified": {}}, gen=3)
    assert release.members == {} and release.new_records_gen
    # a channel told ahead of its siblings: its record carries the generation it is valid for
    ahead = record_writes(before, {**before, "channel_notified": {"#team": {"a": TOLD, "b": TOLD}}}, gen=3)
    assert ahead.members["b"].sets == {"c:#team": {**TOLD, "gen": 3}} and "a" not in ahead.members


def test_counts_are_the_members_and_the_resolved_ones() -> None:
    assert counts({"a": MEMBER, "b": RESOLVED, "c": RESOLVED}) == {"member_count": 3, "resolved_count": 2}

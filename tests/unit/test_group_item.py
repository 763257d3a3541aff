"""A group item as a deployed table holds it (flat, written before GroupState had parts) reads into the
parts and writes back identical, so the table needs no migration."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from alertrouter.models.state import (
    Clicks,
    FlushLease,
    GraphRef,
    GroupState,
    Member,
    MutingState,
    Notified,
    SlackDelivery,
    SlackFailure,
    WebhookDelivery,
    WebhookFailure,
    WebhookMark,
)
from alertrouter.store.dynamodb.codec import decode_item, encode_item, group_key
from alertrouter.store.group_item import (
    CLICK_ATTRIBUTES,
    IN_PARTS,
    clicks_from_item,
    group_from_item,
    group_item,
    with_progress,
)

KEY = "route0/ab12cd34"
MEMBER = {
    "status": "firing",
    "severity": "critical",
    "title": "HighLatency",
    "summary": "p99 above 2 s",
    "resource": "api",
    "account": "123456789012",
    "region": "us-east-1",
    "console": "https://console.aws.amazon.com/",
    "runbook": "",
    "ts_ms": 1714557600000,
    "starts_at_ms": 1714557500000,
    "count": 2,
    "changes_ms": [1714557500000],
    "source": "cloudwatch",
    "reason": "",
    "links": {"logs": "https://logs.example/"},
    "labels": {"alertname": "HighLatency"},
    "received_ms": 1714557500100,
}
TOLD = {"status": "firing", "count": 2, "thread_ms": 1714557600500}
REFUSED = {
    "error": "not_in_channel",
    "episode": 3,
    "at": 1714557000000,
    "last_ms": 1714557600000,
    "tries": 2,
    "needed": "",
}

# Every attribute of a group item, named and valued as the code before the parts wrote them.
STORED: dict[str, Any] = {
    "key": KEY,
    "route_id": "route0",
    "receiver": "team",
    "group_labels": {"alertname": "HighLatency"},
    "members": {"fp1": MEMBER},
    "version": 7,
    "notified_version": 6,
    "notified": {"fp1": TOLD},
    "sms_notified": {"primary@fp1": "6"},
    "slack_ts": {"#team": "1714557600.000100", "#ops": "1714557600.000200"},
    "slack_channels": {"#team": "C0TEAM0001"},
    "slack_attempts": {"#team": 3, "#ops": 3},
    "slack_done": {"#team": 6},
    "channel_notified": {"#team": {"fp1": TOLD}},
    "slack_failed": {"#ops": REFUSED},
    "pending_since_ms": 1714557550000,
    "episode": 3,
    "ack_by": "U0ONCALL1",
    "ack_ms": 1714557700000,
    "resolved_by": "U0FIRST01",
    "resolved_ms": 1714557800000,
    "muted": {"fp2": "silenced by <@U0ONCALL1> until 11:00 UTC"},
    "flapping": ["fp1"],
    "resume_at_ms": 1714558000000,
    "last_notified_ms": 1714557600000,
    "notified_firing": True,  # (added with the grouping clock: whether the group's changes tick)
    "flush_at_ms": 1714557900000,
    "lease_id": "lease-a",
    "lease_until_ms": 1714557630000,
    "created_ms": 1714557000000,
    "route_fp": "fp1",  # (added with the header and member items: the member whose labels chose the route)
    "overflow": {"Out of memory": 4},
    # (added with webhooks: each one's last message, and those failing; an item without them reads as none)
    "webhook_done": {"wh-0123456789": {"version": 6, "episode": 3, "digest": "ab12", "at": 1714557600000}},
    "webhook_failed": {
        "wh-abcdef0123": {"error": "http_503", "at": 1714557000000, "last_ms": 1714557600000, "tries": 2}
    },
    # (added with graphs: the episode's graph in its messages; an item without it reads as none)
    "slack_graph": {
        "episode": 3,
        "file_id": "F0000000001",
        "title": "CPU",
        "alt_text": "CPU of api",
        "resolved": False,
    },
    # (added with the open-group index: when the group's entry was put; an item without it reads as not listed)
    "open_listed_ms": 1714557600400,
}


def test_an_item_written_before_the_parts_reads_into_them_and_writes_back_identical() -> None:
    # Given the item as a deployed table holds it (its keys, and a TTL the group does not hold)
    item = {**group_key(KEY), **encode_item({**STORED, "expires_at": 1717149600})}
    # When the store reads it
    group = group_from_item(decode_item(item))
    # Then every value is where the parts keep it
    assert (group.key, group.route_id, group.receiver, group.group_labels, group.created_ms) == (
        KEY,
        "route0",
        "team",
        {"alertname": "HighLatency"},
        1714557000000,
    )
    assert group.members == {"fp1": Member.model_validate(MEMBER)} and group.overflow == {"Out of memory": 4}
    assert (group.version, group.notified_version, group.episode) == (7, 6, 3)
    assert group.notified == {"fp1": Notified.model_validate(TOLD)}
    assert group.sms_notified == {"primary@fp1": "6"}
    assert (group.last_notified_ms, group.pending_since_ms) == (1714557600000, 1714557550000)
    assert group.slack == SlackDelivery(
        ts={"#team": "1714557600.000100", "#ops": "1714557600.000200"},
        channels={"#team": "C0TEAM0001"},
        attempts={"#team": 3, "#ops": 3},
        done={"#team": 6},
        notified={"#team": {"fp1": Notified.model_validate(TOLD)}},
        failed={"#ops": SlackFailure.model_validate(REFUSED)},
        graph=GraphRef.model_validate(STORED["slack_graph"]),
    )
    assert group.clicks == Clicks(
        ack_by="U0ONCALL1", ack_ms=1714557700000, resolved_by="U0FIRST01", resolved_ms=1714557800000
    )
    assert group.muting == MutingState(reasons=STORED["muted"], flapping=["fp1"], resume_at_ms=1714558000000)
    assert group.webhooks == WebhookDelivery(
        done={"wh-0123456789": WebhookMark(version=6, episode=3, digest="ab12", at=1714557600000)},
        failed={
            "wh-abcdef0123": WebhookFailure(
                error="http_503", at=1714557000000, last_ms=1714557600000, tries=2
            )
        },
    )
    assert group.flush_at_ms == 1714557900000
    assert group.lease == FlushLease(id="lease-a", until_ms=1714557630000)
    # And written back, it is the same item, attribute for attribute
    assert {**group_key(KEY), **encode_item(group_item(group))} == {
        k: v for k, v in item.items() if k != "expires_at"
    }


def test_every_field_of_every_part_has_its_stored_name() -> None:
    # Given a group with every field set (the item above)
    group = group_from_item(STORED)
    # Then its item names exactly the attributes a deployed table has, and reads back the same
    assert set(group_item(group)) == set(STORED) == set(GroupState.model_fields) - _parts() | set(IN_PARTS)
    assert group_from_item(group_item(group)) == group
    # a group not listed in the open-group index writes no attribute for it, as an item before the index
    unlisted = {k: v for k, v in STORED.items() if k != "open_listed_ms"}
    assert set(group_item(group_from_item(unlisted))) == set(unlisted)
    assert group_from_item(unlisted).open_listed_ms == 0


def test_a_flush_progress_changes_only_the_attributes_it_names() -> None:
    # Given a stored group
    group = group_from_item(STORED)
    # When a flush's progress (stored names) is applied
    changed = with_progress(group, {"episode": 4, "ack_by": "", "ack_ms": 0, "slack_ts": {}})
    # Then those change, in their parts, and everything else is kept
    expected = {**STORED, "episode": 4, "ack_by": "", "ack_ms": 0, "slack_ts": {}}
    assert encode_item(group_item(changed)) == encode_item(expected)
    assert encode_item(group_item(group)) == encode_item(STORED)  # the group it was applied to is unchanged


def test_the_clicks_read_alone_are_the_clicks_of_the_whole_item() -> None:
    # Given the item's click attributes as get_clicks projects them (with pk), named as stored
    projected = {name: STORED[name] for name in CLICK_ATTRIBUTES} | {"pk": f"GROUP#{KEY}"}
    # Then they read as the whole group's clicks; a group nobody clicked on reads as no clicks
    assert CLICK_ATTRIBUTES == ("ack_by", "ack_ms", "resolved_by", "resolved_ms")
    assert clicks_from_item(projected) == group_from_item(STORED).clicks
    assert clicks_from_item({"pk": f"GROUP#{KEY}"}) == Clicks()


def _parts() -> set[str]:
    return {part for part, _ in IN_PARTS.values()}


def test_a_detached_copy_has_its_own_dicts_in_every_part() -> None:
    # Given a group with every field set
    group = group_from_item(STORED)
    # When it is detached
    copy = group.detached()
    # Then each dict and list it holds, in its parts too, is its own (parts are frozen, their containers not)
    assert copy == group
    for name, value in group:
        if isinstance(value, BaseModel):
            pairs = [(v, getattr(getattr(copy, name), n)) for n, v in value]
        else:
            pairs = [(value, getattr(copy, name))]
        for kept, copied in pairs:
            assert not isinstance(kept, dict | list) or copied is not kept, name

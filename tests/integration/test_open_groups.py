"""The open-group index on a standalone router (moto, the Slack stand-in): one entry per group episode, put by
the flush that first finds the group firing and deleted after the flush that tells it resolved, none written per
alert change; no per-alert index in standalone; a stale entry (its group resolved or gone) lists nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alertrouter.interactions import InteractionService
from alertrouter.models.open_group import OpenGroup
from alertrouter.notify.slack import SlackClient
from support.harness import Harness, drain_scheduled, fire, make_harness
from support.slack_clicks import SIGNING_SECRET, group_of
from support.slack_requests import app_home_opened, slash_command
from support.slack_standin import SlackStandIn

pytestmark = pytest.mark.integration


@pytest.fixture
def harness(aws: Any, slack: SlackStandIn, tmp_path: Path) -> Harness:
    return make_harness(aws, slack, tmp_path)  # standalone: the default mode


@pytest.fixture
def index_writes(harness: Harness) -> Iterator[list[tuple[str, str]]]:
    """(operation, group key) of every write to the open-group index, as the store's client sends it
    (botocore's before-parameter-build event: the request itself, not a stand-in)."""
    writes: list[tuple[str, str]] = []

    def note(params: dict[str, Any], model: Any, **_: Any) -> None:
        key = params.get("Item") or params.get("Key") or {}
        if str(key.get("pk", {}).get("S", "")).startswith("OPENGROUP#"):
            writes.append((model.name, key["sk"]["S"]))

    client = harness.service.router.stores.open_groups.client  # type: ignore[attr-defined]
    client.meta.events.register("before-parameter-build.dynamodb", note)
    yield writes
    client.meta.events.unregister("before-parameter-build.dynamodb", note)


def interactions(harness: Harness) -> InteractionService:
    slack = SlackClient(lambda: "xoxb-test", harness.slack.url, timeout=(1.0, 1.0), min_interval=0.0)
    return InteractionService(
        harness.service.router.stores,
        lambda: SIGNING_SECRET,
        slack,
        routing=lambda: harness.service.router.config,
    )


def alerts_text(harness: Harness) -> str:
    answer = interactions(harness).handle(*slash_command("/alerts"))
    assert answer.status == 200
    return str(answer.body["text"])


def home_text(harness: Harness) -> str:
    assert interactions(harness).handle(*app_home_opened("U0ONCALL1")).status == 200
    return json.dumps(harness.slack.homes["U0ONCALL1"].view, ensure_ascii=False)


def test_one_entry_per_episode_put_once_and_gone_after_the_resolve_is_told(
    harness: Harness, index_writes: list[tuple[str, str]]
) -> None:
    stores = harness.service.router.stores
    # Given an alarm that fires: its group's first flush lists the group, once
    fire(harness, 0)
    group = group_of(harness)
    [entry] = stores.open_groups.open_groups()
    assert (entry.key, entry.put_ms) == (group.key, group.open_listed_ms) and entry.put_ms > 0
    assert entry.labels == group.group_labels
    assert index_writes == [("PutItem", group.key)]
    # standalone keeps no per-alert index (the hub's OpenAlerts gauge is its only reader)
    assert stores.open_alerts.open_entries() == []
    # When it changes again and again while firing (each change flushed: its message edited), Then nothing
    # more is written to the index
    sent = harness.slack.count("chat.update") + harness.slack.count("chat.postMessage")
    for minute in range(1, 6):
        fire(harness, minute)
        drain_scheduled(harness)
    assert harness.slack.count("chat.update") + harness.slack.count("chat.postMessage") >= sent + 5
    assert index_writes == [("PutItem", group.key)]
    assert stores.open_groups.open_groups() == [entry]
    assert "ServerCpuTooHigh" in alerts_text(harness)
    # When it resolves and the resolve is told, Then the entry is deleted (and the group says so)
    fire(harness, 6, state="OK")
    drain_scheduled(harness)
    assert "RESOLVED" in json.dumps(harness.slack.channel_messages("#team")[-1].attachments)
    assert index_writes == [("PutItem", group.key), ("DeleteItem", group.key)]
    assert stores.open_groups.open_groups() == [] and group_of(harness).open_listed_ms == 0
    assert alerts_text(harness) == "No alerts are firing."
    # When it fires again (a new episode), Then it is listed again: one put per episode
    fire(harness, 7)
    drain_scheduled(harness)
    assert [op for op, _ in index_writes] == ["PutItem", "DeleteItem", "PutItem"]
    assert "ServerCpuTooHigh" in alerts_text(harness) and "Open alerts (1)" in home_text(harness)


def test_alerts_and_home_list_exactly_what_fires_in_standalone(harness: Harness) -> None:
    fire(harness, 0, name="DiskFull", severity="warning")
    fire(harness, 0, name="ApiDown", severity="critical", instance="i-0api")
    fire(harness, 0, name="QueueDepth", severity="info", instance="i-0queue")
    fire(harness, 1, name="QueueDepth", severity="info", instance="i-0queue", state="OK")
    drain_scheduled(harness)
    text = alerts_text(harness)
    assert text.splitlines()[0] == "*2 alerts firing*, worst first:"
    assert text.index("ApiDown") < text.index("DiskFull") and "QueueDepth" not in text
    home = home_text(harness)
    assert "Open alerts (2)" in home and "ApiDown" in home and "DiskFull" in home and "QueueDepth" not in home


def test_a_stale_entry_lists_nothing(harness: Harness) -> None:
    stores = harness.service.router.stores
    fire(harness, 0)
    group = group_of(harness)
    fire(harness, 1, state="OK")
    drain_scheduled(harness)
    assert stores.open_groups.open_groups() == []
    # Given entries left over: one for the resolved group (a crash between its release and the delete), one
    # for a group that no longer exists (expired)
    stores.open_groups.list_open_group(OpenGroup(group.key, 1, dict(group.group_labels)))
    stores.open_groups.list_open_group(OpenGroup("route0/gone", 2, {"alertname": "ServerCpuTooHigh"}))
    # Then neither lists anything
    assert alerts_text(harness) == "No alerts are firing."
    assert "Open alerts (0)" in home_text(harness)
    # and when the group fires again, the flush lists it anew (its own entry, not the stale one's time)
    fire(harness, 2)
    drain_scheduled(harness)
    assert "ServerCpuTooHigh" in alerts_text(harness)
    assert {e.key: e.put_ms for e in stores.open_groups.open_groups()}[group.key] == group_of(
        harness
    ).open_listed_ms


def test_a_failed_put_is_tried_again_by_a_flush_soon_not_at_the_next_change(harness: Harness) -> None:
    """A throttled PutItem on the index must not leave a firing group out of /alerts until its repeat_interval:
    the flush asks to be looked at again a minute later, and that flush lists it."""
    from botocore.exceptions import ClientError

    failures = [1]

    def throttle_once(params: dict[str, Any], model: Any, **_: Any) -> None:
        item = params.get("Item") or {}
        opengroup = str(item.get("pk", {}).get("S", "")).startswith("OPENGROUP#")
        if model.name == "PutItem" and opengroup and failures:
            failures.pop()
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
                "PutItem",
            )

    client = harness.service.router.stores.open_groups.client  # type: ignore[attr-defined]
    client.meta.events.register("before-parameter-build.dynamodb", throttle_once)
    try:
        fire(harness, 0)
        # the message went out all the same, but the group is not listed yet
        assert len(harness.slack.channel_messages("#team")) == 1
        assert harness.service.router.stores.open_groups.open_groups() == []
        assert alerts_text(harness) == "No alerts are firing."
        # When the flush it asked for comes (a minute later, with no new change), Then the group is listed
        harness.clock.ms += 61_000
        drain_scheduled(harness)
    finally:
        client.meta.events.unregister("before-parameter-build.dynamodb", throttle_once)
    assert not failures and [e.key for e in harness.service.router.stores.open_groups.open_groups()] == [
        group_of(harness).key
    ]
    assert "ServerCpuTooHigh" in alerts_text(harness)

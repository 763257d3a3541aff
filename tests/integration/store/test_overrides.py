"""OverrideStore, on both stores: overrides by schedule and span, two with one start both kept, removal; on
DynamoDB, the TTL a week after the end."""

from __future__ import annotations

from typing import Any

import pytest

from alertrouter.models.schedule import Override
from alertrouter.store.dynamodb import DynamoDBStore
from alertrouter.store.dynamodb.overrides import OVERRIDE_KEEP_S
from support.store_items import NOW, WholeStore

pytestmark = pytest.mark.integration

HOUR = 3_600_000


def override(
    person: str, start_h: int, hours: int, created: int = NOW, schedule: str = "payments"
) -> Override:
    return Override(schedule, person, NOW + start_h * HOUR, NOW + (start_h + hours) * HOUR, "lead", created)


def test_overrides_come_back_by_start_and_only_those_overlapping_the_span(store: WholeStore) -> None:
    # Given overrides of two schedules, put out of order
    later, earlier, ended = override("bob", 10, 2), override("carol", 1, 4), override("dave", -30, 5)
    other = override("erin", 1, 4, schedule="infra")
    for each in (later, earlier, ended, other):
        store.put_override(each)
    # Then a span gets its schedule's overrides that overlap it, by start, whole
    assert store.overrides("payments", NOW, NOW + 24 * HOUR) == [earlier, later]
    # (earlier ends at 5h, later starts at 10h)
    assert store.overrides("payments", NOW + 4 * HOUR, NOW + 10 * HOUR) == [earlier]
    assert store.overrides("payments", NOW - 48 * HOUR, NOW) == [ended]
    assert store.overrides("infra", NOW, NOW + 2 * HOUR) == [other]
    assert store.overrides("nothing", 0, NOW * 2) == []


def test_two_overrides_with_one_start_are_both_kept_and_removed_one_by_one(store: WholeStore) -> None:
    first, second = override("bob", 0, 4, created=NOW), override("carol", 0, 2, created=NOW + 1)
    store.put_override(first)
    store.put_override(second)
    assert store.overrides("payments", NOW, NOW + HOUR) == [first, second]
    assert store.remove_override("payments", first.start_ms, first.created_ms) == first
    assert store.remove_override("payments", first.start_ms, first.created_ms) is None
    assert store.overrides("payments", NOW, NOW + HOUR) == [second]


def test_an_override_is_removed_by_the_ttl_a_week_after_it_ends(dynamodb_stack: tuple[Any, str]) -> None:
    client, table = dynamodb_stack
    store = DynamoDBStore(table, client)
    store.put_override(override("bob", 0, 4))
    [item] = client.scan(TableName=table)["Items"]
    assert item["pk"] == {"S": "OVERRIDE#payments"}
    assert int(item["expires_at"]["N"]) == (NOW + 4 * HOUR) // 1000 + OVERRIDE_KEEP_S

"""The DynamoDB store as a whole: its items carry the table's TTL attribute, and it calls only what the
router's role may do."""

from __future__ import annotations

import time
from typing import Any

import pytest

from alertrouter.store.base import LeaseHeldError
from alertrouter.store.dynamodb import DynamoDBStore
from support.local_aws import load_template
from support.store_items import KEY, NOW, alert, upsert

pytestmark = pytest.mark.integration

LEASE_MS = 30_000


def _ttl_attribute() -> str:
    return str(
        load_template()["Resources"]["StateTable"]["Properties"]["TimeToLiveSpecification"]["AttributeName"]
    )


def test_items_carry_the_templates_ttl_attribute_in_the_future(dynamodb_stack: tuple[Any, str]) -> None:
    client, table = dynamodb_stack
    store = DynamoDBStore(table, client)
    ttl = _ttl_attribute()
    assert client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]["AttributeName"] == ttl
    # When an alert and its group are written
    upsert(store, alert())
    now_s = time.time()

    # Then the alert's state expires in the future, in epoch seconds (DynamoDB ignores a TTL in ms)
    def expiry(pk: str, sk: str) -> int | None:
        item = client.get_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}})["Item"]
        return int(item[ttl]["N"]) if ttl in item else None

    alert_expiry = expiry(f"ALERT#{alert().fingerprint}", "STATE")
    assert alert_expiry is not None and now_s + 7 * 86400 < alert_expiry < now_s + 366 * 86400
    # while a pending or firing group never expires: a long alarm must still find its message when it ends
    assert expiry(f"GROUP#{KEY}", "GROUP") is None
    store.claim(KEY, "lease-1", NOW, 60_000)
    store.release(KEY, "lease-1", {"notified_version": 1}, NOW, expires=False, claimed_version=1)
    assert expiry(f"GROUP#{KEY}", "GROUP") is None
    # a failed flush (no claimed version) starts nothing either
    store.claim(KEY, "lease-2", NOW, 60_000)
    store.release(KEY, "lease-2", {}, 0, expires=True)
    assert expiry(f"GROUP#{KEY}", "GROUP") is None
    # only a flush that leaves it resolved and announced, with no newer change, starts its expiry
    store.claim(KEY, "lease-3", NOW, 60_000)
    store.release(KEY, "lease-3", {"notified_version": 1}, NOW, expires=True, claimed_version=1)
    group_expiry = expiry(f"GROUP#{KEY}", "GROUP")
    assert group_expiry is not None and now_s + 7 * 86400 < group_expiry < now_s + 366 * 86400
    # and a new change stops it again
    upsert(store, alert(minute=1))
    assert expiry(f"GROUP#{KEY}", "GROUP") is None


def test_store_calls_only_what_the_router_role_may_do(dynamodb_stack: tuple[Any, str]) -> None:
    client, table = dynamodb_stack
    called: set[str] = set()
    client.meta.events.register(
        "before-call.dynamodb", lambda **kw: called.add(f"dynamodb:{kw['model'].name}")
    )
    store = DynamoDBStore(table, client)
    # When the store goes through everything the router asks of it
    upsert(store, alert())
    upsert(store, alert(minute=1))
    store.apply_alert(alert(minute=0), NOW)
    store.get_alert(alert().fingerprint)
    store.mark_flush_scheduled(KEY, NOW)
    store.claim(KEY, "lease-a", NOW, LEASE_MS)
    store.save_progress(KEY, "lease-a", {"slack_ts": {"#team": "1.000001"}})
    store.release(KEY, "lease-a", {"notified_version": 2}, NOW)
    store.claim(KEY, "lease-b", NOW, LEASE_MS)
    with pytest.raises(LeaseHeldError):
        store.claim(KEY, "lease-c", NOW, LEASE_MS)
    # Then every DynamoDB action it used is granted to the router function in template.yaml
    statements = load_template()["Resources"]["RouterFunction"]["Properties"]["Policies"][0]["Statement"]
    [table_statement] = [s for s in statements if s.get("Sid") == "StateTable"]
    assert table_statement["Resource"] == {"GetAtt": "StateTable.Arn"}
    assert called and called <= set(table_statement["Action"])

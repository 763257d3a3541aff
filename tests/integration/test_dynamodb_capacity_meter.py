"""The capacity meter on moto: writes and reads charged by DynamoDB's rules (a growing item costs
more, a failed condition is charged, a Query sums its items), and a hot partition key throttled at 1,000 write
units within one second of the test's clock, served again the next second."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from support.clock import Clock
from support.dynamodb_capacity import CapacityMeter, moto_backend_reader
from support.local_aws import deploy

pytestmark = pytest.mark.integration


def _key(pk: str, sk: str = "S") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _item(pk: str, sk: str, filler_bytes: int) -> dict[str, Any]:
    return {**_key(pk, sk), "filler": {"S": "x" * filler_bytes}}


@pytest.fixture
def table(aws: Any) -> tuple[Any, str, Clock, CapacityMeter]:
    """The router's table (made from template.yaml), a client of it with a meter that throttles, the clock."""
    name = deploy(aws).table_name
    client, clock = aws.client("dynamodb"), Clock(1_800_000_000_000)
    return client, name, clock, CapacityMeter(aws, now_ms=clock).attach(client)


def test_each_write_to_a_growing_item_costs_more(table: Any) -> None:
    client, name, _, meter = table
    cost: list[float] = []
    for index in range(
        40
    ):  # a member of ~800 bytes added to one item each time (a group holding its members)
        before = meter.write_units
        client.update_item(
            TableName=name,
            Key=_key("GROUP#storm", "GROUP"),
            UpdateExpression="SET #fp = :member",
            ExpressionAttributeNames={"#fp": f"member{index:03d}"},
            ExpressionAttributeValues={
                ":member": {"M": {"reason": {"S": "x" * 780}, "ts_ms": {"N": str(index)}}}
            },
            ReturnValues="ALL_NEW",
        )
        cost.append(meter.write_units - before)
    assert cost[0] == 1 and cost[-1] == 32 and cost == sorted(cost)  # each write pays for the whole item
    assert meter.largest_item[1] == "GROUP#storm" and meter.largest_item[0] > 31 * 1024
    assert meter.returned_bytes > sum(range(40)) * 800  # ALL_NEW brought the whole item back every time


def test_a_failed_conditional_write_is_charged_by_the_item_it_found(table: Any) -> None:
    client, name, _, meter = table
    client.put_item(TableName=name, Item=_item("ALERT#a", "STATE", 3_000))
    assert meter.write_units == 3
    for _ in range(2):  # the item is there (3 KB): 3 units each time, though nothing was written
        with pytest.raises(client.exceptions.ConditionalCheckFailedException):
            client.put_item(
                TableName=name,
                Item=_item("ALERT#a", "STATE", 10),
                ConditionExpression="attribute_not_exists(pk)",
            )
    with pytest.raises(client.exceptions.ConditionalCheckFailedException):  # none there: 1 unit
        client.update_item(
            TableName=name,
            Key=_key("ALERT#b", "STATE"),
            UpdateExpression="SET v = :v",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":v": {"N": "1"}},
        )
    assert meter.write_units == 3 + 2 * 3 + 1
    assert meter.calls["PutItem"] == 3 and meter.calls["UpdateItem"] == 1


def test_a_write_is_charged_by_the_larger_of_the_item_before_and_after(table: Any) -> None:
    client, name, _, meter = table
    client.put_item(TableName=name, Item=_item("GROUP#g", "GROUP", 5_000))
    client.update_item(  # a few bytes changed on a 5 KB item: 5 units
        TableName=name,
        Key=_key("GROUP#g", "GROUP"),
        UpdateExpression="SET v = :v",
        ExpressionAttributeValues={":v": {"N": "1"}},
    )
    client.delete_item(TableName=name, Key=_key("GROUP#g", "GROUP"))  # the deleted item's 5 KB
    client.delete_item(TableName=name, Key=_key("GROUP#g", "GROUP"))  # nothing there: 1
    assert meter.by_operation["UpdateItem"].write == 5
    assert meter.by_operation["DeleteItem"].write == 5 + 1
    assert meter.write_units == 5 + 5 + 6


def test_a_query_page_is_charged_by_the_sum_of_its_items_and_a_projection_does_not_lower_it(
    table: Any,
) -> None:
    client, name, _, meter = table
    for i in range(10):  # 10 items of ~1.5 KB: 15 KB in one partition
        client.put_item(TableName=name, Item=_item("HISTORY#k", f"{i:03d}", 1_500))
    meter.reset()
    query = {
        "TableName": name,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": "HISTORY#k"}},
        "ConsistentRead": True,
    }
    assert len(client.query(**query)["Items"]) == 10
    assert meter.read_units == 4  # ceil(15 KB / 4 KB), not 10 (one per item)
    client.query(**query, ProjectionExpression="sk")
    assert meter.read_units == 8  # the same items were read, whatever came back
    client.query(**{**query, "ConsistentRead": False})
    assert meter.read_units == 10  # eventually consistent: half
    client.get_item(
        TableName=name, Key=_key("HISTORY#k", "000"), ConsistentRead=True, ProjectionExpression="sk"
    )
    client.get_item(TableName=name, Key=_key("HISTORY#none", "000"), ConsistentRead=True)
    assert meter.by_operation["GetItem"].read == 2 and meter.by_prefix["HISTORY#"].read == 12


def test_a_hot_key_is_throttled_above_1000_write_units_in_one_second_and_served_the_next(table: Any) -> None:
    client, name, clock, meter = table
    for i in range(1_000):  # 1,000 writes of under 1 KB to one partition key within one second: all served
        client.put_item(TableName=name, Item=_item("GROUP#hot", f"{i:04d}", 100))
    with pytest.raises(ClientError) as throttled:
        client.put_item(TableName=name, Item=_item("GROUP#hot", "one-more", 100))
    error = throttled.value.response
    assert error["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert error["ThrottlingReasons"][0]["reason"] == "TableWriteKeyRangeThroughputExceeded"
    assert error["ThrottlingReasons"][0]["resource"].endswith(f":table/{name}")
    assert "one-more" not in {i["sk"]["S"] for i in _items(client, name, "GROUP#hot")}  # never reached it
    client.put_item(TableName=name, Item=_item("GROUP#cold", "x", 100))  # another key is not held back
    clock.advance(1)
    client.put_item(TableName=name, Item=_item("GROUP#hot", "one-more", 100))  # the next second: served
    assert meter.throttled["PutItem"] == 1
    peak = meter.peak_write()
    assert (peak.units, peak.pk) == (1_000, "GROUP#hot") and meter.seconds_over() == 0


def _items(client: Any, name: str, pk: str) -> list[dict[str, Any]]:
    got = client.query(
        TableName=name, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": pk}}
    )
    items: list[dict[str, Any]] = got["Items"]
    return items


def test_a_meter_that_does_not_throttle_counts_the_seconds_a_key_was_over(table: Any, aws: Any) -> None:
    _, name, clock, _ = table
    writer = aws.client("dynamodb")
    meter = CapacityMeter(aws, now_ms=clock, throttle=False).attach(writer)
    for i in range(3):  # 3 writes of ~390 KB to one key in one second: 3 x 391 = 1,173 units, all served
        writer.put_item(TableName=name, Item=_item("GROUP#big", f"{i}", 390 * 1024))
    assert meter.seconds_over() == 1 and meter.peak_write().units == 3 * 391
    assert sum(meter.throttled.values()) == 0


def test_the_in_process_reader_sizes_items_as_the_client_does(aws: Any) -> None:
    name = deploy(aws).table_name
    clock = Clock(1_800_000_000_000)
    by_client, by_backend = aws.client("dynamodb"), aws.client("dynamodb")
    metered = [
        CapacityMeter(aws, now_ms=clock).attach(by_client),
        CapacityMeter(aws, now_ms=clock, read_item=moto_backend_reader()).attach(by_backend),
    ]
    nested = {
        "M": {
            f"fp{i}": {"M": {"ts_ms": {"N": "1767225600123"}, "title": {"S": "é" * 300}}} for i in range(20)
        }
    }
    for client, pk in ((by_client, "GROUP#a"), (by_backend, "GROUP#b")):
        client.put_item(
            TableName=name, Item={**_key(pk, "GROUP"), "members": nested, "tags": {"L": [nested]}}
        )
        client.update_item(
            TableName=name,
            Key=_key(pk, "GROUP"),
            UpdateExpression="SET members.#fp = :m",
            ExpressionAttributeNames={"#fp": "new"},
            ExpressionAttributeValues={":m": {"M": {"ok": {"BOOL": True}, "none": {"NULL": True}}}},
        )
        client.get_item(TableName=name, Key=_key(pk, "GROUP"), ProjectionExpression="tags")
    client_figures, backend_figures = (m.summary() for m in metered)
    assert client_figures["largest_item"][0] == backend_figures["largest_item"][0] > 12 * 1024
    assert (client_figures["write_units"], client_figures["read_units"]) == (
        backend_figures["write_units"],
        backend_figures["read_units"],
    )

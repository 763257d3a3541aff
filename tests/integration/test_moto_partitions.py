"""The tests' moto Query that reads only the queried partition (support/moto_partitions.py) answers as
DynamoDB does: the partition's items in sort key order, either way, page by page, with key conditions; an
index query and a table without a sort key are answered by moto's own Query."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto import mock_aws

from support.local_aws import use_fake_aws_environment
from support.moto_partitions import query_reads_one_partition

pytestmark = pytest.mark.integration


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> Any:
    use_fake_aws_environment(monkeypatch)
    query_reads_one_partition()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="t",
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
                {"AttributeName": "kind", "AttributeType": "S"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by_kind",
                    "KeySchema": [{"AttributeName": "kind", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        for p in range(5):
            for s in (7, 3, 11, 0, 5):
                client.put_item(
                    TableName="t",
                    Item={
                        "pk": {"S": f"P{p}"},
                        "sk": {"S": f"M#{s:02d}"},
                        "kind": {"S": "odd" if s % 2 else "even"},
                    },
                )
        yield client


def keys(answer: dict[str, Any]) -> list[str]:
    return [f"{i['pk']['S']}/{i['sk']['S']}" for i in answer["Items"]]


def test_a_query_answers_its_partition_in_sort_key_order_either_way(table: Any) -> None:
    forward = table.query(
        TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "P2"}}
    )
    assert keys(forward) == [f"P2/M#{s:02d}" for s in (0, 3, 5, 7, 11)]
    backward = table.query(
        TableName="t",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "P2"}},
        ScanIndexForward=False,
    )
    assert keys(backward) == keys(forward)[::-1]
    missing = table.query(
        TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "P9"}}
    )
    assert missing["Items"] == []


def test_pages_and_key_conditions_are_kept(table: Any) -> None:
    seen: list[str] = []
    start: dict[str, Any] = {}
    while True:
        page = table.query(
            TableName="t",
            KeyConditionExpression="pk = :p AND begins_with(sk, :m)",
            ExpressionAttributeValues={":p": {"S": "P4"}, ":m": {"S": "M#"}},
            Limit=2,
            **start,
        )
        seen += keys(page)
        if "LastEvaluatedKey" not in page:
            break
        start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}
    assert seen == [f"P4/M#{s:02d}" for s in (0, 3, 5, 7, 11)]
    above = table.query(
        TableName="t",
        KeyConditionExpression="pk = :p AND sk > :s",
        ExpressionAttributeValues={":p": {"S": "P0"}, ":s": {"S": "M#05"}},
    )
    assert keys(above) == ["P0/M#07", "P0/M#11"]


def test_an_index_query_still_reads_every_partition(table: Any) -> None:
    odd = table.query(
        TableName="t",
        IndexName="by_kind",
        KeyConditionExpression="kind = :k",
        ExpressionAttributeValues={":k": {"S": "odd"}},
    )
    assert len(odd["Items"]) == 5 * 4  # 3, 5, 7, 11 of each of the 5 partitions

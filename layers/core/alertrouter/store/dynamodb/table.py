"""The one table every aggregate's items live in, and the client that reaches it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from alertrouter.store.dynamodb.codec import decode_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class Table:
    def __init__(self, table_name: str, client: DynamoDBClient) -> None:
        self.table = table_name
        self.client = client

    def _query_all(self, pk: str, *, consistent: bool = True) -> list[dict[str, Any]]:
        """Every item of one partition (a kind of item that is few: silences, escalations...), as plain dicts.
        `consistent=False`: an eventually consistent read, half the read units, for a listing that may be a
        moment behind (an index's shard)."""
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}},
            "ConsistentRead": consistent,
        }
        while True:
            got = self.client.query(**kwargs)
            items.extend(decode_item(i) for i in got.get("Items", []))
            if "LastEvaluatedKey" not in got:
                return items
            kwargs["ExclusiveStartKey"] = got["LastEvaluatedKey"]

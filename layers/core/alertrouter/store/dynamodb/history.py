"""Each group's notification history (an item per entry, sorted by time) and the one-time request keys
(an item each) that refuse replayed Slack requests."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from alertrouter.store.base import HistoryStore, RequestStore
from alertrouter.store.dynamodb.codec import (
    HISTORY_TTL_S,
    conditional_failed,
    decode_item,
    encode_item,
    expires_in,
    history_entry_key,
    history_partition,
    request_key,
)
from alertrouter.store.dynamodb.table import Table


class HistoryItems(Table, HistoryStore):
    def add_history(self, key: str, at_ms: int, kind: str, detail: dict[str, Any]) -> None:
        values = {"at_ms": at_ms, "kind": kind, **detail, "expires_at": expires_in(HISTORY_TTL_S)}
        self.client.put_item(
            TableName=self.table, Item={**history_entry_key(key, at_ms), **encode_item(values)}
        )

    def history(self, key: str, limit: int = 100) -> list[dict[str, Any]]:
        got = self.client.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=history_partition(key),
            ScanIndexForward=False,
            Limit=limit,
        )
        entries = [decode_item(i) for i in got.get("Items", [])]
        for entry in entries:
            for name in ("pk", "sk", "expires_at"):
                entry.pop(name, None)
        return list(reversed(entries))


class RequestItems(Table, RequestStore):
    def remember_request(self, key: str, expires_at_s: int) -> bool:
        try:
            self.client.put_item(
                TableName=self.table,
                Item={**request_key(key), **encode_item({"expires_at": expires_at_s})},
                ConditionExpression="attribute_not_exists(pk)",
            )
            return True
        except ClientError as exc:
            if conditional_failed(exc):
                return False
            raise

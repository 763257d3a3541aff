"""The open-group index: an item per group with something open, in one of OPEN_GROUP_SHARDS partitions
(`OPENGROUP#<n>`, by a hash of the group key, so a storm of new groups spreads its writes), put and deleted by
the flush (flush/open_group.py): a couple of writes per group episode, none per alert. Read by
slack_app/open_now.py."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from alertrouter.models.open_group import OPEN_GROUP_SHARDS, OpenGroup
from alertrouter.store.base import OpenGroupIndex
from alertrouter.store.dynamodb.codec import (
    conditional_failed,
    encode_item,
    open_group_key,
)
from alertrouter.store.dynamodb.table import Table


class OpenGroupItems(Table, OpenGroupIndex):
    def list_open_group(self, group: OpenGroup) -> None:
        self.client.put_item(
            TableName=self.table,
            Item={
                **open_group_key(group.key),
                **encode_item({"put_ms": group.put_ms, "labels": group.labels}),
            },
        )

    def unlist_open_group(self, key: str, put_ms: int) -> bool:
        try:
            self.client.delete_item(
                TableName=self.table,
                Key=open_group_key(key),
                ConditionExpression="put_ms = :put",
                ExpressionAttributeValues=encode_item({":put": put_ms}),
            )
            return True
        except ClientError as exc:
            if conditional_failed(exc):
                return False
            raise

    def open_groups(self) -> list[OpenGroup]:
        entries = [
            _entry(item)
            for n in range(OPEN_GROUP_SHARDS)
            for item in self._query_all(f"OPENGROUP#{n}", consistent=False)
        ]
        return sorted(entries, key=lambda e: (e.put_ms, e.key))


def _entry(item: dict[str, Any]) -> OpenGroup:
    labels = item.get("labels") or {}
    return OpenGroup(
        key=item["sk"], put_ms=item.get("put_ms", 0), labels={str(k): str(v) for k, v in labels.items()}
    )

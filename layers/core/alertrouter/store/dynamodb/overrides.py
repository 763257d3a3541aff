"""On-call overrides: a partition per schedule (`OVERRIDE#<schedule>`), an item per override sorted by its
start (`sk` = start and when it was made, zero-padded, so two with one start are both kept), removed by the
TTL a week after it ends."""

from __future__ import annotations

from typing import Any

from alertrouter.models.schedule import Override
from alertrouter.store.base import OverrideStore
from alertrouter.store.dynamodb.codec import decode_item, encode_item
from alertrouter.store.dynamodb.table import Table

OVERRIDE_KEEP_S = 7 * 86400  # an ended override stays listable this long


def override_key(schedule: str, start_ms: int, created_ms: int) -> dict[str, Any]:
    return {"pk": {"S": f"OVERRIDE#{schedule}"}, "sk": {"S": f"{start_ms:015d}#{created_ms:015d}"}}


def _override(item: dict[str, Any]) -> Override:
    return Override(
        schedule=item["schedule"],
        person=item["person"],
        start_ms=int(item["start_ms"]),
        end_ms=int(item["end_ms"]),
        by=item.get("by", ""),
        created_ms=int(item.get("created_ms", 0)),
    )


class OverrideItems(Table, OverrideStore):
    def put_override(self, override: Override) -> None:
        self.client.put_item(
            TableName=self.table,
            Item={
                **encode_item(
                    {
                        "schedule": override.schedule,
                        "person": override.person,
                        "start_ms": override.start_ms,
                        "end_ms": override.end_ms,
                        "by": override.by,
                        "created_ms": override.created_ms,
                        "expires_at": override.end_ms // 1000 + OVERRIDE_KEEP_S,
                    }
                ),
                **override_key(override.schedule, override.start_ms, override.created_ms),
            },
        )

    def overrides(self, schedule: str, from_ms: int, to_ms: int) -> list[Override]:
        # Those starting before `to_ms` (a key condition), less those ended by `from_ms` (a filter: the TTL
        # keeps that part of the partition a week long).
        found: list[Override] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND sk < :to",
            "FilterExpression": "end_ms > :from",
            "ExpressionAttributeValues": {
                ":pk": {"S": f"OVERRIDE#{schedule}"},
                ":to": {"S": f"{max(to_ms, 0):015d}"},
                ":from": {"N": str(from_ms)},
            },
            "ConsistentRead": True,
        }
        while True:
            got = self.client.query(**kwargs)
            found += [_override(decode_item(i)) for i in got.get("Items", [])]
            if "LastEvaluatedKey" not in got:
                return found
            kwargs["ExclusiveStartKey"] = got["LastEvaluatedKey"]

    def remove_override(self, schedule: str, start_ms: int, created_ms: int) -> Override | None:
        got = self.client.delete_item(
            TableName=self.table, Key=override_key(schedule, start_ms, created_ms), ReturnValues="ALL_OLD"
        )
        old = got.get("Attributes")
        return _override(decode_item(old)) if old else None

"""The alerts held back now: member items whose group's last flush recorded a mute reason (`mute`)."""

from __future__ import annotations

from typing import Any

from alertrouter.store.base import HeldBack, HeldBackView
from alertrouter.store.dynamodb.codec import decode_item
from alertrouter.store.dynamodb.group_layout import MEMBER_PREFIX, fingerprint_of
from alertrouter.store.dynamodb.table import Table

GROUP_PREFIX = "GROUP#"


class HeldBackItems(Table, HeldBackView):
    def held_back(self) -> list[HeldBack]:
        # A Scan: groups have no index of their own, and this is an operator's occasional look (the CLI),
        # never the router's path. It reads (and bills) every item; only the few fields shown come back.
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "FilterExpression": "begins_with(sk, :member) AND attribute_exists(#mute)",
            "ProjectionExpression": "pk, sk, #mute, #m.title",
            "ExpressionAttributeNames": {"#mute": "mute", "#m": "m"},
            "ExpressionAttributeValues": {":member": {"S": MEMBER_PREFIX}},
        }
        found = []
        while True:
            got = self.client.scan(**kwargs)
            for raw in got.get("Items", []):
                item = decode_item(raw)
                found.append(
                    HeldBack(
                        group=str(item["pk"]).removeprefix(GROUP_PREFIX),
                        fingerprint=fingerprint_of(item["sk"]),
                        title=str((item.get("m") or {}).get("title", "")),
                        reason=str(item["mute"]),
                    )
                )
            if "LastEvaluatedKey" not in got:
                return sorted(found, key=lambda h: (h.group, h.title, h.fingerprint))
            kwargs["ExclusiveStartKey"] = got["LastEvaluatedKey"]

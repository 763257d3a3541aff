"""Each SLO's rolling aggregates: one item per SLO, its evaluator the only writer."""

from __future__ import annotations

from typing import Any

from alertrouter.store.base import SloStateStore
from alertrouter.store.dynamodb.codec import (
    SLO_STATE_TTL_S,
    decode_item,
    encode_item,
    expires_in,
    slo_state_key,
)
from alertrouter.store.dynamodb.table import Table


class SloStateItems(Table, SloStateStore):
    def load_slo_state(self, name: str) -> dict[str, Any] | None:
        got = self.client.get_item(TableName=self.table, Key=slo_state_key(name), ConsistentRead=True)
        return decode_item(got["Item"]) if "Item" in got else None

    def save_slo_state(self, name: str, state: dict[str, Any]) -> None:
        values = {**state, "expires_at": expires_in(SLO_STATE_TTL_S)}
        self.client.put_item(TableName=self.table, Item={**encode_item(values), **slo_state_key(name)})

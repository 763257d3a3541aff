"""The open-alert index: an item per firing alert in one of OPEN_SHARDS partitions (`OPEN#<n>`, by a hash
of the fingerprint, so a storm's writes spread), put before the alert's firing state is written and deleted
after the state that ends it (AlertItems.apply_alert); read and reconciled by the escalator's count."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from alertrouter.models.open_alert import OPEN_SHARDS, OpenEntry
from alertrouter.models.state import AlertState
from alertrouter.store.base import OpenAlertIndex
from alertrouter.store.dynamodb.codec import (
    conditional_failed,
    encode_item,
    open_alert_key,
)
from alertrouter.store.dynamodb.table import Table


class OpenAlertItems(Table, OpenAlertIndex):
    # Whether apply_alert keeps the index: a hub's router does (its org-wide dashboards show the gauge); a
    # standalone router does not, and pays no write unit per fire and resolve for a gauge nothing shows.
    keeps_open_index = True

    def open_entries(self, shard: int | None = None) -> list[OpenEntry]:
        shards = range(OPEN_SHARDS) if shard is None else (shard,)
        return [_entry(item) for n in shards for item in self._query_all(f"OPEN#{n}", consistent=False)]

    def drop_open(self, entry: OpenEntry) -> bool:
        return self._delete_if(
            entry.fingerprint,
            "ts_ms = :ts AND put_ms = :put",
            {":ts": entry.ts_ms, ":put": entry.put_ms},
        )

    def index_open(self, state: AlertState, now_ms: int) -> None:
        """Put the entry of a state about to be written firing (idempotent: a retry puts it again)."""
        if not self.keeps_open_index:
            return
        entry = OpenEntry.of(state, now_ms)
        self.client.put_item(
            TableName=self.table,
            Item={
                **open_alert_key(entry.fingerprint),
                **encode_item(
                    {
                        "ts_ms": entry.ts_ms,
                        "put_ms": entry.put_ms,
                        "account": entry.account,
                        "account_name": entry.account_name,
                        "severity": entry.severity,
                    }
                ),
            },
        )

    def unindex_open(self, fingerprint: str, ts_ms: int) -> None:
        """Delete the entry of an alert whose state of ts_ms is no longer firing (an entry put for a newer
        firing event stays)."""
        if self.keeps_open_index:
            self._delete_if(fingerprint, "ts_ms < :ts", {":ts": ts_ms})

    def _delete_if(self, fingerprint: str, condition: str, values: dict[str, Any]) -> bool:
        try:
            self.client.delete_item(
                TableName=self.table,
                Key=open_alert_key(fingerprint),
                ConditionExpression=condition,
                ExpressionAttributeValues=encode_item(values),
            )
            return True
        except ClientError as exc:
            if conditional_failed(exc):
                return False
            raise


def _entry(item: dict[str, Any]) -> OpenEntry:
    return OpenEntry(
        fingerprint=item["sk"],
        ts_ms=item.get("ts_ms", 0),
        put_ms=item.get("put_ms", 0),
        account=item.get("account", ""),
        account_name=item.get("account_name", ""),
        severity=item.get("severity", ""),
    )

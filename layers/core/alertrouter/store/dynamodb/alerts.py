"""Alerts' states (an item each) and the expiries of one-shot alerts (one partition)."""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import ClientError

from alertrouter.models.alert import Alert
from alertrouter.models.state import AlertState
from alertrouter.store.base import AlertApplied, AlertStore, ExpiryStore
from alertrouter.store.dynamodb.codec import (
    ALERT_TTL_S,
    EXPIRY_KEEP_S,
    alert_key,
    conditional_failed,
    decode_item,
    encode_item,
    expires_in,
    expiry_key,
)
from alertrouter.store.dynamodb.table import Table


class AlertItems(Table, AlertStore):
    def get_alert(self, fingerprint: str) -> AlertState | None:
        got = self.client.get_item(TableName=self.table, Key=alert_key(fingerprint), ConsistentRead=True)
        return AlertState.model_validate(decode_item(got["Item"])) if "Item" in got else None

    def set_failsafe_group(self, fingerprint: str, ts_ms: int, key: str) -> None:
        try:
            self.client.update_item(
                TableName=self.table,
                Key=alert_key(fingerprint),
                UpdateExpression="SET failsafe_group = :k",
                ConditionExpression="ts_ms = :ts",
                ExpressionAttributeValues=encode_item({":k": key, ":ts": ts_ms}),
            )
        except ClientError as exc:
            # failed on the condition: a newer event was applied meanwhile, and its own handling notes the group
            if not conditional_failed(exc):
                raise

    def apply_alert(self, alert: Alert, now_ms: int) -> AlertApplied:
        # Optimistic concurrency: read, compute, write only if the stored ts is still what was read.
        for _ in range(5):
            old = self.get_alert(alert.fingerprint)
            if old is not None and old.ts_ms >= alert.timestamp_ms:
                return AlertApplied(False, old)
            new = AlertState.first(alert, now_ms) if old is None else old.next(alert, now_ms)
            values = {**new.model_dump(), "expires_at": expires_in(ALERT_TTL_S)}
            item = {**alert_key(alert.fingerprint), **encode_item(values)}
            try:
                if old is None:
                    self.client.put_item(
                        TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(pk)"
                    )
                else:
                    self.client.put_item(
                        TableName=self.table,
                        Item=item,
                        ConditionExpression="ts_ms = :old",
                        ExpressionAttributeValues={":old": {"N": str(old.ts_ms)}},
                    )
                return AlertApplied(True, new)
            except ClientError as exc:
                if not conditional_failed(exc):
                    raise
        raise RuntimeError(f"alert {alert.fingerprint}: too much write contention")

    def get_alerts(self, fingerprints: list[str]) -> dict[str, AlertState]:
        found: dict[str, AlertState] = {}
        unique = list(dict.fromkeys(fingerprints))
        for start in range(0, len(unique), 100):  # BatchGetItem takes 100 keys
            keys = [alert_key(fp) for fp in unique[start : start + 100]]
            request: dict[str, Any] = {self.table: {"Keys": keys, "ConsistentRead": True}}
            for _ in range(8):
                got = self.client.batch_get_item(RequestItems=request)
                for item in got.get("Responses", {}).get(self.table, []):
                    state = AlertState.model_validate(decode_item(item))
                    found[state.fingerprint] = state
                request = got.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(0.05)
            if request:
                raise RuntimeError("DynamoDB left keys unprocessed after retries")
        return found


class ExpiryItems(Table, ExpiryStore):
    def set_expiry(self, fingerprint: str, ts_ms: int, due_ms: int) -> None:
        try:
            self.client.put_item(
                TableName=self.table,
                Item={
                    **expiry_key(fingerprint),
                    **encode_item(
                        {"ts_ms": ts_ms, "due_ms": due_ms, "expires_at": due_ms // 1000 + EXPIRY_KEEP_S}
                    ),
                },
                ConditionExpression="attribute_not_exists(pk) OR ts_ms < :ts",
                ExpressionAttributeValues=encode_item({":ts": ts_ms}),
            )
        except ClientError as exc:
            if not conditional_failed(exc):
                raise

    def expiries(self) -> list[tuple[str, int, int]]:
        return [(i["sk"], i["ts_ms"], i["due_ms"]) for i in self._query_all("EXPIRE")]

    def end_expiry(self, fingerprint: str, ts_ms: int) -> None:
        try:
            self.client.delete_item(
                TableName=self.table,
                Key=expiry_key(fingerprint),
                ConditionExpression="ts_ms = :ts",
                ExpressionAttributeValues=encode_item({":ts": ts_ms}),
            )
        except ClientError as exc:
            if not conditional_failed(exc):
                raise

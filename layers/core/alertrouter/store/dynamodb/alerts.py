"""Alerts' states (an item each) and the expiries of one-shot alerts (one partition)."""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import ClientError

from alertrouter.models.alert import Alert, Status
from alertrouter.models.state import AlertState
from alertrouter.store.base import AlertApplied, AlertStore, ExpiryStore
from alertrouter.store.dynamodb.alert_item import alert_item, alert_state_of
from alertrouter.store.dynamodb.codec import (
    EXPIRY_KEEP_S,
    alert_key,
    conditional_failed,
    encode_item,
    expiry_key,
)
from alertrouter.store.dynamodb.open_alerts import OpenAlertItems
from alertrouter.store.dynamodb.table import Table


class AlertItems(OpenAlertItems, AlertStore):
    def get_alert(self, fingerprint: str) -> AlertState | None:
        got = self.client.get_item(TableName=self.table, Key=alert_key(fingerprint), ConsistentRead=True)
        return alert_state_of(got["Item"]) if "Item" in got else None

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
        indexed = False  # this call put the alert's open-alert entry
        if alert.one_shot:
            # A one-shot alert (a job that failed) is nearly always new: written without reading first (a
            # storm of them then costs no read per alert); a redelivery's refusal brings the stored state.
            first = AlertState.first(alert, now_ms)
            indexed = self._open_before(first, None, now_ms)
            written, old = self._write(first, None)
            if written:
                return AlertApplied(True, first)
        else:
            old = self.get_alert(alert.fingerprint)
        # Optimistic concurrency: compute from what is stored, write only if it is still what was seen.
        for _ in range(5):
            if old is not None and old.ts_ms >= alert.timestamp_ms:
                if indexed and old.status != Status.FIRING:
                    self.unindex_open(old.fingerprint, old.ts_ms)  # a stale firing event: take it back
                return AlertApplied(False, old)
            new = AlertState.first(alert, now_ms) if old is None else old.next(alert, now_ms)
            indexed = self._open_before(new, old, now_ms) or indexed
            seen = old
            written, old = self._write(new, old)
            if written:
                if seen is not None and seen.status == Status.FIRING and new.status != Status.FIRING:
                    self.unindex_open(new.fingerprint, new.ts_ms)  # after: a failure leaves one too many
                return AlertApplied(True, new)
        raise RuntimeError(f"alert {alert.fingerprint}: too much write contention")

    def _open_before(self, new: AlertState, old: AlertState | None, now_ms: int) -> bool:
        """Index the alert as open before a state that makes it firing is written (one already firing is
        indexed); True if it was put now."""
        if new.status != Status.FIRING or (old is not None and old.status == Status.FIRING):
            return False
        self.index_open(new, now_ms)
        return True

    def _write(self, new: AlertState, seen: AlertState | None) -> tuple[bool, AlertState | None]:
        """Store `new` if the item is still as `seen` (absent, or at seen's event time): (True, seen); else
        (False, the state stored now), from the refusal itself (no read)."""
        condition: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(pk)"}
            if seen is None
            else {
                "ConditionExpression": "ts_ms = :old",
                "ExpressionAttributeValues": {":old": {"N": str(seen.ts_ms)}},
            }
        )
        try:
            self.client.put_item(
                TableName=self.table,
                Item={**alert_key(new.fingerprint), **alert_item(new)},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **condition,
            )
            return True, seen
        except ClientError as exc:
            if not conditional_failed(exc):
                raise
            stored: Any = exc.response.get("Item")  # (botocore types the error response loosely)
            return False, alert_state_of(stored) if stored else None

    def get_alerts(self, fingerprints: list[str]) -> dict[str, AlertState]:
        found: dict[str, AlertState] = {}
        unique = list(dict.fromkeys(fingerprints))
        for start in range(0, len(unique), 100):  # BatchGetItem takes 100 keys
            keys = [alert_key(fp) for fp in unique[start : start + 100]]
            request: dict[str, Any] = {self.table: {"Keys": keys, "ConsistentRead": True}}
            for _ in range(8):
                got = self.client.batch_get_item(RequestItems=request)
                for item in got.get("Responses", {}).get(self.table, []):
                    state = alert_state_of(item)
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

"""Silences and inhibition sources: each kind in one partition, read whole (they are few)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from alertrouter.models.silence import STORED, Silence, extended
from alertrouter.store.base import InhibitSourceStore, SilenceStore
from alertrouter.store.dynamodb.codec import (
    ALERT_TTL_S,
    SILENCE_KEEP_S,
    conditional_failed,
    decode_item,
    encode_item,
    expires_in,
    inhibit_source_key,
    silence_key,
)
from alertrouter.store.dynamodb.table import Table

SILENCE_MERGE_TRIES = 5  # rounds of read-merge-put racing other clicks on the same silence


class SilenceItems(Table, SilenceStore):
    @staticmethod
    def _silence_item(silence: Silence) -> dict[str, Any]:
        return {
            **encode_item(
                {**silence.model_dump(), "expires_at": silence.ends_at_ms // 1000 + SILENCE_KEEP_S}
            ),
            **silence_key(silence.id),
        }

    def put_silence(self, silence: Silence) -> None:
        self.client.put_item(TableName=self.table, Item=self._silence_item(silence))

    def extend_silence(self, silence: Silence) -> tuple[Silence, Silence | None]:
        # Read, merge, and put only if the item is still as read: a concurrent click makes the put fail and
        # this one merge again with what that click left (each round, some click's put succeeds).
        key = silence_key(silence.id)
        for _ in range(SILENCE_MERGE_TRIES):
            got = self.client.get_item(TableName=self.table, Key=key, ConsistentRead=True).get("Item")
            kept = Silence.model_validate(decode_item(got), context={STORED: True}) if got else None
            stored = extended(kept, silence)
            if stored == kept:
                return stored, kept
            put: dict[str, Any] = {
                "TableName": self.table,
                "Item": self._silence_item(stored),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
            if kept is not None:  # still as read
                put.update(
                    ConditionExpression="starts_at_ms = :starts AND ends_at_ms = :ends AND #group = :group "
                    "AND episode = :episode",
                    ExpressionAttributeNames={"#group": "group"},
                    ExpressionAttributeValues=encode_item(
                        {
                            ":starts": kept.starts_at_ms,
                            ":ends": kept.ends_at_ms,
                            ":group": kept.group,
                            ":episode": kept.episode,
                        }
                    ),
                )
            try:
                self.client.put_item(**put)
                return stored, kept
            except ClientError as exc:
                if not conditional_failed(exc):
                    raise
        raise RuntimeError(f"silence {silence.id} kept changing under {SILENCE_MERGE_TRIES} tries")

    def silences(self) -> list[Silence]:
        return sorted(
            (Silence.model_validate(i, context={STORED: True}) for i in self._query_all("SILENCE")),
            key=lambda s: s.starts_at_ms,
        )

    def expire_silence(self, silence_id: str, now_ms: int) -> Silence | None:
        # Two conditional tries: one that has started ends now; one that has not is also moved back, so
        # that it is over now too (a silence must end after it starts).
        for started, update in (
            (True, "SET ends_at_ms = :end, expires_at = :exp"),
            (False, "SET ends_at_ms = :end, starts_at_ms = :start, expires_at = :exp"),
        ):
            try:
                got = self.client.update_item(
                    TableName=self.table,
                    Key=silence_key(silence_id),
                    UpdateExpression=update,
                    ConditionExpression="attribute_exists(pk) AND ends_at_ms > :now AND "
                    + ("starts_at_ms < :now" if started else "starts_at_ms >= :now"),
                    ExpressionAttributeValues=encode_item(
                        {
                            ":end": now_ms,
                            ":now": now_ms,
                            ":exp": now_ms // 1000 + SILENCE_KEEP_S,
                            **({} if started else {":start": now_ms - 1}),
                        }
                    ),
                    ReturnValues="ALL_NEW",
                )
                return Silence.model_validate(decode_item(got["Attributes"]), context={STORED: True})
            except ClientError as exc:
                if not conditional_failed(exc):
                    raise
        return None


class InhibitSourceItems(Table, InhibitSourceStore):
    def set_inhibit_source(self, fingerprint: str, labels: dict[str, str], ts_ms: int, firing: bool) -> None:
        key = inhibit_source_key(fingerprint)
        try:
            # An item per source, kept (with firing false) after it resolves so that an older event
            # delivered late cannot bring it back; its TTL removes it later.
            self.client.put_item(
                TableName=self.table,
                Item={
                    **key,
                    **encode_item(
                        {
                            "labels": labels,
                            "ts_ms": ts_ms,
                            "firing": firing,
                            "expires_at": expires_in(ALERT_TTL_S),
                        }
                    ),
                },
                ConditionExpression="attribute_not_exists(pk) OR ts_ms < :ts",
                ExpressionAttributeValues=encode_item({":ts": ts_ms}),
            )
        except ClientError as exc:
            if not conditional_failed(exc):
                raise

    def inhibit_sources(self) -> dict[str, dict[str, str]]:
        return {i["sk"]: i["labels"] for i in self._query_all("INHIBIT") if i.get("firing")}

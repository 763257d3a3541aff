"""What paces SMS and ops pages: the slots (an item per recipient or cause) and the pages waiting for one
(one partition)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from alertrouter.models.state import QueuedPage
from alertrouter.store.base import PageOutbox, PagingSlots
from alertrouter.store.dynamodb.codec import (
    OUTBOX_KEEP_S,
    SLOT_KEEP_S,
    conditional_failed,
    encode_item,
    ops_page_key,
    outbox_key,
    sms_slot_key,
)
from alertrouter.store.dynamodb.table import Table


class PagingSlotItems(Table, PagingSlots):
    def claim_sms_slot(self, recipient: str, now_ms: int, gap_ms: int) -> bool:
        return self._claim_slot(sms_slot_key(recipient), now_ms=now_ms, gap_ms=gap_ms)

    def release_sms_slot(self, recipient: str, claimed_ms: int) -> None:
        self._release_slot(sms_slot_key(recipient), claimed_ms=claimed_ms)

    def claim_ops_page(self, cause: str, now_ms: int, gap_ms: int) -> bool:
        return self._claim_slot(ops_page_key(cause), now_ms=now_ms, gap_ms=gap_ms)

    def release_ops_page(self, cause: str, claimed_ms: int) -> None:
        self._release_slot(ops_page_key(cause), claimed_ms=claimed_ms)

    def _claim_slot(self, key: dict[str, Any], *, now_ms: int, gap_ms: int) -> bool:
        """One conditional put: the right to act now, unless someone took it less than gap_ms ago."""
        try:
            self.client.put_item(
                TableName=self.table,
                Item={**key, **encode_item({"sent_ms": now_ms, "expires_at": now_ms // 1000 + SLOT_KEEP_S})},
                ConditionExpression="attribute_not_exists(pk) OR sent_ms <= :before",
                ExpressionAttributeValues=encode_item({":before": now_ms - gap_ms}),
            )
            return True
        except ClientError as exc:
            if conditional_failed(exc):
                return False
            raise

    def _release_slot(self, key: dict[str, Any], *, claimed_ms: int) -> None:
        try:
            self.client.delete_item(
                TableName=self.table,
                Key=key,
                ConditionExpression="sent_ms = :at",
                ExpressionAttributeValues=encode_item({":at": claimed_ms}),
            )
        except ClientError as exc:
            if not conditional_failed(exc):
                raise


class OutboxItems(Table, PageOutbox):
    def queue_pages(self, pages: list[QueuedPage]) -> None:
        for page in pages:
            self.client.put_item(
                TableName=self.table,
                Item={
                    **outbox_key(page),
                    **encode_item(
                        {**page.model_dump(), "expires_at": page.queued_ms // 1000 + OUTBOX_KEEP_S}
                    ),
                },
            )

    def queued_pages(self) -> list[QueuedPage]:
        return sorted(
            (QueuedPage.model_validate(i) for i in self._query_all("OUTBOX")), key=lambda p: p.queued_ms
        )

    def drop_queued_pages(self, pages: list[QueuedPage]) -> None:
        for page in pages:  # only the page as read: one queued again since stays
            try:
                self.client.delete_item(
                    TableName=self.table,
                    Key=outbox_key(page),
                    ConditionExpression="queued_ms = :at",
                    ExpressionAttributeValues=encode_item({":at": page.queued_ms}),
                )
            except ClientError as exc:
                if not conditional_failed(exc):
                    raise

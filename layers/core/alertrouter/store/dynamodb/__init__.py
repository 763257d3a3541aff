"""The DynamoDB store: one table, an item codec (codec.py), and a module per aggregate, composed here."""

from __future__ import annotations

from alertrouter.store.base import StateStore
from alertrouter.store.dynamodb.alerts import AlertItems, ExpiryItems
from alertrouter.store.dynamodb.clicks import ClickItems
from alertrouter.store.dynamodb.escalations import EscalationItems
from alertrouter.store.dynamodb.groups import GroupItems
from alertrouter.store.dynamodb.history import HistoryItems, RequestItems
from alertrouter.store.dynamodb.leases import FlushLeaseItems
from alertrouter.store.dynamodb.paging import OutboxItems, PagingSlotItems
from alertrouter.store.dynamodb.silences import InhibitSourceItems, SilenceItems
from alertrouter.store.dynamodb.slo import SloStateItems


class DynamoDBStore(
    AlertItems,
    ExpiryItems,
    GroupItems,
    FlushLeaseItems,
    ClickItems,
    SilenceItems,
    InhibitSourceItems,
    EscalationItems,
    OutboxItems,
    PagingSlotItems,
    HistoryItems,
    RequestItems,
    SloStateItems,
    StateStore,
):
    """Every aggregate over one table: DynamoDBStore(table_name, client)."""


__all__ = ["DynamoDBStore"]

"""The DynamoDB store: one table, an item codec (codec.py), and a module per aggregate, composed here."""

from __future__ import annotations

from dataclasses import fields

from alertrouter.store.base import Stores
from alertrouter.store.dynamodb.alerts import AlertItems, ExpiryItems
from alertrouter.store.dynamodb.clicks import ClickItems
from alertrouter.store.dynamodb.escalations import EscalationItems
from alertrouter.store.dynamodb.groups import GroupItems
from alertrouter.store.dynamodb.handoffs import HandoffItems
from alertrouter.store.dynamodb.heartbeats import HeartbeatItems
from alertrouter.store.dynamodb.held_back import HeldBackItems
from alertrouter.store.dynamodb.history import HistoryItems, RequestItems
from alertrouter.store.dynamodb.leases import FlushLeaseItems
from alertrouter.store.dynamodb.open_alerts import OpenAlertItems
from alertrouter.store.dynamodb.open_groups import OpenGroupItems
from alertrouter.store.dynamodb.overrides import OverrideItems
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
    HeldBackItems,
    HandoffItems,
    OverrideItems,
    HeartbeatItems,
    OpenAlertItems,
    OpenGroupItems,
):
    """Every aggregate over one table: DynamoDBStore(table_name, client)."""

    def stores(self) -> Stores:
        """This one store as every aggregate of the bundle (mypy checks it against each field's Protocol)."""
        return Stores(*[self] * len(fields(Stores)))


__all__ = ["DynamoDBStore"]

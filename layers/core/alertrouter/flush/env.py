"""What every stage of a flush works with: the store, the notifiers, the routes, the clock; and the history."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from alertrouter.failsafe import FailSafe
from alertrouter.models.config import RoutingConfig
from alertrouter.notify.base import OpsPager, SlackApi, SmsSender
from alertrouter.observability import ROUTER, module_logger
from alertrouter.routebook import RouteBook
from alertrouter.store.base import (
    AlertStore,
    EscalationStore,
    FlushLeaseStore,
    GroupView,
    InhibitSourceStore,
    PageOutbox,
    PagingSlots,
    StateStore,
)

logger = module_logger(ROUTER, __name__)


@dataclass(slots=True)
class FlushEnv:
    """Built once per router; the stages keep it, never a copy of its parts (the clock may be swapped)."""

    config: RoutingConfig
    fail_safe: FailSafe
    store: StateStore
    routes: RouteBook
    slack: SlackApi | None
    sms: SmsSender | None
    ops: OpsPager | None
    account_label: str
    slack_token_secret: str  # named in the fix of a refused token
    now_ms: Callable[[], int]

    # The stages reach the store only through these, each the one aggregate a stage uses (the store itself is
    # one object: tests swap it whole).
    @property
    def leases(self) -> FlushLeaseStore:
        return self.store

    @property
    def groups(self) -> GroupView:
        return self.store

    @property
    def alerts(self) -> AlertStore:
        return self.store

    @property
    def inhibit_sources(self) -> InhibitSourceStore:
        return self.store

    @property
    def paging(self) -> PagingSlots:
        return self.store

    @property
    def outbox(self) -> PageOutbox:
        return self.store

    @property
    def escalations(self) -> EscalationStore:
        return self.store

    def history(self, key: str, kind: str, detail: dict[str, Any]) -> None:
        """History is for people reading it later: a failure to write it never fails (and so never
        repeats) the notification it describes."""
        try:
            self.store.add_history(key, self.now_ms(), kind, detail)
        except Exception:  # noqa: BLE001 - logged; the send it describes already happened
            logger.warning("history entry not written", extra={"group": key, "kind": kind}, exc_info=True)

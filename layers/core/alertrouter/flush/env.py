"""What every stage of a flush works with: the store's aggregates, the notifiers (Slack, SMS, ops, webhooks),
the routes, the clock; and the history."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import InitVar, dataclass, field
from typing import TYPE_CHECKING, Any

from alertrouter.failsafe import FailSafe
from alertrouter.models.config import RoutingConfig
from alertrouter.notify.base import OpsPager, SlackApi, SmsSender, WebhookSender
from alertrouter.notify.wording import Wording
from alertrouter.observability import ROUTER, module_logger
from alertrouter.on_call_now import OnCallNow
from alertrouter.routebook import RouteBook
from alertrouter.store.base import (
    AlertStore,
    EscalationStore,
    FlushLeaseStore,
    GroupView,
    HistoryStore,
    InhibitSourceStore,
    OpenGroupIndex,
    PageOutbox,
    PagingSlots,
    Stores,
)

if TYPE_CHECKING:
    from alertrouter.flush.graph_wiring import GraphWiring

logger = module_logger(ROUTER, __name__)


@dataclass(slots=True)
class FlushEnv:
    """Built once per router; the stages keep it, never a copy of its parts (the clock may be swapped). The
    stages reach the store only through its aggregate fields, each the one aggregate a stage uses."""

    config: RoutingConfig
    fail_safe: FailSafe
    stores: InitVar[Stores]
    routes: RouteBook
    slack: SlackApi | None
    sms: SmsSender | None
    ops: OpsPager | None
    account_label: str
    slack_token_secret: str  # named in the fix of a refused token
    now_ms: Callable[[], int]
    webhooks: WebhookSender | None = None
    on_call: OnCallNow | None = None  # whom `schedule:` recipients reach now (None: no schedules)
    account_id: str = ""  # the stack's own account: a text names any other by its name ("": not known)
    graphs: GraphWiring | None = None  # graphs in the messages (SLACK_GRAPHS; None: off)
    leases: FlushLeaseStore = field(init=False)
    groups: GroupView = field(init=False)
    alerts: AlertStore = field(init=False)
    inhibit_sources: InhibitSourceStore = field(init=False)
    paging: PagingSlots = field(init=False)
    outbox: PageOutbox = field(init=False)
    escalations: EscalationStore = field(init=False)
    histories: HistoryStore = field(init=False)
    open_groups: OpenGroupIndex = field(init=False)

    def __post_init__(self, stores: Stores) -> None:
        self.use(stores)

    def use(self, stores: Stores) -> None:
        """Work with these stores from now on (the stages keep this env, so it changes in place)."""
        self.leases, self.groups, self.alerts = stores.leases, stores.groups, stores.alerts
        self.inhibit_sources, self.paging, self.outbox = stores.inhibit_sources, stores.paging, stores.outbox
        self.escalations, self.histories = stores.escalations, stores.history
        self.open_groups = stores.open_groups

    @property
    def wording(self) -> Wording:
        """How this config's messages say times and accounts."""
        return Wording(self.config.messages)

    def history(self, key: str, kind: str, detail: dict[str, Any]) -> None:
        """History is for people reading it later: a failure to write it never fails (and so never
        repeats) the notification it describes."""
        try:
            self.histories.add_history(key, self.now_ms(), kind, detail)
        except Exception:  # noqa: BLE001 - logged; the send it describes already happened
            logger.warning("history entry not written", extra={"group": key, "kind": kind}, exc_info=True)

"""Where an alert goes (routes and groups, remembered per label set) and the routes and receivers by name."""

from __future__ import annotations

from typing import NamedTuple

from alertrouter import failsafe
from alertrouter.failsafe import FailSafe
from alertrouter.limits import DECISION_CACHE
from alertrouter.models.config import Receiver, ResolvedRoute, RoutingConfig
from alertrouter.models.state import GroupState
from alertrouter.observability import ROUTER, module_logger
from alertrouter.routing.inhibit import source_rules
from alertrouter.routing.tree import (
    DEFAULT_GROUP_INTERVAL,
    DEFAULT_GROUP_WAIT,
    DEFAULT_REPEAT_INTERVAL,
    group_identity,
    match_routes,
)
from alertrouter.store.base import AlertStore

logger = module_logger(ROUTER, __name__)


class Decision(NamedTuple):
    """Where an alert goes: a pure function of its labels and the (static) config."""

    routes: tuple[ResolvedRoute, ...]
    groups: tuple[
        tuple[str, dict[str, str]], ...
    ]  # per route: the group's key and its labels (not to be edited)
    inhibits: bool  # whether it can be the source of an inhibition


class RouteBook:
    def __init__(self, config: RoutingConfig, fail_safe: FailSafe, store: AlertStore) -> None:
        self.config = config
        self.fail_safe = fail_safe
        self.store = store
        self._routes: dict[str, ResolvedRoute] = {}
        # labels -> where the alert goes: the same alarms recur all through a storm; bounded by clearing, so
        # memory stays flat
        self._decisions: dict[tuple[tuple[str, str], ...], Decision] = {}

    def decide(self, labels: dict[str, str]) -> Decision:
        """Where an alert with these labels goes (routes and their groups), and whether it can inhibit."""
        items = tuple(labels.items())
        decision = self._decisions.get(items)
        if decision is None:
            routes = tuple(match_routes(self.config, labels))
            for route in routes:
                self._routes[route.id] = route
            rules = self.config.inhibit_rules
            decision = Decision(
                routes,
                tuple(group_identity(route, labels) for route in routes),
                bool(rules) and bool(source_rules(rules, labels)),
            )
            if len(self._decisions) >= DECISION_CACHE:
                self._decisions.clear()
            self._decisions[items] = decision
        return decision

    def receiver(self, name: str) -> Receiver:
        """The config's receiver of that name; the fail-safe one's groups are finished whatever the config."""
        try:
            return self.config.receiver(name)
        except KeyError:
            if name == failsafe.RECEIVER:
                return self.fail_safe.receiver
            raise

    def route_by_id(self, route_id: str, group: GroupState) -> ResolvedRoute:
        if route_id == failsafe.ROUTE_ID:
            return self.fail_safe.route
        if route_id in self._routes:
            return self._routes[route_id]
        # Not seen in this process yet: rebuild it from a member's labels (routes are pure functions).
        for fp in dict.fromkeys([*group.members, group.route_fp] if group.route_fp else group.members):
            state = self.store.get_alert(fp)
            if state is not None:
                for route in self.decide(state.labels).routes:
                    if route.id == route_id:
                        return route
        # The route is gone from the config (edited or reordered): finish with the group's own receiver
        # and the default timings rather than strand what it holds.
        self.receiver(group.receiver)  # KeyError if the receiver went too: nothing left to send to
        logger.warning("route no longer in the config", extra={"route": route_id, "group": group.key})
        return ResolvedRoute(
            id=route_id,
            receiver=group.receiver,
            group_by=(),
            group_wait=DEFAULT_GROUP_WAIT,
            group_interval=DEFAULT_GROUP_INTERVAL,
            repeat_interval=DEFAULT_REPEAT_INTERVAL,
        )

"""Alertmanager's route-tree walk: depth first, first matching child wins unless it says `continue`."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from alertrouter.models.alert import fingerprint
from alertrouter.models.config import ALL_LABELS, FlapPolicy, ResolvedRoute, Route, RoutingConfig

DEFAULT_GROUP_WAIT = timedelta(seconds=30)
DEFAULT_GROUP_INTERVAL = timedelta(minutes=5)
DEFAULT_REPEAT_INTERVAL = timedelta(hours=4)
DEFAULT_RESOLVE_TIMEOUT = timedelta(hours=1)
# config (kept alive by the entry, so its id stays unique) -> each route node's resolved settings
_RESOLVED: dict[int, tuple[RoutingConfig, dict[int, ResolvedRoute]]] = {}


def _resolve(route: Route, parent: ResolvedRoute | None) -> ResolvedRoute:
    def pick(name: str, default: object) -> object:
        own = getattr(route, name)
        if own is not None:
            return own
        return getattr(parent, name) if parent is not None else default

    group_by = route.group_by if route.group_by is not None else (parent.group_by if parent else ())
    return ResolvedRoute(
        id=route.id,
        receiver=str(pick("receiver", "")),
        group_by=tuple(group_by),
        group_wait=pick("group_wait", DEFAULT_GROUP_WAIT),
        group_interval=pick("group_interval", DEFAULT_GROUP_INTERVAL),
        repeat_interval=pick("repeat_interval", DEFAULT_REPEAT_INTERVAL),
        send_changes=pick("send_changes", "on_tick"),
        matchers=tuple(str(m) for m in route.matchers),
        # Alertmanager does not pass time intervals down the tree; our own settings are inherited
        mute_time_intervals=tuple(route.mute_time_intervals),
        active_time_intervals=tuple(route.active_time_intervals),
        escalation=pick("escalation", None),
        reminder_interval=pick("reminder_interval", None),
        resolve_timeout=pick("resolve_timeout", DEFAULT_RESOLVE_TIMEOUT),
        flapping=pick("flapping", FlapPolicy()),
    )


def match_routes(config: RoutingConfig, labels: dict[str, str]) -> list[ResolvedRoute]:
    """Every route that takes an alert with these labels (at least the root's)."""
    resolved = _resolved_tree(config)
    return _walk(config.route, labels, resolved)


def resolved_routes(config: RoutingConfig) -> list[ResolvedRoute]:
    """Every route of the tree with its inherited settings, the root first, in the order of the file."""
    return list(_resolved_tree(config).values())


def _resolved_tree(config: RoutingConfig) -> dict[int, ResolvedRoute]:
    """Each node's settings with inheritance applied, computed once per config (the tree is static)."""
    cached = _RESOLVED.get(id(config))
    if cached is None or cached[0] is not config:
        tree: dict[int, ResolvedRoute] = {}

        def visit(route: Route, parent: ResolvedRoute | None) -> None:
            here = tree[id(route)] = _resolve(route, parent)
            for child in route.routes:
                visit(child, here)

        visit(config.route, None)
        _RESOLVED[id(config)] = (config, tree)
        return tree
    return cached[1]


def _walk(route: Route, labels: dict[str, str], resolved: dict[int, ResolvedRoute]) -> list[ResolvedRoute]:
    for matcher in route.matchers:
        if not matcher.matches(labels):
            return []
    found: list[ResolvedRoute] = []
    for child in route.routes:
        matched = _walk(child, labels, resolved)
        if matched:
            found.extend(matched)
            if not child.continue_:
                break
    return found or [resolved[id(route)]]


def group_labels(route: ResolvedRoute, labels: dict[str, str]) -> dict[str, str]:
    """The labels that identify an alert's group on a route (`...` means every label)."""
    if ALL_LABELS in route.group_by:
        return dict(sorted(labels.items()))
    return {name: labels.get(name, "") for name in route.group_by}


def group_identity(route: ResolvedRoute, labels: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The key of the group an alert joins on a route, and the labels that define the group."""
    chosen = group_labels(route, labels)
    return _group_key(route.id, route.receiver, tuple(chosen.items())), chosen


def group_key(route: ResolvedRoute, labels: dict[str, str]) -> str:
    """A stable id for the group an alert joins on a route: route id, receiver, grouping labels."""
    return group_identity(route, labels)[0]


@lru_cache(maxsize=4096)  # the same groups recur on every event of a storm; bounded, so memory stays flat
def _group_key(route_id: str, receiver: str, items: tuple[tuple[str, str], ...]) -> str:
    return fingerprint(route_id, receiver, *(f"{k}={v}" for k, v in items))

"""`alertrouter config routes show` and `config routes test`: amtool's commands of the same names, printing
what amtool prints for the same file, so a team can check a config the way it always has."""

from __future__ import annotations

from alertrouter.models.config import Route, RoutingConfig
from alertrouter.models.matcher import Matcher, MatchOp
from alertrouter.models.matcher_syntax import MatcherSyntaxError
from alertrouter.routing.tree import match_routes

MISMATCH = "WARNING: Expected receivers did not match resolved receivers."


def routes_show(config: RoutingConfig) -> str:
    """The route tree as `amtool config routes show` draws it."""
    lines = ["Routing tree:", ".", f"└── default-route  receiver: {config.route.receiver}"]
    _children(config.route, config.route.receiver or "", "    ", lines)
    return "\n".join(lines) + "\n"


def _children(route: Route, inherited: str, prefix: str, lines: list[str]) -> None:
    for index, child in enumerate(route.routes):
        last = index == len(route.routes) - 1
        receiver = child.receiver or inherited
        matchers = ",".join(str(m) for m in sorted(child.matchers, key=_order))
        extra = "  continue: true" if child.continue_ else ""
        lines.append(f"{prefix}{'└── ' if last else '├── '}{{{matchers}}}{extra}  receiver: {receiver}")
        _children(
            child, receiver, prefix + ("    " if last else "│\u00a0\u00a0 "), lines
        )  # treeprint's glyphs


def _order(m: Matcher) -> tuple[str, str, int]:
    """Alertmanager's order of a route's matchers: by name, then value, then operator."""
    return m.name, m.value, list(MatchOp).index(m.op)


def parse_labels(arguments: list[str]) -> dict[str, str]:
    """amtool's `label=value` arguments (the value may be quoted, with Alertmanager's escapes)."""
    labels: dict[str, str] = {}
    for argument in arguments:
        matcher = Matcher.parse(argument)
        if matcher.op is not MatchOp.EQ:
            raise MatcherSyntaxError(f"a label is label=value, not {argument!r}")
        labels[matcher.name] = matcher.value
    return labels


def routes_test(config: RoutingConfig, labels: dict[str, str], verify: str | None) -> tuple[str, int]:
    """The receivers an alert with these labels reaches, as `amtool config routes test` prints them, and its
    exit code: 1 when `verify` (comma-separated receivers) is given and is not what was reached."""
    reached = ",".join(route.receiver for route in match_routes(config, labels))
    if verify is not None and verify != reached:
        return f"{reached}\n{MISMATCH}\n", 1
    return f"{reached}\n", 0

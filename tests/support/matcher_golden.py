"""Matchers in the shape of the conformance golden files (tests/conformance/golden/matchers*.json): what this
project makes of a matcher string, as a `matchers:` entry or a `silence add` argument, and what Alertmanager
made of it."""

from __future__ import annotations

from typing import Any

from alertrouter.models.matcher import Matcher, MatchOp
from alertrouter.models.matcher_syntax import MatcherSyntaxError

KIND = {
    MatchOp.EQ: (False, True),
    MatchOp.NE: (False, False),
    MatchOp.RE: (True, True),
    MatchOp.NRE: (True, False),
}


def golden(matchers: list[Matcher]) -> dict[str, Any]:
    """Accepted matchers in the golden's shape (sorted as Alertmanager sorts a route's)."""
    parsed = [
        {"name": m.name, "value": m.value, "isRegex": KIND[m.op][0], "isEqual": KIND[m.op][1]}
        for m in matchers
    ]
    return {"accepted": True, "matchers": sorted(parsed, key=lambda m: (m["name"], m["value"]))}


def recorded(oracle: dict[str, Any]) -> dict[str, Any]:
    """What Alertmanager made of a case, as `golden` puts it (refusals without their text)."""
    if not oracle["accepted"]:
        return {"accepted": False}
    return {"accepted": True, "matchers": sorted(oracle["matchers"], key=lambda m: (m["name"], m["value"]))}


def ours(text: str) -> dict[str, Any]:
    """What this project makes of a `matchers:` entry."""
    try:
        return golden(Matcher.parse_all(text))
    except MatcherSyntaxError:
        return {"accepted": False}


def matches(matcher: Matcher, value: str | None) -> bool:
    return matcher.matches({} if value is None else {matcher.name: value})


def silence_reading(arguments: list[str], read: int) -> dict[str, Any]:
    """What `alertrouter silence add ARGUMENTS...` makes of argument `read`, in the golden's shape."""
    from alertrouter.cli_silences import silence_arguments
    from alertrouter.models.silence import Silence

    try:
        matchers = [m if isinstance(m, Matcher) else Matcher.parse(m) for m in silence_arguments(arguments)]
        Silence(matchers=matchers, starts_at_ms=0, ends_at_ms=1, created_by="a")
    except (MatcherSyntaxError, ValueError):
        return {"accepted": False}
    return golden([matchers[read]])

"""Alertmanager's label matchers: `name=value`, `name!=value`, `name=~regex`, `name!~regex`, read with
Alertmanager's own grammar (models/matcher_syntax.py) and matched with RE2, anchored at both ends."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from alertrouter.models.matcher_syntax import (
    NAME,
    MatcherSyntaxError,
    compile_regex,
    parse_all,
    parse_one,
    quote,
)

# How releases before the Alertmanager grammar wrote a matcher into a silence item.
_LEGACY = re.compile(r'([A-Za-z_][A-Za-z0-9_:.\-]*)(=~|!~|!=|=)"(.*)"', re.S)


class MatchOp(StrEnum):
    EQ = "="
    NE = "!="
    RE = "=~"
    NRE = "!~"


class Matcher(BaseModel):
    """`name=value`, `name!=value`, `name=~regex`, `name!~regex`; regexes are RE2, fully anchored."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    name: str
    op: MatchOp
    value: str
    pattern: Any = None  # the compiled RE2 program of a regex matcher

    @classmethod
    def of(cls, name: str, op: str, value: str) -> Matcher:
        """A matcher from its parts, checked as Alertmanager checks them (name, operator, regex)."""
        if not NAME.fullmatch(name):
            raise MatcherSyntaxError(f"invalid label name {name!r}: letters, digits, _ and : only")
        if op not in MatchOp.__members__.values():
            raise MatcherSyntaxError(f"invalid operator {op!r}: expected =, !=, =~ or !~")
        pattern = compile_regex(value) if op in ("=~", "!~") else None
        return cls(name=name, op=MatchOp(op), value=value, pattern=pattern)

    @classmethod
    def stored(cls, text: str) -> Matcher:
        """A matcher as a silence item keeps it: written by str() (Alertmanager's grammar, escaped), or by a
        release before it, which wrote `name<op>"value"` unescaped and allowed `.` and `-` in names: read
        as written, so an upgrade changes no stored silence's meaning."""
        try:
            return cls.parse(text)
        except MatcherSyntaxError:
            legacy = _LEGACY.fullmatch(text)
            if legacy is None:
                raise
            name, op, value = legacy.groups()
            return cls(
                name=name, op=MatchOp(op), value=value, pattern=compile_regex(value) if "~" in op else None
            )

    @classmethod
    def parse_all(cls, text: str) -> list[Matcher]:
        """Every matcher of one Alertmanager matcher string: `'a="x", b=~"y.*"'`, `'{a="x"}'`."""
        return [cls.of(name, op, value) for name, op, value in parse_all(text)]

    @classmethod
    def parse(cls, text: str) -> Matcher:
        """Exactly one matcher, as amtool reads each argument of `silence add`: the whole string is one
        matcher (no braces taken off, no split at commas: `foo=a,b` is the value `a,b`, as there)."""
        return cls.of(*parse_one(text))

    def matches(self, labels: dict[str, str]) -> bool:
        # A missing label matches as the empty string, as in Alertmanager.
        actual = labels.get(self.name, "")
        if self.op is MatchOp.EQ:
            return actual == self.value
        if self.op is MatchOp.NE:
            return actual != self.value
        hit = self.pattern.search(actual) is not None
        return hit if self.op is MatchOp.RE else not hit

    def __str__(self) -> str:
        return f"{self.name}{self.op.value}{quote(self.value)}"

    def __eq__(self, other: object) -> bool:  # the compiled program follows from the rest
        if not isinstance(other, Matcher):
            return NotImplemented
        return (self.name, self.op, self.value) == (other.name, other.op, other.value)

    def __hash__(self) -> int:
        return hash((self.name, self.op, self.value))

    @classmethod
    def coerce_all(cls, value: object) -> list[Matcher]:
        """The matchers of one config entry: a string of one or more (Alertmanager's `matchers:`), or a
        mapping {name, op, value}."""
        if isinstance(value, Matcher):
            return [value]
        if isinstance(value, str):
            return cls.parse_all(value)
        if isinstance(value, dict) and set(value) == {"name", "op", "value"}:
            return [cls.of(str(value["name"]), str(value["op"]), str(value["value"]))]
        raise ValueError(
            f"a matcher is a string like 'name=\"value\"' (or name, op and value), not {value!r:.80}"
        )

    @classmethod
    def coerce(cls, value: object) -> Matcher:
        """One matcher from a string (read as `parse` reads it) or a mapping: a silence's matchers."""
        if isinstance(value, str):
            return cls.parse(value)
        [matcher] = cls.coerce_all(value)  # a Matcher or a mapping: exactly one
        return matcher


def from_legacy_keys(data: Any, into: str, prefix: str = "") -> Any:
    """Alertmanager's deprecated `match: {label: value}` and `match_re: {label: regex}` (`source_match`,
    `target_match_re`... with a prefix) as the matchers they mean, added to `into`: the same labels, equal or
    a fully anchored regex, the values taken as they are (no quoting)."""
    if not isinstance(data, dict) or not ({f"{prefix}match", f"{prefix}match_re"} & set(data)):
        return data
    data = dict(data)
    added: list[Any] = list(data.get(into) or [])
    for key, op in ((f"{prefix}match", "="), (f"{prefix}match_re", "=~")):
        pairs = data.pop(key, None)
        if pairs is None:
            continue
        if not isinstance(pairs, dict):
            raise ValueError(f"{key} is a mapping of label names to values, not {pairs!r:.60}")
        # Alertmanager compiles a match_re value anchored and keeps it so: `amtool config routes show` prints
        # `^(?:value)$`, and so does this router (the same regex: anchoring twice changes nothing)
        added += [
            Matcher.of(str(name), op, f"^(?:{value})$" if op == "=~" else str(value))
            for name, value in pairs.items()
        ]
    data[into] = added
    return data


LEGACY_KEYS = ("match", "match_re", "source_match", "source_match_re", "target_match", "target_match_re")

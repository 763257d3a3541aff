"""Alertmanager's label matchers: `name=value`, `name!=value`, `name=~regex`, `name!~regex`."""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

_MATCHER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_:.\-]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$")


class MatchOp(StrEnum):
    EQ = "="
    NE = "!="
    RE = "=~"
    NRE = "!~"


class Matcher(BaseModel):
    """`name=value`, `name!=value`, `name=~regex`, `name!~regex`; regexes are fully anchored."""

    model_config = ConfigDict(frozen=True)

    name: str
    op: MatchOp
    value: str
    pattern: re.Pattern[str] | None = None

    @classmethod
    def parse(cls, text: str) -> Matcher:
        found = _MATCHER.match(text)
        if found is None:
            raise ValueError(f"invalid matcher {text!r}: expected label=value, !=, =~ or !~")
        name, op, value = found.groups()
        if value[:1] in ('"', "'"):
            if len(value) < 2 or value[-1] != value[0]:
                raise ValueError(f"invalid matcher {text!r}: unbalanced quote")
            value = value[1:-1]
        elif value[:1] in ("=", "~") or value[-1:] in ('"', "'"):
            raise ValueError(f"invalid matcher {text!r}: quote a value that starts with = or ~")
        pattern = None
        if op in ("=~", "!~"):
            try:
                pattern = re.compile(f"(?:{value})")
            except re.error as exc:
                raise ValueError(f"invalid regex in matcher {text!r}: {exc.msg}") from exc
            except (OverflowError, RecursionError) as exc:
                raise ValueError(f"regex in matcher {text[:80]!r} is too large or too deeply nested") from exc
        return cls(name=name, op=MatchOp(op), value=value, pattern=pattern)

    def matches(self, labels: dict[str, str]) -> bool:
        # A missing label matches as the empty string, as in Alertmanager.
        actual = labels.get(self.name, "")
        if self.op is MatchOp.EQ:
            return actual == self.value
        if self.op is MatchOp.NE:
            return actual != self.value
        assert self.pattern is not None
        hit = self.pattern.fullmatch(actual) is not None
        return hit if self.op is MatchOp.RE else not hit

    def __str__(self) -> str:
        return f'{self.name}{self.op.value}"{self.value}"'

    @classmethod
    def coerce(cls, value: object) -> Matcher:
        """A matcher from config: `'name="value"'`, or a mapping {name, op, value} (checked the same way)."""
        if isinstance(value, Matcher):
            return value
        if isinstance(value, str):
            return cls.parse(value)
        if isinstance(value, dict) and set(value) == {"name", "op", "value"}:
            return cls.parse(f'{value["name"]}{value["op"]}"{value["value"]}"')
        raise ValueError(
            f"a matcher is a string like 'name=\"value\"' (or name, op and value), not {value!r:.80}"
        )

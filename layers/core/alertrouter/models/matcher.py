"""Alertmanager's label matchers: `name=value`, `name!=value`, `name=~regex`, `name!~regex`, read with
Alertmanager's own grammar as a current Alertmanager reads it by default (models/matcher_syntax.py: the classic
parser, then the UTF-8 one) and matched with RE2, anchored at both ends."""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from alertrouter.models.matcher_syntax import (
    NAME,
    MatcherSyntaxError,
    classic_all,
    classic_one,
    compile_regex,
    go_quote,
    needs_quoting,
    quote,
    utf8_all,
    utf8_one,
    valid_name,
)

T = TypeVar("T")

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
        if not name:
            # Alertmanager 0.27+ takes `""="x"` in a route (it can match no alert's label) but its silence API
            # refuses it: refused everywhere here
            raise MatcherSyntaxError("a label name cannot be empty")
        if not valid_name(name):
            raise MatcherSyntaxError(f"invalid label name {name!r}: not valid UTF-8")
        if any(0xD800 <= ord(char) <= 0xDFFF for char in value):
            raise MatcherSyntaxError(f"invalid label value {value[:80]!r}: not valid UTF-8")
        if op not in MatchOp.__members__.values():
            raise MatcherSyntaxError(f"invalid operator {op!r}: expected =, !=, =~ or !~")
        pattern = compile_regex(value) if op in ("=~", "!~") else None
        return cls(name=name, op=MatchOp(op), value=value, pattern=pattern)

    @classmethod
    def stored(cls, text: str) -> Matcher:
        """A matcher as a silence item keeps it: written by `stored_text` (Alertmanager's grammar, escaped), or
        by a release before it, which wrote `name<op>"value"` unescaped and allowed `.` and `-` in names: read
        as written, so an upgrade changes no stored silence's meaning. (`stored_text` writes such a name in
        double quotes, so an unquoted one is always an earlier release's.)"""
        legacy = _LEGACY.fullmatch(text)
        if legacy is None or NAME.fullmatch(legacy.group(1)):
            try:
                return cls.parse(text)
            except MatcherSyntaxError:
                if legacy is None:
                    raise
        assert legacy is not None
        name, op, value = legacy.groups()
        return cls(
            name=name, op=MatchOp(op), value=value, pattern=compile_regex(value) if "~" in op else None
        )

    def stored_text(self) -> str:
        """How a silence item keeps this matcher: as str() writes it, but a label name that is not a classic
        one always in double quotes (see `stored`)."""
        if NAME.fullmatch(self.name) or needs_quoting(self.name):
            return str(self)
        return f"{go_quote(self.name)}{self.op.value}{go_quote(self.value)}"

    @classmethod
    def parse_all(cls, text: str) -> list[Matcher]:
        """Every matcher of one Alertmanager matcher string: `'a="x", b=~"y.*"'`, `'{a="x"}'`,
        `'{"service.name"="checkout"}'`: as Alertmanager reads a `matchers:` entry by default, the classic
        reading if there is one, else the UTF-8 one."""
        return _either(
            text,
            lambda: [cls.of(*m) for m in classic_all(text)],
            lambda: [cls.of(*m) for m in utf8_all(text)],
        )

    @classmethod
    def parse(cls, text: str) -> Matcher:
        """Exactly one matcher, as amtool reads each argument of `silence add`: the whole string is one
        matcher (no braces, no split at commas: `foo=a,b` is the value `a,b`, as there), the classic reading
        if there is one, else the UTF-8 one (`"service name"=checkout`)."""
        if text.startswith("{") or text.endswith("}"):
            raise MatcherSyntaxError(
                f"unexpected open or close brace in {text[:80]!r}: one matcher is written without braces"
                " (a value that starts or ends with one is quoted)"
            )
        return _either(text, lambda: cls.of(*classic_one(text)), lambda: cls.of(*utf8_one(text)))

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
        """As Alertmanager writes a matcher: a name with a blank or one of {}!=~,\\"'` in double quotes, and
        then its value Go-quoted; else the value OpenMetrics-escaped. Either parser reads it back the same."""
        if needs_quoting(self.name):
            return f"{go_quote(self.name)}{self.op.value}{go_quote(self.value)}"
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


MATCHER_CHARACTERS = frozenset('=!~"{},')


def is_alert_name(word: str) -> bool:
    """Whether a word given where matchers go is a bare alert name (`DiskFull`), as amtool reads a first
    argument: no matcher characters, no blanks."""
    return bool(word) and not set(word) & MATCHER_CHARACTERS and not any(c.isspace() for c in word)


def _either(text: str, classic: Callable[[], T], utf8: Callable[[], T]) -> T:
    """The classic parser's reading of `text`, else the UTF-8 parser's (Alertmanager's default); refused with
    both reasons when neither reads it."""
    try:
        return classic()
    except MatcherSyntaxError as classic_error:
        try:
            return utf8()
        except MatcherSyntaxError as utf8_error:
            if str(utf8_error) == str(classic_error):  # the same reason either way (an invalid regex)
                raise classic_error from None
            raise MatcherSyntaxError(
                f"invalid matcher {text[:80]!r}: {_reason(text, classic_error)}; read with the UTF-8"
                f" grammar: {_reason(text, utf8_error)}"
            ) from None


def _reason(text: str, error: MatcherSyntaxError) -> str:
    return str(error).removeprefix(f"invalid matcher {text[:80]!r}: ")


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
        for name, value in pairs.items():
            if not NAME.fullmatch(str(name)):  # Alertmanager reads these keys as classic label names
                raise ValueError(f"{key}: invalid label name {str(name)[:60]!r}")
            if op == "=~":
                compile_regex(str(value))  # (a bad regex is reported as written, not as anchored below)
            added.append(Matcher.of(str(name), op, f"^(?:{value})$" if op == "=~" else str(value)))
    data[into] = added
    return data


LEGACY_KEYS = ("match", "match_re", "source_match", "source_match_re", "target_match", "target_match_re")

"""Alertmanager's matcher grammar, as its label parser reads a `matchers:` entry (Alertmanager 0.25's
`pkg/labels`, the classic grammar; tests/conformance/golden/matchers.json is what the real one made of each case).

- A string holds one or more matchers separated by commas, optionally inside one pair of braces
  (`'{a="x", b=~"y.*"}'`); a trailing comma is allowed, an empty matcher between two commas is not.
- A matcher is `name op value`: the name `[a-zA-Z_:][a-zA-Z0-9_:]*`, the operator `=`, `!=`, `=~` or `!~`, the
  value unquoted (to the next comma outside quotes, surrounding blanks trimmed) or in double quotes.
- In a value, `\\"`, `\\\\` and `\\n` are a quote, a backslash and a newline; any other backslash is kept as it
  is. A double quote must be escaped unless it closes a quoted value. Single quotes are plain characters.
- A regex is RE2 (Go's syntax), anchored at both ends as `^(?:value)$`: RE2 runs in linear time, so no regex
  typed into a silence can stall the router.
"""

from __future__ import annotations

import re
from typing import Any

import re2

# Go's \s is [\t\n\f\r ] (ASCII only); `\Z`, since Python's `$` also matches before a final newline.
_BLANK = r"[\t\n\f\r ]"
_MATCHER = re.compile(
    rf"{_BLANK}*([a-zA-Z_:][a-zA-Z0-9_:]*){_BLANK}*(=~|=|!=|!~){_BLANK}*(.*?){_BLANK}*\Z", re.S
)
NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


class MatcherSyntaxError(ValueError):
    """A matcher string Alertmanager would refuse, with the reason."""


def split_matchers(text: str) -> list[str]:
    """The matcher strings of one entry: braces taken off (one each side), split at commas outside quotes."""
    body = text.removeprefix("{").removesuffix("}")
    tokens: list[str] = []
    token: list[str] = []
    quoted = escaped = False
    for char in body:
        if char == ",":
            if not quoted:
                tokens.append("".join(token))
                token = []
                continue
        elif char == '"':
            if escaped:
                escaped = False
            else:
                quoted = not quoted
        elif char == "\\":
            escaped = not escaped
        else:
            escaped = False
        token.append(char)
    last = "".join(token).strip()
    if last:
        tokens.append(last)
    return tokens


def parse_one(text: str) -> tuple[str, str, str]:
    """One matcher string: (name, operator, value), the value unescaped."""
    found = _MATCHER.match(text)
    if found is None:
        raise MatcherSyntaxError(f"invalid matcher {text[:80]!r}: expected label=value, !=, =~ or !~")
    name, op, raw = found.groups()
    expect_closing = raw.startswith('"')
    if expect_closing:
        raw = raw[1:]
    value: list[str] = []
    escaped = False
    last = len(raw) - 1
    for index, char in enumerate(raw):
        if escaped:
            escaped = False
            value.append({"n": "\n", '"': '"', "\\": "\\"}.get(char, "\\" + char))
        elif char == "\\":
            if index < last:
                escaped = True
            else:
                value.append("\\")  # a backslash at the very end is itself
        elif char == '"':
            if not expect_closing or index < last:
                raise MatcherSyntaxError(f"matcher value contains an unescaped double quote: {text!r}")
            expect_closing = False
        else:
            value.append(char)
    if expect_closing:
        raise MatcherSyntaxError(f"matcher value is missing its closing double quote: {text!r}")
    return name, op, "".join(value)


def quote(value: str) -> str:
    """A value in double quotes, escaped so that parse_one reads it back as it is."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def parse_all(text: str) -> list[tuple[str, str, str]]:
    """Every matcher of one entry (none for `{}` or an empty string), in order."""
    return [parse_one(token) for token in split_matchers(text)]


def _options() -> Any:
    options = re2.Options()  # Go's syntax is RE2's default (Perl classes, \b, no POSIX-only mode)
    options.log_errors = False  # an invalid regex is our error to report, not a line on stderr
    return options


_OPTIONS = _options()


_REPEAT = re.compile(r"\{([1-9][0-9]*|0)(,([1-9][0-9]*|0)?)?\}")
MAX_REPEAT = 1000  # Go's (and RE2's) largest repeat count


def _check_repeats(value: str) -> None:
    """Go refuses a repeat count above 1,000 however it is written; C++ RE2 reads a count too long for an int
    as literal text: refused here as Go refuses it."""
    index, in_class = 0, False
    while index < len(value):
        char = value[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            index += 2 if value[index + 1 : index + 2] == "]" else 1  # a "]" first in a class is itself
            continue
        elif char == "{" and (found := _REPEAT.match(value, index)):
            counts = [int(n) for n in (found.group(1), found.group(3)) if n]
            if any(n > MAX_REPEAT for n in counts):
                raise MatcherSyntaxError(
                    f"invalid regex {value[:80]!r}: invalid repeat count {found.group(0)}"
                )
        index += 1


def compile_regex(value: str) -> Any:
    """The RE2 program for a `=~` / `!~` value, anchored as Alertmanager anchors it."""
    _check_repeats(value)
    try:
        return re2.compile(f"^(?:{value})$", options=_OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else exc
        raise MatcherSyntaxError(f"invalid regex {value[:80]!r}: {reason}") from exc

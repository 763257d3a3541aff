"""Alertmanager's matcher grammar, as a current Alertmanager (0.27 on; checked against 0.33) reads it with no
feature flag: every string is read by the classic parser (`pkg/labels`, Alertmanager 0.25's only one) and,
where that refuses it, by the UTF-8 parser (`matcher/parse`); where both read a string, differently,
Alertmanager keeps (and logs) the classic reading, so the classic one always comes first.
tests/conformance/golden/matchers_current.json is what the real one made of each case, in each of its modes.

Classic (`classic_all`, `classic_one`):
- A string holds one or more matchers separated by commas, optionally inside one pair of braces
  (`'{a="x", b=~"y.*"}'`); a trailing comma is allowed, an empty matcher between two commas is not.
- A matcher is `name op value`: the name `[a-zA-Z_:][a-zA-Z0-9_:]*`, the operator `=`, `!=`, `=~` or `!~`, the
  value unquoted (to the next comma outside quotes, surrounding blanks trimmed) or in double quotes.
- In a value, `\\"`, `\\\\` and `\\n` are a quote, a backslash and a newline; any other backslash is kept as it
  is. A double quote must be escaped unless it closes a quoted value. Single quotes are plain characters.

UTF-8 (`utf8_all`, `utf8_one`):
- The same outline (optional braces, commas, a trailing comma), read as tokens: `{`, `}`, `,`, an operator, a
  double-quoted string, or an unquoted run of any characters but blanks (Unicode's) and `{}!=~,\\"'` and the
  backtick. Blanks between tokens are skipped.
- A label name, like a value, is either unquoted (`foo.bar`, `🙂`) or double-quoted (`"service name"`): any
  non-empty UTF-8 text.
- A double-quoted string is a Go string literal: `\\n`, `\\t`, `\\"`, `\\\\`, `\\xNN`, `\\u00e9`... (any other
  backslash, or a raw newline, is refused), and must be valid UTF-8 once read.

A regex is RE2 (Go's syntax), anchored at both ends as `^(?:value)$`: RE2 runs in linear time, so no regex typed
into a silence can stall the router.
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
NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")  # a classic label name
# Why group_by and an inhibit rule's equal refuse a name a matcher takes (docs/configuration/routing.md#conformance)
CLASSIC_NAMES_ONLY = "letters, digits, _ and : only here (Alertmanager 0.27+ takes any UTF-8 name there; this router's matchers do)"
# Go's unicode.IsSpace: Python's str.isspace() also takes \x1c-\x1f, which Go does not
GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_RESERVED = frozenset(GO_SPACE + "{}!=~,\\\"'`")  # what ends an unquoted UTF-8 token


class MatcherSyntaxError(ValueError):
    """A matcher string Alertmanager would refuse, with the reason."""


def classic_split(text: str) -> list[str]:
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
    last = "".join(token).strip(GO_SPACE)  # Go's strings.TrimSpace: Unicode's blanks
    if last:
        tokens.append(last)
    return tokens


def classic_one(text: str) -> tuple[str, str, str]:
    """One matcher string as the classic parser reads it: (name, operator, value), the value unescaped."""
    found = _MATCHER.match(text)
    if found is None and not text.strip(GO_SPACE):
        raise MatcherSyntaxError(f"invalid matcher {text!r}: empty (two commas in a row, or a comma first)")
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
    """A value in double quotes, escaped as Alertmanager writes it (OpenMetrics': backslash, newline, quote), so
    that either parser reads it back as it is."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def classic_all(text: str) -> list[tuple[str, str, str]]:
    """Every matcher of one entry as the classic parser reads it (none for `{}` or ''), in order."""
    return [classic_one(token) for token in classic_split(text)]


# The UTF-8 parser (Alertmanager's matcher/parse): tokens, then the grammar above.
_OPERATORS = ("=~", "!~", "!=", "=")
_SIMPLE_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, '"': 34}


class _Token:
    __slots__ = ("kind", "text", "column")

    def __init__(self, kind: str, text: str, column: int) -> None:
        self.kind, self.text, self.column = kind, text, column  # kind: { } , op quoted unquoted

    def __str__(self) -> str:
        return f"{self.text!r} at column {self.column}"


def _utf8_tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    index = 0
    while index < len(text):
        char, column = text[index], index + 1
        if char in "{},":
            tokens.append(_Token(char, char, column))
            index += 1
        elif char in "=!":
            op = next((op for op in _OPERATORS if text.startswith(op, index)), None)
            if op is None:
                raise MatcherSyntaxError(f"column {column}: '!' must be followed by '=' or '~'")
            tokens.append(_Token("op", op, column))
            index += len(op)
        elif char == '"':
            end = index + 1
            while end < len(text) and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            if end >= len(text):
                raise MatcherSyntaxError(f"column {column}: {text[index:]!r} has no closing double quote")
            tokens.append(_Token("quoted", text[index : end + 1], column))
            index = end + 1
        elif char in GO_SPACE:
            index += 1
        elif char in _RESERVED:  # ~ \\ ' and the backtick
            raise MatcherSyntaxError(
                f"column {column}: {char!r} may only be inside double quotes (a name or value with it is quoted)"
            )
        else:
            end = index
            while end < len(text) and text[end] not in _RESERVED:
                end += 1
            tokens.append(_Token("unquoted", text[index:end], column))
            index = end
    return tokens


def go_unquote(literal: str) -> str:
    """A double-quoted Go string literal (quotes included) as Go's strconv.Unquote reads it."""
    body = literal[1:-1]
    if "\n" in body:
        raise MatcherSyntaxError("a newline inside double quotes must be written \\n")
    out = bytearray()
    index = 0
    while index < len(body):
        char = body[index]
        if char != "\\":
            out += char.encode("utf-8", "surrogatepass")
            index += 1
            continue
        kind = body[index + 1 : index + 2]
        width = {"x": 2, "u": 4, "U": 8}.get(kind, 0)
        digits = body[index + 2 : index + 2 + width]
        if kind in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[kind])
            index += 2
        elif width and len(digits) == width and all(c in "0123456789abcdefABCDEF" for c in digits):
            code = int(digits, 16)
            if kind == "x":
                out.append(code)
            elif code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise MatcherSyntaxError(f"\\{kind}{digits} is not a Unicode character")
            else:
                out += chr(code).encode()
            index += 2 + width
        elif len(octal := body[index + 1 : index + 4]) == 3 and all(c in "01234567" for c in octal):
            if int(octal, 8) > 255:
                raise MatcherSyntaxError(f"\\{octal} is not a byte")
            out.append(int(octal, 8))
            index += 4
        else:
            escape = body[index : index + 2 + width]
            raise MatcherSyntaxError(
                f"{escape!r} is not an escape inside double quotes (a backslash is written \\\\)"
            )
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        raise MatcherSyntaxError(f"{literal[:80]!r} is not valid UTF-8 once its escapes are read") from None


def _utf8_text(token: _Token) -> str:
    if token.kind != "quoted":
        return token.text
    try:
        return go_unquote(token.text)
    except MatcherSyntaxError as exc:
        raise MatcherSyntaxError(f"column {token.column}: {exc}") from None


def _utf8_matcher(parts: list[_Token]) -> tuple[str, str, str]:
    """name, operator, value: the next three tokens (fewer at the end of the input)."""
    name, op, value = (*parts, None, None, None)[:3]
    if name is None or name.kind not in ("quoted", "unquoted"):
        raise MatcherSyntaxError(f"expected a label name, not {name or 'the end'}")
    if op is None or op.kind != "op":
        raise MatcherSyntaxError(
            f"expected an operator (=, !=, =~ or !~) after {name}, not {op or 'the end'}"
        )
    if value is None or value.kind not in ("quoted", "unquoted"):
        raise MatcherSyntaxError(f"expected a label value after {op}, not {value or 'the end'}")
    return _utf8_text(name), op.text, _utf8_text(value)


def utf8_all(text: str) -> list[tuple[str, str, str]]:
    """Every matcher of one entry as the UTF-8 parser reads it (none for `{}` or ''), in order."""
    tokens = _utf8_tokens(text)
    found: list[tuple[str, str, str]] = []
    index = 0

    def kind(at: int) -> str:
        return tokens[at].kind if at < len(tokens) else "end"

    braced = kind(0) == "{"
    index += braced
    if kind(index) not in ("}", "end"):
        while True:
            found.append(_utf8_matcher(tokens[index : index + 3]))
            index += 3
            if kind(index) != ",":
                if kind(index) not in ("}", "end"):
                    raise MatcherSyntaxError(
                        f"expected a comma or a closing brace, not {tokens[index]} (a value with blanks is quoted)"
                    )
                break
            index += 1
            if kind(index) in ("}", "end"):
                break
    if braced:
        if kind(index) != "}":
            raise MatcherSyntaxError("the opening brace has no closing brace")
        index += 1
    elif kind(index) == "}":
        raise MatcherSyntaxError(f"column {tokens[index].column}: a closing brace without an opening one")
    if index < len(tokens):
        raise MatcherSyntaxError(f"unexpected {tokens[index]} after the end of the matchers")
    return found


def utf8_one(text: str) -> tuple[str, str, str]:
    """Exactly one matcher, as the UTF-8 parser reads it."""
    found = utf8_all(text)
    if len(found) != 1:
        raise MatcherSyntaxError(f"expected one matcher, found {len(found)}")
    return found[0]


def go_quote(text: str) -> str:
    """Go's strconv.Quote: how Alertmanager writes a label name with a reserved character, and its value."""
    out = ['"']
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        elif char in "\a\b\f\n\r\t\v":
            out.append("\\" + "abfnrtv"["\a\b\f\n\r\t\v".index(char)])
        elif ord(char) < 0x80:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return "".join(out) + '"'


def needs_quoting(name: str) -> bool:
    """Whether Alertmanager writes this label name in double quotes (a blank or one of {}!=~,\\"'`)."""
    return any(char in _RESERVED for char in name)


def valid_name(name: str) -> bool:
    """A label name as a current Alertmanager takes it by default: any non-empty UTF-8 text."""
    return bool(name) and not any(0xD800 <= ord(char) <= 0xDFFF for char in name)


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

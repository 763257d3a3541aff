"""The values a Slack template sees, as Alertmanager's Go types show them: the data's records, label sets (KV)
with their methods, lists, times; how Go prints each (fmt's %v and printf), what is true, and the functions."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import re2

from alertrouter.models.matcher_syntax import go_quote
from alertrouter.notify.template_data import TemplateAlert, TemplateData

MAX_STRING = 10_000  # no value a template builds is longer than its output may be


class RenderError(Exception):
    """A template could not be rendered against this data (the caller falls back to its own rendering)."""


class KV(dict[str, str]):
    """Alertmanager's KV: a label or annotation set; printed as `k=v, k=v`, alertname first, then by name."""

    def sorted_pairs(self) -> Pairs:
        keys = sorted(k for k in self if k != "alertname")
        if "alertname" in self:
            keys.insert(0, "alertname")
        return Pairs(Pair(k, self[k]) for k in keys)


@dataclass(frozen=True)
class Pair:
    name: str
    value: str


class Pairs(list[Pair]):
    """KV.SortedPairs."""


class Alerts(list["Record"]):
    """`.Alerts`: the list with .Firing and .Resolved."""


@dataclass(frozen=True)
class Record:
    """A Go struct of the data: its type name and its fields in Go's order."""

    type_name: str
    fields: Mapping[str, Any]


class Strings(list[str]):
    """A []string (stringSlice, KV.Names, KV.Values)."""


def alert_record(alert: TemplateAlert) -> Record:
    return Record(
        "template.Alert",
        {
            "Status": alert.status,
            "Labels": KV(alert.labels),
            "Annotations": KV(alert.annotations),
            "StartsAt": alert.starts_at,
            "EndsAt": alert.ends_at,
            "GeneratorURL": alert.generator_url,
            "Fingerprint": alert.fingerprint,
        },
    )


def data_record(data: TemplateData) -> Record:
    """The template's `.`: Alertmanager's template.Data."""
    return Record(
        "template.Data",
        {
            "Receiver": data.receiver,
            "Status": data.status,
            "Alerts": Alerts(alert_record(a) for a in data.alerts),
            "NotificationReason": data.notification_reason,
            "GroupLabels": KV(data.group_labels),
            "CommonLabels": KV(data.common_labels),
            "CommonAnnotations": KV(data.common_annotations),
            "ExternalURL": data.external_url,
        },
    )


# Methods of the data's types: (type, name) -> (how many arguments, what it does)
def _by_status(alerts: Alerts, status: str) -> list[Record]:
    return [a for a in alerts if a.fields["Status"] == status]


def _remove(kv: KV, names: Any) -> KV:
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise RenderError(f"wrong type for value; expected []string; got {go_type(names)}")
    return KV({k: v for k, v in kv.items() if k not in names})


METHODS: dict[tuple[type, str], tuple[int, Callable[..., Any]]] = {
    (KV, "SortedPairs"): (0, KV.sorted_pairs),
    (KV, "Names"): (0, lambda kv: Strings(p.name for p in kv.sorted_pairs())),
    (KV, "Values"): (0, lambda kv: Strings(p.value for p in kv.sorted_pairs())),
    (KV, "Remove"): (1, _remove),
    (KV, "String"): (0, lambda kv: go_string(kv)),
    (Pairs, "Names"): (0, lambda ps: Strings(p.name for p in ps)),
    (Pairs, "Values"): (0, lambda ps: Strings(p.value for p in ps)),
    (Pairs, "String"): (0, lambda ps: go_string(ps)),
    (Alerts, "Firing"): (0, lambda alerts: _by_status(alerts, "firing")),
    (Alerts, "Resolved"): (0, lambda alerts: _by_status(alerts, "resolved")),
}
PAIR_FIELDS = {"Name": lambda p: p.name, "Value": lambda p: p.value}


def go_type(value: Any) -> str:  # noqa: C901 - one case a type
    """The Go type Alertmanager's value has (as fmt names it in `%!d(string=x)`)."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Record):
        return value.type_name
    if isinstance(value, datetime):
        return "time.Time"
    if isinstance(value, Pair):
        return "template.Pair"
    names: dict[type, str] = {KV: "template.KV", Pairs: "template.Pairs", Alerts: "template.Alerts"}
    if type(value) in names:
        return names[type(value)]
    if isinstance(value, list):
        return "[]template.Alert" if value and isinstance(value[0], Record) else "[]string"
    return type(value).__name__


def go_time(value: datetime) -> str:
    """Go's time.Time.String() for a time read from JSON (no monotonic clock reading)."""
    text = value.strftime("%Y-%m-%d %H:%M:%S").rjust(19, "0")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    offset = value.utcoffset()
    seconds = int(offset.total_seconds()) if offset is not None else 0
    sign, seconds = ("-" if seconds < 0 else "+"), abs(seconds)
    zone = f"{sign}{seconds // 3600:02d}{seconds % 3600 // 60:02d}"
    return f"{text} {zone} {'UTC' if seconds == 0 else zone}"


def go_string(value: Any) -> str:  # noqa: C901 - one case a type
    """The value as Go's fmt prints it with %v (a Stringer by its String())."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int):
        return str(value)
    if isinstance(value, KV):
        return go_string(value.sorted_pairs())
    if isinstance(value, Pairs):
        return ", ".join(f"{p.name}={p.value}" for p in value)
    if isinstance(value, Pair):
        return f"{{{value.name} {value.value}}}"
    if isinstance(value, Record):
        return "{" + " ".join(go_string(v) for v in value.fields.values()) + "}"
    if isinstance(value, datetime):
        return go_time(value)
    if isinstance(value, list):
        return "[" + " ".join(go_string(v) for v in value) + "]"
    raise RenderError(f"cannot print a {type(value).__name__}")


def truth(value: Any) -> bool:
    """Go template's truth: false, 0, "", an empty list or map and nil are false."""
    if value is None:
        return False
    if isinstance(value, bool | int | str | list | dict):
        return bool(value)
    return True


# printf
_VERB = re.compile(r"%([-+# 0]*)([0-9]+)?(?:\.([0-9]*))?(.)?", re.S)
MAX_WIDTH = 1_000


def go_sprintf(form: str, args: list[Any]) -> str:
    """Go's fmt.Sprintf for the verbs a message needs (%s %v %d %q %t %x %X %c %%), with flags, width and
    precision; a verb that does not fit its value is written as Go writes it (%!d(string=x))."""
    out: list[str] = []
    at, used = 0, 0
    while at < len(form):
        percent = form.find("%", at)
        if percent < 0:
            out.append(form[at:])
            break
        out.append(form[at:percent])
        found = _VERB.match(form, percent)
        assert found is not None  # the pattern matches any "%"
        flags, width, precision, verb = found.groups()
        at = found.end()
        if verb is None:
            out.append("%!(NOVERB)")
            continue
        if verb == "%":
            out.append("%")
            continue
        if used >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        text = _verb(verb, flags, _bounded(precision), args[used])
        used += 1
        if precision is not None and verb in "dxX":
            flags = flags.replace("0", "")  # Go pads a number with a precision with spaces
        out.append(_pad(text, flags, _bounded(width), verb))
    if used < len(args):
        extra = ", ".join(f"{go_type(a)}={go_string(a)}" for a in args[used:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


def _bounded(number: str | None) -> int | None:
    if number is None or number == "":
        return None if number is None else 0
    if int(number) > MAX_WIDTH:
        raise RenderError(f"printf width or precision {number} is too large (at most {MAX_WIDTH})")
    return int(number)


def _pad(text: str, flags: str, width: int | None, verb: str) -> str:
    if width is None or len(text) >= width:
        return text
    if "-" in flags:
        return text.ljust(width)
    if "0" in flags and (verb in "sq" or text.lstrip("+-").isdigit()):
        sign = text[0] if text[0] in "+-" else ""
        return sign + text[len(sign) :].rjust(width - len(sign), "0")
    return text.rjust(width)


def _verb(verb: str, flags: str, precision: int | None, value: Any) -> str:  # noqa: C901 - one case a kind
    if verb == "T":
        return go_type(value)
    if value is None:
        return "<nil>" if verb == "v" else f"%!{verb}(<nil>)"
    if isinstance(value, list) and not isinstance(value, KV | Pairs) and verb in "vsqdxX":
        return "[" + " ".join(_verb(verb, flags, precision, v) for v in value) + "]"
    if isinstance(value, bool):
        if verb in "tv":
            return go_string(value)
    elif isinstance(value, int):
        if verb in "dv":
            text = str(value) if precision is None else str(abs(value)).rjust(precision, "0")
            sign = "-" if value < 0 else ("+" if "+" in flags else "")
            return sign + text.lstrip("-") if precision is None else sign + text
        if verb in "xX":
            text = format(value, "x" if verb == "x" else "X")
            return ("0x" if "#" in flags else "") + text
        if verb == "c":
            return chr(value)
        if verb == "q":
            return "'" + go_quote(chr(value))[1:-1].replace("'", "\\'").replace('\\"', '"') + "'"
    elif isinstance(value, KV) and verb not in "svq":  # a map: each key and value with the verb, by key
        pairs = (
            f"{_verb(verb, flags, precision, k)}:{_verb(verb, flags, precision, value[k])}"
            for k in sorted(value)
        )
        return "map[" + " ".join(pairs) + "]"
    elif isinstance(value, str | KV | Pairs | datetime):
        return _text_verb(verb, flags, precision, value)
    elif isinstance(value, Record | Pair) and verb in "vsqdxX":  # a struct: each field with the verb
        fields = value.fields.values() if isinstance(value, Record) else (value.name, value.value)
        return "{" + " ".join(_verb(verb, flags, precision, f) for f in fields) + "}"
    elif verb == "v":
        return go_string(value)
    return f"%!{verb}({go_type(value)}={go_string(value)})"


def _text_verb(verb: str, flags: str, precision: int | None, value: str | KV | Pairs | datetime) -> str:
    text = go_string(value)
    if verb in "sv":
        return text if precision is None else text[:precision]
    if verb == "q":
        return _quote(text if precision is None else text[:precision], flags)
    if verb in "xX" and isinstance(value, str):
        hexed = value.encode().hex()
        return hexed if verb == "x" else hexed.upper()
    return f"%!{verb}({go_type(value)}={text})"


def _quote(text: str, flags: str) -> str:
    """%q: strconv.Quote; with # backquoted where it can be, with + ASCII only."""
    if (
        "#" in flags
        and "`" not in text
        and "\ufeff" not in text
        and all(c == "\t" or c.isprintable() for c in text)
    ):
        return f"`{text}`"
    quoted = go_quote(text)
    if "+" not in flags:
        return quoted
    return "".join(
        c if ord(c) < 0x80 else f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}" for c in quoted
    )


def go_sprint(args: list[Any], lines: bool) -> str:
    """fmt.Sprint (a space between two operands when neither is a string) or fmt.Sprintln (spaces, newline)."""
    if lines:
        return " ".join(go_string(a) for a in args) + "\n"
    out: list[str] = []
    for index, arg in enumerate(args):
        if index and not isinstance(arg, str) and not isinstance(args[index - 1], str):
            out.append(" ")
        out.append(go_string(arg))
    return "".join(out)


# Alertmanager's functions
def _string(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise RenderError(f"{name}: wrong type for value; expected string; got {go_type(value)}")
    return value


# Go's unicode.IsSpace (Python's str.isspace also takes \x1c-\x1f)
GO_SPACE = (
    "\t\n\v\f\r \u0085\u00a0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000"
)


def _upper(char: str) -> str:
    """Go's unicode.ToUpper: the one-letter mapping (ß stays ß, where Python's full mapping gives SS)."""
    upper = char.upper()
    return upper if len(upper) == 1 else char


def _title(text: str) -> str:
    """golang.org/x/text's cases.Title: each word's first letter upper-cased, the rest lower-cased; a word
    runs on through letters, digits, `_`, and `.` `'` `:` between two letters."""
    out: list[str] = []
    in_word, started = False, False
    for index, char in enumerate(text):
        joins = (
            char in ".':’"
            and 0 < index < len(text) - 1
            and text[index - 1].isalpha()
            and text[index + 1].isalpha()
        )
        if char.isalnum() or char == "_" or (in_word and joins):
            if not in_word:
                in_word, started = True, False
            if char.isalpha() and not started:
                out.append(char.title())  # full title case, as x/text/cases: ß -> Ss, ǆ -> ǅ
                started = True
            else:
                out.append(char.lower() if char.isalpha() else char)
                started = started or char.isalpha()
        else:
            in_word = False
            out.append(char)
    return "".join(out)


def _re2_options() -> Any:
    options = re2.Options()
    options.log_errors = False  # an invalid regex is the render's error, not a line on stderr
    return options


_RE2_OPTIONS = _re2_options()


@functools.lru_cache(maxsize=256)
def _regex(pattern: str) -> Any:
    try:
        return re2.compile(pattern, options=_RE2_OPTIONS)
    except re2.error as exc:
        raise RenderError(f"invalid regex {pattern[:80]!r}") from exc


_EXPAND = re.compile(r"\$(?:\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))")


def _expand(template: str, found: Any, names: Mapping[str, int]) -> str:
    """Go's Regexp.Expand: `$1`, `${1}`, `$name`, `${name}`, `$$`; an unknown group is empty."""

    def one(ref: re.Match[str]) -> str:
        name = ref.group(1) or ref.group(2)
        if name is None:
            return "$"
        index = int(name) if name.isdigit() else names.get(name, -1)
        if index < 0 or index > found.re.groups:
            return ""
        return str(found.group(index) or "")

    return _EXPAND.sub(one, template)


def re_replace_all(pattern: str, replacement: str, text: str) -> str:
    """Go's Regexp.ReplaceAllString (RE2, so linear in the text; an empty match just after a match is not
    replaced, as in Go)."""
    program = _regex(pattern)
    out: list[str] = []
    search, last_end = 0, 0
    while search <= len(text):
        found = program.search(text, search)
        if found is None:
            break
        start, end = found.span()
        out.append(text[last_end:start])
        if end > last_end or start == 0:
            out.append(_expand(replacement, found, program.groupindex))
        last_end = end
        search = search + 1 if search + 1 > end else end
        if sum(map(len, out)) > MAX_STRING:
            raise RenderError(f"reReplaceAll: the result is longer than {MAX_STRING} characters")
    out.append(text[last_end:])
    return "".join(out)


def _join(separator: Any, items: Any) -> str:
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise RenderError(f"join: wrong type for value; expected []string; got {go_type(items)}")
    return _string(separator, "join").join(items)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "toUpper": lambda s: "".join(map(_upper, _string(s, "toUpper"))),
    "toLower": lambda s: "".join(c.lower()[0] for c in _string(s, "toLower")),
    "title": lambda s: _title(_string(s, "title")),
    "trimSpace": lambda s: _string(s, "trimSpace").strip(GO_SPACE),
    "join": _join,
    "match": lambda p, s: _regex(_string(p, "match")).search(_string(s, "match")) is not None,
    "reReplaceAll": lambda p, r, s: re_replace_all(
        _string(p, "reReplaceAll"), _string(r, "reReplaceAll"), _string(s, "reReplaceAll")
    ),
    "stringSlice": lambda *items: Strings(_string(i, "stringSlice") for i in items),
    "safeHtml": lambda s: _string(s, "safeHtml"),
}

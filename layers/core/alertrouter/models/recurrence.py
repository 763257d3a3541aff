"""A recurring silence's `every`: read from the short form (`sun 02:00-04:00`, `mon-fri 22:00-06:00`, `mon 1-7`)
or from Alertmanager's time_intervals entries (YAML or JSON), and told back in words. Both give the same
`TimeIntervalSpec`s the routes' time intervals are."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from alertrouter.models.timeinterval import MONTHS, WEEKDAYS, Range, TimeIntervalSpec
from alertrouter.yamltext import YAMLError, load_yaml

_CLOCK_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_DAYS = re.compile(r"^(-?\d{1,2})(?:-(-?\d{1,2}))?$")
_YEARS = re.compile(r"^(\d{4})(?:-(\d{4}))?$")
DAY_MINUTES = 1440
SHORT_FORM = (
    "weekdays (mon, mon-fri, sat,sun), days of the month (1, -1 for the last, 1-7), months (jan, jun-aug), "
    "years (2027) and clock ranges (HH:MM-HH:MM, 24:00 as an end; 22:00-02:00 runs into the next day)"
)


class RecurrenceError(ValueError):
    """A recurrence that cannot be read: the message says why, in one line."""


def _name(text: str, names: tuple[str, ...]) -> int | None:
    """The index of a full name or its first three letters (`mon`, `monday`)."""
    for i, name in enumerate(names):
        if text == name or text == name[:3]:
            return i
    return None


def _named_ranges(token: str, names: tuple[str, ...], cyclic: bool) -> list[Range] | None:
    """`mon`, `mon-fri` (and `fri-mon`, which wraps past the end of the week) as index ranges; None if not
    names of this kind."""
    first, _, last = token.partition("-")
    start, end = _name(first, names), _name(last or first, names)
    if start is None or end is None:
        return None
    if start <= end:
        return [(start, end)]
    if not cyclic:
        raise RecurrenceError(f"{token!r} runs backwards: write the earlier one first")
    return [(start, len(names) - 1), (0, end)]


def _clock(hours: str, minutes: str, token: str) -> int:
    value = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or value > DAY_MINUTES:
        raise RecurrenceError(f"invalid clock range {token!r}: times run 00:00..24:00")
    return value


def _tokens(text: str) -> list[str]:
    return [t for part in text.lower().replace(",", " ").split() for t in [part.strip()] if t]


def _read_short(text: str) -> dict[str, Any]:
    fields: dict[str, list[Any]] = {
        "weekdays": [],
        "days_of_month": [],
        "months": [],
        "years": [],
        "times": [],
    }
    for token in _tokens(text):
        weekdays = _named_ranges(token, WEEKDAYS, cyclic=True)
        months = None if weekdays is not None else _named_ranges(token, MONTHS, cyclic=False)
        if weekdays is not None:
            fields["weekdays"] += weekdays
        elif months is not None:
            fields["months"] += [(a + 1, b + 1) for a, b in months]
        elif found := _CLOCK_RANGE.match(token):
            fields["times"].append(
                (_clock(found[1], found[2], token), _clock(found[3], found[4], token), token)
            )
        elif found := _YEARS.match(token):
            fields["years"].append((int(found[1]), int(found[2] or found[1])))
        elif found := _DAYS.match(token):
            fields["days_of_month"].append((int(found[1]), int(found[2] or found[1])))
        else:
            raise RecurrenceError(f"cannot read {token!r} in {text!r}: expected {SHORT_FORM}")
    return fields


def _next_weekdays(ranges: list[Range]) -> list[Range]:
    """The weekdays after these (sunday = 0 follows saturday)."""
    if not ranges:
        return []
    days = sorted({(d + 1) % 7 for start, end in ranges for d in range(start, end + 1)})
    out: list[Range] = []
    for d in days:
        if out and out[-1][1] == d - 1:
            out[-1] = (out[-1][0], d)
        else:
            out.append((d, d))
    return out


def _next_days(ranges: list[Range], text: str) -> list[Range]:
    """The days of the month after these: the day after day d (d <= 27) is d + 1, after the last day (-1) the
    1st, after the n-th last (-n) the (n-1)-th last. The day after the 28th..31st depends on the month."""
    out: list[Range] = []
    for start, end in ranges:
        if 28 <= end <= 31 or 28 <= start <= 31:
            raise RecurrenceError(
                f"{text!r}: the day after the 28th..31st depends on the month; a clock range across midnight "
                "takes days 1..27 or counted from the end (-1 is the last day), or use --every-yaml"
            )
        if end == -1:  # ... and the day after the last is the 1st
            out += [(start + 1, -1)] if start != -1 else []
            out.append((1, 1))
        else:
            out.append((start + 1, end + 1))
    return out


def parse_short(text: str, location: str = "UTC") -> tuple[TimeIntervalSpec, ...]:
    """The short form: weekdays, days of the month, months, years and clock ranges, in any order, separated by
    blanks or commas; each kind holds when any of its values does, and all the kinds given must hold. A clock
    range that ends before it starts runs past midnight: `sun 22:00-02:00` is sunday 22:00-24:00 and monday
    00:00-02:00 (two periods)."""
    fields = _read_short(text)
    if not any(fields.values()):
        raise RecurrenceError(f"empty recurrence: expected {SHORT_FORM}")
    times = fields.pop("times")
    same_day = [(a, b) for a, b, _ in times if a < b]
    across = [(a, b, token) for a, b, token in times if a > b]
    if any(a == b for a, b, _ in times):
        raise RecurrenceError(f"{text!r}: a clock range must not end when it starts")
    base = {"location": location, **{k: [list(r) for r in v] for k, v in fields.items()}}
    periods: list[dict[str, Any]] = []
    if same_day or across:
        evening = [(a, DAY_MINUTES) for a, _, _ in across]
        periods.append({**base, "times": _times(same_day + evening)})
    else:
        periods.append(base)
    if across:
        if fields["months"] or fields["years"]:
            raise RecurrenceError(
                f"{text!r}: a clock range across midnight cannot be combined with months or years (the night "
                "may run into the next one); split it into two ranges or use --every-yaml"
            )
        periods.append(
            {
                **base,
                "weekdays": [list(r) for r in _next_weekdays(fields["weekdays"])],
                "days_of_month": [list(r) for r in _next_days(fields["days_of_month"], text)],
                "times": _times([(0, b) for _, b, _ in across if b > 0]),
            }
        )
        periods = [p for p in periods if p["times"]]
    return _specs(periods, f"recurrence {text!r}")


def _times(ranges: list[tuple[int, int]]) -> list[dict[str, int]]:
    return [{"start_time": a, "end_time": b} for a, b in ranges]


def _specs(entries: Sequence[Any], text: str) -> tuple[TimeIntervalSpec, ...]:
    try:
        return tuple(TimeIntervalSpec.model_validate(e) for e in entries)
    except ValidationError as exc:
        reasons = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise RecurrenceError(f"invalid {text}: {reasons}") from None


def zone(name: str) -> str:
    """`--tz`: an IANA zone, checked as a time interval's `location` is."""
    return _specs([{"location": name}], "--tz")[0].location


def parse_entries(text: str, location: str = "UTC") -> tuple[TimeIntervalSpec, ...]:
    """Alertmanager's time_intervals entries as YAML or JSON: a list of them, one, or a named interval (its
    `time_intervals`). `location` is the zone of the entries that name none."""
    try:
        data = load_yaml(text)
    except YAMLError as exc:
        raise RecurrenceError(f"cannot read the time intervals: {str(exc).splitlines()[0]}") from None
    if isinstance(data, dict) and "time_intervals" in data:
        data = data["time_intervals"]
    entries = data if isinstance(data, list) else [data]
    if not entries or not all(isinstance(e, dict) for e in entries):
        raise RecurrenceError(
            "expected time_intervals entries (a list of mappings with times, weekdays, days_of_month, months, "
            "years, location)"
        )
    return _specs([{"location": location, **e} for e in entries], "time interval")


def parse_every(text: str, location: str = "UTC") -> tuple[TimeIntervalSpec, ...]:
    """`--every`: the short form, or time_intervals entries given as YAML or JSON (`[...]`, `{...}`, `- ...`)."""
    stripped = text.strip()
    if stripped[:1] in ("[", "{") or stripped.startswith("- ") or "\n" in stripped:
        return parse_entries(text, location)
    return parse_short(text, location)


# ---- in words ----


def _ranges_text(ranges: list[Range], name: Any) -> str:
    return ",".join(name(a) if a == b else f"{name(a)}-{name(b)}" for a, b in ranges)


def _day(d: int) -> str:
    return "last" if d == -1 else str(d)


def _days_text(ranges: list[Range]) -> str:
    if not ranges:
        return ""
    return "last day" if ranges == [(-1, -1)] else "day " + _ranges_text(ranges, _day)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def describe_spec(spec: TimeIntervalSpec) -> str:
    """One period in the short form (`sun 02:00-04:00`, `mon 1-7`, `last 22:00-24:00`); `always` if it has no
    fields."""
    parts = [
        _ranges_text(spec.weekdays, lambda d: WEEKDAYS[d][:3]),
        _days_text(spec.days_of_month),
        _ranges_text(spec.months, lambda m: MONTHS[m - 1][:3]),
        _ranges_text(spec.years, str),
        ",".join(f"{_hhmm(t.start_time)}-{_hhmm(t.end_time)}" for t in spec.times),
    ]
    return " ".join(p for p in parts if p) or "always"


def describe_every(specs: Sequence[TimeIntervalSpec]) -> str:
    """`every sun 02:00-04:00 (Asia/Tokyo)`; periods joined by `or`, each with its zone unless they share it."""
    zones = {s.location for s in specs}
    if len(zones) == 1:
        return f"every {' or '.join(describe_spec(s) for s in specs)} ({next(iter(zones))})"
    return "every " + " or ".join(f"{describe_spec(s)} ({s.location})" for s in specs)

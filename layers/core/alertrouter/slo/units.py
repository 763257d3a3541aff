"""The values SLO files are written in: exact numbers and OpenSLO duration shorthands."""

from __future__ import annotations

import re
from datetime import timedelta
from fractions import Fraction
from typing import Annotated, Any

from pydantic import BeforeValidator

from alertrouter.slo.burn import exact

MINUTE = timedelta(minutes=1)
FIXED_UNITS = {
    "m": MINUTE,
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}
SHORTHAND = re.compile(r"^(\d+)([mhdwMQY])$")


def _number(value: Any) -> Fraction:
    try:
        return exact(value)
    except (TypeError, ValueError):
        raise ValueError(f"must be a number, got {value!r}") from None


def _optional_number(value: Any) -> Fraction | None:
    return None if value is None else _number(value)


ExactNumber = Annotated[Fraction, BeforeValidator(_number)]
OptionalExactNumber = Annotated[Fraction | None, BeforeValidator(_optional_number)]


def parse_shorthand(value: Any, *, allow_zero: bool = False) -> timedelta:
    """An OpenSLO duration-shorthand of fixed length: `Nm`, `Nh`, `Nd` or `Nw` (M, Q and Y vary in length)."""
    found = SHORTHAND.match(value.strip()) if isinstance(value, str) else None
    if found is None:
        raise ValueError(
            f"{value!r} is not a duration: write a whole number and a unit, like 5m, 1h, 3d or 4w"
        )
    count, unit = int(found.group(1)), found.group(2)
    if unit not in FIXED_UNITS:
        raise ValueError(f"{value!r}: months, quarters and years have no fixed length here; use m, h, d or w")
    if count == 0 and not allow_zero:
        raise ValueError(f"{value!r}: must be longer than zero")
    try:
        return count * FIXED_UNITS[unit]
    except OverflowError as exc:
        raise ValueError(f"{str(value)[:40]!r} is out of range") from exc


def _duration(value: Any) -> Any:
    return value if isinstance(value, timedelta) else parse_shorthand(value)


def _duration_or_zero(value: Any) -> Any:
    return value if isinstance(value, timedelta) else parse_shorthand(value, allow_zero=True)


Shorthand = Annotated[timedelta, BeforeValidator(_duration)]
ShorthandOrZero = Annotated[timedelta, BeforeValidator(_duration_or_zero)]


def decimal_text(value: Fraction) -> str:
    """A fraction as a short decimal for messages: 14.4, 1000, 0.999, 3.333."""
    try:
        text = f"{float(value):.4f}".rstrip("0").rstrip(".")
    except OverflowError:
        return "a number too large"
    return text if Fraction(text) == value else f"{float(value):.4g}"

"""An IANA time zone name, checked where a config names one (messages, schedules, heartbeat checks)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone_name(value: Any, field: str = "time_zone") -> str:
    """`value` if it names an IANA zone; ValueError saying which field and what to write otherwise."""
    if not isinstance(value, str):
        raise ValueError(f"{field} is an IANA time zone name such as Europe/Berlin")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"{field} {value[:60]!r} is not an IANA time zone (e.g. Europe/Berlin, UTC)"
        ) from None
    return value

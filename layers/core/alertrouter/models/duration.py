"""Durations as Prometheus (and Alertmanager) write them: `30s`, `5m`, `1h30m`, `1d`. Its own module so that
the models which take durations (the routing config, heartbeat checks) share one reader without importing
each other."""

from __future__ import annotations

import re
from datetime import timedelta

# Prometheus' duration format, as Alertmanager reads one: units largest first, each at most once, whole numbers
_DURATION = re.compile(
    r"(?:([0-9]+)y)?(?:([0-9]+)w)?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?(?:([0-9]+)ms)?"
)
_UNIT_MS = (365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1_000, 1)
_MAX_MS = (2**63 - 1) // 1_000_000  # Alertmanager holds a duration in int64 nanoseconds


def parse_duration(text: str | int | float) -> timedelta:
    """A Prometheus duration, as Alertmanager reads one: `30s`, `5m`, `1h30m`, `1d`, `500ms`, `2w`, `0`. A bare
    number other than 0 is refused, as Alertmanager refuses it (seconds? minutes?)."""
    try:
        return _parse_duration(text)
    except OverflowError as exc:
        raise ValueError(
            f"duration {str(text)[:40]!r} is out of range (at most about 292 years, as in Alertmanager)"
        ) from exc


def _parse_duration(text: str | int | float) -> timedelta:
    given = str(text).strip() if not isinstance(text, bool) else "?"
    if given == "0":
        return timedelta(0)
    found = _DURATION.fullmatch(given) if isinstance(text, str) else None
    if not given or found is None or not any(found.groups()):
        raise ValueError(
            f"invalid duration {str(text)[:40]!r}: use forms like 30s, 5m, 4h, 1h30m, 1d, 500ms (with a unit)"
        )
    millis = sum(int(n or 0) * unit for n, unit in zip(found.groups(), _UNIT_MS, strict=True))
    if millis > _MAX_MS:
        raise OverflowError(text)
    return timedelta(milliseconds=millis)

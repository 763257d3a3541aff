"""A schedule's shifts as an iCalendar file (RFC 5545), for people's calendars: one event per shift.

Written by hand (no library in the layer): times in UTC, text escaped (section 3.3.11), lines folded at 75
octets without splitting a character (section 3.1), CRLF line ends. An event's UID is its schedule and start,
so a calendar that imports the file again updates the shifts it already has.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from alertrouter.models.schedule import Schedule
from alertrouter.oncall.schedule import Shift

PRODID = "-//alertrouter//on-call schedules//EN"
MAX_OCTETS = 75


def to_ical(schedule: Schedule, shifts: Iterable[Shift], now_ms: int) -> str:
    """The VCALENDAR of `shifts` of `schedule`, stamped `now_ms`."""
    stamp = _utc(now_ms)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(f'On call: {schedule.name}')}",
    ]
    for shift in shifts:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{escape(f'oncall-{schedule.name}-{_utc(shift.start_ms)}@alertrouter')}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{_utc(shift.start_ms)}",
            f"DTEND:{_utc(shift.end_ms)}",
            f"SUMMARY:{escape(f'On call: {shift.person} ({schedule.name})')}",
            f"DESCRIPTION:{escape(_description(schedule, shift))}",
            "TRANSP:TRANSPARENT",  # being on call does not make anyone busy
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def _description(schedule: Schedule, shift: Shift) -> str:
    source = "an override" if shift.layer == "override" else f"layer {shift.layer}"
    return f"{shift.person} is on call in schedule {schedule.name} ({source})"


def escape(text: str) -> str:
    """TEXT as RFC 5545 writes it: backslash, semicolon, comma and newline escaped."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """A content line folded so that no line is longer than 75 octets (UTF-8), each continuation starting
    with a space, never inside a character."""
    parts: list[str] = []
    current, size, limit = "", 0, MAX_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size, limit = "", 0, MAX_OCTETS - 1  # the leading space takes one octet
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def _utc(ms: int) -> str:
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y%m%dT%H%M%SZ")

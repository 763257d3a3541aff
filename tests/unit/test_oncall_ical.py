"""The iCalendar export, read back by the `icalendar` library (the oracle)."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar
from hypothesis import given, settings
from hypothesis import strategies as st

from alertrouter.models.schedule import Override, Schedule
from alertrouter.oncall.ical import escape, fold, to_ical
from alertrouter.oncall.schedule import Shift, shifts
from alertrouter.yamltext import load_yaml

NOW = int(datetime(2026, 3, 1, 12, 0, tzinfo=UTC).timestamp() * 1000)
SCHEDULE = Schedule.model_validate(
    load_yaml(
        """
name: payments
time_zone: Europe/Berlin
layers:
  - {name: primary, rotation: daily, start: '2026-03-27T09:00', members: [alice, bob]}
  - name: 'Bereitschaft, Wochenende; Zahlungen \\ Nächte — a layer name long enough to be folded'
    rotation: weekly
    start: '2026-03-23T00:00'
    members: [carol]
    restrictions: [{weekdays: [saturday, sunday]}]
"""
    )
)


def events(text: str) -> list[icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(text)
    return list(calendar.walk("VEVENT"))


def utc_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def test_every_shift_is_one_event_with_its_times_summary_and_a_stable_uid() -> None:
    # Given the shifts of a week across the spring-forward night, with an override
    cover = [Override("payments", "dave", NOW + 27 * 86_400_000, NOW + 27 * 86_400_000 + 3_600_000)]
    found = shifts(SCHEDULE, NOW + 26 * 86_400_000, NOW + 33 * 86_400_000, cover)
    # When they are exported
    text = to_ical(SCHEDULE, found, NOW)
    # Then the oracle reads one event per shift, in UTC, with the summary and description
    calendar = icalendar.Calendar.from_ical(text)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]) == "-//alertrouter//on-call schedules//EN"
    read = events(text)
    assert len(read) == len(found) > 3
    assert {s.layer for s in found} == {"primary", "override", SCHEDULE.layers[1].name}
    for event, shift in zip(read, found, strict=True):
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert start.tzinfo is not None and start.utcoffset().total_seconds() == 0
        assert (utc_ms(start), utc_ms(end)) == (shift.start_ms, shift.end_ms)
        assert str(event["SUMMARY"]) == f"On call: {shift.person} (payments)"
        assert utc_ms(event.decoded("DTSTAMP")) == NOW
        assert shift.layer in str(event["DESCRIPTION"])  # unescaped again: commas, semicolons, backslash
    assert len({str(e["UID"]) for e in read}) == len(read)
    # and the same shifts exported later keep their UIDs
    again = events(to_ical(SCHEDULE, found, NOW + 86_400_000))
    assert [str(e["UID"]) for e in again] == [str(e["UID"]) for e in read]


def test_lines_end_in_crlf_and_are_at_most_75_octets() -> None:
    found = shifts(SCHEDULE, NOW + 26 * 86_400_000, NOW + 40 * 86_400_000)
    text = to_ical(SCHEDULE, found, NOW)
    assert text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")
    lines = text.split("\r\n")[:-1]
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    assert any(line.startswith(" ") for line in lines)  # the long description was folded


def test_text_is_escaped_as_rfc_5545_says() -> None:
    assert escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


@settings(max_examples=200)
@given(st.text(max_size=300))
def test_folding_keeps_every_character_and_splits_none(text: str) -> None:
    line = "DESCRIPTION:" + escape(text)
    folded = fold(line)
    pieces = folded.split("\r\n")
    assert all(len(piece.encode("utf-8")) <= 75 for piece in pieces)
    assert all(piece.startswith(" ") for piece in pieces[1:])
    assert "".join(piece[1:] if i else piece for i, piece in enumerate(pieces)) == line


@settings(max_examples=50)
@given(st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=120))
def test_any_layer_name_reads_back_the_same(name: str) -> None:
    shift = Shift("alice", name, NOW, NOW + 3_600_000)
    (event,) = events(to_ical(SCHEDULE, [shift], NOW))
    assert name in str(event["DESCRIPTION"])

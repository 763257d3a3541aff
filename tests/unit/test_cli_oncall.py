"""`alertrouter oncall now|show|export`, run as a person runs them, on a config file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import icalendar
import pytest

from alertrouter import cli, cli_oncall

CONFIG = """
route: {receiver: r}
receivers: [{name: r, sms: [schedule:payments]}]
schedules:
  - name: payments
    time_zone: Europe/Berlin
    layers:
      - {name: primary, rotation: daily, start: '2026-03-27T09:00', members: [alice, bob]}
      - name: business-hours
        rotation: weekly
        start: '2026-03-23T00:00'
        members: [carol]
        restrictions: [{weekdays: ['monday:friday'], times: [{start_time: '09:00', end_time: '17:00'}]}]
  - name: infra
    time_zone: America/New_York
    layers:
      - {name: weekly, rotation: weekly, start: '2026-03-02T10:00', members: [dan, eve]}
  - name: later
    layers:
      - {name: one, rotation: daily, start: '2027-01-01T00:00', members: [fay]}
"""


@pytest.fixture
def config(tmp_path: Path) -> str:
    path = tmp_path / "routing.yaml"
    path.write_text(CONFIG)
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["oncall", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_now_says_who_is_on_call_in_each_schedule_since_and_until(
    config: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "now", "--config", config, "--at", "2026-03-28T12:00Z")
    assert code == 0
    assert out.splitlines() == [
        "payments  bob (primary)  since Sat 2026-03-28 09:00 CET  until Sun 2026-03-29 09:00 CEST",
        "infra     eve (weekly)  since Mon 2026-03-23 10:00 EDT  until Mon 2026-03-30 10:00 EDT",
        "later     nobody is on call",
    ]


def test_now_without_at_is_the_clock_now(
    config: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_oncall, "clock", lambda: datetime(2026, 3, 30, 10, 0, tzinfo=UTC).timestamp())
    _, out, _ = run(capsys, "now", "--config", config)
    assert out.splitlines()[0] == (
        "payments  carol (business-hours)  since Mon 2026-03-30 09:00 CEST  until Mon 2026-03-30 17:00 CEST"
    )


def test_show_lays_out_a_schedule_in_its_zone_over_a_local_week(
    config: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "show", "payments", "--config", config, "--from", "2026-03-27", "--weeks", "1")
    assert code == 0
    lines = out.splitlines()
    assert lines[:4] == [
        "payments (Europe/Berlin), 1 week from Fri 2026-03-27 00:00 CET",
        "  Fri 2026-03-27 09:00 CET → Fri 2026-03-27 17:00 CET  carol  (layer business-hours)",
        "  Fri 2026-03-27 17:00 CET → Sat 2026-03-28 09:00 CET  alice  (layer primary)",
        "  Sat 2026-03-28 09:00 CET → Sun 2026-03-29 09:00 CEST  bob    (layer primary)",
    ]
    assert lines[-1] == "  Thu 2026-04-02 17:00 CEST → Fri 2026-04-03 00:00 CEST  alice  (layer primary)"


def test_show_by_default_starts_with_the_shift_on_now(
    config: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_oncall, "clock", lambda: datetime(2026, 3, 25, 12, 0, tzinfo=UTC).timestamp())
    _, out, _ = run(capsys, "show", "infra", "--config", config)
    assert out.splitlines() == [
        "infra (America/New_York), 2 weeks from Mon 2026-03-23 10:00 EDT",
        "  Mon 2026-03-23 10:00 EDT → Mon 2026-03-30 10:00 EDT  eve  (layer weekly)",
        "  Mon 2026-03-30 10:00 EDT → Mon 2026-04-06 10:00 EDT  dan  (layer weekly)",
    ]


def test_export_writes_an_icalendar_file_of_the_shifts(
    config: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_oncall, "clock", lambda: datetime(2026, 3, 1, tzinfo=UTC).timestamp())
    code, out, _ = run(capsys, "export", "infra", "--config", config, "--from", "2026-03-02T10:00")
    assert code == 0
    events = list(icalendar.Calendar.from_ical(out).walk("VEVENT"))
    assert len(events) == 12  # the default 12 weeks
    assert [str(e["SUMMARY"]) for e in events[:2]] == ["On call: dan (infra)", "On call: eve (infra)"]
    assert events[0].decoded("DTSTART") == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # EST
    assert events[1].decoded("DTSTART") == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)  # EDT


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "payroll"], "no schedule 'payroll' in {config} (schedules: payments, infra, later)"),
        (["now", "--at", "yesterday"], "'yesterday' is not an ISO 8601 time (2026-01-05T09:00, 2026-01-05)"),
        (
            ["export", "infra", "--from", "soon"],
            "'soon' is not an ISO 8601 time (2026-01-05T09:00, 2026-01-05)",
        ),
    ],
)
def test_mistakes_are_refused_with_the_reason(
    config: str, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, *args, "--config", config)
    assert code == 2 and out == ""
    assert err.strip() == "alertrouter: " + message.format(config=config)


def test_a_config_that_does_not_load_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "routing.yaml"
    path.write_text("route: {receiver: r}\nreceivers: [{name: r, sms: [schedule:nope]}]\n")
    code, _, err = run(capsys, "now", "--config", str(path))
    assert code == 2
    assert "receiver r names unknown schedule 'nope'" in err


def test_weeks_are_bounded(config: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["oncall", "show", "infra", "--config", config, "--weeks", "0"])
    assert "between 1 and 104 weeks" in capsys.readouterr().err


def test_a_lone_member_is_on_call_with_no_change_ahead_and_show_starts_at_most_a_week_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "routing.yaml"
    path.write_text(
        "route: {receiver: r}\nreceivers: [{name: r}]\n"
        "schedules: [{name: solo, layers: [{name: only, rotation: weekly, start: '2025-01-06T09:00', members: [sam]}]}]\n"
    )
    monkeypatch.setattr(cli_oncall, "clock", lambda: datetime(2026, 3, 25, 12, 0, tzinfo=UTC).timestamp())
    _, out, _ = run(capsys, "now", "--config", str(path))
    assert out.strip() == "solo  sam (only)  for over a year  no change within a year"
    _, out, _ = run(capsys, "show", "solo", "--config", str(path), "--weeks", "1")
    assert out.splitlines() == [
        "solo (UTC), 1 week from Wed 2026-03-18 12:00 UTC",
        "  Wed 2026-03-18 12:00 UTC → Wed 2026-03-25 12:00 UTC  sam  (layer only)",
    ]

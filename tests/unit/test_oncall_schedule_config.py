"""On-call schedules in the routing config: what is accepted, and what is refused with which reason."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from alertrouter.config import ConfigError, parse_config
from alertrouter.models.config import RoutingConfig
from alertrouter.models.schedule import Override
from alertrouter.preflight import sms_recipients

CONFIG = """
route:
  receiver: payments
  escalation:
    after: 10m
    steps:
      - schedule:payments
      - [{schedule: payments, by: call}, carol]
      - {call: dave}
receivers:
  - name: payments
    slack: [{channel: '#payments'}]
    sms: [schedule:payments, {sms: alice}]
people:
  alice: {slack: U0AAAAAAAAA}
  bob: {slack: U0BBBBBBBBB}
  carol:
  dave: {}
schedules:
  - name: payments
    time_zone: Europe/Berlin
    handoff_channel: '#payments'
    slack_usergroup: S0PAYONCALL
    layers:
      - name: primary
        rotation: weekly
        start: 2026-01-05T09:00
        members: [alice, bob, carol]
      - name: business-hours
        rotation: custom
        shift_length: 12h
        start: 2026-01-05T09:00:00
        members: [dave]
        restrictions:
          - weekdays: ['monday:friday']
            times: [{start_time: '09:00', end_time: '17:00'}]
"""


def load(text: str) -> RoutingConfig:
    return parse_config(text, source="routing.yaml")


def refused(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load(text)
    return str(caught.value)


def with_schedule(layer: str, *, extra: str = "", people: str = "") -> str:
    return (
        "route: {receiver: r}\nreceivers: [{name: r}]\n"
        + people
        + f"schedules:\n  - name: team\n    time_zone: Europe/Berlin\n{extra}    layers:\n      - {layer}\n"
    )


def test_the_documented_example_reads_with_every_recipient_form() -> None:
    config = load(CONFIG)
    schedule = config.schedule("payments")
    assert schedule.zone.key == "Europe/Berlin"
    assert schedule.handoff_channel == "#payments"
    assert schedule.slack_usergroup == "S0PAYONCALL"
    primary, business = schedule.layers
    assert primary.start == datetime(2026, 1, 5, 9, 0)  # a string (YAML reads no timestamp without seconds)
    assert business.start == datetime(2026, 1, 5, 9, 0)  # a YAML timestamp
    midnight = load(with_schedule("{name: a, rotation: daily, start: 2026-01-05, members: [alice]}"))
    assert midnight.schedules[0].layers[0].start == datetime(2026, 1, 5)  # a YAML date: its midnight
    assert primary.length == timedelta(days=7)
    assert business.length == timedelta(hours=12)
    assert business.restrictions[0].location == "Europe/Berlin"  # read in the schedule's zone
    assert config.people["alice"].slack == "U0AAAAAAAAA"
    assert config.people["carol"].slack is None
    assert config.receiver("payments").sms == ["schedule:payments", "alice"]
    assert config.route.escalation is not None
    assert config.route.escalation.steps == (
        ("schedule:payments",),
        ("call:schedule:payments", "carol"),
        ("call:dave",),
    )


def test_the_numbers_check_counts_each_member_of_a_paged_schedule() -> None:
    named = sms_recipients(load(CONFIG))
    assert named == {
        "alice": "schedule payments",
        "bob": "schedule payments",
        "carol": "schedule payments",
        "dave": "schedule payments",
    }


def test_members_need_no_people_section_when_there_is_none() -> None:
    config = load(with_schedule("{name: a, rotation: daily, start: '2026-01-05T09:00', members: [alice]}"))
    assert config.people == {}
    assert config.schedules[0].members == ["alice"]


@pytest.mark.parametrize(
    ("layer", "extra", "people", "reason"),
    [
        (
            "{name: a, rotation: daily, start: '2026-01-05T09:00', members: [alice, mallory]}",
            "",
            "people: {alice: {}}\n",
            "schedule team, layer a: members mallory are not in people",
        ),
        (
            "{name: a, rotation: daily, start: '2026-01-05T09:00', members: []}",
            "",
            "",
            "members: Value error, a layer needs at least one member",
        ),
        (
            "{name: a, rotation: daily, start: '2026-01-05T09:00', members: ['+15555550100']}",
            "",
            "",
            "do not put numbers in the file",
        ),
        (
            "{name: a, rotation: daily, start: '2026-01-05T09:00', members: ['call:alice']}",
            "",
            "",
            "member 0: 'call:alice' is not a person's name",
        ),
        (
            "{name: a, rotation: custom, start: '2026-01-05T09:00', members: [alice]}",
            "",
            "",
            "layer a: a custom rotation needs a shift_length",
        ),
        (
            "{name: a, rotation: custom, shift_length: 30m, start: '2026-01-05T09:00', members: [alice]}",
            "",
            "",
            "layer a: shift_length must be at least 1h",
        ),
        (
            "{name: a, rotation: weekly, shift_length: 12h, start: '2026-01-05T09:00', members: [alice]}",
            "",
            "",
            "layer a: shift_length is for rotation: custom (weekly shifts last a week)",
        ),
        (
            "{name: a, rotation: custom, shift_length: 12, start: '2026-01-05T09:00', members: [alice]}",
            "",
            "",
            "invalid duration '12'",
        ),
        (
            "{name: a, rotation: hourly, start: '2026-01-05T09:00', members: [alice]}",
            "",
            "",
            "rotation: Input should be 'daily', 'weekly' or 'custom'",
        ),
        (
            "{name: a, rotation: daily, start: 'next monday', members: [alice]}",
            "",
            "",
            "start 'next monday': expected a local date and time such as 2026-01-05T09:00",
        ),
        (
            "{name: a, rotation: daily, start: 20260105, members: [alice]}",
            "",
            "",
            "start '20260105': expected a local date and time",
        ),
        (
            "{name: a, rotation: daily, start: 2026-01-05 09:00:30, members: [alice]}",
            "",
            "",
            "start 2026-01-05T09:00:30: whole minutes only",
        ),
        (
            "{name: a, rotation: daily, start: '2026-01-05T09:00+01:00', members: [alice]}",
            "",
            "",
            "start is a local time in the schedule's time_zone: write it without an offset",
        ),
        (
            "{name: a, rotation: daily, start: '2026-01-05T09:00', members: [alice], "
            "restrictions: [{weekdays: [funday]}]}",
            "",
            "",
            "invalid weekdays entry 'funday': unknown name 'funday'",
        ),
        (
            "{name: a, rotation: daily, start: '2026-01-05T09:00', members: [alice], "
            "restrictions: [{times: [{start_time: '17:00', end_time: '09:00'}]}]}",
            "",
            "",
            "start_time 17:00 must be before end_time 09:00",
        ),
        (
            "{name: a, rotation: daily, start: '2026-01-05T09:00', members: [alice], "
            "restrictions: [{location: UTC, times: [{start_time: '09:00', end_time: '17:00'}]}]}",
            "",
            "",
            "layer a: restrictions are read in the schedule's time_zone (Europe/Berlin); leave out location",
        ),
        (
            "{name: override, rotation: daily, start: '2026-01-05T09:00', members: [alice]}",
            "",
            "",
            "layer name 'override' is kept for overrides",
        ),
        (
            "{name: a, rotation: daily, start: '2026-01-05T09:00', members: [alice], colour: red}",
            "",
            "",
            "colour: Extra inputs are not permitted",
        ),
        (
            "{name: a, rotation: daily, start: '2026-01-05T09:00', members: [alice]}",
            "    slack_usergroup: payments-oncall\n",
            "",
            "slack_usergroup 'payments-oncall' is not a Slack user group id",
        ),
        (
            "{name: a, rotation: daily, start: '2026-01-05T09:00', members: [alice]}",
            "",
            "people: {alice: {slack: '@alice'}}\n",
            "slack '@alice' is not a Slack user id",
        ),
    ],
)
def test_a_schedule_is_refused_with_its_reason(layer: str, extra: str, people: str, reason: str) -> None:
    assert reason in refused(with_schedule(layer, extra=extra, people=people))


def test_an_unknown_time_zone_is_refused() -> None:
    text = with_schedule("{name: a, rotation: daily, start: '2026-01-05T09:00', members: [alice]}")
    assert "time_zone 'Europe/Atlantis' is not an IANA time zone" in refused(
        text.replace("Europe/Berlin", "Europe/Atlantis")
    )


def test_a_schedule_name_is_one_a_recipient_can_name() -> None:
    layer = "{name: a, rotation: daily, start: '2026-01-05T09:00', members: [alice]}"
    assert "schedule name 'call:x': letters, digits" in refused(
        with_schedule(layer).replace("name: team", "name: call:x")
    )
    assert "schedule team: needs at least one layer" in refused(
        "route: {receiver: r}\nreceivers: [{name: r}]\nschedules: [{name: team, layers: []}]\n"
    )


def test_schedule_and_layer_names_are_unique() -> None:
    one = "  - {name: team, layers: [{name: a, rotation: daily, start: '2026-01-05T09:00', members: [alice]}]}\n"
    assert "schedule names must be unique: team" in refused(
        "route: {receiver: r}\nreceivers: [{name: r}]\nschedules:\n" + one + one
    )
    layer = "{name: a, rotation: daily, start: '2026-01-05T09:00', members: [alice]}"
    assert "schedule team: layer names must be unique: a" in refused(
        with_schedule(layer).replace(f"      - {layer}\n", f"      - {layer}\n      - {layer}\n")
    )


def test_a_reference_to_an_unknown_schedule_names_where_it_is() -> None:
    assert "receiver r names unknown schedule 'payments' (no schedules are defined)" in refused(
        "route: {receiver: r}\nreceivers: [{name: r, sms: [schedule:payments]}]\n"
    )
    text = with_schedule("{name: a, rotation: daily, start: '2026-01-05T09:00', members: [alice]}")
    text = text.replace(
        "route: {receiver: r}",
        "route: {receiver: r, routes: [{receiver: r, escalation: {after: 5m, steps: [[alice], "
        "[{schedule: payment, by: call}]]}}]}",
    )
    assert "escalation of route 0.0 names unknown schedule 'payment' (schedules: team)" in refused(text)


def test_recipient_entries_keep_the_refusal_of_numbers_and_say_what_is_wrong() -> None:
    assert (
        "sms entries name numbers kept in the SMS numbers secret; do not put numbers in the file"
        in refused("route: {receiver: r}\nreceivers: [{name: r, sms: ['+1 555 555 0100']}]\n")
    )
    assert "escalation steps name numbers kept in the SMS numbers secret" in refused(
        "route: {receiver: r, escalation: {after: 5m, steps: [['+15555550100']]}}\nreceivers: [{name: r}]\n"
    )
    assert "`by` goes with `schedule` only" in refused(
        "route: {receiver: r}\nreceivers: [{name: r, sms: [{call: alice, by: sms}]}]\n"
    )


def test_an_override_is_a_span_of_a_person() -> None:
    assert Override("team", "alice", 1, 2).person == "alice"
    with pytest.raises(ValueError, match="an override ends after it starts"):
        Override("team", "alice", 2, 2)
    with pytest.raises(ValueError, match="is not a person's name"):
        Override("team", "schedule:other", 1, 2)


def test_a_receiver_texts_at_once_and_calls_belong_in_escalation_steps() -> None:
    refusal = refused("route: {receiver: r}\nreceivers: [{name: r, sms: [alice, {call: bob}]}]\n")
    assert "call:bob: a receiver's sms entries are texted at once; put calls in an escalation step" in refusal

"""The maintenance view's parts that come from the routing config and the firing alerts: routes muted by their
time intervals now and next (across a DST change), inhibition by firing sources, and how the view reads."""

from __future__ import annotations

from datetime import UTC, datetime

from alertrouter.config import parse_config
from alertrouter.maintenance import (
    Quiet,
    inhibition_quiets,
    mechanism_of,
    report_lines,
    time_interval_quiets,
)
from alertrouter.store.base import HeldBack

CONFIG = """
route:
  receiver: team
  routes:
    - matchers: ['service="db"']
      receiver: team
      mute_time_intervals: [db-maintenance]
    - matchers: ['severity="warning"']
      receiver: team
      active_time_intervals: [office-hours]
receivers: [{name: team, slack_configs: [{channel: '#team'}]}]
time_intervals:
  - name: db-maintenance
    time_intervals:
      - {weekdays: [sunday], times: [{start_time: '02:00', end_time: '04:00'}], location: Europe/Berlin}
  - name: office-hours
    time_intervals:
      - {weekdays: ['monday:friday'], times: [{start_time: '09:00', end_time: '17:00'}], location: Europe/Berlin}
inhibit_rules:
  - source_matchers: ['alertname="ClusterDown"']
    target_matchers: ['severity="warning"']
    equal: [cluster]
"""


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def by_reason(quiets: list[Quiet]) -> dict[str, Quiet]:
    return {q.why: q for q in quiets}


def test_a_mute_interval_is_shown_next_then_active_with_its_end_in_utc_across_the_dst_change() -> None:
    config = parse_config(CONFIG)
    # Saturday 2027-03-27 12:00 UTC: the next Sunday 02:00-04:00 in Berlin is the night clocks go forward
    # (02:00 local does not exist: the window opens at 03:00 CEST = 01:00 UTC and ends 04:00 CEST = 02:00 UTC)
    before = by_reason(time_interval_quiets(config, ms("2027-03-27T12:00:00")))["muted during db-maintenance"]
    assert not before.active
    assert (before.starts_ms, before.ends_ms) == (ms("2027-03-28T01:00:00"), ms("2027-03-28T02:00:00"))
    assert before.covers == 'route 0.0 (service="db") to team' and before.ref == "route 0.0"
    # A week later (summer time, UTC+2): 02:00-04:00 CEST is 00:00-02:00 UTC; inside it, active until 02:00 UTC
    during = by_reason(time_interval_quiets(config, ms("2027-04-04T00:30:00")))["muted during db-maintenance"]
    assert during.active and during.ends_ms == ms("2027-04-04T02:00:00")


def test_outside_active_intervals_is_quiet_from_their_end_to_their_next_start() -> None:
    config = parse_config(CONFIG)
    # Saturday: outside office hours now, until Monday 09:00 in Berlin (08:00 UTC in winter)
    weekend = by_reason(time_interval_quiets(config, ms("2027-01-09T12:00:00")))["outside office-hours"]
    assert weekend.active and weekend.ends_ms == ms("2027-01-11T08:00:00")
    # Wednesday 10:00 Berlin: in office hours; quiet next from 17:00 until Thursday 09:00
    office = by_reason(time_interval_quiets(config, ms("2027-01-13T09:00:00")))["outside office-hours"]
    assert not office.active
    assert (office.starts_ms, office.ends_ms) == (ms("2027-01-13T16:00:00"), ms("2027-01-14T08:00:00"))


def test_inhibition_is_shown_only_while_a_source_fires_and_names_the_sources() -> None:
    config = parse_config(CONFIG)
    assert inhibition_quiets(config.inhibit_rules, {}) == []
    assert inhibition_quiets(config.inhibit_rules, {"fp1": {"alertname": "DiskFull"}}) == []
    sources = {f"fp{i}": {"alertname": "ClusterDown", "cluster": f"eu{i}"} for i in range(7)}
    [quiet] = inhibition_quiets(config.inhibit_rules, sources)
    assert quiet.active and quiet.mechanism == "inhibition"
    assert quiet.covers == 'severity="warning" with the same cluster'
    assert quiet.why == 'while alertname="ClusterDown" fires'
    assert quiet.by == "firing: " + ", ".join(["ClusterDown"] * 5) + " and 2 more"


def test_the_reasons_a_flush_gives_are_told_apart_by_mechanism() -> None:
    assert mechanism_of("silenced by alice until 2026-03-02 12:00 UTC") == "silence"
    assert mechanism_of('inhibited by a firing alert (alertname="ClusterDown")') == "inhibition"
    assert mechanism_of("muted by CloudWatch mute rule nightly until 2026-03-02 12:00 UTC") == (
        "CloudWatch mute rule"
    )
    assert mechanism_of("muted during db-maintenance") == "time interval"
    assert mechanism_of("outside office-hours") == "time interval"
    assert mechanism_of("something new") == "other"


def test_the_report_lists_now_then_next_then_what_is_held_back() -> None:
    now = Quiet("inhibition", 'severity="warning"', "firing: ClusterDown", "while ClusterDown fires", True)
    later = Quiet(
        "time interval", "route 0.0", "routing config", "muted during x", False,
        ms("2027-01-10T01:00:00"), ms("2027-01-10T03:00:00"), ref="route 0.0",
    )  # fmt: skip
    held = [HeldBack("g1", "fp1", "DiskFull on db-1", "muted during x")]
    lines = report_lines([later, now], held)
    assert (
        lines[0] == "Muting now:"
        and "inhibition" in lines[1]
        and lines[1].endswith("  # while ClusterDown fires")
    )
    assert lines[2] == "Muting next:"
    assert "next 2027-01-10 01:00 UTC → 2027-01-10 03:00 UTC" in lines[3] and "[route 0.0]" in lines[3]
    assert lines[4] == "Held back now (1):" and "time interval" in lines[5] and "DiskFull on db-1" in lines[5]
    assert report_lines([], []) == ["Nothing mutes alerts now.", "No alert is held back now."]
    assert report_lines([], None) == ["Nothing mutes alerts now."]

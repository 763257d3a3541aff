"""Alertmanager's webhook JSON, version 4: the shape its docs give (configuration.md, `<webhook_config>`: version,
groupKey, truncatedAlerts, status, receiver, groupLabels, commonLabels, commonAnnotations, externalURL, alerts
with status, labels, annotations, startsAt, endsAt, generatorURL, fingerprint), field for field and in its
order; the golden file is that shape filled in for a group of two alerts, one of them resolved."""

from __future__ import annotations

import json
from pathlib import Path

from alertrouter.models.alert import Status
from alertrouter.models.state import AlertState, Member
from alertrouter.notify.webhook_payload import ZERO_TIME, GroupFacts, rfc3339, selected, webhook_message

GOLDEN = json.loads((Path(__file__).parent / "golden" / "alertmanager_webhook_v4.json").read_text())
MS = 1714557600000  # 2024-05-01T10:00:00Z
CONSOLE = "https://console.aws.amazon.com/cloudwatch/home#alarmsV2:alarm/DiskFull-"


def member(instance: str, status: Status, starts_at_ms: int, ts_ms: int) -> Member:
    return Member(
        status=status,
        severity="critical",
        title="DiskFull",
        ts_ms=ts_ms,
        starts_at_ms=starts_at_ms,
        console=CONSOLE + instance,
        resource=instance,
    )


def state(fp: str, instance: str, status: Status, left: str) -> AlertState:
    return AlertState(
        fingerprint=fp,
        status=status,
        severity="critical",
        title="DiskFull",
        source="cloudwatch",
        labels={"alertname": "DiskFull", "instance": instance, "severity": "critical"},
        annotations={
            "description": f"{instance} has {left} disk left",
            "runbook": "https://runbooks.example/disk",
        },
        ts_ms=MS,
        starts_at_ms=MS,
    )


FIRING, RESOLVED = "c6eadffa33fcdf37", "1a30ba71cca2921f"
MEMBERS = {
    FIRING: member("db-2", Status.FIRING, MS, MS),
    RESOLVED: member("db-1", Status.RESOLVED, MS - 89_750, MS + 300_000),
}
STATES = {
    FIRING: state(FIRING, "db-2", Status.FIRING, "4%"),
    RESOLVED: state(RESOLVED, "db-1", Status.RESOLVED, "2%"),
}
GROUP = GroupFacts("0/3f2a9c1be07d", "team", {"alertname": "DiskFull"})


def test_the_message_is_alertmanagers_version_4_field_for_field_and_in_its_order() -> None:
    chosen, truncated = selected(MEMBERS, send_resolved=True, max_alerts=0)
    message = webhook_message(GROUP, MEMBERS, STATES, chosen, truncated)
    assert message == GOLDEN
    assert list(message) == list(GOLDEN) and [list(a) for a in message["alerts"]] == [
        list(a) for a in GOLDEN["alerts"]
    ]
    assert json.loads(json.dumps(message)) == GOLDEN  # plain JSON types only


def test_times_are_rfc3339_as_go_writes_them_and_a_firing_alert_ends_at_the_zero_time() -> None:
    assert rfc3339(MS) == "2024-05-01T10:00:00Z"
    assert rfc3339(MS + 250) == "2024-05-01T10:00:00.25Z" and rfc3339(MS + 7) == "2024-05-01T10:00:00.007Z"
    assert ZERO_TIME == "0001-01-01T00:00:00Z"


def test_max_alerts_truncates_and_says_how_many_were_left_out() -> None:
    members = {f"fp{i}": member(f"db-{i}", Status.FIRING, MS + i, MS + i) for i in range(5)}
    chosen, truncated = selected(members, send_resolved=True, max_alerts=2)
    assert chosen == ["fp0", "fp1"] and truncated == 3  # the oldest first
    message = webhook_message(GROUP, members, {}, chosen, truncated)
    assert message["truncatedAlerts"] == 3 and len(message["alerts"]) == 2
    assert selected(members, send_resolved=True, max_alerts=5) == (sorted(members), 0)


def test_without_send_resolved_resolved_alerts_are_left_out_before_truncation() -> None:
    chosen, truncated = selected(MEMBERS, send_resolved=False, max_alerts=1)
    assert (chosen, truncated) == ([FIRING], 0)
    only_resolved = {RESOLVED: MEMBERS[RESOLVED]}
    assert selected(only_resolved, send_resolved=False, max_alerts=0) == ([], 0)  # nothing: not sent


def test_the_status_is_resolved_only_when_every_alert_sent_is_and_common_maps_come_from_the_alerts_sent() -> (
    None
):
    message = webhook_message(GROUP, MEMBERS, STATES, [RESOLVED], 0)
    assert message["status"] == "resolved"
    assert message["commonLabels"] == STATES[RESOLVED].labels  # one alert: all its labels are common
    assert message["commonAnnotations"] == STATES[RESOLVED].annotations


def test_an_alert_whose_state_is_gone_is_still_sent_with_what_its_member_knows() -> None:
    message = webhook_message(GROUP, MEMBERS, {}, [FIRING], 0)
    [sent] = message["alerts"]
    assert sent["labels"] == {"alertname": "DiskFull"} and sent["annotations"] == {}
    assert sent["fingerprint"] == FIRING and sent["generatorURL"] == CONSOLE + "db-2"

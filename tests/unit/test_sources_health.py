"""AWS Health events become alerts about the account they affect: public and account-specific issues, abuse
reports, the organisational view, zone-level events, closed events resolving, and what is refused."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from alertrouter.models.alert import Severity, Status
from alertrouter.sources import MalformedEventError, parse_body
from alertrouter.sources.health import parse_eventbridge
from support.events import load_event
from support.events import only_alert as one

PUBLIC = "eventbridge_health_ec2_operational_issue_PUBLIC_open_awsdocs.json"
INSTANCE_STORE = "eventbridge_health_ec2_instance_store_drive_degraded_ACCOUNT_SPECIFIC_awsdocs.json"
ABUSE = "eventbridge_health_abuse_dos_report_awsdocs.json"
ELB = "eventbridge_health_elb_operational_issue_PUBLIC_awsdocs.json"
MEMBER = "210987654321"  # an obvious fake member account of an organisation


def test_a_public_ec2_issue_warns_with_the_service_region_and_the_dashboard_link() -> None:
    alert = one(load_event(PUBLIC))
    assert (alert.source, alert.status, alert.severity, alert.one_shot) == (
        "health",
        Status.FIRING,
        Severity.WARNING,
        False,
    )
    assert alert.title == "EC2 operational issue"
    assert alert.labels == {
        "alertname": "AWS_EC2_OPERATIONAL_ISSUE",
        "source": "health",
        "account": "123456789012",
        "region": "us-east-1",
        "severity": "warning",
        "resource": "EC2",
        "reason": "EC2 operational issue",
        "service": "EC2",
        "event_type_code": "AWS_EC2_OPERATIONAL_ISSUE",
        "event_category": "issue",
        "scope": "PUBLIC",
        "detail_type": "AWS Health Event",
    }
    assert alert.summary.startswith("We are investigating increased API Error rates and Latencies")
    assert "Region: us-east-1" in alert.summary
    assert alert.annotations == {
        "console": "https://health.aws.amazon.com/health/home#/account/event-log"
        "?eventID=arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE&eventTab=details"
    }
    assert alert.timestamp.isoformat() == "2023-02-15T10:07:10+00:00"


def test_an_issue_on_your_own_resources_is_critical_and_lists_them() -> None:
    alert = one(load_event(INSTANCE_STORE))
    assert (alert.status, alert.severity) == (Status.FIRING, Severity.CRITICAL)
    assert alert.title == "EC2 instance store drive performance degraded on arn:ec2-1-101002929"
    assert {k: alert.labels[k] for k in ("resource", "scope", "region", "reason")} == {
        "resource": "arn:ec2-1-101002929",
        "scope": "ACCOUNT_SPECIFIC",
        "region": "us-west-2",
        "reason": "EC2 instance store drive performance degraded",
    }
    assert (
        "Affected (4: 2 impaired, 1 unimpaired, 1 resolved): arn:ec2-1-101002929, arn:ec2-1-101002930, arn:ec2-1-101002931, arn:ec2-1-101002932"
        in (alert.summary)
    )
    assert "Page 1 of 10 of the affected resources" in alert.summary


def test_an_abuse_report_is_critical() -> None:
    alert = one(load_event(ABUSE))
    assert (alert.severity, alert.labels["alertname"], alert.labels["reason"]) == (
        Severity.CRITICAL,
        "AWS_ABUSE_DOS_REPORT",
        "Abuse dos report",
    )
    assert alert.labels["detail_type"] == "AWS Health Abuse Event"
    assert alert.labels["region"] == "us-west-2"  # the event's region, not the envelope's "global"


def test_closed_resolves_the_same_alert() -> None:
    opened = load_event(PUBLIC)
    closed = copy.deepcopy(opened)  # no real closed example was found: the same event, as Health closes it
    closed["detail"]["statusCode"] = "closed"
    closed["detail"]["endTime"] = "Thu, 16 Feb 2023 01:30:00 GMT"
    first, last = one(opened), one(closed)
    assert (first.status, last.status) == (Status.FIRING, Status.RESOLVED)
    assert first.fingerprint == last.fingerprint
    assert "to 2023-02-16 01:30 UTC" in last.summary


def test_upcoming_fires_and_a_scheduled_change_is_one_shot() -> None:
    event = load_event(INSTANCE_STORE)  # derived: the scheduled variant of a real account-specific event
    event["detail"].update(statusCode="upcoming", eventTypeCategory="scheduledChange")
    alert = one(event)
    assert (alert.status, alert.severity, alert.one_shot) == (Status.FIRING, Severity.WARNING, True)


def test_an_account_notification_is_info() -> None:
    event = load_event(PUBLIC)  # derived: the category changed
    event["detail"]["eventTypeCategory"] = "accountNotification"
    alert = one(event)
    assert (alert.severity, alert.one_shot) == (Severity.INFO, True)


def test_the_organisational_view_names_the_affected_member_account() -> None:
    # derived: the management (or delegated administrator) account receives a member's event; Health names
    # the member in detail.affectedAccount and the receiver in `account`
    event = load_event(INSTANCE_STORE)
    event["detail"]["affectedAccount"] = MEMBER
    alert = one(event)
    assert alert.labels["account"] == MEMBER
    own = one(load_event(INSTANCE_STORE))
    assert alert.fingerprint != own.fingerprint  # one event ARN, two accounts: two alerts


def test_without_affected_account_the_envelope_account_is_used() -> None:
    event = load_event(PUBLIC)
    del event["detail"]["affectedAccount"]
    assert one(event).labels["account"] == "123456789012"


@pytest.mark.parametrize(
    "where",
    [{"availabilityZone": "us-east-1a"}, {"eventMetadata": {"availabilityZone": "us-east-1a"}}],
)
def test_a_zone_level_event_names_its_availability_zone(where: dict[str, Any]) -> None:
    # derived: the EventBridge schema documents no zone field; the Health API's Event names it
    # availabilityZone, and some events carry it in eventMetadata
    event = load_event(PUBLIC)
    event["detail"].update(where)
    alert = one(event)
    assert alert.labels["availability_zone"] == "us-east-1a"
    assert alert.labels["resource"] == "us-east-1a"
    assert alert.title == "EC2 operational issue in us-east-1a"
    assert "Region: us-east-1, zone us-east-1a" in alert.summary


def test_a_burst_of_events_on_one_service_shares_its_reason() -> None:
    bodies = []
    for n in range(12):
        event = load_event(INSTANCE_STORE)
        event["detail"]["eventArn"] += f"_{n}"
        event["detail"]["affectedEntities"] = [{"entityValue": f"i-{n:017x}"}]
        bodies.append(json.dumps(event))
    alerts = [a for body in bodies for a in parse_body(body).alerts]
    assert len(alerts) == 12
    assert len({a.fingerprint for a in alerts}) == 12
    assert {a.labels["reason"] for a in alerts} == {"EC2 instance store drive performance degraded"}


def test_links_in_a_hostile_description_are_http_only() -> None:
    event = load_event(PUBLIC)
    event["detail"]["eventDescription"][0]["latestDescription"] = "See javascript:alert(1) now"
    assert "runbook" not in one(event).annotations
    event["detail"]["eventDescription"][0]["latestDescription"] = "See https://example.com/runbook."
    assert one(event).annotations["runbook"] == "https://example.com/runbook"


def test_the_english_description_is_preferred() -> None:
    event = load_event(PUBLIC)
    event["detail"]["eventDescription"].insert(0, {"language": "ja_JP", "latestDescription": "調査中"})
    assert one(event).summary.startswith("We are investigating")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda e: e.__setitem__("detail-type", "AWS Health Something Else"), "is not alerted on"),
        (lambda e: e["detail"].__setitem__("statusCode", "pending"), "neither open nor closed"),
    ],
)
def test_other_detail_types_and_statuses_are_ignored_with_a_reason(change: Any, reason: str) -> None:
    event = load_event(PUBLIC)
    change(event)
    result = parse_body(json.dumps(event))
    assert not result.alerts
    [ignored] = result.ignored
    assert reason in ignored.reason


@pytest.mark.parametrize(
    ("change", "names"),
    [
        (lambda d: d.pop("eventArn"), "eventArn"),
        (lambda d: d.pop("eventTypeCode"), "eventTypeCode"),
        (lambda d: d.__setitem__("eventTypeCode", 7), "eventTypeCode"),
        (lambda d: d.__setitem__("eventArn", "a" * 5000), "eventArn"),
        (lambda d: d.__setitem__("eventDescription", "text"), "eventDescription"),
        (lambda d: d.__setitem__("affectedEntities", [{"entityValue": "x" * 5000}]), "entityValue"),
        (lambda d: d.__setitem__("startTime", "yesterday"), "startTime"),
        (lambda d: d.__setitem__("endTime", "Wed, 99 Feb 2023 25:00:00 GMT"), "endTime"),
        (lambda d: d.__setitem__("statusCode", ["open"]), "statusCode"),
    ],
)
def test_malformed_events_name_the_field(change: Any, names: str) -> None:
    event = load_event(PUBLIC)
    change(event["detail"])
    with pytest.raises(MalformedEventError, match=names):
        parse_eventbridge(event)


def test_an_event_with_no_account_anywhere_is_malformed() -> None:
    event = load_event(PUBLIC)
    del event["detail"]["affectedAccount"]
    event["account"] = ""
    with pytest.raises(MalformedEventError, match="no affectedAccount"):
        parse_eventbridge(event)


@pytest.mark.parametrize("time", ["2023-02-15T15:07:10+05:00", "2023-02-15T10:07:10"])
def test_the_alert_time_is_utc_whatever_offset_the_envelope_carries(time: str) -> None:
    event = load_event(PUBLIC)
    event["time"] = time
    assert one(event).timestamp.isoformat() == "2023-02-15T10:07:10+00:00"


def test_a_public_load_balancing_issue_in_another_region() -> None:
    alert = one(load_event(ELB))
    assert (alert.status, alert.severity, alert.title) == (
        Status.FIRING,
        Severity.WARNING,
        "ELASTICLOADBALANCING operational issue",
    )
    assert {k: alert.labels[k] for k in ("region", "service", "resource", "scope")} == {
        "region": "ap-southeast-2",
        "service": "ELASTICLOADBALANCING",
        "resource": "ELASTICLOADBALANCING",
        "scope": "PUBLIC",
    }
    assert "From 2023-01-26 13:19 UTC to 2023-01-26 13:44 UTC" in alert.summary

"""GuardDuty findings become one alert per finding: severity from GuardDuty's scale, the resource by its type,
a recurrence re-firing the same alert, an archived finding resolving it, other GuardDuty events ignored."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from alertrouter.models.alert import Ignored, Severity, Status
from alertrouter.sources import MalformedEventError, guardduty, parse_body
from support.events import load_event
from support.events import only_alert as one

EC2 = "eventbridge_guardduty_finding_ec2_outbound_connection_real_awssamples.json"
IAM = "eventbridge_guardduty_finding_iam_recon_archived_sample_real_awssamples.json"
S3 = "eventbridge_guardduty_finding_s3_pentest_archived_sample_real_awssamples.json"


def test_an_ec2_finding_fires_with_its_type_resource_severity_and_link() -> None:
    alert = one(load_event(EC2))
    assert (alert.source, alert.status, alert.severity, alert.one_shot) == (
        "guardduty",
        Status.FIRING,
        Severity.WARNING,
        True,
    )
    assert alert.title == "Canary:EC2/Stateless.IntegTest"
    assert alert.labels == {
        "alertname": "GuardDutyFinding",
        "source": "guardduty",
        "account": "123456789012",
        "region": "us-east-1",
        "resource": "i-05746eb48123455e0",
        "resource_type": "Instance",
        "finding_type": "Canary:EC2/Stateless.IntegTest",
        "finding_id": "16afba5c5c43e07c9e3e5e2e544e95df",
        "reason": "Canary:EC2/Stateless.IntegTest",
        "source_severity": "Medium",
        "severity": "warning",
    }
    assert alert.summary == (
        "Canary:EC2/Stateless.IntegTest Seen 1 time, first 2017-10-31 23:16 UTC. Severity 5 (Medium)."
    )
    assert alert.annotations == {
        "console": "https://us-east-1.console.aws.amazon.com/guardduty/home?region=us-east-1"
        "#/findings?macros=current&fId=16afba5c5c43e07c9e3e5e2e544e95df"
    }
    assert alert.timestamp == datetime(2017, 10, 31, 23, 16, 23, 824000, tzinfo=UTC)


def test_archived_sample_findings_resolve_and_say_they_are_samples() -> None:
    iam, s3 = one(load_event(IAM)), one(load_event(S3))
    assert (iam.status, s3.status) == (Status.RESOLVED, Status.RESOLVED)
    assert iam.title == (
        "[SAMPLE] Reconnaissance API GeneratedFindingAPIName was invoked from an IP address on a custom threat list."
    )
    assert (
        iam.labels["resource"],
        iam.labels["resource_type"],
        iam.labels["user"],
        iam.labels["sample"],
    ) == (
        "GeneratedFindingAccessKeyId",
        "AccessKey",
        "GeneratedFindingUserName",
        "true",
    )
    assert (s3.labels["resource"], s3.labels["resource_type"], s3.labels["finding_type"]) == (
        "bucketName",
        "S3Bucket",
        "PenTest:S3/ParrotLinux",
    )


def test_archiving_resolves_the_same_fingerprint_and_a_recurrence_re_fires_it() -> None:
    first = load_event(EC2)
    # GuardDuty sends the finding again when it recurs (count up) and when it is archived: same id
    again = copy.deepcopy(first)
    again["detail"]["service"].update(count=7, eventLastSeen="2017-11-01T02:00:00Z")
    again["detail"]["updatedAt"] = "2017-11-01T02:00:05.000Z"
    archived = copy.deepcopy(again)
    archived["detail"]["service"]["archived"] = True
    fired, refired, resolved = one(first), one(again), one(archived)
    assert fired.fingerprint == refired.fingerprint == resolved.fingerprint
    assert (fired.status, refired.status, resolved.status) == (Status.FIRING, Status.FIRING, Status.RESOLVED)
    assert "count" not in refired.labels and refired.labels == fired.labels
    assert "Seen 7 times, first 2017-10-31 23:16 UTC, last 2017-11-01 02:00 UTC." in refired.summary


@pytest.mark.parametrize(
    ("value", "word", "severity"),
    [
        (10, "Critical", Severity.CRITICAL),
        (9.0, "Critical", Severity.CRITICAL),
        (8.9, "High", Severity.CRITICAL),
        (7.0, "High", Severity.CRITICAL),
        (6.9, "Medium", Severity.WARNING),
        (4.0, "Medium", Severity.WARNING),
        (3.9, "Low", Severity.INFO),
        (1.0, "Low", Severity.INFO),
    ],
)
def test_the_severity_scale(value: float, word: str, severity: Severity) -> None:
    event = copy.deepcopy(load_event(EC2))
    event["detail"]["severity"] = value
    alert = one(event)
    assert (alert.labels["source_severity"], alert.severity) == (word, severity)


def test_the_account_is_the_one_the_finding_is_about() -> None:
    event = copy.deepcopy(load_event(EC2))
    event["account"] = "999999999999"  # the delegated administrator's feed carries a member's finding
    assert one(event).labels["account"] == "123456789012"


def test_other_guardduty_events_are_ignored() -> None:
    event = copy.deepcopy(load_event(EC2))
    event["detail-type"] = "GuardDuty Runtime Protection Unhealthy"
    ignored = guardduty.parse_eventbridge(event)
    assert isinstance(ignored, Ignored)
    assert ignored.reason == "GuardDuty event 'GuardDuty Runtime Protection Unhealthy' is not alerted on"


def test_the_dispatch_hands_findings_to_the_parser() -> None:
    result = parse_body(json.dumps(load_event(EC2)))
    assert [a.labels["finding_type"] for a in result.alerts] == ["Canary:EC2/Stateless.IntegTest"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.pop("id"), "detail.id"),
        (lambda d: d.pop("type"), "detail.type"),
        (lambda d: d.update(severity="high"), "detail.severity"),
        (lambda d: d.update(severity=11), "detail.severity"),
        (lambda d: d.update(title="x" * 2_001), "detail.title"),
        (lambda d: d["service"].update(count="many"), "detail.service.count"),
        (lambda d: d["resource"].update(instanceDetails={"instanceId": 5}), "instanceId"),
    ],
)
def test_malformed_findings_name_the_field(change: Any, field: str) -> None:
    event = copy.deepcopy(load_event(EC2))
    change(event["detail"])
    with pytest.raises(MalformedEventError, match=field):
        guardduty.parse_eventbridge(event)


def test_an_unreadable_update_time_is_malformed() -> None:
    event = copy.deepcopy(load_event(EC2))
    event["detail"]["updatedAt"] = "soon"
    with pytest.raises(MalformedEventError, match="unreadable timestamp 'soon'"):
        guardduty.parse_eventbridge(event)


def test_no_account_anywhere_is_malformed() -> None:
    event = copy.deepcopy(load_event(EC2))
    event["detail"]["accountId"] = ""
    del event["account"]
    with pytest.raises(MalformedEventError, match="no accountId and no account"):
        guardduty.parse_eventbridge(event)


def test_a_hostile_description_never_becomes_a_link() -> None:
    event = copy.deepcopy(load_event(EC2))
    event["detail"]["description"] = "click javascript:alert(1) or https://evil.example/x"
    alert = one(event)
    assert set(alert.annotations) == {"console"}
    assert alert.annotations["console"].startswith("https://us-east-1.console.aws.amazon.com/")


def test_a_burst_of_findings_on_one_instance_shares_the_reason() -> None:
    events = []
    for n in range(12):
        event = copy.deepcopy(load_event(EC2))
        event["detail"]["id"] = f"16afba5c5c43e07c9e3e5e2e544e{n:04d}"
        events.append(event)
    alerts = [one(e) for e in events]
    assert len({a.fingerprint for a in alerts}) == 12
    assert {a.labels["reason"] for a in alerts} == {"Canary:EC2/Stateless.IntegTest"}
    assert {a.resource for a in alerts} == {"i-05746eb48123455e0"}

"""Security Hub findings become one alert per finding: severity from its label, what it is about, the product
and check that found it; archived, resolved, suppressed or passed findings resolve the same alert; the OCSF
and other Security Hub events are ignored."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from alertrouter.models.alert import Ignored, Severity, Status
from alertrouter.sources import MalformedEventError, parse_body, securityhub
from support.events import load_event
from support.events import only_alert as one

EC2_7 = "eventbridge_securityhub_findings_imported_fsbp_ec2_7_INFORMATIONAL_real_asr.json"
CIS_1_4 = "eventbridge_securityhub_findings_imported_cis_1_4_MEDIUM_real_asr.json"


def finding(event: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = event["detail"]["findings"][0]
    return found


def test_a_cis_finding_fires_with_its_check_product_resource_and_links() -> None:
    alert = one(load_event(CIS_1_4))
    assert (alert.source, alert.status, alert.severity, alert.one_shot) == (
        "securityhub",
        Status.FIRING,
        Severity.WARNING,
        True,
    )
    assert alert.title == "1.4 Ensure access keys are rotated every 90 days or less"
    assert alert.summary.startswith("Access keys consist of an access key ID and secret access key")
    assert alert.labels == {
        "alertname": "SecurityHubFinding",
        "source": "securityhub",
        "account": "111111111111",
        "region": "us-east-1",
        "resource": "AWS::::Account:111111111111",
        "resource_type": "AwsAccount",
        "finding_type": "Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations"
        " Benchmark",
        "product": "Security Hub",
        "generator": "cis-aws-foundations-benchmark/v/1.2.0/rule/1.4",
        "compliance": "WARNING",
        "workflow": "NEW",
        "record_state": "ACTIVE",
        "reason": "1.4 Ensure access keys are rotated every 90 days or less",
        "source_severity": "MEDIUM",
        "severity": "warning",
    }
    assert alert.annotations["runbook"] == (
        "https://docs.aws.amazon.com/console/securityhub/standards-cis-1.4/remediation"
    )
    # the Id filter would make a link longer than a message keeps: the findings page
    assert alert.annotations["console"] == (
        "https://us-east-1.console.aws.amazon.com/securityhub/home?region=us-east-1#/findings"
    )
    assert alert.timestamp == datetime(2020, 5, 27, 3, 38, 28, 102000, tzinfo=UTC)


def test_an_informational_control_failure_is_info() -> None:
    alert = one(load_event(EC2_7))
    assert (alert.status, alert.severity, alert.labels["source_severity"]) == (
        Status.FIRING,
        Severity.INFO,
        "INFORMATIONAL",
    )
    assert (alert.labels["generator"], alert.labels["compliance"]) == (
        "aws-foundational-security-best-practices/v/1.0.0/EC2.7",
        "FAILED",
    )
    assert alert.title == "EC2.7 EBS default encryption should be enabled"


@pytest.mark.parametrize(
    ("label", "severity"),
    [
        ("CRITICAL", Severity.CRITICAL),
        ("HIGH", Severity.CRITICAL),
        ("MEDIUM", Severity.WARNING),
        ("LOW", Severity.INFO),
        ("INFORMATIONAL", Severity.INFO),
    ],
)
def test_the_severity_labels(label: str, severity: Severity) -> None:
    event = copy.deepcopy(load_event(CIS_1_4))
    finding(event)["Severity"]["Label"] = label
    assert one(event).severity == severity


@pytest.mark.parametrize(
    ("normalized", "word"), [(95, "CRITICAL"), (70, "HIGH"), (40, "MEDIUM"), (1, "LOW"), (0, "INFORMATIONAL")]
)
def test_without_a_label_the_normalized_value_decides_as_security_hub_does(
    normalized: int, word: str
) -> None:
    event = copy.deepcopy(load_event(CIS_1_4))
    finding(event)["Severity"] = {"Normalized": normalized}
    assert one(event).labels["source_severity"] == word


@pytest.mark.parametrize(
    "change",
    [
        lambda f: f.update(RecordState="ARCHIVED"),
        lambda f: f["Workflow"].update(Status="RESOLVED"),
        lambda f: f["Workflow"].update(Status="SUPPRESSED"),
        lambda f: f["Compliance"].update(Status="PASSED"),
    ],
)
def test_a_finding_that_is_over_resolves_the_same_fingerprint(change: Any) -> None:
    fired = one(load_event(CIS_1_4))
    later = copy.deepcopy(load_event(CIS_1_4))
    change(finding(later))  # the same finding, updated: Security Hub sends it again with the same Id
    resolved = one(later)
    assert (resolved.status, resolved.fingerprint) == (Status.RESOLVED, fired.fingerprint)


def test_a_passed_control_lowered_to_informational_keeps_its_original_severity() -> None:
    fired = load_event(CIS_1_4)
    passed = copy.deepcopy(fired)
    # Security Hub lowers a control finding that passes to INFORMATIONAL; its Original stays the control's
    finding(passed)["Compliance"]["Status"] = "PASSED"
    finding(passed)["Severity"]["Label"] = "INFORMATIONAL"
    resolved = one(passed)
    assert (resolved.status, resolved.severity, resolved.labels["severity"]) == (
        Status.RESOLVED,
        Severity.WARNING,
        "warning",
    )


@pytest.mark.parametrize(
    ("detail_type", "reason"),
    [
        (
            "Findings Imported V2",
            "Security Hub OCSF findings (Findings Imported V2) are not read yet: "
            "route the ASFF Security Hub Findings - Imported events",
        ),
        (
            "Security Hub Insight Results",
            "Security Hub event 'Security Hub Insight Results' is not alerted on",
        ),
    ],
)
def test_other_security_hub_events_are_ignored(detail_type: str, reason: str) -> None:
    event = copy.deepcopy(load_event(CIS_1_4))
    event["detail-type"] = detail_type
    ignored = securityhub.parse_eventbridge(event)
    assert isinstance(ignored, Ignored)
    assert ignored.reason == reason


def test_several_findings_in_one_event_are_one_alert_each() -> None:
    event = copy.deepcopy(load_event(CIS_1_4))
    other = finding(copy.deepcopy(load_event(EC2_7)))
    event["detail"]["findings"].append(other)
    alerts = securityhub.parse_eventbridge(event)
    assert isinstance(alerts, list)
    assert [a.severity for a in alerts if not isinstance(a, Ignored)] == [Severity.WARNING, Severity.INFO]


def test_the_dispatch_hands_findings_to_the_parser() -> None:
    result = parse_body(json.dumps(load_event(EC2_7)))
    assert [a.labels["alertname"] for a in result.alerts] == ["SecurityHubFinding"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda e: finding(e).pop("Id"), "Id"),
        (lambda e: e["detail"].update(findings=[]), "findings"),
        (lambda e: e["detail"].update(findings=[{"Id": "x"}] * 101), "findings"),
        (lambda e: finding(e).update(Types="one"), "Types"),
        (lambda e: finding(e)["Severity"].update(Normalized=101), "Normalized"),
        (lambda e: finding(e).update(Description="x" * 10_001), "Description"),
        (lambda e: finding(e).update(Resources=[{"Id": 5}]), "Resources"),
    ],
)
def test_malformed_findings_name_the_field(change: Any, field: str) -> None:
    event = copy.deepcopy(load_event(CIS_1_4))
    change(event)
    with pytest.raises(MalformedEventError, match=field):
        securityhub.parse_eventbridge(event)


def test_an_unreadable_update_time_is_malformed() -> None:
    event = copy.deepcopy(load_event(CIS_1_4))
    finding(event)["UpdatedAt"] = "now"
    with pytest.raises(MalformedEventError, match="unreadable timestamp 'now'"):
        securityhub.parse_eventbridge(event)


def test_a_short_finding_id_links_to_the_finding_itself() -> None:
    event = copy.deepcopy(load_event(CIS_1_4))
    finding(event)["Id"] = "f-1"
    assert one(event).annotations["console"] == (
        "https://us-east-1.console.aws.amazon.com/securityhub/home?region=us-east-1#/findings?search="
        "Id%253D%255Coperator%255C%253AEQUALS%255C%253Af-1"
    )


def test_a_hostile_remediation_link_never_becomes_an_annotation() -> None:
    event = copy.deepcopy(load_event(CIS_1_4))
    finding(event)["Remediation"]["Recommendation"]["Url"] = "javascript:alert(1)"
    alert = one(event)
    assert set(alert.annotations) == {"console"}


def test_a_huge_resource_id_is_shortened_in_the_label() -> None:
    event = copy.deepcopy(load_event(CIS_1_4))
    finding(event)["Resources"][0]["Id"] = "arn:aws:s3:::" + "b" * 1_500
    assert len(one(event).labels["resource"]) <= 200


def test_a_burst_of_one_control_failing_on_many_resources_shares_the_reason() -> None:
    events = []
    for n in range(15):
        event = copy.deepcopy(load_event(EC2_7))
        finding(event)["Id"] = f"{finding(event)['Id']}-{n}"
        finding(event)["Resources"][0]["Id"] = f"arn:aws:ec2:us-east-1:111111111111:volume/vol-{n:04d}"
        events.append(event)
    alerts = [one(e) for e in events]
    assert len({a.fingerprint for a in alerts}) == 15
    assert {a.labels["reason"] for a in alerts} == {"EC2.7 EBS default encryption should be enabled"}

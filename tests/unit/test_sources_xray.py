"""X-Ray Insights notifications: an ACTIVE insight fires (critical for a fault: "when an insight is ACTIVE,
we are in an incident"), CLOSED resolves it, with the root cause, the impact and the insight's console page.

No real `AWS X-Ray Insight Update` event was found in AWS's documentation or in public repositories (the
X-Ray developer guide shows only the rule pattern), so `insight_update` builds one: the envelope of a real
EventBridge event with X-Ray's source and detail-type, and a detail with the fields the EventBridge schema
registry names for `aws.xray@AWSXRayInsightUpdate` (the X-Ray API's Insight and InsightEvent shapes)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from alertrouter.models.alert import Severity, Status
from alertrouter.sources import MalformedEventError, parse_body
from alertrouter.sources.xray import parse_eventbridge
from support.events import only_alert as one
from support.signal_events import INSIGHT_ID, insight_update

INSIGHT = INSIGHT_ID


def test_an_active_fault_insight_is_a_critical_incident_with_its_root_cause_and_impact() -> None:
    alert = one(insight_update())
    assert (alert.source, alert.status, alert.severity, alert.one_shot) == (
        "xray",
        Status.FIRING,
        Severity.CRITICAL,
        False,
    )
    assert alert.title == "X-Ray insight in checkout: fault at payments"
    assert alert.labels == {
        "alertname": "XRayInsight",
        "source": "xray",
        "account": "123456789012",
        "region": "us-east-1",
        "severity": "critical",
        "resource": "payments",
        "reason": "Fault at payments",
        "xray_group": "checkout",
        "root_cause_service": "payments",
        "root_cause_type": "AWS::ECS::Container",
        "category": "FAULT",
        "insight_id": INSIGHT,
        "state": "ACTIVE",
    }
    assert alert.summary == (
        "Fault rate anomaly detected on payments\n"
        "Client requests: 41 faults of 1,200 (3.4%)\n"
        "Root cause payments: 40 faults of 200 (20.0%)\n"
        "Most affected: payments"
    )
    assert alert.annotations == {
        "console": f"https://us-east-1.console.aws.amazon.com/xray/home?region=us-east-1#/insights/{INSIGHT}"
    }


def test_closed_resolves_the_same_alert() -> None:
    opened, closed = one(insight_update()), one(insight_update("CLOSED"))
    assert (opened.status, closed.status) == (Status.FIRING, Status.RESOLVED)
    assert opened.fingerprint == closed.fingerprint


def test_the_latest_re_evaluation_is_shown_when_the_update_carries_one() -> None:
    latest = {
        "Summary": "Fault rate is decreasing on payments",
        "ClientRequestImpactStatistics": {"FaultCount": 3, "OkCount": 997, "TotalCount": 1000},
    }
    alert = one(insight_update(Event=latest))
    assert alert.summary.startswith(
        "Fault rate is decreasing on payments\nClient requests: 3 faults of 1,000"
    )


def test_a_non_fault_insight_warns() -> None:
    assert one(insight_update(Categories=["ERROR"])).severity == Severity.WARNING


def test_without_envelope_account_the_root_cause_account_is_used() -> None:
    event = insight_update(RootCauseServiceId={"Name": "payments", "AccountId": "210987654321"})
    event["account"] = ""
    assert one(event).labels["account"] == "210987654321"


def test_a_burst_of_insights_at_one_root_cause_shares_its_reason() -> None:
    alerts = [one(insight_update(InsightId=f"4d1a2f3e-0000-4000-8000-{n:012x}")) for n in range(8)]
    assert len({a.fingerprint for a in alerts}) == 8
    assert {a.labels["reason"] for a in alerts} == {"Fault at payments"}


def test_a_hostile_summary_never_becomes_a_link() -> None:
    alert = one(insight_update(Summary="see javascript:alert(1) and <!channel>"))
    assert set(alert.annotations) == {"console"}
    assert alert.annotations["console"].startswith("https://")


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ({**insight_update(), "detail-type": "AWS X-Ray Something Else"}, "is not alerted on"),
        (insight_update("PENDING"), "neither ACTIVE nor CLOSED"),
    ],
)
def test_other_detail_types_and_states_are_ignored_with_a_reason(event: dict[str, Any], reason: str) -> None:
    result = parse_body(json.dumps(event))
    assert not result.alerts
    [ignored] = result.ignored
    assert reason in ignored.reason


@pytest.mark.parametrize(
    ("detail", "names"),
    [
        ({"InsightId": ""}, "InsightId"),
        ({"InsightId": "x" * 500}, "InsightId"),
        ({"State": None}, "State"),
        ({"Categories": "FAULT"}, "Categories"),
        ({"Summary": "s" * 20_000}, "Summary"),
        ({"ClientRequestImpactStatistics": {"TotalCount": -1}}, "TotalCount"),
        ({"ClientRequestImpactStatistics": {"TotalCount": "many"}}, "TotalCount"),
        ({"RootCauseServiceId": {"Name": "n" * 1000}}, "Name"),
    ],
)
def test_malformed_updates_name_the_field(detail: dict[str, Any], names: str) -> None:
    with pytest.raises(MalformedEventError, match=names):
        parse_eventbridge(insight_update(**detail))


def test_no_account_anywhere_is_malformed() -> None:
    event = insight_update()
    event["account"] = ""
    with pytest.raises(MalformedEventError, match="no account"):
        parse_eventbridge(event)


def test_a_bad_event_time_is_malformed() -> None:
    event = insight_update()
    event["time"] = "not a time"
    with pytest.raises(MalformedEventError, match="time"):
        parse_eventbridge(event)


def test_the_alert_time_is_utc_whatever_offset_the_envelope_carries() -> None:
    event = insight_update()
    event["time"] = "2019-10-02T19:04:40+02:00"
    assert one(event).timestamp.utcoffset().total_seconds() == 0  # type: ignore[union-attr]

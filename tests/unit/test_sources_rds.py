"""Amazon RDS and Aurora events become alerts per resource and matter: the documentation's failover event,
failovers, shutdowns, low storage and recoveries that start and end on one fingerprint, failures that stand
alone, and the routine categories ignored with the env var named."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from alertrouter.models.alert import Ignored, Severity, Status
from alertrouter.sources import MalformedEventError, parse_body, rds
from support.events import load_event
from support.events import only_alert as one

FAILOVER_DONE = "eventbridge_rds_db_instance_failover_completed_awsdocs.json"
CLUSTER_PATCHED = "eventbridge_rds_db_cluster_notification_patched_awsdocs.json"
PARAMETER_GROUP = "eventbridge_rds_db_parameter_group_configuration_change_awsdocs.json"
CLUSTER_SNAPSHOT = "eventbridge_rds_db_cluster_snapshot_backup_awsdocs.json"


def instance_event(event_id: str, category: str, message: str, date: str = "2018-09-27T22:30:00.000Z") -> Any:
    """The documentation's DB instance event with another event id, category and message (the RDS user guide's
    table gives each id's category and message; the guide has one full example per source type)."""
    event = copy.deepcopy(load_event(FAILOVER_DONE))
    event["detail"].update(EventID=event_id, EventCategories=[category], Message=message, Date=date)
    return event


def test_the_documented_failover_completed_event_resolves_the_instance_failover() -> None:
    alert = one(load_event(FAILOVER_DONE))
    assert (alert.source, alert.status, alert.severity, alert.one_shot) == (
        "rds",
        Status.RESOLVED,
        Severity.CRITICAL,
        True,
    )
    assert alert.title == "my-db-instance: A Multi-AZ failover has completed"
    assert alert.summary == "A Multi-AZ failover has completed. (RDS-EVENT-0049)"
    assert alert.labels == {
        "alertname": "RDSFailover",
        "source": "rds",
        "account": "123456789012",
        "region": "us-east-1",
        "resource": "my-db-instance",
        "db_instance": "my-db-instance",
        "event_id": "RDS-EVENT-0049",
        "event_categories": "failover",
        "source_type": "DB_INSTANCE",
        "reason": "Failover",
        "severity": "critical",
    }
    assert alert.annotations == {
        "console": "https://us-east-1.console.aws.amazon.com/rds/home?region=us-east-1"
        "#database:id=my-db-instance;is-cluster=false"
    }
    assert alert.timestamp == datetime(2018, 9, 27, 22, 36, 43, 292000, tzinfo=UTC)


def test_a_failover_that_started_fires_and_its_completion_resolves_the_same_fingerprint() -> None:
    started = one(instance_event("RDS-EVENT-0013", "failover", "A Multi-AZ failover has started."))
    done = one(load_event(FAILOVER_DONE))
    assert (started.status, done.status) == (Status.FIRING, Status.RESOLVED)
    assert started.fingerprint == done.fingerprint
    # the resolution carries the labels a route matches on, so it lands in the alert's group
    for label in ("alertname", "severity", "reason", "resource", "db_instance", "account", "region"):
        assert started.labels[label] == done.labels[label]
    assert started.labels["event_id"] == "RDS-EVENT-0013"


@pytest.mark.parametrize(
    ("start", "category", "end", "end_category", "alertname", "severity"),
    [
        (
            "RDS-EVENT-0004",
            "availability",
            "RDS-EVENT-0006",
            "availability",
            "RDSUnavailable",
            Severity.CRITICAL,
        ),
        (
            "RDS-EVENT-0221",
            "availability",
            "RDS-EVENT-0006",
            "availability",
            "RDSUnavailable",
            Severity.CRITICAL,
        ),
        (
            "RDS-EVENT-0089",
            "low storage",
            "RDS-EVENT-0017",
            "configuration change",
            "RDSLowStorage",
            Severity.WARNING,
        ),
        (
            "RDS-EVENT-0007",
            "low storage",
            "RDS-EVENT-0218",
            "configuration change",
            "RDSStorageFull",
            Severity.CRITICAL,
        ),
        ("RDS-EVENT-0020", "recovery", "RDS-EVENT-0021", "recovery", "RDSRecovery", Severity.WARNING),
        ("RDS-EVENT-0052", "recovery", "RDS-EVENT-0053", "recovery", "RDSRecovery", Severity.WARNING),
    ],
)
def test_each_paired_matter_resolves_on_its_end_event(
    start: str, category: str, end: str, end_category: str, alertname: str, severity: Severity
) -> None:
    fired = one(instance_event(start, category, "it started"))
    ends = rds.parse_eventbridge(instance_event(end, end_category, "it is over", "2018-09-27T22:40:00.000Z"))
    assert isinstance(ends, list)
    resolved = {a.fingerprint: a for a in ends if not isinstance(a, Ignored)}
    assert fired.status == Status.FIRING
    assert (fired.labels["alertname"], fired.severity) == (alertname, severity)
    assert resolved[fired.fingerprint].status == Status.RESOLVED
    assert resolved[fired.fingerprint].labels["alertname"] == alertname


def test_a_storage_change_resolves_both_low_and_full_storage() -> None:
    ends = rds.parse_eventbridge(instance_event("RDS-EVENT-0017", "configuration change", "storage changed"))
    assert isinstance(ends, list)
    assert sorted(a.labels["alertname"] for a in ends if not isinstance(a, Ignored)) == [
        "RDSLowStorage",
        "RDSStorageFull",
    ]


def test_a_cluster_failover_is_on_the_cluster() -> None:
    event = copy.deepcopy(load_event(CLUSTER_PATCHED))
    # the Aurora guide's cluster event with the failover id and message of its table
    event["detail"].update(
        EventID="RDS-EVENT-0072",
        EventCategories=["failover"],
        Message="Started same AZ failover to DB instance: my-db-instance-2",
    )
    alert = one(event)
    assert (alert.status, alert.severity, alert.labels["alertname"]) == (
        Status.FIRING,
        Severity.CRITICAL,
        "RDSFailover",
    )
    assert alert.labels["db_cluster"] == "my-db-cluster"
    assert "db_instance" not in alert.labels
    assert alert.annotations["console"].endswith("#database:id=my-db-cluster;is-cluster=true")


def test_a_failure_stands_alone_one_alert_per_event_id() -> None:
    bad_network = one(
        instance_event("RDS-EVENT-0036", "failure", "The DB instance is in an incompatible network.")
    )
    bad_params = one(instance_event("RDS-EVENT-0035", "failure", "The DB instance has invalid parameters."))
    assert (bad_network.status, bad_network.severity) == (Status.FIRING, Severity.CRITICAL)
    assert (bad_network.labels["alertname"], bad_network.labels["reason"]) == ("RDSFailure", "Failure")
    assert bad_network.fingerprint != bad_params.fingerprint
    again = one(instance_event("RDS-EVENT-0036", "failure", "again", "2018-09-28T00:00:00.000Z"))
    assert again.fingerprint == bad_network.fingerprint  # the same failure fires the same alert again


def test_an_unpaired_event_of_an_alerted_category_is_not_taken_for_a_failover() -> None:
    # RDS-EVENT-0034: "Amazon RDS is not attempting a requested failover because a failover recently occurred"
    alert = one(instance_event("RDS-EVENT-0034", "failover", "Not attempting a failover."))
    assert alert.labels["alertname"] == "RDSFailover"
    assert alert.fingerprint != one(instance_event("RDS-EVENT-0013", "failover", "started")).fingerprint


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        (CLUSTER_PATCHED, "RDS RDS-EVENT-0173 of category notification is not alerted on"),
        (PARAMETER_GROUP, "RDS RDS-EVENT-0037 of category configuration change is not alerted on"),
        (CLUSTER_SNAPSHOT, "RDS RDS-EVENT-0074 of category backup is not alerted on"),
    ],
)
def test_routine_categories_are_ignored_naming_the_env_var(name: str, reason: str) -> None:
    ignored = rds.parse_eventbridge(load_event(name))
    assert isinstance(ignored, Ignored)
    assert ignored.reason == (
        f"{reason} (RDS_ALERT_CATEGORIES=availability,failover,failure,global failover,low storage,recovery)"
    )


def test_an_offline_maintenance_start_is_ignored_by_default_but_its_end_still_resolves() -> None:
    assert isinstance(rds.parse_eventbridge(instance_event("RDS-EVENT-0026", "maintenance", "down")), Ignored)
    [end] = rds.parse_eventbridge(instance_event("RDS-EVENT-0027", "maintenance", "available"))  # type: ignore[misc]
    assert end.status == Status.RESOLVED


def test_a_cloudtrail_call_from_rds_is_ignored() -> None:
    event = copy.deepcopy(load_event(FAILOVER_DONE))
    event["detail-type"] = "AWS API Call via CloudTrail"
    ignored = rds.parse_eventbridge(event)
    assert isinstance(ignored, Ignored)
    assert ignored.reason == "RDS event 'AWS API Call via CloudTrail' is not alerted on"


def test_the_categories_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RDS_ALERT_CATEGORIES", " Notification , failover ")
    assert rds.categories_from_environment() == frozenset({"notification", "failover"})
    monkeypatch.setenv("RDS_ALERT_CATEGORIES", " , ")
    assert rds.categories_from_environment() == frozenset(rds.DEFAULT_CATEGORIES.split(","))


def test_the_dispatch_hands_rds_events_to_the_parser() -> None:
    result = parse_body(json.dumps(load_event(FAILOVER_DONE)))
    assert [a.labels["alertname"] for a in result.alerts] == ["RDSFailover"]
    ignored = parse_body(json.dumps(load_event(CLUSTER_PATCHED)))
    assert (ignored.alerts, len(ignored.ignored)) == ([], 1)


def test_without_an_arn_the_identifier_loses_the_rds_prefix_and_the_account_comes_from_the_envelope() -> None:
    event = instance_event("RDS-EVENT-0004", "availability", "DB instance shutdown")
    event["detail"]["SourceArn"] = ""
    event["resources"] = []
    assert one(event).resource == "my-db-instance"


def test_the_account_falls_back_to_the_source_arn() -> None:
    event = instance_event("RDS-EVENT-0004", "availability", "DB instance shutdown")
    del event["account"]
    assert one(event).labels["account"] == "123456789012"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda e: e["detail"].update(EventCategories="failover"), "EventCategories"),
        (lambda e: e["detail"].update(EventID="RDS-EVENT-0049; DROP"), "EventID"),
        (lambda e: e["detail"].update(Message="x" * 10_001), "Message"),
        (lambda e: e["detail"].update(SourceArn=7), "SourceArn"),
        (lambda e: e.update(detail="failover"), "detail"),
        (lambda e: e.pop("region"), "region"),
    ],
)
def test_malformed_events_name_the_field(change: Any, field: str) -> None:
    event = copy.deepcopy(load_event(FAILOVER_DONE))
    change(event)
    with pytest.raises(MalformedEventError, match=field):
        rds.parse_eventbridge(event)


def test_an_unreadable_date_is_malformed() -> None:
    event = instance_event("RDS-EVENT-0004", "availability", "down", date="yesterday")
    with pytest.raises(MalformedEventError, match="unreadable timestamp 'yesterday'"):
        rds.parse_eventbridge(event)


def test_no_resource_at_all_is_malformed() -> None:
    event = instance_event("RDS-EVENT-0004", "availability", "down")
    event["detail"].update(SourceArn="", SourceIdentifier="")
    event["resources"] = []
    with pytest.raises(MalformedEventError, match="no SourceArn, SourceIdentifier or RDS ARN"):
        rds.parse_eventbridge(event)


def test_a_hostile_message_never_becomes_a_link() -> None:
    alert = one(
        instance_event("RDS-EVENT-0004", "availability", "see javascript:alert(1) and https://x.example")
    )
    assert set(alert.annotations) == {"console"}
    assert alert.annotations["console"].startswith("https://")


def test_a_burst_of_shutdowns_gives_one_alert_per_instance_sharing_the_reason() -> None:
    events = []
    for n in range(20):
        event = instance_event("RDS-EVENT-0004", "availability", "DB instance shutdown")
        event["detail"]["SourceArn"] = f"arn:aws:rds:us-east-1:123456789012:db:replica-{n}"
        events.append(event)
    alerts = [one(e) for e in events]
    assert len({a.fingerprint for a in alerts}) == 20
    assert {a.labels["reason"] for a in alerts} == {"Unavailable"}
    assert {a.labels["alertname"] for a in alerts} == {"RDSUnavailable"}

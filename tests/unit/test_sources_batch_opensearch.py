"""AWS Batch and OpenSearch Service events become alerts with the context an on-call engineer needs:
real-shaped FAILED events (out of memory, timeout, cancelled, array children, image pulls, spot hosts),
queue-blocked, every OpenSearch detail-type, and the alarms the stack creates per OpenSearch domain."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from alertrouter.models.alert import Severity, Status
from alertrouter.sources import MalformedEventError, batch, parse_body, parse_payload

EVENTS = Path(__file__).resolve().parents[2] / "events"
OOM = "eventbridge_batch_job_state_change_FAILED_oom_real_calcloud.json"
TIMEOUT = "eventbridge_batch_job_state_change_FAILED_timeout_real_calcloud.json"


def event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def one(payload: dict[str, Any]) -> Any:
    result = parse_payload(payload)
    assert not result.ignored, result.ignored
    [alert] = result.alerts
    return alert


# ---- Batch: failed jobs ----
def test_an_out_of_memory_failure_carries_job_queue_definition_reason_exit_code_and_links() -> None:
    alert = one(event(OOM))
    assert (alert.source, alert.status, alert.severity, alert.one_shot) == (
        "batch",
        Status.FIRING,
        Severity.WARNING,
        True,
    )
    assert alert.title == "j8hqdfgaq failed: Out of memory"
    assert (alert.labels["account"], alert.labels["region"]) == (
        "xxxxxxxxxxxx",
        "us-east-1",
    )  # masked in the fixture
    assert {
        k: alert.labels[k]
        for k in (
            "alertname",
            "queue",
            "job_definition",
            "job_definition_revision",
            "job_name",
            "job_id",
            "reason",
            "exit_code",
            "attempts",
            "status",
        )
    } == {
        "alertname": "BatchJobFailed",
        "queue": "calcloud-hst-queue-02g-test",
        "job_definition": "calcloud-jobdef-02g-test",
        "job_definition_revision": "44",
        "job_name": "j8hqdfgaq",
        "job_id": "ef9e8d6c-f480-418a-87e0-3cf72f3d3eb7",
        "reason": "Out of memory",
        "exit_code": "24",
        "attempts": "1",
        "status": "FAILED",
    }
    assert "OutOfMemoryError: Container killed due to memory usage" in alert.summary
    assert "exit code 24" in alert.summary
    assert alert.annotations["console"] == (
        "https://us-east-1.console.aws.amazon.com/batch/home?region=us-east-1"
        "#jobs/detail/ef9e8d6c-f480-418a-87e0-3cf72f3d3eb7"
    )
    # the last attempt's log stream in the default log group, names encoded as the console's fragment wants
    assert alert.annotations["logs"].endswith(
        "#logsV2:log-groups/log-group/$252Faws$252Fbatch$252Fjob/log-events/"
        "calcloud-jobdef-02g-test$252Fdefault$252F6c2a097f4261465392ff63aea14928cc"
    )
    assert alert.timestamp == datetime.fromtimestamp(1636132974.807, UTC)  # stoppedAt, to the millisecond


def test_a_timeout_is_told_apart_from_the_kill_that_ended_it() -> None:
    alert = one(event(TIMEOUT))
    assert alert.labels["reason"] == "Timeout" and alert.labels["exit_code"] == "137"
    assert alert.title == "iea607020 failed: Timeout"


def _failed(**changes: Any) -> dict[str, Any]:
    """The real OOM event with its last attempt changed (`reason`, `exitCode`, `statusReason`)."""
    doc = copy.deepcopy(event(OOM))
    attempt = doc["detail"]["attempts"][-1]
    for key in ("reason", "exitCode"):
        if key in changes:
            attempt["container"][key] = changes[key]
            doc["detail"]["container"][key] = changes[key]
            if changes[key] is None:
                del attempt["container"][key], doc["detail"]["container"][key]
    if "statusReason" in changes:
        attempt["statusReason"] = doc["detail"]["statusReason"] = changes["statusReason"]
    return doc


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        (
            {
                "reason": "CannotPullContainerError: pull image manifest has been retried 5 time(s)",
                "exitCode": None,
            },
            "Image pull failed",
        ),
        (
            {"reason": None, "exitCode": None, "statusReason": "Host EC2 (instance i-0abc) terminated."},
            "Host terminated",
        ),
        (
            {"reason": None, "exitCode": 1, "statusReason": "Essential container in task exited"},
            "Exit code 1",
        ),
        (
            {
                "reason": "ResourceInitializationError: unable to pull secrets or registry auth",
                "exitCode": None,
            },
            "Resource initialization failed",
        ),
        (
            {"reason": None, "exitCode": 0, "statusReason": "Essential container in task exited"},
            "Essential container in task exited",
        ),
    ],
)
def test_failure_reasons_are_short_and_countable(changes: dict[str, Any], reason: str) -> None:
    assert one(_failed(**changes)).labels["reason"] == reason


def test_an_image_pull_that_timed_out_is_an_image_pull_failure_not_a_job_timeout() -> None:
    doc = _failed(
        reason="CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to "
        "resolve ref: Client.Timeout exceeded while awaiting headers",
        exitCode=None,
    )
    assert one(doc).labels["reason"] == "Image pull failed"


def test_eks_and_ecs_properties_jobs_take_the_reason_and_exit_code_of_their_containers() -> None:
    eks = copy.deepcopy(event(OOM))
    detail = eks["detail"]
    detail.update(attempts=[], statusReason="Pod failed")
    del detail["container"]
    detail["eksAttempts"] = [
        {
            "containers": [{"name": "main", "exitCode": 137, "reason": "OOMKilled"}],
            "podName": "p",
            "statusReason": "Pod failed",
        }
    ]
    alert = one(eks)
    assert (alert.labels["reason"], alert.labels["exit_code"], alert.labels["attempts"]) == (
        "Out of memory",
        "137",
        "1",
    )
    ecs = copy.deepcopy(event(OOM))
    ecs["detail"]["attempts"] = [
        {
            "taskProperties": [
                {"containers": [{"name": "sidecar", "exitCode": 0}, {"name": "app", "exitCode": 2}]}
            ],
            "statusReason": "Essential container in task exited",
        }
    ]
    del ecs["detail"]["container"]
    assert one(ecs).labels["reason"] == "Exit code 2"


def test_an_array_parent_is_not_an_alert_of_its_own() -> None:
    doc = copy.deepcopy(event(OOM))
    doc["detail"].update(
        attempts=[],
        statusReason="Array Child Job failed",
        arrayProperties={"size": 200, "statusSummary": {"FAILED": 200}},
    )
    result = parse_payload(doc)
    assert result.alerts == [] and "array parent job" in result.ignored[0].reason


def test_a_job_cancelled_before_it_ran_has_no_attempts_and_says_so() -> None:
    doc = copy.deepcopy(event(OOM))
    doc["detail"].update(attempts=[], statusReason="Cancelled by the nightly cleanup")
    del doc["detail"]["container"]["exitCode"], doc["detail"]["container"]["reason"]
    del doc["detail"]["container"]["logStreamName"], doc["detail"]["stoppedAt"]
    alert = one(doc)
    assert alert.labels["reason"] == "Cancelled or terminated" and alert.labels["attempts"] == "0"
    assert "Cancelled by the nightly cleanup" in alert.summary
    assert "logs" not in alert.annotations and "exit_code" not in alert.labels
    assert alert.timestamp == datetime(2021, 11, 5, 17, 22, 56, tzinfo=UTC)  # no stoppedAt: the event's time


def array_child(index: int, *, reason: str = "OutOfMemoryError: Container killed due to memory usage") -> str:
    doc = copy.deepcopy(event(OOM))
    parent = "5a1d2f0c-0000-4000-8000-00000000a11a"
    detail = doc["detail"]
    detail.update(
        jobId=f"{parent}:{index}",
        jobArn=f"arn:aws:batch:us-east-1:123456789012:job/{parent}:{index}",
        jobName="nightly-render",
        arrayProperties={"index": index},
    )
    doc["account"] = "123456789012"
    detail["attempts"][-1]["container"]["reason"] = detail["container"]["reason"] = reason
    detail["stoppedAt"] = 1636132974807 + index
    return json.dumps(doc)


def test_array_children_are_one_alert_each_and_name_their_parent_and_index() -> None:
    alerts = [one(json.loads(array_child(i))) for i in range(3)]
    assert len({a.fingerprint for a in alerts}) == 3
    assert [(a.labels["array_parent"], a.labels["array_index"]) for a in alerts] == [
        ("5a1d2f0c-0000-4000-8000-00000000a11a", str(i)) for i in range(3)
    ]
    assert alerts[2].annotations["console"].endswith("#jobs/detail/5a1d2f0c-0000-4000-8000-00000000a11a%3A2")


def test_job_tags_give_severity_and_runbook_and_batchs_own_arn_tag_is_left_out() -> None:
    doc = copy.deepcopy(event(OOM))
    doc["detail"]["tags"].update(
        severity="critical", runbook="https://runbooks.example.com/render", team="render"
    )
    alert = one(doc)
    assert alert.severity is Severity.CRITICAL and alert.labels["severity"] == "critical"
    assert alert.annotations["runbook"] == "https://runbooks.example.com/render"
    assert alert.labels["team"] == "render" and "resourceArn" not in alert.labels


def test_other_job_statuses_are_ignored_by_default_with_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BATCH_ALERT_STATUSES", raising=False)
    monkeypatch.setattr(batch, "ALERTED_STATUSES", batch.statuses_from_environment())
    result = parse_payload(event("eventbridge_batch_job_state_change_RUNNABLE_awsdocs.json"))
    assert result.alerts == []
    [ignored] = result.ignored
    assert ignored.reason == "job status RUNNABLE is not alerted on (BATCH_ALERT_STATUSES=FAILED)"


def test_configured_statuses_become_quiet_one_shot_alerts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATCH_ALERT_STATUSES", "FAILED, runnable")
    monkeypatch.setattr(batch, "ALERTED_STATUSES", batch.statuses_from_environment())
    alert = one(event("eventbridge_batch_job_state_change_RUNNABLE_awsdocs.json"))
    assert (alert.severity, alert.one_shot, alert.labels["alertname"]) == (
        Severity.INFO,
        True,
        "BatchJobRunnable",
    )
    assert alert.title == "event-test is RUNNABLE"


def test_the_statuses_are_read_once_not_on_every_event(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "ALERTED_STATUSES", frozenset({"FAILED"}))
    monkeypatch.setenv("BATCH_ALERT_STATUSES", "FAILED,RUNNABLE")  # a later change of the environment
    result = parse_payload(event("eventbridge_batch_job_state_change_RUNNABLE_awsdocs.json"))
    assert result.alerts == [] and len(result.ignored) == 1


def test_a_blocked_queue_is_one_alert_per_queue_naming_the_job_and_the_reason() -> None:
    doc = event("eventbridge_batch_job_queue_blocked_RUNNABLE_awsdocs.json")
    doc["detail"]["statusReason"] = (
        "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - The job resource requirement "
        "(vCPU/memory/GPU) is higher than that can be met by the CE(s) attached"
    )
    alert = one(doc)
    assert alert.title == "Batch job queue PexjEHappyPathCanary2JobQueue is blocked" and alert.one_shot
    assert alert.labels["reason"] == "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT"
    assert alert.labels["job_id"] == "4c7599ae-0a82-49aa-ba5a-4727fcce14a8"
    assert "event-test" in alert.summary and "higher than that can be met" in alert.summary
    other_job = copy.deepcopy(doc)
    other_job["detail"].update(
        jobId="another", jobDefinition="arn:aws:batch:us-east-1:123456789012:job-definition/x:9"
    )
    again = one(other_job)
    # the queue is what is blocked: one alert, in one group (no label of the head job's definition)
    assert again.fingerprint == alert.fingerprint and "job_definition" not in again.labels


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("detail", "jobQueue"), None, "detail.jobQueue"),
        (("detail", "status"), 7, "detail.status"),
        (("detail", "attempts"), "none", "detail.attempts"),
        (("time",), "yesterday", "time"),
    ],
)
def test_malformed_batch_events_are_refused_naming_the_field(
    path: tuple[str, ...], value: Any, field: str
) -> None:
    doc = event(OOM)
    target = doc
    for key in path[:-1]:
        target = target[key]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    with pytest.raises(MalformedEventError, match=field.replace(".", r"\.")):
        parse_body(json.dumps(doc))


# ---- OpenSearch Service events ----
DETAIL_TYPES = [
    "Amazon OpenSearch Service Notification",
    "Amazon OpenSearch Service Cluster Status Notification",
    "Amazon OpenSearch Service Software Update Notification",
    "Amazon OpenSearch Service Auto-Tune Notification",
    "Domain Error Notification",
    "Amazon OpenSearch Service Maintenance Update",
    "Amazon OpenSearch Service Domain Update Notification",
    "Amazon OpenSearch Service VPC Endpoint Notification",
    "Amazon ES Service Software Update Notification",
    "Amazon ES Auto-Tune Notification",
]


def domain_event(detail_type: str, **detail: str) -> dict[str, Any]:
    doc = event("eventbridge_opensearch_notification_high_jvm_usage_awsdocs.json")
    doc["detail-type"] = detail_type
    doc["detail"] = {
        "event": "Something",
        "status": "Warning",
        "severity": "Medium",
        "description": "d",
        **detail,
    }
    return doc


@pytest.mark.parametrize("detail_type", DETAIL_TYPES)
def test_every_opensearch_detail_type_becomes_a_domain_alert(detail_type: str) -> None:
    alert = one(domain_event(detail_type))
    assert (alert.source, alert.labels["domain"], alert.labels["detail_type"]) == (
        "opensearch",
        "test-domain",
        detail_type,
    )
    assert alert.annotations["console"].endswith("#opensearch/domains/test-domain")
    assert alert.one_shot and alert.title == "test-domain: Something"
    assert (alert.labels["event_status"], alert.labels["source_severity"]) == ("Warning", "Medium")


@pytest.mark.parametrize(
    ("name", "severity", "status"),
    [
        (
            "eventbridge_opensearch_cluster_status_red_recovery_started_awsdocs.json",
            Severity.CRITICAL,
            "Started",
        ),
        ("eventbridge_opensearch_notification_high_jvm_usage_awsdocs.json", Severity.CRITICAL, "Warning"),
        ("eventbridge_opensearch_notification_low_disk_space_awsdocs.json", Severity.WARNING, "Warning"),
        (
            "eventbridge_opensearch_notification_node_retirement_scheduled_awsdocs.json",
            Severity.WARNING,
            "Scheduled",
        ),
        ("eventbridge_opensearch_software_update_available_awsdocs.json", Severity.INFO, "Available"),
    ],
)
def test_opensearch_reference_events_map_severity_high_medium_informational(
    name: str, severity: Severity, status: str
) -> None:
    alert = one(event(name))
    assert (alert.severity, alert.labels["event_status"], alert.status) == (severity, status, Status.FIRING)
    assert alert.summary == event(name)["detail"]["description"]


def test_the_aws_guidance_link_in_the_description_is_the_runbook() -> None:
    alert = one(event("eventbridge_opensearch_notification_high_jvm_usage_awsdocs.json"))
    assert alert.annotations["runbook"] == (
        "https://docs.aws.amazon.com/opensearch-service/latest/developerguide/"
        "monitoring-events.html#monitoring-events-high-jvm"
    )


def test_a_completed_status_resolves_the_same_alert() -> None:
    available = one(event("eventbridge_opensearch_software_update_available_awsdocs.json"))
    done = event("eventbridge_opensearch_software_update_available_awsdocs.json")
    done["detail"]["status"], done["time"] = "Completed", "2016-11-02T13:12:22Z"
    completed = one(done)
    assert completed.fingerprint == available.fingerprint and completed.status is Status.RESOLVED


def test_a_more_severe_status_of_the_same_event_is_another_alert_on_its_own_route() -> None:
    started = domain_event(
        "Amazon OpenSearch Service Notification", status="Started", severity="Informational"
    )
    failed = domain_event("Amazon OpenSearch Service Notification", status="Failed", severity="High")
    done = domain_event(
        "Amazon OpenSearch Service Notification", status="Completed", severity="Informational"
    )
    assert one(started).fingerprint != one(failed).fingerprint
    assert one(done).fingerprint == one(started).fingerprint and one(done).status is Status.RESOLVED


def test_low_and_missing_severities() -> None:
    assert (
        one(domain_event("Amazon OpenSearch Service Notification", severity="Low")).severity is Severity.INFO
    )
    doc = domain_event("Domain Error Notification")
    del doc["detail"]["severity"]
    assert one(doc).severity is Severity.WARNING


def test_an_opensearch_event_without_a_domain_is_refused_with_a_reason() -> None:
    doc = domain_event("Amazon OpenSearch Service Notification")
    doc["resources"] = []
    with pytest.raises(MalformedEventError, match="no domain"):
        parse_payload(doc)


def test_a_vpc_endpoint_event_names_its_endpoint_not_a_domain() -> None:
    doc = domain_event(
        "Amazon OpenSearch Service VPC Endpoint Notification",
        event="VPC Endpoint Create Failed",
        status="Failed",
        severity="High",
    )
    doc["resources"] = ["arn:aws:es:us-east-1:123456789012:vpcendpoint/aos-0a1b2c"]
    alert = one(doc)
    assert (alert.labels["resource"], "domain" in alert.labels) == ("vpcendpoint/aos-0a1b2c", False)
    assert alert.title == "vpcendpoint/aos-0a1b2c: VPC Endpoint Create Failed"


# ---- the recommended alarms the stack creates per domain ----
def domain_alarm(metric: str, state: str = "ALARM", severity: str = "critical") -> dict[str, Any]:
    doc = event("eventbridge_cw_alarm_state_change_single_metric_ALARM_awsdocs.json")
    name = f"alertrouter-prod-opensearch-logs-prod-{metric}"
    doc["resources"] = [f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}"]
    detail = doc["detail"]
    detail["alarmName"], detail["state"]["value"] = name, state
    detail["configuration"]["description"] = (
        f"OpenSearch domain logs-prod: {metric}. severity: {severity} "
        "service: opensearch runbook: https://docs.aws.amazon.com/x"
    )
    stat = detail["configuration"]["metrics"][0]["metricStat"]
    stat["metric"] = {
        "namespace": "AWS/ES",
        "name": metric,
        "dimensions": {"DomainName": "logs-prod", "ClientId": "123456789012"},
    }
    return doc


def test_alarms_on_a_domains_metrics_are_opensearch_alerts_with_the_domains_context() -> None:
    alert = one(domain_alarm("ClusterStatus.red"))
    assert (alert.source, alert.severity) == ("opensearch", Severity.CRITICAL)
    assert {k: alert.labels[k] for k in ("source", "domain", "resource", "metric", "service")} == {
        "source": "opensearch",
        "domain": "logs-prod",
        "resource": "logs-prod",
        "metric": "ClusterStatus.red",
        "service": "opensearch",
    }
    assert alert.annotations["domain"].endswith("#opensearch/domains/logs-prod")
    assert alert.annotations["runbook"] == "https://docs.aws.amazon.com/x"
    resolved = one(domain_alarm("ClusterStatus.red", state="OK"))
    assert resolved.status is Status.RESOLVED and resolved.fingerprint == alert.fingerprint
    assert one(domain_alarm("JVMMemoryPressure", severity="warning")).severity is Severity.WARNING


def test_a_stuck_queue_alarm_on_the_stacks_queue_metrics_is_routed_with_the_queues_batch_alerts() -> None:
    doc = domain_alarm("OldestRunnableAgeSeconds", severity="warning")
    doc["detail"]["configuration"]["metrics"][0]["metricStat"]["metric"] = {
        "namespace": "AlertRouter/Batch",
        "name": "OldestRunnableAgeSeconds",
        "dimensions": {"JobQueue": "nightly"},
    }
    alert = one(doc)
    assert (alert.labels["source"], alert.labels["queue"], alert.labels["resource"]) == (
        "batch",
        "nightly",
        "nightly",
    )
    assert (
        alert.source == "cloudwatch" and "domain" not in alert.labels
    )  # an ordinary alarm, not a job failure

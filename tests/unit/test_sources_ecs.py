"""Amazon ECS events become alerts an on-call engineer can act on: tasks that stopped because they failed
(one alert each, counted by a short reason, so a crash loop is one message), placement and configuration
failures, failed deployments resolved by the next completed one; routine stops and the other events ignored
with the reason said."""

from __future__ import annotations

import copy
import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from alertrouter.config import parse_config
from alertrouter.models.alert import Severity, Status
from alertrouter.models.config import MessageSettings
from alertrouter.models.state import AlertState, GroupState, Member
from alertrouter.notify.details import facts
from alertrouter.notify.headline import headline
from alertrouter.notify.preview import render_text
from alertrouter.notify.render import render_group
from alertrouter.notify.wording import Wording
from alertrouter.routing.tree import group_identity, group_key, match_routes
from alertrouter.sources import MalformedEventError, parse_payload
from support.events import load_event, parsed
from support.events import only_alert as one
from support.events import only_ignored as ignored
from support.signal_events import CRASHED, OOM, stopped_task

RUNNING = "eventbridge_ecs_task_state_change_RUNNING_awsdocs.json"
PLACEMENT = "eventbridge_ecs_service_action_SERVICE_TASK_PLACEMENT_FAILURE_awsdocs.json"
STEADY = "eventbridge_ecs_service_action_SERVICE_STEADY_STATE_awsdocs.json"
IMPAIRED = "eventbridge_ecs_service_action_SERVICE_TASK_START_IMPAIRED_awsdocs.json"
DEPLOY_FAILED = "eventbridge_ecs_deployment_state_change_SERVICE_DEPLOYMENT_FAILED_awsdocs.json"
DEPLOY_COMPLETED = "eventbridge_ecs_deployment_state_change_SERVICE_DEPLOYMENT_COMPLETED_awsdocs.json"
DEPLOY_IN_PROGRESS = "eventbridge_ecs_deployment_state_change_SERVICE_DEPLOYMENT_IN_PROGRESS_awsdocs.json"
TASK_ID = "c13b4cb40f1f4fe4a2971f76ae5a47ad"


stopped = stopped_task


# ---- the documentation's events ----
def test_a_running_task_is_ignored_until_it_stops() -> None:
    assert ignored(load_event(RUNNING)) == f"task {TASK_ID} is RUNNING: only stopped tasks are alerted on"


def test_a_placement_failure_is_an_alert_on_the_service() -> None:
    alert = one(load_event(PLACEMENT))
    assert (alert.source, alert.status, alert.severity, alert.one_shot) == (
        "ecs",
        Status.FIRING,
        Severity.WARNING,
        True,
    )
    assert alert.title == "servicetest: task placement failed"
    assert alert.labels == {
        "alertname": "ECSTaskPlacementFailed",
        "source": "ecs",
        "account": "111122223333",
        "region": "us-west-2",
        "severity": "warning",
        "resource": "servicetest",
        "reason": "Task placement failed: RESOURCE:FARGATE",
        "cluster": "default",
        "service": "servicetest",
        "event_name": "SERVICE_TASK_PLACEMENT_FAILURE",
    }
    assert alert.summary == (
        "Task placement failed for service servicetest in cluster default: RESOURCE:FARGATE"
    )
    assert alert.annotations == {
        "console": "https://us-west-2.console.aws.amazon.com/ecs/v2/clusters/default/services/servicetest"
        "/health?region=us-west-2"
    }
    assert alert.timestamp == datetime(2019, 11, 19, 19, 55, 38, tzinfo=UTC)


def test_a_configuration_failure_is_an_alert_of_its_own() -> None:
    # (no example of this action is published: the placement failure's, with its name and a reason it gives)
    doc = copy.deepcopy(load_event(PLACEMENT))
    doc["detail"].update(
        eventName="SERVICE_TASK_CONFIGURATION_FAILURE",
        reason="ECS was unable to assume the role 'arn:aws:iam::111122223333:role/app'",
    )
    alert = one(doc)
    assert (alert.labels["alertname"], alert.title) == (
        "ECSTaskConfigurationFailed",
        "servicetest: task configuration failed",
    )
    assert alert.fingerprint != one(load_event(PLACEMENT)).fingerprint


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        (
            STEADY,
            "ECS service action SERVICE_STEADY_STATE is not alerted on (only task placement and "
            "configuration failures are; stopped tasks are alerted on each)",
        ),
        (
            IMPAIRED,
            "ECS service action SERVICE_TASK_START_IMPAIRED is not alerted on (only task placement and "
            "configuration failures are; stopped tasks are alerted on each)",
        ),
        (
            DEPLOY_IN_PROGRESS,
            "ECS deployment SERVICE_DEPLOYMENT_IN_PROGRESS is not alerted on (only a failed deployment "
            "is, and a completed one resolves it)",
        ),
    ],
)
def test_routine_service_events_are_ignored_with_the_reason(name: str, reason: str) -> None:
    assert ignored(load_event(name)) == reason


def test_a_failed_deployment_fires_and_the_next_completed_one_resolves_it() -> None:
    failed, completed = one(load_event(DEPLOY_FAILED)), one(load_event(DEPLOY_COMPLETED))
    assert (failed.status, completed.status) == (Status.FIRING, Status.RESOLVED)
    assert failed.fingerprint == completed.fingerprint
    assert failed.title == "servicetest: deployment failed"
    assert failed.labels == {
        "alertname": "ECSDeploymentFailed",
        "source": "ecs",
        "account": "111122223333",
        "region": "us-west-2",
        "severity": "warning",
        "resource": "servicetest",
        "reason": "Circuit breaker: task failed to start",
        "cluster": "default",
        "service": "servicetest",
        "event_name": "SERVICE_DEPLOYMENT_FAILED",
        "deployment": "ecs-svc/123",
    }
    assert failed.summary == (
        "Deployment ecs-svc/123 of service servicetest in cluster default: "
        "ECS deployment circuit breaker: task failed to start."
    )
    # the resolution routes as the failure did (the same alertname and service)
    assert completed.labels["alertname"] == "ECSDeploymentFailed"
    assert completed.labels["service"] == "servicetest"


def test_a_later_deployment_of_the_service_resolves_it_too() -> None:
    # (a circuit breaker rolls back as a new deployment: its id differs from the failed one's)
    completed = copy.deepcopy(load_event(DEPLOY_COMPLETED))
    completed["detail"]["deploymentId"] = "ecs-svc/456"
    assert one(completed).fingerprint == one(load_event(DEPLOY_FAILED)).fingerprint


def test_other_detail_types_are_ignored() -> None:
    doc = copy.deepcopy(load_event(STEADY))
    doc["detail-type"] = "ECS Container Instance State Change"
    assert ignored(doc) == "ECS event 'ECS Container Instance State Change' is not alerted on"


# ---- stopped tasks ----
def test_a_crashed_task_carries_cluster_service_definition_deployment_and_exit_code() -> None:
    alert = one(stopped(**CRASHED, exit_code=1))
    assert (alert.status, alert.severity, alert.one_shot) == (Status.FIRING, Severity.WARNING, True)
    assert alert.title == "checkout: task stopped: Exit code 1"
    assert alert.labels == {
        "alertname": "ECSTaskStopped",
        "source": "ecs",
        "account": "111122223333",
        "region": "us-west-2",
        "severity": "warning",
        "resource": "checkout",
        "reason": "Exit code 1",
        "cluster": "FargateCluster",
        "service": "checkout",
        "task_definition": "sample-fargate:1",
        "task_id": TASK_ID,
        "deployment": "ecs-svc/9223370455451316364",
        "container": "FargateApp",
        "exit_code": "1",
        "stop_code": "EssentialContainerExited",
    }
    assert alert.summary == (
        "Essential container in task exited (container FargateApp exit code 1). "
        f"Task {TASK_ID} of sample-fargate:1."
    )
    assert alert.annotations == {
        "console": "https://us-west-2.console.aws.amazon.com/ecs/v2/clusters/FargateCluster/tasks/"
        f"{TASK_ID}/configuration?region=us-west-2"
    }
    assert alert.timestamp == datetime(2020, 1, 23, 18, 5, 1, 103000, tzinfo=UTC)  # stoppedAt


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        (
            {
                "stop_code": "EssentialContainerExited",
                "stopped_reason": OOM,
                "exit_code": 137,
            },
            "Out of memory",
        ),
        (
            {
                "stop_code": "ServiceSchedulerInitiated",
                "stopped_reason": "Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:"
                "us-west-2:111122223333:targetgroup/checkout/7a7a1fcbd0455d4b)",
                "exit_code": 0,
            },
            "ELB health check failed",
        ),
        (
            {
                "stop_code": "ServiceSchedulerInitiated",
                "stopped_reason": "Task failed container health checks",
                "exit_code": 137,
            },
            "Container health check failed",
        ),
        (
            {
                "stop_code": "TaskFailedToStart",
                "stopped_reason": "CannotPullContainerError: pull image manifest has been retried 5 time(s): "
                "failed to resolve ref 111122223333.dkr.ecr.us-west-2.amazonaws.com/hello-repository:latest",
            },
            "Image pull failed",
        ),
        (
            {
                "stop_code": "TaskFailedToStart",
                "stopped_reason": "ResourceInitializationError: unable to pull secrets or registry auth",
            },
            "Resource initialization failed",
        ),
        ({"stop_code": "TaskFailedToStart", "stopped_reason": "Timeout waiting for network interface"}, None),
        ({**CRASHED}, "Essential container exited"),  # no exit code to say it was well
        (
            # a scale-in whose container did not exit cleanly is a failure all the same
            {
                "stop_code": "ServiceSchedulerInitiated",
                "stopped_reason": "Scaling activity initiated by (deployment ecs-svc/9223370455451316364)",
                "exit_code": 2,
            },
            "Exit code 2",
        ),
        (
            # an OOM kill is out of memory whoever stopped the task
            {
                "stop_code": "UserInitiated",
                "stopped_reason": "Task stopped by user",
                "exit_code": 137,
                "container_reason": OOM,
            },
            "Out of memory",
        ),
    ],
)
def test_failure_reasons_are_short_and_countable(changes: dict[str, Any], reason: str | None) -> None:
    alert = one(stopped(**changes))
    assert alert.labels["reason"] == (reason or "Task failed to start")
    assert alert.title == f"checkout: task stopped: {alert.labels['reason']}"


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        (
            {
                "stop_code": "ServiceSchedulerInitiated",
                "stopped_reason": "Scaling activity initiated by (deployment ecs-svc/9223370455451316364)",
                "exit_code": 0,
            },
            "stopped by the service scheduler: scale-in or a deployment replacing tasks",
        ),
        (
            {"stop_code": "UserInitiated", "stopped_reason": "Task stopped by user", "exit_code": 143},
            "stopped by a user or an API call (UserInitiated)",
        ),
        (
            {
                "stop_code": "SpotInterruption",
                "stopped_reason": "Your Spot Task was interrupted.",
                "exit_code": 137,
            },
            "Spot capacity reclaimed by AWS (SpotInterruption)",
        ),
        (
            {"stop_code": "TerminationNotice", "stopped_reason": "Your Spot Task was interrupted."},
            "Spot capacity reclaimed by AWS (TerminationNotice)",
        ),
        ({**CRASHED, "exit_code": 0}, "its containers exited with code 0"),
        (
            {"stop_code": "ServiceSchedulerInitiated", "stopped_reason": "Task replaced by the scheduler"},
            "no failure in the stop (ServiceSchedulerInitiated: Task replaced by the scheduler)",
        ),
    ],
)
def test_routine_stops_are_ignored_with_the_reason(changes: dict[str, Any], why: str) -> None:
    assert ignored(stopped(**changes)) == f"task {TASK_ID} {why}"


def test_a_task_still_deprovisioning_waits_for_its_stopped_event() -> None:
    # (Fargate reports DEPROVISIONING before STOPPED, with the stop code already set: one alert, not two)
    doc = stopped(**CRASHED, exit_code=1)
    doc["detail"]["lastStatus"] = "DEPROVISIONING"
    assert ignored(doc) == f"task {TASK_ID} is DEPROVISIONING: only stopped tasks are alerted on"


def test_a_standalone_task_is_named_by_its_group() -> None:
    alert = one(stopped(**CRASHED, exit_code=3, group="family:sample-fargate"))
    assert (alert.labels["service"], alert.labels["resource"]) == ("family:sample-fargate",) * 2


def test_the_account_falls_back_to_the_task_arn() -> None:
    doc = stopped(**CRASHED, exit_code=1)
    del doc["account"]
    assert one(doc).labels["account"] == "111122223333"


def crash_loop() -> list[dict[str, Any]]:
    """Twelve stops of one service's tasks: ten exit 1, two out of memory (the reason ECS gives the task)."""
    docs = [stopped(**CRASHED, exit_code=1, task=f"{n:032x}") for n in range(10)]
    docs += [
        stopped(
            stop_code="EssentialContainerExited",
            stopped_reason=OOM,
            exit_code=137,
            task=f"{n:032x}",
        )
        for n in range(10, 12)
    ]
    return docs


def test_a_crash_loop_is_one_group_counted_by_reason() -> None:
    """Twelve tasks of one service crash (ten exit 1, two out of memory): twelve alerts, each its own task,
    that a route grouping by [account, region, cluster, service] puts in one group, whose storm message counts
    them by reason ("10 × Exit code 1, 2 × Out of memory")."""
    alerts = [one(doc) for doc in crash_loop()]
    assert len({a.fingerprint for a in alerts}) == 12
    config = parse_config(
        """
route:
  receiver: default
  routes:
    - matchers: ['source="ecs"']
      receiver: containers
      group_by: [account, region, cluster, service]
receivers:
  - {name: default, slack: [{channel: "#alerts"}]}
  - {name: containers, slack: [{channel: "#containers"}]}
"""
    )
    [route] = match_routes(config, alerts[0].labels)
    assert route.receiver == "containers"
    assert len({group_key(route, a.labels) for a in alerts}) == 1
    assert Counter(a.labels["reason"] for a in alerts) == {"Exit code 1": 10, "Out of memory": 2}


def test_the_crash_loops_message_counts_tasks_by_reason_and_shows_each_tasks_facts() -> None:
    alerts = [one(doc) for doc in crash_loop()]
    config = parse_config(
        """
route:
  receiver: containers
  group_by: [account, region, cluster, service]
receivers:
  - {name: containers, slack: [{channel: "#containers"}]}
"""
    )
    [route] = match_routes(config, alerts[0].labels)
    key, group_labels = group_identity(route, alerts[0].labels)
    now_ms = alerts[0].timestamp_ms
    members = {a.fingerprint: Member.of(AlertState.first(a, now_ms)) for a in alerts}
    group = GroupState(
        key=key,
        route_id=route.id,
        receiver=route.receiver,
        group_labels=group_labels,
        created_ms=now_ms,
        members=members,
        version=1,
    )
    wording = Wording(MessageSettings(account_names={"111122223333": "production"}))
    assert headline(group, wording) == (
        "🟠 WARNING · 12 tasks of service checkout stopped in production (us-west-2): "
        "10 × Exit code 1, 2 × Out of memory"
    )
    message = render_group(group, now_ms, wording)
    shown = render_text(message.text, message.attachments).splitlines()
    assert shown[1:3] == [
        "┃ *10 × Exit code 1* · e.g. task 00000000000000000000000000000000, FargateApp exit code 1 · Console ↗",
        "┃ *2 × Out of memory* · e.g. task 0000000000000000000000000000000a, FargateApp exit code 137 · Console ↗",
    ]
    oom = next(m for m in members.values() if m.reason == "Out of memory")
    assert facts(oom, wording, now_ms)[2:] == [
        ("Service", "FargateCluster / checkout"),
        ("Task definition", "sample-fargate:1"),
        ("Container", "FargateApp (exit code 137)"),
        ("Stop code", "EssentialContainerExited"),
        ("Deployment", "ecs-svc/9223370455451316364"),
    ]


# ---- hostile and malformed input ----
def test_links_are_https_only_and_never_taken_from_the_event_text() -> None:
    doc = stopped(
        stop_code="EssentialContainerExited",
        stopped_reason="Essential container in task exited: see javascript:alert(1) or https://evil.example/x",
        exit_code=1,
    )
    doc["detail"]["clusterArn"] = "arn:aws:ecs:us-west-2:111122223333:cluster/a/../../evil?x=#"
    alert = one(doc)
    assert list(alert.annotations) == ["console"]
    assert alert.annotations["console"].startswith(
        "https://us-west-2.console.aws.amazon.com/ecs/v2/clusters/"
    )
    assert "/../" not in alert.annotations["console"] and "#" not in alert.annotations["console"]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d["detail"].pop("taskArn"), "ECS Task State Change: detail.taskArn: Field required"),
        (
            lambda d: d["detail"]["containers"][0].update(exitCode="one"),
            "ECS Task State Change: detail.containers.0.exitCode: Input should be a valid integer",
        ),
        (
            lambda d: d["detail"]["containers"][0].update(exitCode=10**30),
            "ECS Task State Change: detail.containers.0.exitCode: Input should be less than or equal to",
        ),
        (
            lambda d: d["detail"].update(stoppedReason="x" * 100_000),
            "ECS Task State Change: detail.stoppedReason: String should have at most 2000 characters",
        ),
        (lambda d: d["detail"].update(containers="none"), "ECS Task State Change: detail.containers:"),
        (lambda d: d["detail"].update(stoppedAt="yesterday"), "unreadable timestamp 'yesterday'"),
        (
            lambda d: d.update(time="not a time"),
            "ECS Task State Change: time: Input should be a valid datetime",
        ),
        (lambda d: d.update(region="evil.example#"), "region 'evil.example#' is no AWS region's name"),
        (lambda d: d.update(detail="stopped"), "ECS Task State Change: detail: Input should be a valid"),
    ],
)
def test_malformed_task_events_are_refused_naming_the_field(change: Any, problem: str) -> None:
    doc = stopped(**CRASHED, exit_code=1)
    change(doc)
    with pytest.raises(MalformedEventError) as raised:
        parsed(doc)
    assert problem in raised.value.reason


def test_an_event_with_no_account_anywhere_is_refused() -> None:
    doc = stopped(**CRASHED, exit_code=1)
    del doc["account"]
    doc["detail"]["taskArn"] = "task-without-arn"
    doc["detail"]["clusterArn"] = "FargateCluster"
    with pytest.raises(MalformedEventError, match="no account"):
        parsed(doc)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d.update(resources=[]), "ECS Service Action: no service ARN in resources"),
        (lambda d: d["detail"].pop("eventName"), "ECS Service Action: detail.eventName: Field required"),
        (
            lambda d: d["detail"].update(reason="r" * 5000),
            "ECS Service Action: detail.reason: String should have at most 2000 characters",
        ),
    ],
)
def test_malformed_service_events_are_refused_naming_the_field(change: Any, problem: str) -> None:
    doc = copy.deepcopy(load_event(PLACEMENT))
    change(doc)
    with pytest.raises(MalformedEventError) as raised:
        parsed(doc)
    assert problem in raised.value.reason


def test_an_old_format_service_arn_takes_its_cluster_from_the_cluster_arn() -> None:
    doc = copy.deepcopy(load_event(PLACEMENT))
    doc["resources"] = ["arn:aws:ecs:us-west-2:111122223333:service/servicetest"]
    assert (one(doc).labels["cluster"], one(doc).labels["service"]) == ("default", "servicetest")


def test_the_dispatch_sends_aws_ecs_here_from_an_sns_notification_too() -> None:
    envelope = {"Type": "Notification", "Message": json.dumps(stopped(**CRASHED, exit_code=1))}
    assert parse_payload(envelope).alerts[0].labels["reason"] == "Exit code 1"

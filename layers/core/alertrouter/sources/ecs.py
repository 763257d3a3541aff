"""Amazon ECS events (EventBridge, source `aws.ecs`) -> Alert.

- `ECS Task State Change` of a task that STOPPED because it failed: an essential container exited non-zero,
  was killed for memory, failed its ELB or container health checks, or could not start (image pull, resource
  initialisation). One one-shot alert per task, labelled with the cluster, the service and a short `reason`
  ("Out of memory", "Exit code 1") that a group counts by: a crash loop becomes one message,
  "12 × Exit code 1". Routine stops (scale-in, a deployment replacing tasks, a user's stop, a Spot
  interruption, an exit 0) and tasks not yet stopped are ignored with the reason logged.
- `ECS Service Action` SERVICE_TASK_PLACEMENT_FAILURE / SERVICE_TASK_CONFIGURATION_FAILURE: one alert per
  service and failure; the other service actions are ignored.
- `ECS Deployment State Change` SERVICE_DEPLOYMENT_FAILED: one alert per service; the service's next
  SERVICE_DEPLOYMENT_COMPLETED resolves it (the service reached a steady state again, rolled back or fixed).
"""

from __future__ import annotations

import re
from typing import Any, TypeVar
from urllib.parse import quote

from pydantic import Field

from alertrouter.models.alert import Alert, Ignored, Severity, Status, fingerprint
from alertrouter.mrkdwn import shorten
from alertrouter.sources.common import OpenModel, arn_account, parse_timestamp, validated
from alertrouter.sources.errors import MalformedEventError
from alertrouter.sources.eventbridge import EventBridgeEvent

# A region names the console host of every link: anything else than a region's name is refused.
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
SOURCE = "ecs"
TASK_STATE_CHANGE = "ECS Task State Change"
SERVICE_ACTION = "ECS Service Action"
DEPLOYMENT_STATE_CHANGE = "ECS Deployment State Change"
STOPPED = "STOPPED"
EXIT_CODE_RANGE = 2**32  # a process's exit status fits 32 bits (Windows containers report unsigned codes)

# The service actions that become alerts, and their alertnames.
_SERVICE_FAILURES = {
    "SERVICE_TASK_PLACEMENT_FAILURE": ("ECSTaskPlacementFailed", "Task placement failed"),
    "SERVICE_TASK_CONFIGURATION_FAILURE": ("ECSTaskConfigurationFailed", "Task configuration failed"),
}
DEPLOYMENT_FAILED = "SERVICE_DEPLOYMENT_FAILED"
DEPLOYMENT_COMPLETED = "SERVICE_DEPLOYMENT_COMPLETED"

# ECS's own words (stoppedReason and the containers' reasons), most specific first: an image pull that
# timed out is an image pull failure; an OOM kill is out of memory whatever stopped the task.
_CAUSES = (
    ("outofmemory", "Out of memory"),
    ("oomkilled", "Out of memory"),
    ("cannotpullcontainer", "Image pull failed"),
    ("cannotpullimagemanifest", "Image pull failed"),
    ("resourceinitializationerror", "Resource initialization failed"),
    ("cannotstartcontainer", "Container did not start"),
    ("cannotcreatecontainer", "Container did not start"),
    ("cannotinspectcontainer", "Container did not start"),
    ("task failed elb health checks", "ELB health check failed"),
    ("task failed container health checks", "Container health check failed"),
)
# Stops that are someone's intent or AWS's reclaim, not a failure of the task (unless it ran out of memory).
_ROUTINE_STOP_CODES = {
    "UserInitiated": "stopped by a user or an API call (UserInitiated)",
    "SpotInterruption": "Spot capacity reclaimed by AWS (SpotInterruption)",
    "TerminationNotice": "Spot capacity reclaimed by AWS (TerminationNotice)",
}
_SCALING = "scaling activity initiated by"


class Container(OpenModel):
    name: str = Field(default="", max_length=255)
    exitCode: int | None = Field(default=None, ge=-EXIT_CODE_RANGE, le=EXIT_CODE_RANGE)
    reason: str = Field(default="", max_length=2000)
    lastStatus: str = Field(default="", max_length=40)


class TaskDetail(OpenModel):
    taskArn: str = Field(min_length=1, max_length=400)
    clusterArn: str = Field(min_length=1, max_length=400)
    lastStatus: str = Field(min_length=1, max_length=40)
    desiredStatus: str = Field(default="", max_length=40)
    taskDefinitionArn: str = Field(default="", max_length=400)
    group: str = Field(default="", max_length=300)
    startedBy: str = Field(default="", max_length=300)
    stopCode: str = Field(default="", max_length=60)
    stoppedReason: str = Field(default="", max_length=2000)
    stoppedAt: str | None = Field(default=None, max_length=60)
    availabilityZone: str = Field(default="", max_length=60)
    launchType: str = Field(default="", max_length=40)
    containers: list[Container] = Field(default_factory=list, max_length=100)


class TaskEvent(EventBridgeEvent):
    detail: TaskDetail  # type: ignore[assignment]


class ServiceDetail(OpenModel):
    eventType: str = Field(default="", max_length=20)
    eventName: str = Field(min_length=1, max_length=100)
    clusterArn: str = Field(default="", max_length=400)
    reason: str = Field(default="", max_length=2000)
    deploymentId: str = Field(default="", max_length=200)
    capacityProviderArns: list[str] = Field(default_factory=list, max_length=20)


class ServiceEvent(EventBridgeEvent):
    detail: ServiceDetail  # type: ignore[assignment]


def _after(arn: str, kind: str) -> str:
    """`arn:aws:ecs:r:1:cluster/prod` -> `prod` for kind `cluster` (a bare name stays as it is)."""
    return arn.split(f":{kind}/", 1)[1] if f":{kind}/" in arn else arn


def _account(envelope: str, *arns: str) -> str:
    account = envelope or next((a for a in map(arn_account, arns) if a), "")
    if not account:
        raise MalformedEventError("ECS event: no account and no ARN to take it from")
    return account


def task_console_url(region: str, cluster: str, task_id: str) -> str:
    return (
        f"https://{region}.console.aws.amazon.com/ecs/v2/clusters/{quote(cluster, safe='')}"
        f"/tasks/{quote(task_id, safe='')}/configuration?region={region}"
    )


def service_console_url(region: str, cluster: str, service: str) -> str:
    return (
        f"https://{region}.console.aws.amazon.com/ecs/v2/clusters/{quote(cluster, safe='')}"
        f"/services/{quote(service, safe='')}/health?region={region}"
    )


_E = TypeVar("_E", bound=EventBridgeEvent)


def _in_region(parsed: _E) -> _E:
    if not _REGION.fullmatch(parsed.region):
        raise MalformedEventError(
            f"{parsed.detail_type}: region {parsed.region[:40]!r} is no AWS region's name"
        )
    return parsed


def parse_eventbridge(event: dict[str, Any]) -> list[Alert | Ignored] | Ignored:
    detail_type = event.get("detail-type")
    if detail_type == TASK_STATE_CHANGE:
        return _task(_in_region(validated(TaskEvent, event, TASK_STATE_CHANGE)))
    if detail_type == SERVICE_ACTION:
        return _service_action(_in_region(validated(ServiceEvent, event, SERVICE_ACTION)))
    if detail_type == DEPLOYMENT_STATE_CHANGE:
        return _deployment(_in_region(validated(ServiceEvent, event, DEPLOYMENT_STATE_CHANGE)))
    return Ignored(
        kind=str(detail_type)[:80], reason=f"ECS event {str(detail_type)[:80]!r} is not alerted on"
    )


# ---- tasks ----
def _culprit(task: TaskDetail) -> Container:
    """The container that says most about the stop: one with a reason or a non-zero exit code, else the first."""
    for container in task.containers:
        if container.reason or container.exitCode not in (None, 0):
            return container
    return task.containers[0] if task.containers else Container()


def failure_reason(task: TaskDetail, container: Container) -> str | None:
    """A short, countable cause of the stop, or None when the stop is routine (see `routine_stop`)."""
    texts = " | ".join(t for t in (task.stoppedReason, *(c.reason for c in task.containers)) if t).lower()
    for needle, reason in _CAUSES[:2]:  # out of memory, whoever stopped the task
        if needle in texts:
            return reason
    if task.stopCode in _ROUTINE_STOP_CODES:
        return None
    for needle, reason in _CAUSES[2:]:
        if needle in texts:
            return reason
    if container.exitCode not in (None, 0):
        return f"Exit code {container.exitCode}"
    if task.stopCode == "TaskFailedToStart":
        return "Task failed to start"
    if task.stopCode == "EssentialContainerExited" and all(c.exitCode is None for c in task.containers):
        return "Essential container exited"  # (with no exit code to say it was well: not taken as routine)
    return None


def routine_stop(task: TaskDetail) -> str:
    """Why a stop that is not a failure was not alerted on, in words an operator understands."""
    if task.stopCode in _ROUTINE_STOP_CODES:
        return _ROUTINE_STOP_CODES[task.stopCode]
    if _SCALING in task.stoppedReason.lower():
        return "stopped by the service scheduler: scale-in or a deployment replacing tasks"
    codes = [c.exitCode for c in task.containers if c.exitCode is not None]
    if codes and all(code == 0 for code in codes):
        return "its containers exited with code 0"
    return f"no failure in the stop ({task.stopCode or 'no stop code'}: {shorten(task.stoppedReason, 80)})"


def _service(task: TaskDetail) -> str:
    """The service a task belongs to (`group` `service:<name>`), else its group (`family:<name>`)."""
    name = task.group.removeprefix("service:")
    if name and name != task.group:
        return name
    return task.group or _after(task.taskDefinitionArn, "task-definition").partition(":")[0] or "unknown"


def _task(parsed: TaskEvent) -> Ignored | list[Alert | Ignored]:
    task = parsed.detail
    task_id = task.taskArn.rsplit("/", 1)[-1]
    if task.lastStatus.upper() != STOPPED:
        return Ignored(
            kind=TASK_STATE_CHANGE,
            reason=f"task {task_id[:80]} is {task.lastStatus[:40]}: only stopped tasks are alerted on",
        )
    container = _culprit(task)
    reason = failure_reason(task, container)
    if reason is None:
        return Ignored(kind=TASK_STATE_CHANGE, reason=f"task {task_id[:80]} {routine_stop(task)}")
    return [_task_alert(parsed, task_id, container, reason)]


def _task_alert(parsed: TaskEvent, task_id: str, container: Container, reason: str) -> Alert:
    task, region = parsed.detail, parsed.region
    account = _account(parsed.account, task.taskArn, task.clusterArn)
    cluster, service = _after(task.clusterArn, "cluster"), _service(task)
    definition = _after(task.taskDefinitionArn, "task-definition")
    labels = {
        "alertname": "ECSTaskStopped",
        "source": SOURCE,
        "account": account,
        "region": region,
        "severity": Severity.WARNING.value,
        "resource": service,
        "reason": reason,
        "cluster": cluster,
        "service": service,
        "task_definition": definition,
        "task_id": task_id,
        "deployment": task.startedBy if task.startedBy.startswith("ecs-svc/") else "",
        "container": container.name,
        "exit_code": "" if container.exitCode is None else str(container.exitCode),
        "stop_code": task.stopCode,
    }
    causes = dict.fromkeys(c for c in (task.stoppedReason, container.reason) if c)
    exit_text = f" (container {container.name} exit code {container.exitCode})" if container.exitCode else ""
    summary = f"{' — '.join(causes) or reason}{exit_text}. Task {task_id} of {definition or service}."
    stopped = parse_timestamp(task.stoppedAt) if task.stoppedAt else parsed.time
    return Alert(
        source=SOURCE,
        status=Status.FIRING,
        severity=Severity.WARNING,
        title=shorten(f"{service}: task stopped: {reason}", 300),
        summary=shorten(summary, 1000),
        labels={k: v[:200] for k, v in labels.items() if v},
        annotations={"console": task_console_url(region, cluster, task_id)},
        timestamp=stopped,
        one_shot=True,
        fingerprint=fingerprint(SOURCE, account, region, task.taskArn),
    )


# ---- services ----
def _service_of(parsed: ServiceEvent) -> tuple[str, str, str]:
    """(cluster, service, service ARN) from the service's ARN in `resources` (new format
    `service/<cluster>/<name>`; the old `service/<name>` takes the cluster from `clusterArn`)."""
    arn = next((r for r in parsed.resources if ":service/" in r), "")
    if not arn:
        raise MalformedEventError(f"{parsed.detail_type}: no service ARN in resources")
    path = _after(arn, "service")
    cluster, _, service = path.rpartition("/")
    cluster = cluster or _after(parsed.detail.clusterArn, "cluster")
    if not service or not cluster:
        raise MalformedEventError(f"{parsed.detail_type}: no cluster or service in {arn[:200]!r}")
    return cluster[:200], service[:200], arn


def _service_labels(parsed: ServiceEvent, alertname: str, reason: str) -> tuple[dict[str, str], str]:
    cluster, service, arn = _service_of(parsed)
    account = _account(parsed.account, arn, parsed.detail.clusterArn)
    labels = {
        "alertname": alertname,
        "source": SOURCE,
        "account": account,
        "region": parsed.region,
        "severity": Severity.WARNING.value,
        "resource": service,
        "reason": reason,
        "cluster": cluster,
        "service": service,
        "event_name": parsed.detail.eventName,
    }
    return labels, arn


def _service_action(parsed: ServiceEvent) -> Ignored | list[Alert | Ignored]:
    detail = parsed.detail
    failure = _SERVICE_FAILURES.get(detail.eventName)
    if failure is None:
        return Ignored(
            kind=SERVICE_ACTION,
            reason=f"ECS service action {detail.eventName[:100]} is not alerted on (only task placement "
            "and configuration failures are; stopped tasks are alerted on each)",
        )
    alertname, what = failure
    reason = shorten(f"{what}: {detail.reason}", 80) if detail.reason else what
    labels, arn = _service_labels(parsed, alertname, reason)
    return [
        Alert(
            source=SOURCE,
            status=Status.FIRING,
            severity=Severity.WARNING,
            title=shorten(f"{labels['service']}: {what.lower()}", 300),
            summary=shorten(
                f"{what} for service {labels['service']} in cluster {labels['cluster']}: "
                f"{detail.reason or 'no reason given'}",
                1000,
            ),
            labels=labels,
            annotations={"console": service_console_url(parsed.region, labels["cluster"], labels["service"])},
            timestamp=parsed.time,
            one_shot=True,
            fingerprint=fingerprint(SOURCE, labels["account"], parsed.region, arn, detail.eventName),
        )
    ]


def _deployment_reason(text: str) -> str:
    """`ECS deployment circuit breaker: task failed to start.` -> `Circuit breaker: task failed to start`."""
    short = text.strip().removeprefix("ECS deployment ").rstrip(".")
    return shorten(short[:1].upper() + short[1:], 80) if short else "Deployment failed"


def _deployment(parsed: ServiceEvent) -> Ignored | list[Alert | Ignored]:
    detail = parsed.detail
    if detail.eventName not in (DEPLOYMENT_FAILED, DEPLOYMENT_COMPLETED):
        return Ignored(
            kind=DEPLOYMENT_STATE_CHANGE,
            reason=f"ECS deployment {detail.eventName[:100]} is not alerted on (only a failed deployment "
            "is, and a completed one resolves it)",
        )
    failed = detail.eventName == DEPLOYMENT_FAILED
    labels, arn = _service_labels(
        parsed, "ECSDeploymentFailed", _deployment_reason(detail.reason) if failed else "Deployment completed"
    )
    if detail.deploymentId:
        labels["deployment"] = detail.deploymentId
    service = labels["service"]
    title = f"{service}: deployment failed" if failed else f"{service}: deployment completed"
    return [
        Alert(
            source=SOURCE,
            status=Status.FIRING if failed else Status.RESOLVED,
            severity=Severity.WARNING,
            title=shorten(title, 300),
            summary=shorten(
                f"Deployment {detail.deploymentId or '(no id)'} of service {service} in cluster "
                f"{labels['cluster']}: {detail.reason or detail.eventName}",
                1000,
            ),
            labels=labels,
            annotations={"console": service_console_url(parsed.region, labels["cluster"], service)},
            timestamp=parsed.time,
            one_shot=True,
            # the service, not the deployment: the next deployment that completes (a rollback's or a fix's)
            # says the service is whole again
            fingerprint=fingerprint(SOURCE, labels["account"], parsed.region, arn, "deployment"),
        )
    ]

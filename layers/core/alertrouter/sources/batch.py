"""AWS Batch events (EventBridge, source `aws.batch`) -> Alert.

- `Batch Job State Change` with a status in BATCH_ALERT_STATUSES (default FAILED): one alert per job,
  one-shot (a failure never resolves itself: the route's resolve_timeout does), labelled with the queue,
  the job definition and a short `reason` ("Out of memory", "Timeout", "Exit code 1") that groups count by.
  Other statuses are ignored with a logged reason.
- Every job that ends (SUCCEEDED or FAILED, whatever BATCH_ALERT_STATUSES says) is also a JobOutcome, which
  the outcome metrics count (alertrouter.batch_outcomes). A SUCCEEDED job not in BATCH_ALERT_STATUSES is
  only counted: no alert, and not reported as ignored.
- `Batch Job Queue Blocked`: one alert per queue, naming the job at its head and why it cannot run.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from pydantic import Field

from alertrouter.models.alert import Alert, Ignored, Severity, Status, fingerprint, severity_word
from alertrouter.models.batch import FAILED, FINAL_STATUSES, SUCCEEDED, JobOutcome
from alertrouter.mrkdwn import shorten
from alertrouter.sources.common import OpenModel, arn_account, validated
from alertrouter.sources.errors import MalformedEventError
from alertrouter.sources.eventbridge import EventBridgeEvent
from alertrouter.weburl import web_url

SOURCE = "batch"
JOB_STATE_CHANGE = "Batch Job State Change"
QUEUE_BLOCKED = "Batch Job Queue Blocked"
DEFAULT_LOG_GROUP = "/aws/batch/job"
STATUSES_ENV = "BATCH_ALERT_STATUSES"


class LogConfiguration(OpenModel):
    logDriver: str = ""
    options: dict[str, str] = Field(default_factory=dict)


class Container(OpenModel):
    exitCode: int | None = None
    reason: str = ""
    logStreamName: str = ""
    logConfiguration: LogConfiguration | None = None


class TaskProperties(OpenModel):  # an ECS-properties job's attempt
    containers: list[Container] = Field(default_factory=list)


class Attempt(OpenModel):
    container: Container = Field(default_factory=Container)
    taskProperties: list[TaskProperties] = Field(default_factory=list)
    statusReason: str = ""
    startedAt: int | None = None
    stoppedAt: int | None = None


class EksAttempt(OpenModel):  # an EKS job's attempt: its pod's containers
    containers: list[Container] = Field(default_factory=list)
    statusReason: str = ""


class ArrayProperties(OpenModel):
    index: int | None = None
    size: int | None = None


class JobDetail(OpenModel):
    jobName: str = Field(min_length=1, max_length=300)
    jobId: str = Field(min_length=1, max_length=300)
    jobArn: str = ""
    jobQueue: str = Field(min_length=1, max_length=400)
    status: str = Field(min_length=1, max_length=40)
    statusReason: str = ""
    attempts: list[Attempt] = Field(default_factory=list)
    eksAttempts: list[EksAttempt] = Field(default_factory=list)
    createdAt: int | None = None
    startedAt: int | None = None
    stoppedAt: int | None = None
    jobDefinition: str = ""
    container: Container | None = None
    arrayProperties: ArrayProperties | None = None
    tags: dict[str, str] = Field(default_factory=dict)


class JobEvent(EventBridgeEvent):
    detail: JobDetail  # type: ignore[assignment]


def statuses_from_environment() -> frozenset[str]:
    """The job statuses that become alerts: the stack's BatchAlertStatuses parameter, from the environment."""
    raw = os.environ.get(STATUSES_ENV, "FAILED")
    return frozenset(s.strip().upper() for s in raw.split(",") if s.strip()) or frozenset({"FAILED"})


# Read once, when the first Batch event imports this module: a function's environment never changes.
ALERTED_STATUSES = statuses_from_environment()


def _name(arn: str, kind: str) -> str:
    """`arn:aws:batch:us-east-1:1:job-queue/high` -> `high` (a bare name stays as it is)."""
    return arn.split(f":{kind}/", 1)[1] if f":{kind}/" in arn else arn


def _last_container(job: JobDetail) -> Container:
    """The container of the job's last attempt that says most (its exit code or reason): a container job's,
    an ECS-properties job's task containers, an EKS job's pod containers; else the job's own container."""
    candidates: list[Container] = []
    if job.attempts:
        last = job.attempts[-1]
        candidates += [last.container] + [c for task in last.taskProperties for c in task.containers]
    if job.eksAttempts:
        candidates += job.eksAttempts[-1].containers
    candidates.append(job.container or Container())
    for container in candidates:
        if container.exitCode not in (None, 0) or container.reason:
            return container
    return candidates[0]


def _tried(job: JobDetail) -> int:
    return len(job.attempts) or len(job.eksAttempts)


# Batch's own words, most specific first: an image pull that timed out is an image pull failure.
_REASONS = (
    ("cannotpullcontainer", "Image pull failed"),
    ("resourceinitializationerror", "Resource initialization failed"),
    ("cannotstartcontainer", "Container did not start"),
    ("cannotcreatecontainer", "Container did not start"),
    ("cannotinspectcontainer", "Container did not start"),
    ("outofmemory", "Out of memory"),
    ("out of memory", "Out of memory"),
    ("oomkilled", "Out of memory"),
    ("job attempt duration exceeded timeout", "Timeout"),
    ("host ec2", "Host terminated"),
    ("dependent job", "Dependency failed"),
)


def failure_reason(job: JobDetail, container: Container) -> str:
    """A short, countable cause: the container's own reason first (`_last_container`), then the job's, then
    the exit code."""
    last = job.attempts[-1] if job.attempts else None
    texts = " | ".join(
        t for t in (container.reason, last.statusReason if last else "", job.statusReason) if t
    )
    lowered = texts.lower()
    for needle, reason in _REASONS:
        if needle in lowered:
            return reason
    if container.exitCode not in (None, 0):
        return f"Exit code {container.exitCode}"
    if not _tried(job):
        return "Cancelled or terminated"
    return shorten(job.statusReason or "Unknown", 60)


def job_console_url(region: str, job_id: str) -> str:
    return f"https://{region}.console.aws.amazon.com/batch/home?region={region}#jobs/detail/{quote(job_id, safe='')}"


def logs_console_url(region: str, group: str, stream: str) -> str:
    """The log stream in the CloudWatch console (its fragment encodes each name twice: `/` -> `$252F`)."""

    def twice(text: str) -> str:
        return quote(quote(text, safe=""), safe="").replace("%", "$")

    return (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
        f"#logsV2:log-groups/log-group/{twice(group)}/log-events/{twice(stream)}"
    )


def _account(parsed: JobEvent) -> str:
    if parsed.account:
        return parsed.account
    from_queue = arn_account(parsed.detail.jobQueue)
    if from_queue:
        return from_queue
    raise MalformedEventError(f"{parsed.detail_type}: no account and no queue ARN to take it from")


def _ms(value: int | None, fallback: datetime) -> datetime:
    if value is None or not 0 < value < 10**14:
        return fallback
    return datetime.fromtimestamp(value / 1000, UTC)


def parse_eventbridge(event: dict[str, Any]) -> list[Alert] | Ignored:
    """The event's alerts, or why it has none (see parse_event for the job's outcome too)."""
    return parse_event(event)[0]


def parse_event(event: dict[str, Any]) -> tuple[list[Alert] | Ignored, JobOutcome | None]:
    """The event's alerts (or why it has none), and the outcome of a job that ended (else None). A job that
    ended but whose status is not alerted on has no alert and is not ignored: it is counted."""
    detail_type = event.get("detail-type")
    if detail_type == QUEUE_BLOCKED:
        return [_queue_blocked(validated(JobEvent, event, QUEUE_BLOCKED))], None
    if detail_type != JOB_STATE_CHANGE:
        return Ignored(
            kind=str(detail_type)[:80], reason=f"Batch event {str(detail_type)[:80]!r} is not alerted on"
        ), None
    parsed = validated(JobEvent, event, JOB_STATE_CHANGE)
    array = parsed.detail.arrayProperties
    if array is not None and array.size is not None and array.index is None:
        return Ignored(
            kind=JOB_STATE_CHANGE,
            reason=f"array parent job {parsed.detail.jobId[:80]}: its children "
            "are alerted on, each with its own reason",
        ), None  # nor counted: its children are, each a job that ran
    status = parsed.detail.status.upper()
    outcome = job_outcome(parsed) if status in FINAL_STATUSES else None
    statuses = ALERTED_STATUSES
    if status in statuses:
        return [_job_alert(parsed)], outcome
    if outcome is not None:
        return [], outcome
    return Ignored(
        kind=JOB_STATE_CHANGE,
        reason=f"job status {parsed.detail.status[:40]} is not alerted on "
        f"({STATUSES_ENV}={','.join(sorted(statuses))})",
    ), None


def job_outcome(parsed: JobEvent) -> JobOutcome:
    """The outcome of a job that ended: the queue's and job definition's names from their ARNs (the
    definition's without its revision), and the job's own startedAt / stoppedAt."""
    job = parsed.detail
    definition = _name(job.jobDefinition, "job-definition").partition(":")[0]
    return JobOutcome(
        account=parsed.account or arn_account(job.jobQueue),
        queue=_name(job.jobQueue, "job-queue"),
        definition=definition or "unknown",
        succeeded=job.status.upper() == SUCCEEDED,
        started_at_ms=job.startedAt,
        stopped_at_ms=job.stoppedAt,
    )


def _job_alert(parsed: JobEvent) -> Alert:
    job, region, account = parsed.detail, parsed.region, _account(parsed)
    status = job.status.upper()
    failed = status == FAILED
    queue = _name(job.jobQueue, "job-queue")
    definition, _, revision = _name(job.jobDefinition, "job-definition").partition(":")
    container, tried = _last_container(job), _tried(job)
    reason = failure_reason(job, container) if failed else status.capitalize()
    labels = {
        "alertname": f"BatchJob{status.capitalize()}",
        "source": SOURCE,
        "account": account,
        "region": region,
        "queue": queue,
        "job_definition": definition,
        "job_name": job.jobName,
        "job_id": job.jobId,
        "status": status,
        "reason": reason,
        "attempts": str(tried),
        "resource": job.jobId,
    }
    if revision:
        labels["job_definition_revision"] = revision
    if container.exitCode is not None:
        labels["exit_code"] = str(container.exitCode)
    if job.arrayProperties is not None and job.arrayProperties.index is not None and ":" in job.jobId:
        labels["array_parent"], labels["array_index"] = job.jobId.rsplit(":", 1)
    for key, value in job.tags.items():
        if key != "resourceArn":  # Batch adds the job's own ARN as a tag
            labels.setdefault(key, value)
    severity = severity_word(job.tags.get("severity", "")) or (Severity.WARNING if failed else Severity.INFO)
    labels["severity"] = severity.value
    annotations = {"console": job_console_url(region, job.jobId)}
    if container.logStreamName:
        options = container.logConfiguration.options if container.logConfiguration else {}
        annotations["logs"] = logs_console_url(
            region, options.get("awslogs-group", DEFAULT_LOG_GROUP), container.logStreamName
        )
    for key in ("runbook", "runbook_url"):
        runbook = web_url(job.tags.get(key, ""))
        if runbook:
            annotations["runbook"] = runbook
    causes = [c for c in (job.statusReason, container.reason) if c]
    exit_text = f" (exit code {container.exitCode})" if container.exitCode is not None else ""
    summary = f"{' — '.join(dict.fromkeys(causes)) or reason}{exit_text}"
    if tried:
        summary += f"; {tried} attempt{'s' if tried != 1 else ''}"
    title = f"{job.jobName} failed: {reason}" if failed else f"{job.jobName} is {status}"
    return Alert(
        source=SOURCE,
        status=Status.FIRING,
        severity=severity,
        title=title,
        summary=shorten(summary, 1000),
        labels=labels,
        annotations=annotations,
        one_shot=True,
        timestamp=_ms(job.stoppedAt if failed else None, parsed.time),
        fingerprint=fingerprint(SOURCE, account, region, job.jobId, status if not failed else ""),
    )


def _queue_blocked(parsed: JobEvent) -> Alert:
    job, region, account = parsed.detail, parsed.region, _account(parsed)
    queue = _name(job.jobQueue, "job-queue")
    reason = job.statusReason or "no reason given"
    labels = {
        "alertname": "BatchJobQueueBlocked",
        "source": SOURCE,
        "account": account,
        "region": region,
        "queue": queue,
        "job_name": job.jobName,
        "job_id": job.jobId,
        "status": job.status.upper(),
        "reason": shorten(reason.split(" - ", 1)[0], 60),
        "resource": queue,
        "severity": Severity.WARNING.value,
    }
    return Alert(
        source=SOURCE,
        status=Status.FIRING,
        severity=Severity.WARNING,
        title=f"Batch job queue {queue} is blocked",
        summary=shorten(
            f"Job {job.jobName} ({job.jobId}) is {job.status} at the head of the queue and cannot run: "
            f"{reason}",
            1000,
        ),
        labels=labels,
        annotations={"console": job_console_url(region, job.jobId)},
        one_shot=True,
        timestamp=parsed.time,
        fingerprint=fingerprint(SOURCE, account, region, job.jobQueue, "blocked"),
    )

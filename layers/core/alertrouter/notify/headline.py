"""A group's headline, in one grammar for every source: how bad, what (an alarm, or a humanised group), where
(the account's name, the region, the resource), and for a storm of failed jobs or stopped ECS tasks why
they failed.

    🔴 CRITICAL (OpenSearch: High) · test-domain: High JVM Usage in production (us-east-1)
    🟠 WARNING · 12 Lambda error alarms firing in production (us-east-1)
    🟠 WARNING · 50 jobs failed in queue nightly in production (us-east-1): 48 × Out of memory, 2 × Timeout
    🟠 WARNING · 12 tasks of service checkout stopped in production (us-west-2): 10 × Exit code 1, 2 × Out of memory
    ✅ RESOLVED · ServerCpuTooHigh on i-0a1b2c3d4e5f in production (us-east-1) · after 14 min
"""

from __future__ import annotations

from alertrouter.models.alert import Status
from alertrouter.models.state import GroupState, Member
from alertrouter.notify.wording import Wording, duration_words

ICONS = {"critical": "🔴", "warning": "🟠", "info": "🔵", Status.NODATA: "⚪", Status.RESOLVED: "✅"}
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}
SOURCE_NAMES = {
    "opensearch": "OpenSearch",
    "batch": "Batch",
    "cloudwatch": "CloudWatch",
    "slo": "SLO",
    "rds": "RDS",
    "guardduty": "GuardDuty",
    "securityhub": "Security Hub",
    "ecs": "ECS",
    "stepfunctions": "Step Functions",
    "health": "AWS Health",
    "xray": "X-Ray",
}
# What a group of alerts from a source is called when nothing narrower is shared
SOURCE_NOUNS = {
    "batch": ("Batch alert", "Batch alerts"),
    "opensearch": ("OpenSearch notice", "OpenSearch notices"),
    "slo": ("SLO alert", "SLO alerts"),
    "cloudwatch": ("alarm", "alarms"),
    "rds": ("RDS event", "RDS events"),
    "guardduty": ("GuardDuty finding", "GuardDuty findings"),
    "securityhub": ("Security Hub finding", "Security Hub findings"),
    "ecs": ("ECS alert", "ECS alerts"),
    "stepfunctions": ("Step Functions alert", "Step Functions alerts"),
    "health": ("AWS Health event", "AWS Health events"),
    "xray": ("X-Ray insight", "X-Ray insights"),
}
# CloudWatch namespaces and metrics as people say them
SERVICES = {
    "AWS/Lambda": "Lambda",
    "AWS/EC2": "EC2",
    "AWS/ApplicationELB": "load balancer",
    "AWS/NetworkELB": "network load balancer",
    "AWS/ELB": "load balancer",
    "AWS/ES": "OpenSearch",
    "AWS/SQS": "SQS",
    "AWS/SNS": "SNS",
    "AWS/RDS": "RDS",
    "AWS/DynamoDB": "DynamoDB",
    "AWS/ApiGateway": "API Gateway",
    "AWS/ECS": "ECS",
    "AWS/States": "Step Functions",
    "AWS/Kinesis": "Kinesis",
    "AWS/ElastiCache": "ElastiCache",
    "AWS/Events": "EventBridge",
    "AlertRouter/Batch": "Batch queue",
}
METRICS = {
    "Errors": "error",
    "Throttles": "throttle",
    "Duration": "duration",
    "ConcurrentExecutions": "concurrency",
    "CPUUtilization": "CPU",
    "StatusCheckFailed": "status check",
    "TargetResponseTime": "latency",
    "Latency": "latency",
    "HTTPCode_Target_5XX_Count": "5xx",
    "HTTPCode_ELB_5XX_Count": "5xx",
    "5XXError": "5xx",
    "4XXError": "4xx",
    "ApproximateAgeOfOldestMessage": "message age",
    "ApproximateNumberOfMessagesVisible": "queue depth",
    "FreeStorageSpace": "free storage",
    "JVMMemoryPressure": "JVM memory",
    "ExecutionsFailed": "failed execution",
    "OldestRunnableAgeSeconds": "stuck queue",
}


def worst(members: list[Member]) -> str:
    return min((m.severity for m in members), key=lambda s: SEVERITY_ORDER.get(s, 3), default="info")


def group_status(group: GroupState) -> Status:
    statuses = {m.status for m in group.members.values()}
    if Status.FIRING in statuses:
        return Status.FIRING
    if Status.NODATA in statuses:
        return Status.NODATA
    return Status.RESOLVED


def failed_jobs(members: list[Member]) -> bool:
    """A group of failed batch jobs: its headline counts jobs and says why they failed."""
    return bool(members) and all(m.source == "batch" and m.reason and "queue" in m.labels for m in members)


def stopped_tasks(members: list[Member]) -> bool:
    """A group of ECS tasks that stopped failing (a crash loop): its headline counts tasks and says why."""
    return bool(members) and all(
        m.source == "ecs" and m.reason and m.labels.get("alertname") == "ECSTaskStopped" for m in members
    )


def _of_services(members: list[Member]) -> str:
    services = {m.labels.get("service", "") for m in members}
    return f" of service {services.pop()}" if len(services) == 1 else f" of {len(services)} services"


def reason_counts(group: GroupState) -> list[tuple[str, int]]:
    """Firing alerts by their reason (kept members and those only counted), most frequent first."""
    counts: dict[str, int] = dict(group.overflow)
    for m in group.members.values():
        if m.status == Status.FIRING and m.reason:
            counts[m.reason] = counts.get(m.reason, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def breakdown(group: GroupState, limit: int = 4) -> str:
    """`480 × Out of memory, 20 × Timeout` (the rest summed as "other")."""
    counts = reason_counts(group)
    shown = [f"{n} × {reason}" for reason, n in counts[:limit]]
    rest = sum(n for _, n in counts[limit:])
    if rest:
        shown.append(f"{rest} × other")
    return ", ".join(shown)


def source_level(member: Member) -> str:
    """` (OpenSearch: High)` when the source's own word for how bad it is differs from our severity."""
    word = member.labels.get("source_severity", "")
    if not word or word.lower().startswith(member.severity):  # (Informational is info)
        return ""
    return f" ({SOURCE_NAMES.get(member.source, member.source)}: {word})"


def _shared(members: list[Member], label: str) -> str:
    values = {m.labels.get(label, "") for m in members}
    return values.pop() if len(values) == 1 else ""


def noun(members: list[Member], count: int) -> str:
    """What a group of alerts is, humanised: `Lambda error alarms`, `EC2 alarms`, `ServerCpuTooHigh alerts`,
    `OpenSearch notices`; from what its members share."""
    plural = count != 1
    name = _shared(members, "alertname")
    if name:
        return f"{name} alert{'s' if plural else ''}"
    namespace, metric = _shared(members, "namespace"), _shared(members, "metric")
    alarms = "alarms" if plural else "alarm"
    if namespace and metric:
        service = SERVICES.get(namespace, namespace)
        return f"{service} {METRICS.get(metric, metric)} {alarms}"
    if namespace:
        return f"{SERVICES.get(namespace, namespace)} {alarms}"
    sources = {m.source for m in members}
    if len(sources) == 1:
        one, many = SOURCE_NOUNS.get(sources.pop(), ("alert", "alerts"))
        return many if plural else one
    return "alerts" if plural else "alert"


def where(members: list[Member], wording: Wording) -> str:
    return wording.where({m.account for m in members if m.account}, {m.region for m in members if m.region})


def _on(member: Member) -> str:
    """Where one alert is beyond its account: ` in queue nightly`, ` on i-0abc` (nothing the title says)."""
    queue = member.labels.get("queue", "")
    if member.source == "batch" and queue:
        return f" in queue {queue}"
    if member.resource and member.resource not in member.title and member.source != "slo":
        return f" on {member.resource}"
    return ""


def _in_queues(members: list[Member]) -> str:
    queues = {m.labels["queue"] for m in members}
    return f" in queue {queues.pop()}" if len(queues) == 1 else f" in {len(queues)} queues"


def _after(lasted_ms: int) -> str:
    """` · after 14 min`; nothing for a one-shot alert resolved by its route's resolve_timeout (it has no
    duration of its own: it is resolved at its own time)."""
    return f" · after {duration_words(lasted_ms)}" if lasted_ms >= 1000 else ""


def headline(group: GroupState, wording: Wording, status: Status | None = None) -> str:
    """The group's headline (plain text: the caller escapes it); `status`: group_status(group), if known."""
    members = list(group.members.values())
    status = status or group_status(group)
    if not members:  # every alert left the group (expired): it says resolved
        name = ", ".join(v for v in group.group_labels.values() if v) or "alerts"
        return f"✅ RESOLVED · {name}"
    place = where(members, wording)
    place = f" {place}" if place else ""
    if len(members) == 1 and not group.overflow:
        return _single(members[0], status, place)
    return _many(group, members, status, place)


def _single(m: Member, status: Status, place: str) -> str:
    what = f"{m.title}{_on(m)}{place}"
    if status == Status.RESOLVED:
        return f"✅ RESOLVED · {what}{_after(m.ts_ms - m.starts_at_ms)}"
    if status == Status.NODATA:
        return f"⚪ NO DATA · {what}"
    return f"{ICONS.get(m.severity, '🔴')} {m.severity.upper()}{source_level(m)} · {what}"


def _many(group: GroupState, members: list[Member], status: Status, place: str) -> str:
    firing = [m for m in members if m.status == Status.FIRING]
    counted = sum(group.overflow.values())
    total = len(members) + counted
    if status == Status.RESOLVED:
        if failed_jobs(members):  # (resolved by resolve_timeout: failures have no duration of their own)
            return f"✅ RESOLVED · {total} failed jobs{_in_queues(members)}{place}"
        if stopped_tasks(members):
            return f"✅ RESOLVED · {total} stopped tasks{_of_services(members)}{place}"
        span = max(m.ts_ms for m in members) - min(m.starts_at_ms for m in members)
        return f"✅ RESOLVED · {total} {noun(members, total)}{place}{_after(span)}"
    shown = firing or members
    levels = {source_level(m) for m in shown}
    level = levels.pop() if len(levels) == 1 else ""
    severity = worst(firing) if firing else ""
    prefix = f"{ICONS.get(severity, '🔴')} {severity.upper()}{level}" if firing else "⚪ NO DATA"
    if failed_jobs(members) and firing:
        jobs = len(firing) + counted
        return f"{prefix} · {jobs} job{'s' if jobs != 1 else ''} failed{_in_queues(members)}{place}: {breakdown(group)}"
    if stopped_tasks(members) and firing:
        tasks = len(firing) + counted
        return (
            f"{prefix} · {tasks} task{'s' if tasks != 1 else ''}{_of_services(members)} stopped{place}: "
            f"{breakdown(group)}"
        )
    nodata = sum(1 for m in members if m.status == Status.NODATA)
    resolved = sum(1 for m in members if m.status == Status.RESOLVED)
    if not nodata and not resolved:
        return f"{prefix} · {total} {noun(members, total)} firing{place}"
    counts = [f"{len(firing) + counted} firing"] if firing else []
    if nodata:
        counts.append(f"{nodata} no data")
    if resolved:
        counts.append(f"{resolved} resolved")
    return f"{prefix} · {total} {noun(members, total)}{place}: {', '.join(counts)}"

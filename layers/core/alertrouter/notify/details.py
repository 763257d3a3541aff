"""The facts shown for one alert, per source: a Batch job's definition and revision, exit code and attempts;
a CloudWatch alarm's threshold and metric; an OpenSearch domain's status; and for all, where and since when,
with the event's own time and when it reached us when they differ."""

from __future__ import annotations

from alertrouter.models.alert import Status
from alertrouter.models.state import Member
from alertrouter.notify.wording import LATE_MS, MINUTE_MS, Wording, duration_words


def since(m: Member, wording: Wording, now_ms: int) -> str:
    """`09:06 UTC`; resolved, how long it lasted: `09:00 UTC, for 14 min`; for an event whose own time is far
    from when it reached us (replayed, late), both: `2023-11-14 22:13 UTC by the event's own clock, received 10:00 UTC`.
    (No "for N min" while firing: the message is not edited as time passes, so it would soon be wrong.)"""
    started = wording.at(m.starts_at_ms, now_ms)
    if m.received_ms and abs(m.received_ms - m.starts_at_ms) > LATE_MS:
        started = f"{started} by the event's own clock, received {wording.at(m.received_ms, now_ms)}"
    lasted = m.ts_ms - m.starts_at_ms
    if m.status == Status.RESOLVED and lasted >= MINUTE_MS:
        return f"{started}, for {duration_words(lasted)}"
    return started


def where_text(m: Member, wording: Wording) -> str:
    """`production (123456789012) / us-east-1`."""
    name = wording.account_name(m.account)
    account = f"{name} ({m.account})" if name and m.account else m.account
    return " / ".join(p for p in (account, m.region) if p) or "—"


def _batch(m: Member) -> list[tuple[str, str]]:
    labels = m.labels
    definition = labels.get("job_definition", "")
    if definition and labels.get("job_definition_revision"):
        definition += f":{labels['job_definition_revision']}"
    facts = [
        ("Job", " ".join(p for p in (labels.get("job_name", ""), m.resource) if p)),
        ("Job definition", definition),
        ("Queue", labels.get("queue", "")),
        ("Exit code", labels.get("exit_code", "")),
        ("Attempts", labels.get("attempts", "")),
    ]
    return [(k, v) for k, v in facts if v]


def _cloudwatch(m: Member) -> list[tuple[str, str]]:
    labels = m.labels
    namespace, metric = labels.get("namespace", ""), labels.get("metric", "")
    shown_metric = " ".join(p for p in (namespace, metric) if p)
    facts = [
        ("Resource", m.resource),
        ("Metric", shown_metric),
        ("Threshold", labels.get("threshold", "")),
    ]
    return [(k, v) for k, v in facts if v]


def _opensearch(m: Member) -> list[tuple[str, str]]:
    labels = m.labels
    level = labels.get("source_severity", "")
    facts = [
        ("Domain", labels.get("domain", "") or m.resource),
        ("Status", labels.get("event_status", "")),
        ("OpenSearch severity", level if level.lower() != m.severity else ""),
    ]
    return [(k, v) for k, v in facts if v]


def _rds(m: Member) -> list[tuple[str, str]]:
    facts = [("Database", m.resource), ("RDS event", m.labels.get("event_id", ""))]
    return [(k, v) for k, v in facts if v]


def _guardduty(m: Member) -> list[tuple[str, str]]:
    level = m.labels.get("source_severity", "")
    facts = [
        ("Resource", m.resource),
        ("Finding type", m.labels.get("finding_type", "")),
        ("GuardDuty severity", level if level.lower() != m.severity else ""),
    ]
    return [(k, v) for k, v in facts if v]


def _securityhub(m: Member) -> list[tuple[str, str]]:
    level = m.labels.get("source_severity", "")
    facts = [
        ("Resource", m.resource),
        ("Product", m.labels.get("product", "")),
        ("Compliance", m.labels.get("compliance", "")),
        ("Security Hub severity", level if level.lower() != m.severity else ""),
    ]
    return [(k, v) for k, v in facts if v]


def _ecs(m: Member) -> list[tuple[str, str]]:
    labels = m.labels
    container, exit_code = labels.get("container", ""), labels.get("exit_code", "")
    facts = [
        ("Service", " / ".join(p for p in (labels.get("cluster", ""), labels.get("service", "")) if p)),
        ("Task definition", labels.get("task_definition", "")),
        ("Container", f"{container} (exit code {exit_code})" if container and exit_code else container),
        ("Stop code", labels.get("stop_code", "")),
        ("Deployment", labels.get("deployment", "")),
    ]
    return [(k, v) for k, v in facts if v]


_NO_ERROR = frozenset({"Failed", "Timed out", "Aborted"})  # an execution's reason when it names no error


def _stepfunctions(m: Member) -> list[tuple[str, str]]:
    labels = m.labels
    facts = [
        ("State machine", labels.get("state_machine", "")),
        ("Execution", labels.get("execution", "")),
        ("Error", "" if m.reason in _NO_ERROR else m.reason),
    ]
    return [(k, v) for k, v in facts if v]


def _health(m: Member) -> list[tuple[str, str]]:
    labels = m.labels
    facts = [
        ("Event", labels.get("alertname", "")),
        (
            "Affected",
            m.resource if m.resource not in (labels.get("service"), labels.get("availability_zone")) else "",
        ),
        ("Zone", labels.get("availability_zone", "")),
        ("Scope", labels.get("scope", "")),
    ]
    return [(k, v) for k, v in facts if v]


def _xray(m: Member) -> list[tuple[str, str]]:
    labels = m.labels
    facts = [
        ("Root cause", m.resource),
        ("Group", labels.get("xray_group", "")),
        ("Insight", labels.get("insight_id", "")),
    ]
    return [(k, v) for k, v in facts if v]


def _slo(m: Member) -> list[tuple[str, str]]:
    facts = [("SLO", m.resource), ("Service", m.labels.get("service", ""))]
    return [(k, v) for k, v in facts if v]


def _other(m: Member) -> list[tuple[str, str]]:
    return [("Resource", m.resource)] if m.resource else []


_BY_SOURCE = {
    "batch": _batch,
    "cloudwatch": _cloudwatch,
    "opensearch": _opensearch,
    "slo": _slo,
    "rds": _rds,
    "guardduty": _guardduty,
    "securityhub": _securityhub,
    "ecs": _ecs,
    "stepfunctions": _stepfunctions,
    "health": _health,
    "xray": _xray,
}


def facts(m: Member, wording: Wording, now_ms: int) -> list[tuple[str, str]]:
    """(label, plain-text value) pairs, at most 8: where, since, the source's own, how often it fired."""
    own = _BY_SOURCE.get(m.source, _other)(m)
    shown = [("Where", where_text(m, wording)), ("Since", since(m, wording, now_ms)), *own]
    if m.count > 1:
        shown.append(("Fired", f"{m.count} times"))
    return shown[:8]

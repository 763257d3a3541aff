"""CloudWatch alarms in their three delivery shapes -> Alert.

- EventBridge `CloudWatch Alarm State Change` / `... Contributor State Change` (camelCase `detail`)
- the direct Lambda alarm action (top-level `alarmData`, camelCase)
- an SNS notification whose `Message` is the alarm as a PascalCase JSON string

All three are normalised into one `AlarmFacts` record, then one function builds the Alert.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from pydantic import ConfigDict, Field, ValidationError

from alertrouter.models.alert import Alert, Ignored, MuteWindow, Severity, Status, fingerprint, severity_word
from alertrouter.observability import ROUTER, module_logger
from alertrouter.sources.alarm_reason import read_reason
from alertrouter.sources.common import (
    OpenModel,
    arn_account,
    domain_console_url,
    first_url,
    invalid,
    parse_timestamp,
    trimmed_url,
    validated,
)
from alertrouter.sources.errors import MalformedEventError
from alertrouter.sources.eventbridge import EventBridgeEvent
from alertrouter.weburl import web_url

logger = module_logger(ROUTER, __name__)

SOURCE = "cloudwatch"
STATE_CHANGE = "CloudWatch Alarm State Change"
CONTRIBUTOR_CHANGE = "CloudWatch Alarm Contributor State Change"
CONFIGURATION_CHANGE = "CloudWatch Alarm Configuration Change"
OPENSEARCH_NAMESPACE = "AWS/ES"
BATCH_NAMESPACE = "AlertRouter/Batch"  # the batch-queue-metrics function's (template.yaml)

_STATUS = {"ALARM": Status.FIRING, "OK": Status.RESOLVED, "INSUFFICIENT_DATA": Status.NODATA}
_SEVERITY_TAGS = ("severity", "Severity", "SEVERITY", "priority", "Priority")
_RUNBOOK_TAGS = ("runbook", "runbook_url", "Runbook", "RunbookUrl", "runbook-url")
# SNS-delivered alarms carry no tags: `severity: critical`, `service=payments` in the description stand in.
_DESCRIPTION_LABELS = re.compile(
    r"\b(severity|priority|service|team|env|owner)\s*[:=]\s*([A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)*)",
    re.IGNORECASE,
)
_RUNBOOK_IN_TEXT = re.compile(r"runbook\s*[:=]\s*(https?://[^\s<>\"')]+)", re.IGNORECASE)
# SNS alarm messages name the region by its display name ("US East (N. Virginia)", "EU (Ireland)").
_REGION_NAMES = {
    "US East (N. Virginia)": "us-east-1",
    "US (Virginia)": "us-east-1",
    "US East (Ohio)": "us-east-2",
    "US West (N. California)": "us-west-1",
    "US West (Oregon)": "us-west-2",
    "EU (Ireland)": "eu-west-1",
    "Europe (Ireland)": "eu-west-1",
    "EU (London)": "eu-west-2",
    "Europe (London)": "eu-west-2",
    "EU (Paris)": "eu-west-3",
    "Europe (Paris)": "eu-west-3",
    "EU (Frankfurt)": "eu-central-1",
    "Europe (Frankfurt)": "eu-central-1",
    "EU (Stockholm)": "eu-north-1",
    "Europe (Stockholm)": "eu-north-1",
    "Europe (Milan)": "eu-south-1",
    "Europe (Spain)": "eu-south-2",
    "Europe (Zurich)": "eu-central-2",
    "Asia Pacific (Tokyo)": "ap-northeast-1",
    "Asia Pacific (Seoul)": "ap-northeast-2",
    "Asia Pacific (Osaka)": "ap-northeast-3",
    "Asia Pacific (Singapore)": "ap-southeast-1",
    "Asia Pacific (Sydney)": "ap-southeast-2",
    "Asia Pacific (Jakarta)": "ap-southeast-3",
    "Asia Pacific (Mumbai)": "ap-south-1",
    "Asia Pacific (Hong Kong)": "ap-east-1",
    "Canada (Central)": "ca-central-1",
    "South America (Sao Paulo)": "sa-east-1",
    "Middle East (Bahrain)": "me-south-1",
    "Middle East (UAE)": "me-central-1",
    "Africa (Cape Town)": "af-south-1",
    "Israel (Tel Aviv)": "il-central-1",
}


class _Rare(OpenModel):
    """Shapes off the EventBridge hot path (SNS, alarm action): their schemas are built on first use, not at
    every cold start (pydantic merges this with OpenModel's config)."""

    model_config = ConfigDict(defer_build=True)


# ---- camelCase shapes (EventBridge detail and the alarm action's alarmData) ----
class AlarmState(OpenModel):
    value: str
    reason: str = ""
    reasonData: str | dict[str, Any] | None = None
    timestamp: str


class MetricRef(OpenModel):
    namespace: str = ""
    name: str = ""
    dimensions: dict[str, str] = Field(default_factory=dict)


class MetricStat(OpenModel):
    metric: MetricRef = Field(default_factory=MetricRef)
    period: int | None = None
    stat: str | None = None


class AlarmMetric(OpenModel):
    id: str = ""
    metricStat: MetricStat | None = None
    expression: str | None = None
    returnData: bool | None = None


class AlarmConfiguration(OpenModel):
    description: str | None = None
    metrics: list[AlarmMetric] = Field(default_factory=list)
    alarmRule: str | None = None


class Contributor(OpenModel):
    id: str
    attributes: dict[str, str] = Field(default_factory=dict)


class AlarmDetail(OpenModel):
    alarmName: str
    state: AlarmState
    previousState: AlarmState | None = None
    configuration: AlarmConfiguration = Field(default_factory=AlarmConfiguration)
    alarmContributor: Contributor | None = None
    alarmTags: dict[str, str] | list[dict[str, str]] | None = None
    # {mutedByArn, muteWindowStart, muteWindowEnd} when a mute rule muted the alarm's actions: read by
    # `_mute_window`, never validated here (a malformed one must not cost the alert)
    muteDetail: Any = None


class AlarmStateChangeEvent(EventBridgeEvent):
    detail: AlarmDetail  # type: ignore[assignment]


class AlarmActionEvent(_Rare):
    source: str
    alarmArn: str
    accountId: str
    region: str
    time: str | None = None
    alarmData: AlarmDetail


# ---- PascalCase shape (the JSON string inside an SNS notification) ----
class SnsDimension(_Rare):
    name: str
    value: str


class SnsMetricStat(_Rare):
    Metric: dict[str, Any] = Field(default_factory=dict)


class SnsMetric(_Rare):
    Id: str = ""
    Expression: str | None = None
    MetricStat: SnsMetricStat | None = None


class SnsTrigger(_Rare):
    MetricName: str | None = None
    Namespace: str | None = None
    Dimensions: list[SnsDimension] = Field(default_factory=list)
    Metrics: list[SnsMetric] = Field(default_factory=list)


class SnsAlarmMessage(_Rare):
    AlarmName: str
    AlarmDescription: str | None = None
    AWSAccountId: str = ""
    NewStateValue: str
    NewStateReason: str = ""
    StateChangeTime: str
    Region: str = ""
    AlarmArn: str | None = None
    OldStateValue: str | None = None
    Trigger: SnsTrigger | None = None
    AlarmTags: dict[str, str] | list[dict[str, str]] | None = None  # when tag propagation is on


@dataclass(slots=True)
class AlarmFacts:
    """What every delivery shape tells about an alarm, normalised (internal: built from validated models)."""

    name: str
    arn: str
    account: str
    region: str
    state: str
    previous_state: str | None
    reason: str
    timestamp: datetime
    description: str
    namespace: str = ""
    metric: str = ""
    dimensions: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    kind: str = "metric"
    contributor_id: str | None = None
    contributor: dict[str, str] = field(default_factory=dict)
    muted: MuteWindow | None = None


def _tags(raw: dict[str, str] | list[dict[str, str]] | None) -> dict[str, str]:
    if raw is None:
        return {}
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    # [{"key": "team", "value": "payments"}] as some propagated-tag payloads carry it
    return {str(t.get("key", t.get("Key", ""))): str(t.get("value", t.get("Value", ""))) for t in raw}


def _kind(detail: AlarmDetail) -> str:
    cfg = detail.configuration
    if cfg.alarmRule:
        return "composite"
    kind = "metric"
    for metric in cfg.metrics:
        expression = metric.expression
        if not expression:
            continue
        if expression.lstrip()[:6].upper() == "SELECT":
            return "metrics-insights"
        if "ANOMALY_DETECTION_BAND" in expression:
            return "anomaly-detection"
        kind = "metric-math"
    return kind


MAX_MUTE_RULE_ARN = 512  # (a rule's name is at most 255 characters; its ARN names the account and region too)


def _mute_window(raw: Any, alarm: str) -> MuteWindow | None:
    """The mute rule window of an alarm state change's `muteDetail`; None when there is none, or when it is
    not readable (logged: the alert is still delivered, as if not muted)."""
    if raw is None:
        return None
    try:
        if not isinstance(raw, dict):
            raise MalformedEventError(f"not an object but {type(raw).__name__}")
        arn, start, end = raw.get("mutedByArn"), raw.get("muteWindowStart"), raw.get("muteWindowEnd")
        if not (isinstance(arn, str) and isinstance(start, str) and isinstance(end, str)):
            raise MalformedEventError("mutedByArn, muteWindowStart and muteWindowEnd are not all strings")
        if len(arn) > MAX_MUTE_RULE_ARN:
            raise MalformedEventError(f"mutedByArn is longer than {MAX_MUTE_RULE_ARN} characters")
        rule = arn.rsplit(":", 1)[-1].strip()
        if not rule:
            raise MalformedEventError(f"no rule name in mutedByArn {arn[:80]!r}")
        starts_at = parse_timestamp(start)
        ends_at = parse_timestamp(end)
        if ends_at <= starts_at:
            raise MalformedEventError(f"the window ends ({end[:40]}) no later than it starts ({start[:40]})")
    except MalformedEventError as exc:
        logger.warning(
            "muteDetail ignored: the alert is delivered unmuted", extra={"alarm": alarm, "reason": str(exc)}
        )
        return None
    return MuteWindow(
        rule=rule,
        rule_arn=arn,
        starts_at_ms=int(starts_at.timestamp() * 1000),
        ends_at_ms=int(ends_at.timestamp() * 1000),
    )


def _from_detail(detail: AlarmDetail, arn: str, account: str, region: str) -> AlarmFacts:
    stats = [m.metricStat for m in detail.configuration.metrics if m.metricStat is not None]
    first = stats[0].metric if stats else MetricRef()
    dimensions: dict[str, str] = {}
    for stat in stats:
        dimensions.update(stat.metric.dimensions)
    contributor = detail.alarmContributor
    return AlarmFacts(
        name=detail.alarmName,
        arn=arn,
        account=account,
        region=region,
        state=detail.state.value,
        previous_state=detail.previousState.value if detail.previousState else None,
        reason=detail.state.reason,
        timestamp=parse_timestamp(detail.state.timestamp),
        description=detail.configuration.description or "",
        namespace=first.namespace,
        metric=first.name,
        dimensions=dimensions,
        tags=_tags(detail.alarmTags),
        kind=_kind(detail),
        contributor_id=contributor.id if contributor else None,
        contributor=contributor.attributes if contributor else {},
        muted=_mute_window(detail.muteDetail, detail.alarmName),
    )


def _from_sns_message(msg: SnsAlarmMessage) -> AlarmFacts:
    arn = msg.AlarmArn or ""
    arn_parts = arn.split(":")
    region = _REGION_NAMES.get(msg.Region, msg.Region)
    account = msg.AWSAccountId
    if len(arn_parts) > 5 and arn_parts[3] and arn_parts[3] != "REGION":
        region = arn_parts[3]
    if len(arn_parts) > 5 and arn_parts[4].isdigit():
        account = arn_parts[4]  # the alarm's own ARN names its account
    if not arn:
        arn = f"arn:aws:cloudwatch:{region}:{msg.AWSAccountId}:alarm:{msg.AlarmName}"
    trigger = msg.Trigger or SnsTrigger()
    dimensions = {d.name: d.value for d in trigger.Dimensions}
    namespace, metric = trigger.Namespace or "", trigger.MetricName or ""
    kind = "metric"
    for m in trigger.Metrics:
        if m.Expression:
            kind = "metric-math"
        if m.MetricStat is not None:
            inner = m.MetricStat.Metric
            namespace = namespace or str(inner.get("Namespace", ""))
            metric = metric or str(inner.get("MetricName", ""))
            for d in inner.get("Dimensions") or []:
                if isinstance(d, dict) and "name" in d:
                    dimensions[str(d["name"])] = str(d.get("value", ""))
    return AlarmFacts(
        name=msg.AlarmName,
        arn=arn,
        account=account,
        region=region,
        state=msg.NewStateValue,
        previous_state=msg.OldStateValue,
        reason=msg.NewStateReason,
        timestamp=parse_timestamp(msg.StateChangeTime),
        description=msg.AlarmDescription or "",
        namespace=namespace,
        metric=metric,
        dimensions=dimensions,
        tags=_tags(msg.AlarmTags),
        kind=kind,
    )


@lru_cache(
    maxsize=4096
)  # an alarm's every event has the same link (quoting is a tenth of building the alert)
def console_url(region: str, alarm_name: str) -> str:
    return (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
        f"#alarmsV2:alarm/{quote(alarm_name, safe='')}"
    )


def _runbook(facts: AlarmFacts) -> str | None:
    """The runbook tag, else the description's (labelled, else first) link: only ever an http(s) URL."""
    for key in _RUNBOOK_TAGS:
        tag = facts.tags.get(key)
        tagged = web_url(tag) if tag else None
        if tagged:
            return tagged
    if "://" not in facts.description:
        return None  # (a cheap test first: both patterns need a URL, and most descriptions have none)
    labelled = _RUNBOOK_IN_TEXT.search(facts.description)
    return web_url(trimmed_url(labelled.group(1))) if labelled else first_url(facts.description)


def _described_labels(description: str) -> dict[str, str]:
    if ":" not in description and "=" not in description:
        return {}
    return {k.lower(): v for k, v in _DESCRIPTION_LABELS.findall(description)}


def _severity(facts: AlarmFacts, described: dict[str, str]) -> Severity:
    """The alarm's severity from its tags or description (stable across states, so routing is too);
    default warning."""
    if facts.tags:
        for key in _SEVERITY_TAGS:
            found = severity_word(facts.tags.get(key, ""))
            if found is not None:
                return found
    for key in ("severity", "priority"):
        found = severity_word(described.get(key, ""))
        if found is not None:
            return found
    return Severity.WARNING


def _labels(facts: AlarmFacts, described: dict[str, str]) -> dict[str, str]:
    """The alarm's identity, then its tags, the labels its description names, its dimensions and
    contributor (the first of each name wins), and the resource they name."""
    labels: dict[str, str] = {
        "alertname": facts.name,
        "account": facts.account,
        "region": facts.region,
        "alarm_kind": facts.kind,
    }
    if facts.namespace:
        labels["namespace"] = facts.namespace
    if facts.metric:
        labels["metric"] = facts.metric
    for extra in (facts.tags, described, {**facts.dimensions, **facts.contributor}):
        for key, value in extra.items():
            labels.setdefault(key, value)
    resource_values = list(facts.contributor.values()) or list(facts.dimensions.values())
    if resource_values:
        labels["resource"] = "/".join(resource_values)
    return labels


def _source(facts: AlarmFacts, labels: dict[str, str], annotations: dict[str, str]) -> str:
    """The source the alert is routed as: an OpenSearch domain's alarm is OpenSearch's, a stuck-queue alarm
    on the stack's own queue-state metrics is routed with the queue's Batch alerts."""
    domain = facts.dimensions.get("DomainName") if facts.namespace == OPENSEARCH_NAMESPACE else None
    if domain:  # an OpenSearch domain's alarm (the stack's recommended ones among them)
        labels["source"] = "opensearch"
        labels["domain"] = labels["resource"] = domain
        annotations["domain"] = domain_console_url(facts.region, domain)
        return "opensearch"
    if facts.namespace == BATCH_NAMESPACE and "JobQueue" in facts.dimensions:
        labels["source"], labels["queue"] = "batch", facts.dimensions["JobQueue"]
    return SOURCE


def _annotate(facts: AlarmFacts, annotations: dict[str, str]) -> None:
    if facts.description:
        annotations["description"] = facts.description
    runbook = _runbook(facts)
    if runbook:
        annotations["runbook"] = runbook
    if facts.previous_state:
        annotations["previous_state"] = facts.previous_state


def to_alert(facts: AlarmFacts) -> Alert:
    """Build the Alert from normalised alarm facts."""
    try:
        status = _STATUS[facts.state]
    except KeyError as exc:
        raise MalformedEventError(f"unknown alarm state {facts.state[:30]!r}") from exc
    described = _described_labels(facts.description)
    labels = _labels(facts, described)
    annotations = {"console": console_url(facts.region, facts.name)}
    source = _source(facts, labels, annotations)
    title = facts.name
    parts = [facts.account, facts.region, facts.arn]
    if facts.contributor_id:
        labels["contributor"] = facts.contributor_id
        if facts.contributor or facts.dimensions:
            title = f"{facts.name} ({labels['resource']})"
        parts.append(facts.contributor_id)
    severity = _severity(facts, described)
    labels["severity"] = severity.value
    if status is Status.NODATA:
        severity = Severity.WARNING  # missing data is worth a look, never a page
    _annotate(facts, annotations)
    summary = facts.reason
    read = read_reason(facts.reason)
    if read is not None:  # the plain words are the summary; CloudWatch's own sentence stays an annotation
        if read.threshold:
            labels.setdefault("threshold", read.threshold)
        annotations["state_reason"] = facts.reason
        summary = read.plain
    return Alert(
        source=source,
        status=status,
        severity=severity,
        title=title,
        summary=summary,
        labels=labels,
        annotations=annotations,
        timestamp=facts.timestamp,
        fingerprint=fingerprint(SOURCE, *parts),
        muted=facts.muted,
    )


def parse_eventbridge(event: dict[str, Any]) -> list[Alert] | Ignored:
    detail_type = event.get("detail-type")
    if detail_type == CONFIGURATION_CHANGE:
        detail = event.get("detail")
        op = detail.get("operation", "?") if isinstance(detail, dict) else "?"
        return Ignored(
            kind=CONFIGURATION_CHANGE, reason=f"alarm configuration change ({op}) is not a state change"
        )
    parsed = validated(AlarmStateChangeEvent, event, str(detail_type))
    return [_state_change_alert(parsed)]


def parse_eventbridge_json(body: str | bytes) -> list[Alert] | None:
    """The hot path: a state-change event validated straight from its JSON text (several times faster
    than json.loads + validate). None when it does not validate: the caller's dict path says why."""
    try:
        parsed = AlarmStateChangeEvent.model_validate_json(body)
    except ValidationError:
        return None
    if parsed.source != "aws.cloudwatch" or parsed.detail_type not in (STATE_CHANGE, CONTRIBUTOR_CHANGE):
        return None
    return [_state_change_alert(parsed)]


def _state_change_alert(parsed: AlarmStateChangeEvent) -> Alert:
    account = parsed.account
    alarm_arns = [r for r in parsed.resources if ":alarm:" in r]
    if alarm_arns:
        arn = alarm_arns[0]
        account = account or arn_account(arn)
    else:
        arn = f"arn:aws:cloudwatch:{parsed.region}:{account}:alarm:{parsed.detail.alarmName}"
    if not account:
        raise MalformedEventError(f"{parsed.detail_type}: no account and no alarm ARN to take it from")
    return to_alert(_from_detail(parsed.detail, arn, account, parsed.region))


def parse_alarm_action(event: dict[str, Any]) -> list[Alert]:
    parsed = validated(AlarmActionEvent, event, "alarm action")
    # The alarm's own ARN names its account; `accountId` can disagree (seen in published fixtures).
    account = arn_account(parsed.alarmArn) or parsed.accountId
    return [to_alert(_from_detail(parsed.alarmData, parsed.alarmArn, account, parsed.region))]


def parse_sns_message(message: str | dict[str, Any]) -> list[Alert]:
    try:
        data = json.loads(message) if isinstance(message, str) else message
        parsed = SnsAlarmMessage.model_validate(data)
    except json.JSONDecodeError as exc:
        raise MalformedEventError(f"SNS Message is not JSON: {exc.msg} at {exc.pos}") from exc
    except ValidationError as exc:
        raise invalid("SNS alarm message", exc) from exc
    return [to_alert(_from_sns_message(parsed))]

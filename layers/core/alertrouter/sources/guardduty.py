"""Amazon GuardDuty findings (EventBridge, source `aws.guardduty`, detail-type `GuardDuty Finding`) -> Alert.

One alert per finding (identity: the finding's id in its account and region), one-shot: most findings are
never archived, so the route's resolve_timeout ends them. GuardDuty sends a finding again when it recurs (its
`service.count` goes up): that re-fires the same alert, so the message shows it fired again. A finding that
arrives archived (`service.archived`) resolves it. Severity from GuardDuty's numeric scale: Critical
(9.0-10.0) and High (7.0-8.9) -> critical, Medium (4.0-6.9) -> warning, Low -> info. The other GuardDuty
detail-types (Runtime Protection and Malware Protection status) are ignored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from pydantic import Field

from alertrouter.models.alert import Alert, Ignored, Severity, Status, fingerprint
from alertrouter.mrkdwn import shorten
from alertrouter.sources.common import OpenModel, parse_timestamp, validated
from alertrouter.sources.errors import MalformedEventError
from alertrouter.sources.eventbridge import EventBridgeEvent

SOURCE = "guardduty"
EVENT_SOURCE = "aws.guardduty"
FINDING = "GuardDuty Finding"

_NAME = 300  # the longest resource name read


class InstanceDetails(OpenModel):
    instanceId: str = Field(default="", max_length=_NAME)


class AccessKeyDetails(OpenModel):
    accessKeyId: str = Field(default="", max_length=_NAME)
    userName: str = Field(default="", max_length=_NAME)


class Named(OpenModel):
    name: str = Field(default="", max_length=_NAME)


class RdsDbInstanceDetails(OpenModel):
    dbInstanceIdentifier: str = Field(default="", max_length=_NAME)


class LambdaDetails(OpenModel):
    functionName: str = Field(default="", max_length=_NAME)


class Resource(OpenModel):
    resourceType: str = Field(default="", max_length=100)
    instanceDetails: InstanceDetails | None = None
    accessKeyDetails: AccessKeyDetails | None = None
    s3BucketDetails: list[Named] = Field(default_factory=list, max_length=100)
    eksClusterDetails: Named | None = None
    ecsClusterDetails: Named | None = None
    rdsDbInstanceDetails: RdsDbInstanceDetails | None = None
    lambdaDetails: LambdaDetails | None = None


class Service(OpenModel):
    archived: bool = False
    count: int = Field(default=1, ge=0)
    eventFirstSeen: str = Field(default="", max_length=40)
    eventLastSeen: str = Field(default="", max_length=40)
    additionalInfo: dict[str, Any] = Field(default_factory=dict)


class Finding(OpenModel):
    accountId: str = Field(default="", max_length=20)
    region: str = Field(default="", max_length=40)
    id: str = Field(min_length=1, max_length=300)
    type: str = Field(min_length=1, max_length=200)
    severity: float = Field(ge=0, le=10)
    title: str = Field(default="", max_length=2_000)
    description: str = Field(default="", max_length=10_000)
    updatedAt: str = Field(default="", max_length=40)
    resource: Resource = Field(default_factory=Resource)
    service: Service = Field(default_factory=Service)


class FindingEvent(EventBridgeEvent):
    detail: Finding  # type: ignore[assignment]


def severity_level(value: float) -> tuple[str, Severity]:
    """GuardDuty's word for a severity value, and ours (the GuardDuty user guide's severity levels)."""
    if value >= 9:
        return "Critical", Severity.CRITICAL
    if value >= 7:
        return "High", Severity.CRITICAL
    if value >= 4:
        return "Medium", Severity.WARNING
    return "Low", Severity.INFO


def affected(resource: Resource) -> str:
    """What the finding is about, by its resource type: the instance, the access key, the (first) bucket,
    the cluster, the database, the function; else the resource type."""
    instance = resource.instanceDetails.instanceId if resource.instanceDetails else ""
    key = resource.accessKeyDetails.accessKeyId if resource.accessKeyDetails else ""
    by_type = {
        "Instance": instance,
        "AccessKey": key,
        "S3Bucket": resource.s3BucketDetails[0].name if resource.s3BucketDetails else "",
        "EKSCluster": resource.eksClusterDetails.name if resource.eksClusterDetails else "",
        "ECSCluster": resource.ecsClusterDetails.name if resource.ecsClusterDetails else "",
        "RDSDBInstance": resource.rdsDbInstanceDetails.dbInstanceIdentifier
        if resource.rdsDbInstanceDetails
        else "",
        "Lambda": resource.lambdaDetails.functionName if resource.lambdaDetails else "",
    }
    return (by_type.get(resource.resourceType) or instance or key or resource.resourceType or "unknown")[:200]


def console_url(region: str, finding_id: str) -> str:
    """The finding in the GuardDuty console."""
    return (
        f"https://{region}.console.aws.amazon.com/guardduty/home?region={region}"
        f"#/findings?macros=current&fId={quote(finding_id, safe='')}"
    )


def parse_eventbridge(event: dict[str, Any]) -> list[Alert | Ignored] | Ignored:
    detail_type = str(event.get("detail-type"))
    if detail_type != FINDING:
        return Ignored(
            kind=detail_type[:80], reason=f"GuardDuty event {detail_type[:80]!r} is not alerted on"
        )
    parsed = validated(FindingEvent, event, FINDING)
    return [_alert(parsed)]


def _seen(text: str) -> str:
    """`2017-10-31 23:16 UTC` for an ISO time, else the text as it came (shortened)."""
    try:
        when: datetime = parse_timestamp(text)
    except MalformedEventError:
        return text[:40]
    return when.strftime("%Y-%m-%d %H:%M UTC")


def _alert(parsed: FindingEvent) -> Alert:
    finding = parsed.detail
    # the account the finding is about (a member's, in an administrator account's feed), then the envelope's
    account = finding.accountId or parsed.account
    if not account:
        raise MalformedEventError(f"{FINDING}: no accountId and no account")
    region = finding.region or parsed.region
    word, severity = severity_level(finding.severity)
    resource = affected(finding.resource)
    sample = finding.service.additionalInfo.get("sample") is True
    labels = {
        "alertname": "GuardDutyFinding",
        "source": SOURCE,
        "account": account,
        "region": region,
        "resource": resource,
        "resource_type": finding.resource.resourceType[:100],
        "finding_type": finding.type,
        "finding_id": finding.id[:200],
        "reason": finding.type,
        "source_severity": word,
        "severity": severity.value,
        "sample": "true" if sample else "",
    }
    if finding.resource.accessKeyDetails and finding.resource.accessKeyDetails.userName:
        labels["user"] = finding.resource.accessKeyDetails.userName[:200]
    service = finding.service
    seen = f"Seen {service.count} time{'s' if service.count != 1 else ''}"
    if service.eventFirstSeen:
        seen += f", first {_seen(service.eventFirstSeen)}"
    if service.eventLastSeen and service.eventLastSeen != service.eventFirstSeen:
        seen += f", last {_seen(service.eventLastSeen)}"
    summary = f"{finding.description or finding.title or finding.type} {seen}. Severity {finding.severity:g} ({word})."
    title = finding.title or f"{finding.type} on {resource}"
    return Alert(
        source=SOURCE,
        status=Status.RESOLVED if service.archived else Status.FIRING,
        severity=severity,
        title=shorten(f"[SAMPLE] {title}" if sample else title, 300),
        summary=shorten(summary, 2000),
        labels={k: v for k, v in labels.items() if v},
        annotations={"console": console_url(region, finding.id)},
        timestamp=parse_timestamp(finding.updatedAt) if finding.updatedAt else parsed.time,
        one_shot=True,
        fingerprint=fingerprint(SOURCE, account, region, finding.id),
    )

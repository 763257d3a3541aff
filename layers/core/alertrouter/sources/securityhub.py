"""AWS Security Hub findings (EventBridge, source `aws.securityhub`) -> Alert.

`Security Hub Findings - Imported` carries AWS Security Finding Format (ASFF) findings in `detail.findings`:
one alert per finding (identity: the finding's `Id` in its account), one-shot (the route's resolve_timeout
ends a finding nobody closes). Severity from `Severity.Label` (`Normalized` when there is no label):
CRITICAL and HIGH -> critical, MEDIUM -> warning, LOW and INFORMATIONAL -> info. A finding that is archived
(`RecordState` ARCHIVED), resolved or suppressed (`Workflow.Status`) or passes its check (`Compliance.Status`
PASSED) resolves the alert. The newer `Findings Imported V2` (OCSF findings) and the custom action and insight
events are ignored: the OCSF event is documented only with a placeholder for its finding.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from pydantic import Field

from alertrouter.models.alert import Alert, Ignored, Severity, Status, fingerprint
from alertrouter.models.state import MAX_LINK
from alertrouter.mrkdwn import shorten
from alertrouter.sources.common import OpenModel, arn_account, parse_timestamp, validated
from alertrouter.sources.errors import MalformedEventError
from alertrouter.sources.eventbridge import EventBridgeEvent
from alertrouter.weburl import web_url

SOURCE = "securityhub"
EVENT_SOURCE = "aws.securityhub"
IMPORTED = "Security Hub Findings - Imported"
IMPORTED_V2 = "Findings Imported V2"
MAX_FINDINGS = 100  # Security Hub sends one per event; a list this long is not one it sent

_LABELS = {
    "CRITICAL": Severity.CRITICAL,
    "HIGH": Severity.CRITICAL,
    "MEDIUM": Severity.WARNING,
    "LOW": Severity.INFO,
    "INFORMATIONAL": Severity.INFO,
}
_OVER_WORKFLOW = frozenset({"RESOLVED", "SUPPRESSED"})


class SeverityField(OpenModel):
    Label: str = Field(default="", max_length=20)
    Original: str = Field(default="", max_length=100)
    Normalized: int | None = Field(default=None, ge=0, le=100)


class FindingResource(OpenModel):
    Type: str = Field(default="", max_length=200)
    Id: str = Field(default="", max_length=2_000)
    Region: str = Field(default="", max_length=40)


class StatusField(OpenModel):
    Status: str = Field(default="", max_length=40)


class RecommendationField(OpenModel):
    Url: str = Field(default="", max_length=2_000)


class RemediationField(OpenModel):
    Recommendation: RecommendationField | None = None


class Finding(OpenModel):
    Id: str = Field(min_length=1, max_length=512)
    AwsAccountId: str = Field(default="", max_length=20)
    ProductArn: str = Field(default="", max_length=512)
    ProductName: str = Field(default="", max_length=128)
    GeneratorId: str = Field(default="", max_length=512)
    Region: str = Field(default="", max_length=40)
    Types: list[str] = Field(default_factory=list, max_length=50)
    Title: str = Field(default="", max_length=256 * 4)
    Description: str = Field(default="", max_length=10_000)
    UpdatedAt: str = Field(default="", max_length=40)
    Severity: SeverityField = Field(default_factory=SeverityField)
    Resources: list[FindingResource] = Field(default_factory=list, max_length=100)
    Compliance: StatusField | None = None
    Workflow: StatusField | None = None
    RecordState: str = Field(default="", max_length=40)
    Remediation: RemediationField | None = None
    ProductFields: dict[str, str] = Field(default_factory=dict)


class FindingsDetail(OpenModel):
    findings: list[Finding] = Field(min_length=1, max_length=MAX_FINDINGS)


class FindingsEvent(EventBridgeEvent):
    detail: FindingsDetail  # type: ignore[assignment]


def severity_of(finding: Finding) -> tuple[str, Severity]:
    """Security Hub's label (from `Normalized` as Security Hub fills it in when there is none) and ours. A
    finding that is over may have been lowered to INFORMATIONAL (a control that passes): its `Original`
    severity keeps the resolution on the route its alert took."""
    label = finding.Severity.Label.strip().upper()
    original = finding.Severity.Original.strip().upper()
    if label == "INFORMATIONAL" and original in _LABELS and is_over(finding):
        label = original
    if not label and finding.Severity.Normalized is not None:
        value = finding.Severity.Normalized
        label = next(
            word
            for floor, word in (
                (90, "CRITICAL"),
                (70, "HIGH"),
                (40, "MEDIUM"),
                (1, "LOW"),
                (0, "INFORMATIONAL"),
            )
            if value >= floor
        )
    return label, _LABELS.get(label, Severity.WARNING)


def is_over(finding: Finding) -> bool:
    """Archived, resolved or suppressed by someone, or its check now passes."""
    return (
        finding.RecordState.upper() == "ARCHIVED"
        or (finding.Workflow is not None and finding.Workflow.Status.upper() in _OVER_WORKFLOW)
        or (finding.Compliance is not None and finding.Compliance.Status.upper() == "PASSED")
    )


def generator(generator_id: str) -> str:
    """`arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/1.4` ->
    `cis-aws-foundations-benchmark/v/1.2.0/rule/1.4` (an ARN's resource part; anything else as it is)."""
    parts = generator_id.split(":", 5)
    shown = parts[5] if generator_id.startswith("arn:") and len(parts) == 6 else generator_id
    return shown.removeprefix("ruleset/")[:200]


def console_url(region: str, finding_id: str) -> str:
    """The findings page of the Security Hub console filtered to this finding's Id (the console's filter is
    URL-encoded twice, its operator escaped); when that is longer than a message's link may be (a finding Id
    is an ARN of up to 512 characters), the findings page."""
    page = f"https://{region}.console.aws.amazon.com/securityhub/home?region={region}#/findings"
    wanted = quote(quote(f"Id=\\operator\\:EQUALS\\:{finding_id}", safe=""), safe="")
    filtered = f"{page}?search={wanted}"
    return filtered if len(filtered) <= MAX_LINK else page


def parse_eventbridge(event: dict[str, Any]) -> list[Alert | Ignored] | Ignored:
    detail_type = str(event.get("detail-type"))
    if detail_type == IMPORTED_V2:
        return Ignored(
            kind=IMPORTED_V2,
            reason="Security Hub OCSF findings (Findings Imported V2) are not read yet: "
            "route the ASFF Security Hub Findings - Imported events",
        )
    if detail_type != IMPORTED:
        return Ignored(
            kind=detail_type[:80], reason=f"Security Hub event {detail_type[:80]!r} is not alerted on"
        )
    parsed = validated(FindingsEvent, event, IMPORTED)
    return [_alert(parsed, finding) for finding in parsed.detail.findings]


def _alert(parsed: FindingsEvent, finding: Finding) -> Alert:
    first = finding.Resources[0] if finding.Resources else FindingResource()
    account = finding.AwsAccountId or parsed.account or arn_account(finding.Id)
    if not account:
        raise MalformedEventError(f"{IMPORTED}: finding {finding.Id[:80]} has no AwsAccountId and no account")
    region = finding.Region or first.Region or parsed.region
    word, severity = severity_of(finding)
    product = finding.ProductName or finding.ProductFields.get("aws/securityhub/ProductName", "")
    finding_type = finding.Types[0] if finding.Types else ""
    compliance = finding.Compliance.Status.upper() if finding.Compliance else ""
    workflow = finding.Workflow.Status.upper() if finding.Workflow else ""
    title = finding.Title or finding_type or "Security Hub finding"
    labels = {
        "alertname": "SecurityHubFinding",
        "source": SOURCE,
        "account": account,
        "region": region,
        "resource": shorten(first.Id, 200),
        "resource_type": first.Type[:200],
        "finding_type": shorten(finding_type, 200),
        "product": product[:128],
        "generator": generator(finding.GeneratorId),
        "compliance": compliance,
        "workflow": workflow,
        "record_state": finding.RecordState.upper(),
        # the finding's title names its check (`EC2.7 EBS default encryption should be enabled`): a storm counts
        # members by it
        "reason": shorten(title, 80),
        "source_severity": word,
        "severity": severity.value,
    }
    annotations = {"console": console_url(region, finding.Id)}
    recommendation = finding.Remediation.Recommendation if finding.Remediation else None
    runbook = web_url(recommendation.Url) if recommendation else None
    if runbook:
        annotations["runbook"] = runbook
    return Alert(
        source=SOURCE,
        status=Status.RESOLVED if is_over(finding) else Status.FIRING,
        severity=severity,
        title=shorten(title, 300),
        summary=shorten(finding.Description or title, 2000),
        labels={k: v for k, v in labels.items() if v},
        annotations=annotations,
        timestamp=parse_timestamp(finding.UpdatedAt) if finding.UpdatedAt else parsed.time,
        one_shot=True,
        fingerprint=fingerprint(SOURCE, account, finding.Id),
    )

"""Amazon OpenSearch Service events (EventBridge, source `aws.es`) -> Alert.

Every detail-type OpenSearch Service sends (`Amazon OpenSearch Service Notification`, `... Cluster Status
Notification`, `... Software Update Notification`, `... Auto-Tune Notification`, `Domain Error
Notification`, the older `Amazon ES ...` names and the rest) carries `detail.event`, `status`, `severity`
and `description`; they become one alert per domain, event and severity, one-shot (most never say they are over),
resolved early by a later status that says so (`Completed`). Severity: High -> critical, Medium ->
warning, Low/Informational -> info (routed quietly by the shipped config).

Cluster health (green/yellow/red) is not an event: it comes from the CloudWatch alarms the stack creates
per domain, which sources/cloudwatch.py recognises by their AWS/ES namespace.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from alertrouter.models.alert import Alert, Severity, Status, fingerprint, severity_word
from alertrouter.mrkdwn import shorten
from alertrouter.sources.common import domain_console_url, first_url, validated
from alertrouter.sources.errors import MalformedEventError
from alertrouter.sources.eventbridge import EventBridgeEvent

SOURCE = "opensearch"
EVENT_SOURCE = "aws.es"
# A later event with one of these statuses says the matter is over (an update or a restore completed).
_OVER = frozenset({"completed", "complete", "succeeded", "success", "successful", "resolved", "recovered"})


class Detail(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    event: str = Field(default="", max_length=300)
    status: str = Field(default="", max_length=100)
    severity: str = Field(default="", max_length=40)
    description: str = Field(default="", max_length=10_000)
    domain_name: str = Field(default="", alias="domainName", max_length=100)


class DomainEvent(EventBridgeEvent):
    detail: Detail  # type: ignore[assignment]


def _domain(parsed: DomainEvent) -> tuple[str, str, str]:
    """(domain name, resource, account) from the domain's ARN in `resources` (or `detail.domainName`); an
    event about another OpenSearch resource (a VPC endpoint) names that resource, with no domain."""
    for arn in parsed.resources:
        parts = arn.split(":")
        if len(parts) > 5 and parts[5].startswith("domain/"):
            domain = parts[5].removeprefix("domain/")
            return domain, domain, parsed.account or parts[4]
    if parsed.detail.domain_name:
        return parsed.detail.domain_name, parsed.detail.domain_name, parsed.account
    for arn in parsed.resources:
        parts = arn.split(":")
        if len(parts) > 5 and parts[2] in ("es", "aoss") and parts[5]:
            return "", parts[5][:200], parsed.account or parts[4]
    raise MalformedEventError(
        f"{parsed.detail_type}: no domain or OpenSearch resource in resources or detail"
    )


def parse_eventbridge(event: dict[str, Any]) -> list[Alert]:
    parsed = validated(DomainEvent, event, str(event.get("detail-type")))
    detail, region = parsed.detail, parsed.region
    domain, resource, account = _domain(parsed)
    if not account:
        raise MalformedEventError(f"{parsed.detail_type}: no account")
    name = detail.event or parsed.detail_type.removeprefix("Amazon OpenSearch Service ").removeprefix(
        "Amazon ES "
    )
    severity = severity_word(detail.severity) or Severity.WARNING
    over = detail.status.strip().lower() in _OVER
    labels = {
        "alertname": f"OpenSearch {name}"[:200],
        "source": SOURCE,
        "account": account,
        "region": region,
        "domain": domain,
        "resource": resource,
        "event": name[:200],
        "event_status": detail.status,
        "source_severity": detail.severity.strip()[:40],
        "detail_type": parsed.detail_type[:200],
        "severity": severity.value,
    }
    annotations = {"console": domain_console_url(region, domain)} if domain else {}
    runbook = first_url(detail.description)
    if runbook:
        annotations["runbook"] = runbook
    return [
        Alert(
            source=SOURCE,
            status=Status.RESOLVED if over else Status.FIRING,
            severity=severity,
            title=shorten(f"{resource}: {name}", 300),
            summary=shorten(detail.description, 2000),
            labels={k: v for k, v in labels.items() if v},
            annotations=annotations,
            timestamp=parsed.time,
            # severity is part of the identity: it decides the route (an informational "Started" and a High
            # "Failed" of one event are two alerts, each resolved in the group that announced it)
            one_shot=True,
            fingerprint=fingerprint(
                SOURCE, account, region, resource, parsed.detail_type, name, severity.value
            ),
        )
    ]

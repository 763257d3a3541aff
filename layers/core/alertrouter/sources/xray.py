"""AWS X-Ray Insights notifications (EventBridge, source `aws.xray`, `AWS X-Ray Insight Update`) -> Alert.

X-Ray sends an update each time it re-evaluates an insight: ACTIVE fires (again, with the latest impact),
CLOSED resolves the same alert (identity: the insight id). Severity: an active FAULT insight is an incident
(critical); any other active insight warns. The fields are those of the EventBridge schema registry's
`aws.xray@AWSXRayInsightUpdate` (the X-Ray API's Insight, plus the latest InsightEvent in `Event`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from pydantic import Field

from alertrouter.models.alert import Alert, Ignored, Severity, Status, fingerprint
from alertrouter.mrkdwn import shorten
from alertrouter.sources.common import OpenModel, validated
from alertrouter.sources.errors import MalformedEventError
from alertrouter.sources.eventbridge import EventBridgeEvent

SOURCE = "xray"
INSIGHT_UPDATE = "AWS X-Ray Insight Update"
ACTIVE, CLOSED = "ACTIVE", "CLOSED"
_COUNT = Field(default=None, ge=0, le=10**15)


class ImpactStatistics(OpenModel):
    FaultCount: int | None = _COUNT
    OkCount: int | None = _COUNT
    TotalCount: int | None = _COUNT


class Service(OpenModel):
    Name: str = Field(default="", max_length=300)
    Names: list[str] = Field(default_factory=list, max_length=50)
    AccountId: str = Field(default="", max_length=40)
    Type: str = Field(default="", max_length=100)


class AnomalousService(OpenModel):
    ServiceId: Service | None = None


class InsightEvent(OpenModel):
    """The latest re-evaluation of the insight."""

    Summary: str = Field(default="", max_length=5000)
    ClientRequestImpactStatistics: ImpactStatistics | None = None
    RootCauseServiceRequestImpactStatistics: ImpactStatistics | None = None
    TopAnomalousServices: list[AnomalousService] = Field(default_factory=list, max_length=100)


class InsightDetail(OpenModel):
    InsightId: str = Field(min_length=1, max_length=100)
    GroupName: str = Field(default="", max_length=100)
    State: str = Field(min_length=1, max_length=20)
    Categories: list[str] = Field(default_factory=list, max_length=10)
    Summary: str = Field(default="", max_length=5000)
    RootCauseServiceId: Service | None = None
    ClientRequestImpactStatistics: ImpactStatistics | None = None
    RootCauseServiceRequestImpactStatistics: ImpactStatistics | None = None
    TopAnomalousServices: list[AnomalousService] = Field(default_factory=list, max_length=100)
    Event: InsightEvent | None = None


class InsightUpdate(EventBridgeEvent):
    detail: InsightDetail  # type: ignore[assignment]


def insight_console_url(region: str, insight_id: str) -> str:
    """The insight's page in the X-Ray console (its overview: root cause, impact, timeline)."""
    return (
        f"https://{region}.console.aws.amazon.com/xray/home?region={region}"
        f"#/insights/{quote(insight_id, safe='')}"
    )


def impact(what: str, stats: ImpactStatistics | None) -> str:
    """`Client requests: 41 faults of 1,200 (3.4%)`; "" when X-Ray counted nothing."""
    if stats is None or not stats.TotalCount:
        return ""
    faults = stats.FaultCount or 0
    return f"{what}: {faults:,} faults of {stats.TotalCount:,} ({faults / stats.TotalCount:.1%})"


def _service_name(service: Service | None) -> str:
    if service is None:
        return ""
    return (service.Name or next((n for n in service.Names if n), ""))[:200]


def _latest(detail: InsightDetail) -> InsightDetail | InsightEvent:
    """The latest re-evaluation when the update carries one, else the insight itself."""
    return detail.Event if detail.Event is not None else detail


def parse_eventbridge(event: dict[str, Any]) -> list[Alert] | Ignored:
    detail_type = str(event.get("detail-type"))
    if detail_type != INSIGHT_UPDATE:
        return Ignored(kind=detail_type[:80], reason=f"X-Ray event {detail_type[:80]!r} is not alerted on")
    parsed = validated(InsightUpdate, event, INSIGHT_UPDATE)
    detail, region = parsed.detail, parsed.region
    state = detail.State.upper()
    if state not in (ACTIVE, CLOSED):
        return Ignored(
            kind=INSIGHT_UPDATE, reason=f"insight state {state[:20]!r} is neither ACTIVE nor CLOSED"
        )
    root = detail.RootCauseServiceId
    account = parsed.account or (root.AccountId if root else "")
    if not account:
        raise MalformedEventError(f"{INSIGHT_UPDATE}: no account and no root cause service account")
    categories = [c.upper()[:40] for c in detail.Categories if c]
    category = categories[0] if categories else "FAULT"  # FAULT is the only category X-Ray defines
    severity = Severity.CRITICAL if category == "FAULT" else Severity.WARNING
    root_service = _service_name(root) or "unknown service"
    group = detail.GroupName or "Default"
    latest = _latest(detail)
    anomalous = [_service_name(s.ServiceId) for s in latest.TopAnomalousServices]
    lines = [
        shorten(latest.Summary or detail.Summary or f"Anomaly at {root_service}", 1000),
        impact(
            "Client requests", latest.ClientRequestImpactStatistics or detail.ClientRequestImpactStatistics
        ),
        impact(
            f"Root cause {root_service}",
            latest.RootCauseServiceRequestImpactStatistics or detail.RootCauseServiceRequestImpactStatistics,
        ),
        f"Most affected: {', '.join(dict.fromkeys(a for a in anomalous if a))}" if any(anomalous) else "",
    ]
    labels = {
        "alertname": "XRayInsight",
        "source": SOURCE,
        "account": account[:40],
        "region": region,
        "severity": severity.value,
        "resource": root_service,
        "reason": f"{category.capitalize()} at {root_service}"[:200],
        "xray_group": group,
        "root_cause_service": root_service,
        "root_cause_type": (root.Type if root else "")[:100],
        "category": category,
        "insight_id": detail.InsightId,
        "state": state,
    }
    return [
        Alert(
            source=SOURCE,
            status=Status.RESOLVED if state == CLOSED else Status.FIRING,
            severity=severity,
            title=shorten(f"X-Ray insight in {group}: {category.lower()} at {root_service}", 300),
            summary="\n".join(line for line in lines if line),
            labels={k: v for k, v in labels.items() if v},
            annotations={"console": insight_console_url(region, detail.InsightId)},
            timestamp=parsed.time,
            fingerprint=fingerprint(SOURCE, account, region, detail.InsightId),
        )
    ]

"""The SLO evaluator's burn-rate events (EventBridge-shaped, source `alertrouter.slo`) -> Alert.

A page rule becomes a critical alert, a ticket rule a warning; one alert per SLO and rule, firing while
the rule fires (each evaluation refreshes its figures) and resolved when it stops.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from alertrouter.models.alert import Alert, Severity, Status, fingerprint
from alertrouter.sources.common import parse_timestamp
from alertrouter.sources.errors import MalformedEventError
from alertrouter.weburl import web_url

SOURCE = "slo"
EVENT_SOURCE = "alertrouter.slo"
DETAIL_TYPE = "AlertRouter SLO Burn Rate"
_SEVERITY = {
    "page": Severity.CRITICAL,
    "critical": Severity.CRITICAL,
    "ticket": Severity.WARNING,
    "warning": Severity.WARNING,
    "info": Severity.INFO,
}


class BurnDetail(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)  # built on first use

    slo: str = Field(min_length=1, max_length=200)
    display_name: str = Field(default="", alias="displayName", max_length=300)
    service: str = Field(default="", max_length=200)
    rule: str = Field(min_length=1, max_length=100)
    severity: str = Field(min_length=1, max_length=40)
    state: str = Field(pattern="^(firing|resolved)$")
    window: str = ""
    summary: str = Field(default="", max_length=2000)
    account: str = ""
    region: str = ""
    dashboard: str = ""
    runbook: str = ""


def parse_eventbridge(event: dict[str, Any]) -> list[Alert]:
    try:
        detail = BurnDetail.model_validate(event.get("detail"))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "detail"
        raise MalformedEventError(f"SLO burn-rate event: {where}: {first['msg']}") from exc
    account = detail.account or str(event.get("account", ""))
    region = detail.region or str(event.get("region", ""))
    labels = {
        "alertname": "SLOErrorBudgetBurn",
        "slo": detail.slo,
        "service": detail.service,
        "rule": detail.rule,
        "severity": _SEVERITY.get(detail.severity, Severity.WARNING).value,
        "slo_severity": detail.severity,
        "account": account,
        "region": region,
        "resource": detail.slo,
    }
    if detail.window:
        labels["window"] = detail.window
    links = {"console": web_url(detail.dashboard), "runbook": web_url(detail.runbook)}
    annotations = {name: url for name, url in links.items() if url}
    name = detail.display_name or detail.slo
    return [
        Alert(
            source=SOURCE,
            status=Status.FIRING if detail.state == Status.FIRING else Status.RESOLVED,
            severity=_SEVERITY.get(detail.severity, Severity.WARNING),
            title=f"{name}: error budget burn ({detail.rule})",
            summary=detail.summary,
            labels={k: v for k, v in labels.items() if v},
            annotations=annotations,
            timestamp=parse_timestamp(str(event.get("time", ""))),
            fingerprint=fingerprint(SOURCE, account, region, detail.slo, detail.rule),
        )
    ]

"""The alert a burn-rate rule becomes: its text, and the event (source `alertrouter.slo`) the evaluator
sends to the router's queue while the rule fires, and once when it resolves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

from alertrouter.models.alert import Status
from alertrouter.slo.burn import time_to_exhaustion
from alertrouter.slo.evaluator import SloReport
from alertrouter.slo.rules import RuleResult, format_duration


def describe(report: SloReport, result: RuleResult) -> str:
    """The alert's summary: budget left, the rule's burn rates against its threshold, time to exhaustion."""
    slo, rule = report.slo, result.rule
    length = slo.period_length(datetime.fromtimestamp(report.at, UTC))
    left = "no data" if report.remaining is None else f"{float(report.remaining) * 100:.1f}% left"
    burns = " / ".join(
        f"{format_duration(w)} {_times(b)}"
        for w, b in ((rule.long, result.long_burn), (rule.short, result.short_burn))
    )
    text = (
        f"Error budget of {format_duration(length)}: {left}. Burn rate {burns} "
        f"({rule.severity} above {_times(rule.threshold)})."
    )
    tte = time_to_exhaustion(report.remaining, result.long_burn, length)
    if tte is not None:
        text += (
            " Budget exhausted now."
            if tte == timedelta(0)
            else (f" At this rate the budget is gone in {_human(tte)}.")
        )
    return text


def _times(value: Fraction | None) -> str:
    return "no data" if value is None else f"{float(value):.4g}×"


def _human(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    return f"{hours}h {mins}m" if hours else f"{mins}m"


def alert_event(
    report: SloReport,
    rule: str,
    result: RuleResult | None,
    *,
    account: str,
    region: str,
    dashboard_url: str = "",
) -> dict[str, Any]:
    """An EventBridge-shaped event (source `alertrouter.slo`) for the router's queue: a rule firing (with
    its figures) or resolved (result None)."""
    slo = report.slo
    severity = result.rule.severity if result else rule.split("-", 1)[0]
    detail: dict[str, Any] = {
        "slo": slo.name,
        "displayName": slo.display_name or slo.name,
        "service": slo.service,
        "rule": rule,
        "severity": severity,
        "state": (Status.FIRING if result else Status.RESOLVED).value,
        "target": str(float(slo.target)),
        "account": account,
        "region": region,
        "dashboard": dashboard_url,
        "budgetRemaining": None if report.remaining is None else round(float(report.remaining), 6),
    }
    if result is not None:
        detail.update(
            window=f"{format_duration(result.rule.long)}/{format_duration(result.rule.short)}",
            threshold=float(result.rule.threshold),
            summary=describe(report, result),
            burnRates={
                format_duration(w): None if b is None else round(float(b), 6) for w, b in report.burns.items()
            },
        )
    return {
        "version": "0",
        "id": f"{slo.name}-{rule}-{report.at}",
        "detail-type": "AlertRouter SLO Burn Rate",
        "source": "alertrouter.slo",
        "account": account,
        "region": region,
        "time": datetime.fromtimestamp(report.at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "resources": [],
        "detail": detail,
    }

"""The stack's own heartbeat events (EventBridge-shaped, source `alertrouter.heartbeat`, sent by the sweep and
the ping function to the router's queue) -> Alert: one alert per check, firing while the check is down,
resolved when it is pinged again or paused."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from alertrouter.models.alert import Alert, Severity, Status, fingerprint, severity_word
from alertrouter.models.heartbeat import CHECK_NAME, MAX_NOTE_BYTES
from alertrouter.oncall.heartbeat import DETAIL_TYPE, EVENT_SOURCE, clock_text
from alertrouter.sources.common import parse_timestamp
from alertrouter.sources.errors import MalformedEventError

__all__ = ["DETAIL_TYPE", "EVENT_SOURCE", "SOURCE", "parse_eventbridge"]

SOURCE = "heartbeat"
ALERTNAME = "HeartbeatMissing"


class HeartbeatDetail(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)  # built on first use

    check: str = Field(pattern=CHECK_NAME)
    state: str = Field(pattern="^(firing|resolved)$")
    reason: str = Field(default="", pattern="^(|missed|failed|unfinished)$")
    at_ms: int = Field(ge=0)
    last_ping_ms: int | None = Field(default=None, ge=0)
    last_start_ms: int | None = Field(default=None, ge=0)
    expected: str = Field(default="", max_length=300)
    grace: str = Field(default="", max_length=40)
    time_zone: str = Field(default="UTC", max_length=60)
    description: str = Field(default="", max_length=500)
    labels: dict[str, str] = Field(default_factory=dict, max_length=30)
    note: str = Field(default="", max_length=MAX_NOTE_BYTES)
    kind: str = Field(default="ping", max_length=20)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        """A zone the titles can be written in: an empty or unknown name is a malformed event, not a crash."""
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(value)
        except (ValueError, KeyError) as exc:  # (ZoneInfoNotFoundError is a KeyError)
            raise ValueError(f"not a time zone: {value!r}") from exc
        return value


def parse_eventbridge(event: dict[str, Any]) -> list[Alert]:
    try:
        detail = HeartbeatDetail.model_validate(event.get("detail"))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "detail"
        raise MalformedEventError(f"heartbeat event: {where}: {first['msg']}") from exc
    account = str(event.get("account", ""))
    region = str(event.get("region", ""))
    if detail.kind == "spoke":  # a spoke's watch: SpokeSilent, not HeartbeatMissing
        from alertrouter.sources import spoke

        alert = spoke.silent_alert(
            firing=detail.state == "firing",
            at_ms=detail.at_ms,
            labels=detail.labels,
            last_ping_ms=detail.last_ping_ms,
            account=account,
            region=region,
        )
        return [alert]
    severity = severity_word(detail.labels.get("severity", "")) or Severity.CRITICAL
    labels = {
        **{k: v for k, v in detail.labels.items() if v},
        "alertname": ALERTNAME,
        "source": SOURCE,  # as the Batch and OpenSearch alerts say theirs: a route matches source="heartbeat"
        "heartbeat": detail.check,
        "severity": severity.value,
        "resource": detail.check,
    }
    if account:
        labels.setdefault("account", account)
    if region:
        labels.setdefault("region", region)
    return [
        Alert(
            source=SOURCE,
            status=Status.FIRING if detail.state == "firing" else Status.RESOLVED,
            severity=severity,
            title=title(detail),
            summary=_summary(detail),
            labels=labels,
            annotations={"note": detail.note} if detail.note else {},
            timestamp=parse_timestamp(str(event.get("time", ""))),
            fingerprint=fingerprint(SOURCE, account, region, detail.check),
        )
    ]


def title(detail: HeartbeatDetail) -> str:
    """ "nightly-etl: no ping since 02:03 UTC (expected every 1d, 1h grace)", "nightly-etl reported a failure"."""
    name = detail.check
    if detail.state == "resolved":
        return f"{name}: pinged again"
    if detail.reason == "failed":
        return f"{name} reported a failure"
    if detail.reason == "unfinished" and detail.last_start_ms is not None:
        since = clock_text(detail.last_start_ms, detail.time_zone, detail.at_ms)
        return f"{name}: started at {since} and has not finished ({detail.grace} grace)"
    since = (
        clock_text(detail.last_ping_ms, detail.time_zone, detail.at_ms)
        if detail.last_ping_ms is not None
        else "its creation"
    )
    return f"{name}: no ping since {since} (expected {detail.expected}, {detail.grace} grace)"


def _summary(detail: HeartbeatDetail) -> str:
    parts = [detail.description] if detail.description else []
    if detail.state == "firing" and detail.reason == "failed" and detail.note:
        parts.append(f"Last ping's note: {detail.note[:500]}")
    return "\n".join(parts)

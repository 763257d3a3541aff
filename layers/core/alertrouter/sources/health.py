"""AWS Health events (EventBridge, source `aws.health`) -> Alert.

`AWS Health Event` and `AWS Health Abuse Event`: one alert per event and affected account. `open` and
`upcoming` fire; `closed` resolves the same alert. An organisational view (the management or delegated
administrator account receives every member's events) names the member in `detail.affectedAccount`: the
alert is about that account, not the one that received it. A zone-level event names its Availability Zone.
Severity: an issue or abuse report on your own resources (ACCOUNT_SPECIFIC) is critical; a public issue, an
investigation and a scheduled change warn; an account notification is info.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

from pydantic import Field

from alertrouter.models.alert import Alert, Ignored, Severity, Status, fingerprint
from alertrouter.mrkdwn import shorten
from alertrouter.sources.common import OpenModel, arn_account, first_url, validated
from alertrouter.sources.errors import MalformedEventError
from alertrouter.sources.eventbridge import EventBridgeEvent

SOURCE = "health"
HEALTH_EVENT = "AWS Health Event"
ABUSE_EVENT = "AWS Health Abuse Event"
_FIRING = frozenset({"open", "upcoming", ""})  # the older abuse examples carry no statusCode: they are open
_SHOWN_ENTITIES = 5
_AZ_KEYS = ("availabilityZone", "availability_zone", "availability-zone", "az")


class Description(OpenModel):
    language: str = Field(default="", max_length=20)
    latestDescription: str = Field(default="", max_length=20_000)


class Entity(OpenModel):
    entityValue: str = Field(default="", max_length=1600)
    status: str = Field(default="", max_length=40)
    statusCode: str = Field(default="", max_length=40)


class HealthDetail(OpenModel):
    eventArn: str = Field(min_length=1, max_length=1600)
    service: str = Field(default="", max_length=100)
    eventTypeCode: str = Field(min_length=1, max_length=200)
    eventTypeCategory: str = Field(default="", max_length=40)
    eventScopeCode: str = Field(default="", max_length=40)
    statusCode: str = Field(default="", max_length=40)
    eventRegion: str = Field(default="", max_length=40)
    startTime: str = Field(default="", max_length=60)
    endTime: str = Field(default="", max_length=60)
    availabilityZone: str = Field(default="", max_length=40)
    eventDescription: list[Description] = Field(default_factory=list, max_length=20)
    eventMetadata: dict[str, Any] = Field(default_factory=dict)
    affectedEntities: list[Entity] = Field(default_factory=list, max_length=10_000)
    affectedAccount: str = Field(default="", max_length=40)
    page: str = Field(default="", max_length=10)
    totalPages: str = Field(default="", max_length=10)


class HealthEvent(EventBridgeEvent):
    detail: HealthDetail  # type: ignore[assignment]


def health_time(value: str, field: str) -> datetime | None:
    """Health writes RFC 1123 times (`Wed, 15 Feb 2023 22:07:07 GMT`); None when absent."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError) as exc:
        raise MalformedEventError(f"detail.{field}: unreadable time {value[:40]!r}") from exc
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def event_console_url(event_arn: str) -> str:
    """The event's page in the AWS Health Dashboard."""
    return (
        "https://health.aws.amazon.com/health/home#/account/event-log"
        f"?eventID={quote(event_arn, safe=':/')}&eventTab=details"
    )


def cause(service: str, code: str) -> str:
    """`AWS_EC2_OPERATIONAL_ISSUE` -> `EC2 operational issue`: short and countable."""
    words = code.removeprefix("AWS_")
    if service == "ABUSE":
        service = "Abuse"
        words = "Abuse" + words.removeprefix("ABUSE")
    if service and words.startswith(f"{service}_"):
        return f"{service} {words.removeprefix(f'{service}_').replace('_', ' ').lower()}"[:120]
    return words.replace("_", " ").capitalize()[:120]


def severity_of(detail: HealthDetail, abuse: bool) -> Severity:
    category, scope = detail.eventTypeCategory.lower(), detail.eventScopeCode.upper()
    if abuse or (category == "issue" and scope == "ACCOUNT_SPECIFIC"):
        return Severity.CRITICAL
    if category == "accountnotification":
        return Severity.INFO
    return Severity.WARNING


def availability_zone(detail: HealthDetail) -> str:
    """The zone a zone-level event names: the Health API's `availabilityZone`, else in `eventMetadata`."""
    if detail.availabilityZone:
        return detail.availabilityZone
    for key in _AZ_KEYS:
        value = detail.eventMetadata.get(key)
        if isinstance(value, str) and 0 < len(value) <= 40:
            return value
    return ""


def _account(parsed: HealthEvent) -> str:
    account = parsed.detail.affectedAccount or parsed.account
    if not account:
        account = next((arn_account(r) for r in parsed.resources if arn_account(r)), "")
    if not account:
        raise MalformedEventError(f"{parsed.detail_type}: no affectedAccount, account or resource ARN")
    return account[:40]


def _description(detail: HealthDetail) -> str:
    texts = [d for d in detail.eventDescription if d.latestDescription]
    english = next((d for d in texts if d.language.lower().startswith("en")), None)
    return (english or (texts[0] if texts else Description())).latestDescription


def _summary(
    detail: HealthDetail, description: str, region: str, zone: str, window: tuple[datetime | None, ...]
) -> str:
    lines = [shorten(description, 1500)] if description else []
    entities = [e.entityValue for e in detail.affectedEntities if e.entityValue]
    if entities:
        shown = ", ".join(shorten(e, 120) for e in entities[:_SHOWN_ENTITIES])
        more = len(entities) - _SHOWN_ENTITIES
        states = Counter((e.status or e.statusCode).upper() for e in detail.affectedEntities if e.entityValue)
        counted = ", ".join(f"{n} {state.lower()}" for state, n in states.most_common() if state)
        lines.append(
            f"Affected ({len(entities)}{f': {counted}' if counted else ''}): {shown}"
            + (f" (+{more} more)" if more > 0 else "")
        )
    if detail.totalPages not in ("", "1"):
        lines.append(f"Page {detail.page} of {detail.totalPages} of the affected resources")
    lines.append(f"Region: {region}{f', zone {zone}' if zone else ''}")
    started, ended = window
    if started:
        lines.append(
            f"From {started:%Y-%m-%d %H:%M} UTC" + (f" to {ended:%Y-%m-%d %H:%M} UTC" if ended else "")
        )
    return "\n".join(lines)


def parse_eventbridge(event: dict[str, Any]) -> list[Alert] | Ignored:
    detail_type = str(event.get("detail-type"))
    if detail_type not in (HEALTH_EVENT, ABUSE_EVENT):
        return Ignored(kind=detail_type[:80], reason=f"Health event {detail_type[:80]!r} is not alerted on")
    parsed = validated(HealthEvent, event, detail_type)
    detail = parsed.detail
    status = detail.statusCode.strip().lower()
    if status not in _FIRING and status != "closed":
        return Ignored(
            kind=detail_type, reason=f"Health event status {status[:40]!r} is neither open nor closed"
        )
    started = health_time(detail.startTime, "startTime")
    ended = health_time(detail.endTime, "endTime")
    account, region = _account(parsed), (detail.eventRegion or parsed.region)[:40]
    zone = availability_zone(detail)
    severity = severity_of(detail, detail_type == ABUSE_EVENT)
    entities = [e.entityValue for e in detail.affectedEntities if e.entityValue]
    service = detail.service.upper()
    resource = shorten(entities[0], 200) if entities else (zone or service or "AWS")
    reason = cause(service, detail.eventTypeCode)
    labels = {
        "alertname": detail.eventTypeCode,
        "source": SOURCE,
        "account": account,
        "region": region,
        "severity": severity.value,
        "resource": resource,
        "reason": reason,
        "service": service,
        "event_type_code": detail.eventTypeCode,
        "event_category": detail.eventTypeCategory,
        "scope": detail.eventScopeCode.upper(),
        "availability_zone": zone,
        "detail_type": detail_type,
    }
    description = _description(detail)
    annotations = {"console": event_console_url(detail.eventArn)}
    runbook = first_url(description)
    if runbook:
        annotations["runbook"] = runbook
    where = f" in {zone}" if zone else ""  # (the message names the region already)
    closed = status == "closed"
    return [
        Alert(
            source=SOURCE,
            status=Status.RESOLVED if closed else Status.FIRING,
            severity=severity,
            title=shorten(f"{reason}{where}{f' on {resource}' if entities else ''}", 300),
            summary=_summary(detail, description, region, zone, (started, ended)),
            labels={k: v[:200] for k, v in labels.items() if v},
            annotations=annotations,
            timestamp=parsed.time,  # (startTime of a scheduled change is in the future)
            # a notice or a scheduled change can stay open for weeks: the route's resolve_timeout ends it
            one_shot=detail.eventTypeCategory.lower() in ("accountnotification", "scheduledchange"),
            fingerprint=fingerprint(SOURCE, account, region, detail.eventArn),
        )
    ]

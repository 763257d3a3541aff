"""Amazon RDS and Aurora events (EventBridge, source `aws.rds`) -> Alert.

Every `RDS ... Event` detail-type (DB instance, DB cluster, snapshot, parameter group, proxy, blue/green ...)
carries `EventCategories`, `SourceType`, `SourceArn`, `SourceIdentifier`, `Message` and `EventID`. An event
in one of the categories of RDS_ALERT_CATEGORIES (read once at import) becomes one alert per resource and
matter, one-shot: RDS sends events on a best-effort basis, so a "started" whose "completed" never comes is
resolved by the route's resolve_timeout. The matter pairs start and end: a failover that started is resolved
by the one that completed, a shutdown by the restart, low storage by the storage change, a recovery by its
completion. An event that says a matter is over resolves it whatever its category (an unknown one resolves
nothing). Other events are ignored with the reason naming the env var.
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import quote

from pydantic import Field

from alertrouter.models.alert import Alert, Ignored, Severity, Status, fingerprint
from alertrouter.mrkdwn import shorten
from alertrouter.sources.common import OpenModel, arn_account, parse_timestamp, validated
from alertrouter.sources.errors import MalformedEventError
from alertrouter.sources.eventbridge import EventBridgeEvent

SOURCE = "rds"
EVENT_SOURCE = "aws.rds"
CATEGORIES_ENV = "RDS_ALERT_CATEGORIES"
# The template's RdsAlertCategories default: what says a database is down, failing or about to fail.
DEFAULT_CATEGORIES = "availability,failover,failure,global failover,low storage,recovery"
_DETAIL_TYPE = re.compile(r"^RDS .{1,60} Event$")


class Detail(OpenModel):
    EventCategories: list[str] = Field(default_factory=list, max_length=20)
    SourceType: str = Field(default="", max_length=60)
    SourceArn: str = Field(default="", max_length=600)
    SourceIdentifier: str = Field(default="", max_length=300)
    Date: str = Field(default="", max_length=40)
    Message: str = Field(default="", max_length=10_000)
    EventID: str = Field(default="", max_length=40, pattern=r"^(RDS-EVENT-\d{1,6})?$")


class RdsEvent(EventBridgeEvent):
    detail: Detail  # type: ignore[assignment]


def categories_from_environment() -> frozenset[str]:
    """The event categories that become alerts: the stack's RdsAlertCategories parameter."""
    raw = os.environ.get(CATEGORIES_ENV, DEFAULT_CATEGORIES)
    return frozenset(c.strip().lower() for c in raw.split(",") if c.strip()) or frozenset(
        DEFAULT_CATEGORIES.split(",")
    )


# Read once, when the first RDS event imports this module: a function's environment never changes.
ALERTED_CATEGORIES = categories_from_environment()

# The matters whose start and end RDS both announce: (alertname, reason, severity), the same for the event
# that starts one and the one that ends it, so the resolution is routed where the alert was.
_MATTERS: dict[str, tuple[str, str, Severity]] = {
    "failover": ("RDSFailover", "Failover", Severity.CRITICAL),
    "global-failover": ("RDSGlobalFailover", "Global failover", Severity.CRITICAL),
    "availability": ("RDSUnavailable", "Unavailable", Severity.CRITICAL),
    "storage-full": ("RDSStorageFull", "Storage full", Severity.CRITICAL),
    "storage-low": ("RDSLowStorage", "Low storage", Severity.WARNING),
    "recovery": ("RDSRecovery", "Recovery", Severity.WARNING),
    "replication": ("RDSReplicationError", "Replication error", Severity.WARNING),
}
# Event id -> the matter it starts, and -> the matters it ends. Ids from the RDS user guide, "Amazon RDS event
# categories and event messages".
_STARTS: dict[str, str] = {
    **dict.fromkeys(
        (
            "RDS-EVENT-0013",
            "RDS-EVENT-0050",
            "RDS-EVENT-0069",
            "RDS-EVENT-0070",
            "RDS-EVENT-0072",
            "RDS-EVENT-0073",
        ),
        "failover",
    ),
    **dict.fromkeys(("RDS-EVENT-0181", "RDS-EVENT-0183", "RDS-EVENT-0187"), "global-failover"),
    # shutdown, an error while restarting, shut down at the storage-full threshold, offline maintenance
    **dict.fromkeys(("RDS-EVENT-0004", "RDS-EVENT-0022", "RDS-EVENT-0221", "RDS-EVENT-0026"), "availability"),
    "RDS-EVENT-0007": "storage-full",
    **dict.fromkeys(("RDS-EVENT-0089", "RDS-EVENT-0222", "RDS-EVENT-0227"), "storage-low"),
    **dict.fromkeys(("RDS-EVENT-0020", "RDS-EVENT-0052"), "recovery"),
    **dict.fromkeys(("RDS-EVENT-0045", "RDS-EVENT-0057"), "replication"),
}
_ENDS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        ("RDS-EVENT-0015", "RDS-EVENT-0049", "RDS-EVENT-0051", "RDS-EVENT-0065", "RDS-EVENT-0071"),
        ("failover",),
    ),
    **dict.fromkeys(("RDS-EVENT-0185", "RDS-EVENT-0186"), ("global-failover",)),
    # restarted, offline maintenance complete, started
    **dict.fromkeys(("RDS-EVENT-0006", "RDS-EVENT-0027", "RDS-EVENT-0088"), ("availability",)),
    # the storage settings changed, storage autoscaling finished
    **dict.fromkeys(("RDS-EVENT-0017", "RDS-EVENT-0218"), ("storage-full", "storage-low")),
    **dict.fromkeys(("RDS-EVENT-0021", "RDS-EVENT-0053"), ("recovery",)),
    "RDS-EVENT-0046": ("replication",),  # replication resumed
}
# Severity by category for the events with no partner (a failure of any kind is worth a look now).
_BY_CATEGORY = {
    "failure": Severity.CRITICAL,
    "failover": Severity.CRITICAL,
    "global failover": Severity.CRITICAL,
    "availability": Severity.CRITICAL,
    "low storage": Severity.WARNING,
    "recovery": Severity.WARNING,
    "read replica": Severity.WARNING,
}
_INSTANCE_TYPES = frozenset({"DB_INSTANCE", "DB-INSTANCE"})
_CLUSTER_TYPES = frozenset({"CLUSTER", "DB_CLUSTER", "DB-CLUSTER"})


def _resource(parsed: RdsEvent) -> str:
    """The resource's name: `arn:aws:rds:us-east-1:1:db:my-db` -> `my-db` (a snapshot's `snapshot:rds:x` ->
    `rds:x`), else the SourceIdentifier without the `rds:` the documentation's examples put before it."""
    parts = parsed.detail.SourceArn.split(":")
    if len(parts) > 6 and parts[2] == "rds" and parts[6]:
        return ":".join(parts[6:])[:200]
    identifier = parsed.detail.SourceIdentifier.removeprefix("rds:")
    if identifier:
        return identifier[:200]
    for arn in parsed.resources:
        parts = arn.split(":")
        if len(parts) > 6 and parts[2] == "rds" and parts[6]:
            return ":".join(parts[6:])[:200]
    raise MalformedEventError(f"{parsed.detail_type}: no SourceArn, SourceIdentifier or RDS ARN in resources")


def console_url(region: str, source_type: str, resource: str) -> str:
    """The database's page in the RDS console (its "Logs & events" tab lists the events), else the events page."""
    base = f"https://{region}.console.aws.amazon.com/rds/home?region={region}"
    if source_type in _INSTANCE_TYPES or source_type in _CLUSTER_TYPES:
        cluster = "true" if source_type in _CLUSTER_TYPES else "false"
        return f"{base}#database:id={quote(resource, safe='')};is-cluster={cluster}"
    return f"{base}#events:"


def _camel(category: str) -> str:
    return "".join(word.capitalize() for word in re.split(r"[\s_-]+", category) if word)


def parse_eventbridge(event: dict[str, Any]) -> list[Alert | Ignored] | Ignored:
    detail_type = str(event.get("detail-type"))
    if not _DETAIL_TYPE.match(detail_type):
        return Ignored(kind=detail_type[:80], reason=f"RDS event {detail_type[:80]!r} is not alerted on")
    parsed = validated(RdsEvent, event, detail_type)
    categories = [c.strip().lower() for c in parsed.detail.EventCategories if c.strip()]
    event_id = parsed.detail.EventID
    ends = _ENDS.get(event_id, ())
    alerted = next((c for c in categories if c in ALERTED_CATEGORIES), "")
    if ends:
        return [_alert(parsed, categories, matter, over=True) for matter in ends]
    if alerted:
        return [_alert(parsed, categories, _STARTS.get(event_id) or f"{alerted}:{event_id}", over=False)]
    shown = ",".join(categories)[:80] or "none"
    return Ignored(
        kind=detail_type,
        reason=f"RDS {event_id or 'event'} of category {shown} is not alerted on "
        f"({CATEGORIES_ENV}={','.join(sorted(ALERTED_CATEGORIES))})",
    )


def _alert(parsed: RdsEvent, categories: list[str], matter: str, *, over: bool) -> Alert:
    """The alert for `matter`: a paired one (_MATTERS), else `<category>:<event id>`, an unpaired event's own
    matter (each kind of failure is its own alert, named by the category it alerts by)."""
    detail, region = parsed.detail, parsed.region
    resource = _resource(parsed)
    account = parsed.account or arn_account(detail.SourceArn)
    if not account:
        raise MalformedEventError(f"{parsed.detail_type}: no account and no SourceArn to take it from")
    event_id = detail.EventID
    if matter in _MATTERS:
        alertname, reason, severity = _MATTERS[matter]
    else:
        category = matter.rpartition(":")[0]
        alertname, reason = f"RDS{_camel(category)}", category.capitalize()
        severity = _BY_CATEGORY.get(category, Severity.INFO)
    labels = {
        "alertname": alertname,
        "source": SOURCE,
        "account": account,
        "region": region,
        "resource": resource,
        "event_id": event_id,
        "event_categories": ",".join(categories)[:200],
        "source_type": detail.SourceType,
        "reason": reason,
        "severity": severity.value,
    }
    if detail.SourceType in _INSTANCE_TYPES:
        labels["db_instance"] = resource
    elif detail.SourceType in _CLUSTER_TYPES:
        labels["db_cluster"] = resource
    message = detail.Message or event_id or "RDS event"
    return Alert(
        source=SOURCE,
        status=Status.RESOLVED if over else Status.FIRING,
        severity=severity,
        title=shorten(f"{resource}: {message.rstrip('.')}", 300),
        summary=shorten(f"{message} ({event_id})" if event_id else message, 2000),
        labels={k: v for k, v in labels.items() if v},
        annotations={"console": console_url(region, detail.SourceType, resource)},
        timestamp=parse_timestamp(detail.Date) if detail.Date else parsed.time,
        one_shot=True,
        fingerprint=fingerprint(SOURCE, account, region, detail.SourceType, resource, matter),
    )

"""The spoke heartbeat (EventBridge, source `alertrouter.spoke`, detail-type `AlertRouter Spoke Heartbeat`):
each spoke stack's schedule puts one on the hub's bus every few minutes, and the hub's rule sends it to the
router's queue. It is not an alert but a sign of life (as sources/voice.py's calls are records): the router
records it on the spoke's watch (alertrouter.spokes). A watch whose spoke falls silent raises `SpokeSilent`,
built here from the heartbeat sweep's event for the watch (sources/heartbeat.py hands it over)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from alertrouter.models.alert import Alert, Severity, Status, fingerprint
from alertrouter.sources.common import validated
from alertrouter.sources.eventbridge import EventBridgeEvent

EVENT_SOURCE = "alertrouter.spoke"
DETAIL_TYPE = "AlertRouter Spoke Heartbeat"
SOURCE = "spoke"
ALERTNAME = "SpokeSilent"
WATCH_PREFIX = "spoke-"  # a spoke's watch is the heartbeat check `spoke-<account id>`


class SpokeDetail(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)  # built on first use

    # a CloudFormation stack name: a letter, then letters, digits and hyphens, at most 128
    stack: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9-]{0,127}$")
    account_label: str = Field(default="", max_length=60, pattern=r"^[A-Za-z0-9 ._-]*$")
    every_minutes: int = Field(ge=1, le=60)


class SpokeEvent(EventBridgeEvent):
    account: str = Field(pattern=r"^\d{12}$")  # who sends it: the spoke's watch is named after it
    region: str = Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")
    detail: SpokeDetail  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class SpokeHeartbeat:
    """One spoke's sign of life: its account, region and stack, how often it beats, when it was sent."""

    account: str
    region: str
    stack: str
    account_label: str
    every_minutes: int
    at_ms: int

    @property
    def watch(self) -> str:
        return f"{WATCH_PREFIX}{self.account}"


def parse_event(event: dict[str, Any]) -> SpokeHeartbeat:
    """The heartbeat an event carries; MalformedEventError (to the DLQ, with the reason) if it is not one."""
    parsed = validated(SpokeEvent, event, DETAIL_TYPE)
    return SpokeHeartbeat(
        account=parsed.account,
        region=parsed.region,
        stack=parsed.detail.stack,
        account_label=parsed.detail.account_label,
        every_minutes=parsed.detail.every_minutes,
        at_ms=int(parsed.time.timestamp() * 1000),
    )


def silent_alert(
    *, firing: bool, at_ms: int, labels: dict[str, str], last_ping_ms: int | None, account: str, region: str
) -> Alert:
    """`SpokeSilent` from the sweep's event for a spoke's watch (its labels: account, region, stack,
    account_name when known): firing while the spoke is silent, resolved when it beats again."""
    spoke_account = labels.get("account", account)
    spoke_region = labels.get("region", region)
    name = labels.get("account_name", "")
    who = f"{name} ({spoke_account})" if name else f"account {spoke_account}"
    where = f"stack {labels.get('stack', '?')} in {spoke_region}"
    if firing:
        since = (
            datetime.fromtimestamp(last_ping_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")
            if last_ping_ms is not None
            else "it was first seen"
        )
        title = f"Spoke {who} is silent: no heartbeat since {since} ({where})"
    else:
        title = f"Spoke {who} is heard again ({where})"
    alert_labels = {
        "alertname": ALERTNAME,
        "source": SOURCE,
        "severity": Severity.WARNING.value,
        "account": spoke_account,
        "region": spoke_region,
        "stack": labels.get("stack", ""),
        **({"account_name": name} if name else {}),
    }
    return Alert(
        source=SOURCE,
        status=Status.FIRING if firing else Status.RESOLVED,
        severity=Severity.WARNING,
        title=title,
        summary=(
            "The hub has not received this spoke's heartbeat (every few minutes, from its stack's schedule): "
            "its alarms may not be reaching the hub either. Check the spoke stack, its schedule and the "
            "hub's event bus policy."
            if firing
            else ""
        ),
        labels={k: v for k, v in alert_labels.items() if v},
        timestamp=datetime.fromtimestamp(at_ms / 1000, UTC),
        fingerprint=fingerprint(SOURCE, spoke_account, spoke_region, ALERTNAME),
    )

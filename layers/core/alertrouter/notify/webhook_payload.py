"""Alertmanager's webhook JSON (version 4) for a group's alerts, as Alertmanager's webhook notifier builds it:
the alerts a webhook is sent (send_resolved applied), truncated to max_alerts (`truncatedAlerts` says how many
were left out), the message's status, common labels and annotations taken from the alerts sent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from alertrouter.models.alert import Status
from alertrouter.models.state import AlertState, Member

ZERO_TIME = "0001-01-01T00:00:00Z"  # Go's zero time: Alertmanager's endsAt of an alert still firing


@dataclass(frozen=True, slots=True)
class GroupFacts:
    """What the message says of the group itself."""

    key: str  # groupKey: this router's stable key of the group (route, receiver, group labels)
    receiver: str
    labels: dict[str, str]
    external_url: str = ""  # no Alertmanager UI to link back to


def rfc3339(ms: int) -> str:
    """A time as Go's RFC3339Nano writes it in UTC (trailing zeros of the fraction dropped)."""
    text = datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f".{ms % 1000:03d}".rstrip("0") if ms % 1000 else ""
    return f"{text}{fraction}Z"


def selected(members: Mapping[str, Member], send_resolved: bool, max_alerts: int) -> tuple[list[str], int]:
    """The fingerprints a webhook is sent, oldest first, and how many were truncated. Without send_resolved the
    resolved ones are left out (as Alertmanager filters them before its notifier)."""
    chosen = sorted(
        (fp for fp, m in members.items() if send_resolved or m.status != Status.RESOLVED),
        key=lambda fp: (members[fp].starts_at_ms, fp),
    )
    if max_alerts and len(chosen) > max_alerts:
        return chosen[:max_alerts], len(chosen) - max_alerts
    return chosen, 0


def _alert(fp: str, member: Member, state: AlertState | None) -> dict[str, Any]:
    resolved = member.status == Status.RESOLVED
    labels = dict(state.labels) if state is not None else {"alertname": member.title}
    annotations = dict(state.annotations) if state is not None else {}
    return {
        "status": "resolved" if resolved else "firing",
        "labels": labels,
        "annotations": annotations,
        "startsAt": rfc3339(member.starts_at_ms),
        "endsAt": rfc3339(member.ts_ms) if resolved else ZERO_TIME,
        "generatorURL": member.console,
        "fingerprint": fp,
    }


def _common(maps: list[dict[str, str]]) -> dict[str, str]:
    if not maps:
        return {}
    first = maps[0]
    return {k: v for k, v in first.items() if all(other.get(k) == v for other in maps[1:])}


def webhook_message(
    group: GroupFacts,
    members: Mapping[str, Member],
    states: Mapping[str, AlertState],
    chosen: list[str],
    truncated: int,
) -> dict[str, Any]:
    """The version 4 message for the chosen members (in order), their labels and annotations from `states`."""
    alerts = [_alert(fp, members[fp], states.get(fp)) for fp in chosen]
    return {
        "version": "4",
        "groupKey": group.key,
        "truncatedAlerts": truncated,
        "status": "firing" if any(a["status"] == "firing" for a in alerts) else "resolved",
        "receiver": group.receiver,
        "groupLabels": dict(group.labels),
        "commonLabels": _common([a["labels"] for a in alerts]),
        "commonAnnotations": _common([a["annotations"] for a in alerts]),
        "externalURL": group.external_url,
        "alerts": alerts,
    }

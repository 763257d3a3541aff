"""The data a Slack title/text template renders against: Alertmanager's template Data (its "Notification template
reference"), with the fields it has in Alertmanager 0.33.1."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)  # Go's zero time.Time, which Alertmanager prints for an unset time


@dataclass(frozen=True)
class TemplateAlert:
    """One alert of a notification, as `.Alerts` holds it."""

    status: str  # "firing" or "resolved"
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    starts_at: datetime = ZERO_TIME
    ends_at: datetime = ZERO_TIME
    generator_url: str = ""
    fingerprint: str = ""


@dataclass(frozen=True)
class TemplateData:
    """A notification's data: `.Receiver`, `.Status`, `.Alerts`, `.GroupLabels`, `.CommonLabels`,
    `.CommonAnnotations`, `.ExternalURL` (and `.NotificationReason`, empty here as in most of Alertmanager's)."""

    receiver: str
    status: str  # "firing" when any alert fires, else "resolved"
    alerts: tuple[TemplateAlert, ...] = ()
    group_labels: Mapping[str, str] = field(default_factory=dict)
    common_labels: Mapping[str, str] = field(default_factory=dict)
    common_annotations: Mapping[str, str] = field(default_factory=dict)
    external_url: str = ""
    notification_reason: str = ""


def common_pairs(alerts: Iterable[TemplateAlert]) -> tuple[dict[str, str], dict[str, str]]:
    """The labels and the annotations every alert has with the same value (CommonLabels, CommonAnnotations), as
    Alertmanager computes them."""
    listed = list(alerts)
    if not listed:
        return {}, {}
    labels, annotations = dict(listed[0].labels), dict(listed[0].annotations)
    for alert in listed[1:]:
        labels = {k: v for k, v in labels.items() if alert.labels.get(k) == v}
        annotations = {k: v for k, v in annotations.items() if alert.annotations.get(k) == v}
    return labels, annotations


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def from_alertmanager_json(data: Mapping[str, Any]) -> TemplateData:
    """TemplateData from Alertmanager's JSON of its Data (a webhook payload, or amtool's --template.data)."""
    alerts = tuple(
        TemplateAlert(
            status=a.get("status", ""),
            labels=dict(a.get("labels") or {}),
            annotations=dict(a.get("annotations") or {}),
            starts_at=_time(a["startsAt"]) if a.get("startsAt") else ZERO_TIME,
            ends_at=_time(a["endsAt"]) if a.get("endsAt") else ZERO_TIME,
            generator_url=a.get("generatorURL", ""),
            fingerprint=a.get("fingerprint", ""),
        )
        for a in data.get("alerts") or []
    )
    return TemplateData(
        receiver=data.get("receiver", ""),
        status=data.get("status", ""),
        alerts=alerts,
        group_labels=dict(data.get("groupLabels") or {}),
        common_labels=dict(data.get("commonLabels") or {}),
        common_annotations=dict(data.get("commonAnnotations") or {}),
        external_url=data.get("externalURL", ""),
        notification_reason=data.get("notification_reason", ""),
    )


def _example() -> TemplateData:
    """amtool's example data (`amtool template render` without --template.data), with fixed times."""
    common_labels = {"commonlabelkey1": "commonlabelvalue1", "commonlabelkey2": "commonlabelvalue2"}
    common_annotations = {
        "commonannotationkey1": "commonannotationvalue1",
        "commonannotationkey2": "commonannotationvalue2",
    }
    ends = datetime(2026, 1, 15, 10, tzinfo=UTC)
    alerts = (
        TemplateAlert(
            "firing",
            {"label1": "value1", "label2": "value2", "instance": "foo.bar:1234", **common_labels},
            {"annotation1": "value1", "annotation2": "value2", **common_annotations},
            ends - timedelta(minutes=5),
            ends,
            "https://generatorurl.com",
            "fingerprint1",
        ),
        TemplateAlert(
            "resolved",
            {"foo": "bar", "baz": "qux", **common_labels},
            {"aaa": "bbb", "ccc": "ddd", **common_annotations},
            ends - timedelta(minutes=10),
            ends,
            "https://generatorurl.com",
            "fingerprint2",
        ),
    )
    group_labels = {"grouplabelkey1": "grouplabelvalue1", "grouplabelkey2": "grouplabelvalue2"}
    return TemplateData(
        "receiver",
        "alertstatus",
        alerts,
        group_labels,
        common_labels,
        common_annotations,
        "https://example.com",
    )


EXAMPLE = _example()

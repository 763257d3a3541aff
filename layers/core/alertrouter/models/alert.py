"""The one shape every source is turned into."""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field


class Status(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"
    NODATA = "nodata"


class Severity(StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"critical": 0, "warning": 1, "info": 2}[self.value]


_SEVERITY_WORDS = {
    **dict.fromkeys(("critical", "page", "p1", "sev1", "high"), Severity.CRITICAL),
    **dict.fromkeys(("warning", "warn", "ticket", "p2", "p3", "sev2", "medium"), Severity.WARNING),
    **dict.fromkeys(("info", "informational", "low", "p4", "p5"), Severity.INFO),
}


def severity_word(text: str) -> Severity | None:
    """The severity a tag, description or service means by a word (`High`, `p1`, `ticket`), if any."""
    return _SEVERITY_WORDS.get(text.strip().lower())


class MuteWindow(BaseModel):
    """A CloudWatch alarm mute rule's window (`muteDetail` of an alarm state change, or the rule looked up):
    the alarm's actions are muted from `starts_at_ms` until `ends_at_ms` (exclusive)."""

    model_config = ConfigDict(frozen=True)

    rule: str  # the rule's name (the end of its ARN), as messages and the history show it
    rule_arn: str = ""
    starts_at_ms: int
    ends_at_ms: int

    def covers(self, at_ms: int) -> bool:
        return self.starts_at_ms <= at_ms < self.ends_at_ms


class Alert(BaseModel):
    """One alert instance at one point in time, as a source reported it."""

    model_config = ConfigDict(frozen=True)

    source: str
    status: Status
    severity: Severity
    title: str
    summary: str = ""
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    timestamp: datetime
    fingerprint: str
    # True for sources that never send a "resolved" (a failed job, a service notice): the route's
    # resolve_timeout resolves them unless they recur
    one_shot: bool = False
    # the CloudWatch mute rule window this state change came with (or was found in): the alert is kept but
    # not sent while the window covers its time and has not ended
    muted: MuteWindow | None = None

    @property
    def resource(self) -> str:
        return self.labels.get("resource", "")

    @property
    def timestamp_ms(self) -> int:
        return int(self.timestamp.timestamp() * 1000)


@lru_cache(maxsize=4096)  # the same alarms recur all through a storm; bounded, so memory stays flat
def fingerprint(*parts: str) -> str:
    """A stable identity for an alert: the same inputs give the same 16 hex digits on any machine."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


class Ignored(BaseModel):
    """An input that was understood but deliberately not turned into an alert."""

    reason: str
    kind: str = ""

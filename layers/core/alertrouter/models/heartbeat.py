"""Heartbeat checks (dead man's switches), as configured, and the state the table keeps of each.

A check expects a sign of life every `period` (or at each tick of a `cron` schedule in its `time_zone`) and
waits `grace` more before it is down. The sign is a ping (kind `ping`: HTTP with the check's token, or an
EventBridge event from a job with IAM), a matching AWS event (kind `event`: a Batch job that succeeded), or a
CloudWatch datapoint (kinds `metric` and `log_group`, looked at by the escalator's sweep). Semantics follow
healthchecks.io: new -> up -> late (in grace) -> down; /start, /fail; a paused check never alerts.
"""

from __future__ import annotations

import fnmatch
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal, Self
from zoneinfo import ZoneInfo

from cronsim import CronSim, CronSimError
from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator, model_validator

from alertrouter.models.duration import parse_duration
from alertrouter.models.zone import zone_name

CHECK_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"  # a URL path segment, a label value, a table key
DEFAULT_GRACE = timedelta(hours=1)  # healthchecks.io's default: a job a little late is not yet down
MIN_PERIOD = timedelta(minutes=1)  # the sweep runs every minute
MAX_NOTE_BYTES = 10 * 1024  # the last ping's body kept as its note
RESERVED_LABELS = ("alertname", "heartbeat")


class CheckKind(StrEnum):
    PING = "ping"
    EVENT = "event"
    METRIC = "metric"
    LOG_GROUP = "log_group"
    SPOKE = (
        "spoke"  # a hub's watch of a spoke account, made by the router (alertrouter.spokes), never configured
    )


class PingKind(StrEnum):
    SUCCESS = "success"
    START = "start"
    FAIL = "fail"


class HeartbeatStatus(StrEnum):
    """What the table keeps; `late` and `started` are derived from it and the clock (oncall/heartbeat.py)."""

    NEW = "new"  # never pinged: never alerts (healthchecks.io's rule)
    UP = "up"
    DOWN = "down"
    PAUSED = "paused"


_UNITS = (
    ("w", timedelta(weeks=1)),
    ("d", timedelta(days=1)),
    ("h", timedelta(hours=1)),
    ("m", timedelta(minutes=1)),
    ("s", timedelta(seconds=1)),
)


def duration_text(d: timedelta) -> str:
    """A duration as the config writes it: "1d", "4h", "1h30m", "0s"."""
    parts = []
    rest = d
    for unit, size in _UNITS:
        n, rest = divmod(rest, size)
        if n:
            parts.append(f"{n}{unit}")
    return "".join(parts) or "0s"


def _duration(v: Any) -> Any:
    return parse_duration(v) if isinstance(v, str | int | float) else v


class EventMatch(BaseModel):
    """Which AWS Batch jobs count as a ping when they succeed: shell patterns (`nightly-*`) on the job's name
    and its queue (a name or an ARN; a pattern without `arn:` matches the queue's name). Both given: both
    must match."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    job_name: str | None = Field(default=None, min_length=1, max_length=200)
    job_queue: str | None = Field(default=None, min_length=1, max_length=400)

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.job_name is None and self.job_queue is None:
            raise ValueError("event: name a job_name or a job_queue (or both) to match")
        return self

    def matches(self, job_name: str, job_queue: str) -> bool:
        """Does a succeeded Batch job of this name, in this queue (its ARN), count as a ping?"""
        if self.job_name is not None and not fnmatch.fnmatchcase(job_name, self.job_name):
            return False
        if self.job_queue is None:
            return True
        queue = job_queue if self.job_queue.startswith("arn:") else job_queue.rsplit("/", 1)[-1]
        return fnmatch.fnmatchcase(queue, self.job_queue)


class MetricSignal(BaseModel):
    """A CloudWatch metric as the sign of life: each `period` datapoint whose statistic is at least
    `at_least` counts as a ping (e.g. outbound bytes of a service: below N for the check's period is down)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    namespace: str = Field(min_length=1, max_length=255)
    metric_name: str = Field(min_length=1, max_length=255)
    dimensions: dict[str, str] = Field(default_factory=dict, max_length=30)
    statistic: Literal["Sum", "Average", "Minimum", "Maximum", "SampleCount"] = "Sum"
    period: timedelta = timedelta(minutes=5)
    at_least: float = Field(default=1.0, gt=0)
    region: str | None = None

    @field_validator("period", mode="before")
    @classmethod
    def _period(cls, v: Any) -> Any:
        return _duration(v)

    @field_serializer("period")
    def _period_text(self, v: timedelta) -> str:
        return duration_text(v)

    @field_validator("period")
    @classmethod
    def _whole_minutes(cls, v: timedelta) -> timedelta:
        if v < timedelta(minutes=1) or v.total_seconds() % 60:
            raise ValueError("metric.period must be whole minutes (CloudWatch's standard resolution)")
        return v


class LogGroupSignal(BaseModel):
    """A log group as the sign of life: any event it takes in (AWS/Logs IncomingLogEvents) is a ping."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=512)
    at_least: float = Field(default=1.0, gt=0)
    region: str | None = None


class HeartbeatCheck(BaseModel):
    """One check as configured (the `heartbeats:` section of the routing config, or `alertrouter heartbeat
    add`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str = Field(pattern=CHECK_NAME)
    description: str = Field(default="", max_length=500)
    period: timedelta | None = None
    cron: str | None = Field(default=None, min_length=1, max_length=200)
    time_zone: str = Field(default="UTC", alias="tz")
    grace: timedelta = DEFAULT_GRACE
    labels: dict[str, str] = Field(default_factory=dict, max_length=30)
    kind: CheckKind = CheckKind.PING
    event: EventMatch | None = None
    metric: MetricSignal | None = None
    log_group: LogGroupSignal | None = None

    @field_validator("period", "grace", mode="before")
    @classmethod
    def _durations(cls, v: Any) -> Any:
        return _duration(v)

    @field_serializer("period", "grace")
    def _durations_text(self, v: timedelta | None) -> str | None:
        return None if v is None else duration_text(v)

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, v: str) -> str:
        return zone_name(v)

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if len(v.split()) != 5:
            raise ValueError(f"cron {v[:60]!r} must have 5 fields (minute hour day month weekday)")
        try:
            CronSim(v, datetime(2000, 1, 1, tzinfo=UTC))
        except CronSimError as exc:
            raise ValueError(f"cron {v[:60]!r} is not a valid expression: {exc}") from exc
        return v

    @field_validator("labels")
    @classmethod
    def _labels(cls, v: dict[str, str]) -> dict[str, str]:
        taken = sorted(set(v) & set(RESERVED_LABELS))
        if taken:
            raise ValueError(f"labels {', '.join(taken)} are set by the check itself")
        return v

    @model_validator(mode="after")
    def _check(self) -> Self:
        if (self.period is None) == (self.cron is None):
            raise ValueError(f"heartbeat {self.name!r}: give either period or cron (exactly one)")
        if self.period is not None and self.period < MIN_PERIOD:
            raise ValueError(
                f"heartbeat {self.name!r}: period must be at least 1m (the sweep runs each minute)"
            )
        if self.grace < timedelta(0):
            raise ValueError(f"heartbeat {self.name!r}: grace must not be negative")
        sections = {
            CheckKind.EVENT: self.event,
            CheckKind.METRIC: self.metric,
            CheckKind.LOG_GROUP: self.log_group,
        }
        for kind, section in sections.items():
            if kind == self.kind and section is None:
                raise ValueError(
                    f"heartbeat {self.name!r}: kind {kind.value} needs its `{kind.value}:` section"
                )
            if kind != self.kind and section is not None:
                raise ValueError(
                    f"heartbeat {self.name!r}: a `{kind.value}:` section belongs to kind {kind.value}, "
                    f"not {self.kind.value}"
                )
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def as_config(self) -> dict[str, Any]:
        """The check as the config writes it (durations as text, defaults left out): what the store keeps."""
        return self.model_dump(mode="json", exclude_defaults=True)


class HeartbeatState(BaseModel):
    """What the table keeps of a check besides its definition: its status and its latest pings (epoch ms)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    status: HeartbeatStatus = HeartbeatStatus.NEW
    last_ping_ms: int | None = None  # the last success (or failure: a /fail is a ping too)
    last_start_ms: int | None = None  # a run began and has not reported since
    last_fail_ms: int | None = None
    last_event_ms: int | None = None  # any ping recorded: the rate limit counts from it
    last_event_kind: PingKind | None = None
    note: str = ""  # the last ping's body, as sent (escaped where it is shown)
    down_reason: Literal["", "missed", "failed", "unfinished"] = ""
    down_since_ms: int | None = None
    rev: int = 0  # each write's condition: a sweep and a ping never both move the same state
    # the event this state raised, stored with it and cleared once it is on the router's queue (a run that
    # stops between the two leaves it here for the next sweep to send)
    outbox: dict[str, Any] | None = None


class HeartbeatRecord(BaseModel):
    """A check as stored: its definition, its token's hash (never the token) and its state."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    check: HeartbeatCheck
    token_hash: str = ""
    state: HeartbeatState = Field(default_factory=HeartbeatState)
    created_ms: int = 0

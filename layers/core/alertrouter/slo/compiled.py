"""The SLO as the evaluator uses it: compiled from an OpenSLO document by `alertrouter.slo.loader`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from fractions import Fraction
from typing import Any, Self
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from alertrouter.slo.rules import BurnRule
from alertrouter.slo.statistics import check_stat
from alertrouter.slo.units import ExactNumber, OptionalExactNumber

NOMINAL_MONTH = timedelta(days=30)


class CloudWatchMetric(BaseModel):
    """One CloudWatch metric and statistic (`metricSource.spec` in the YAML, camelCase there)."""

    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True)

    namespace: str = Field(min_length=1, max_length=255)
    metric_name: str = Field(min_length=1, max_length=255)
    dimensions: dict[str, str] = Field(default_factory=dict)
    stat: str
    region: str | None = None
    account_id: str | None = None

    @field_validator("dimensions", mode="before")
    @classmethod
    def _dimensions(cls, v: Any) -> Any:
        if v is None:
            return {}
        if isinstance(v, dict):
            return {k: _dimension_value(k, value) for k, value in v.items()}
        if not isinstance(v, list):
            raise ValueError("dimensions are a list of {name, value} or a mapping of name to value")
        out: dict[str, str] = {}
        for index, item in enumerate(v):
            if not isinstance(item, dict) or set(item) != {"name", "value"}:
                raise ValueError(f"dimension {index}: write it as {{name: ..., value: ...}}")
            name = item["name"]
            if not isinstance(name, str):
                raise ValueError(f"dimension {index}: the name must be text")
            if name in out:
                raise ValueError(f"dimension {name!r} is given twice")
            out[name] = _dimension_value(name, item["value"])
        return out

    @field_validator("dimensions")
    @classmethod
    def _dimension_limits(cls, v: dict[str, str]) -> dict[str, str]:
        if len(v) > 30:
            raise ValueError(f"CloudWatch allows at most 30 dimensions, got {len(v)}")
        for name, value in v.items():
            if not 1 <= len(name) <= 255 or not 1 <= len(value) <= 1024:
                raise ValueError(f"dimension {name!r}: names are 1-255 characters, values 1-1024")
        return v

    @field_validator("stat")
    @classmethod
    def _stat(cls, v: str) -> str:
        return check_stat(v.strip())

    def key(self) -> str:
        """A stable id: equal for the same metric and statistic however the dimensions were written."""
        return json.dumps(
            [self.namespace, self.metric_name, sorted(self.dimensions.items()), self.stat],
            separators=(",", ":"),
            ensure_ascii=False,
        )

    def data_queries(self, qid: str, period: int) -> list[dict[str, Any]]:
        """The GetMetricData query reading this metric at `period` seconds."""
        query: dict[str, Any] = {
            "Id": qid,
            "ReturnData": True,
            "MetricStat": {
                "Metric": {
                    "Namespace": self.namespace,
                    "MetricName": self.metric_name,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(self.dimensions.items())],
                },
                "Period": period,
                "Stat": self.stat,
            },
        }
        if self.account_id:
            query["AccountId"] = self.account_id
        return [query]


def _dimension_value(name: Any, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"dimension {name!r}: the value must be text (quote it), got {value!r}")
    return str(value)


class RatioMetric(BaseModel):
    """The SLI: good or bad events over total events."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    counter: bool = False  # the metrics are cumulative counters: their increases are the events
    good: CloudWatchMetric | None = None
    bad: CloudWatchMetric | None = None
    total: CloudWatchMetric

    @model_validator(mode="after")
    def _one_numerator(self) -> Self:
        if (self.good is None) == (self.bad is None):
            raise ValueError("give exactly one of good or bad")
        return self

    def metrics(self) -> dict[str, CloudWatchMetric]:
        """The metrics to read, by part: {"good" or "bad": ..., "total": ...}."""
        parts = {"good": self.good, "bad": self.bad, "total": self.total}
        return {part: metric for part, metric in parts.items() if metric is not None}


class Budgeting(StrEnum):
    OCCURRENCES = "Occurrences"
    TIMESLICES = "Timeslices"


class TimeWindow(BaseModel):
    """The SLO period: rolling (`length` before any moment) or a calendar month in `time_zone`."""

    model_config = ConfigDict(frozen=True)

    duration: str  # as written: "30d", "1M"
    rolling: bool
    length: timedelta | None = None  # rolling windows only
    time_zone: str = "UTC"  # calendar windows only
    start: datetime | None = None  # calendar windows: the first period's start, local time

    @property
    def nominal(self) -> timedelta:
        """The length alert thresholds are scaled to: a rolling window's, 30 days for a calendar month."""
        return self.length if self.length is not None else NOMINAL_MONTH

    def period(self, at: datetime) -> tuple[datetime, datetime]:
        """The period containing `at` (timezone-aware), as UTC datetimes [start, end)."""
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(f"`at` must be timezone-aware, got {at!r}")
        if self.length is not None:
            return (at - self.length).astimezone(UTC), at.astimezone(UTC)
        zone = ZoneInfo(self.time_zone)
        local = at.astimezone(zone)
        start = datetime(local.year, local.month, 1, tzinfo=zone)
        end = datetime(local.year + local.month // 12, local.month % 12 + 1, 1, tzinfo=zone)
        return start.astimezone(UTC), end.astimezone(UTC)


class Slo(BaseModel):
    """One SLO, ready to evaluate."""

    model_config = ConfigDict(frozen=True)

    name: str
    display_name: str  # metadata.displayName, else the name
    service: str
    description: str = ""
    ratio: RatioMetric
    threshold: Any = None
    time_window: TimeWindow
    budgeting: Budgeting = Budgeting.OCCURRENCES
    target: ExactNumber
    slice_target: OptionalExactNumber = None  # Timeslices: a slice is good when good/total >= this
    slice_minutes: int | None = None  # Timeslices: the slice length
    rules: list[BurnRule]
    min_events: int = Field(default=0, ge=0)

    @field_validator("target")
    @classmethod
    def _target(cls, v: Fraction) -> Fraction:
        if not 0 < v < 1:
            raise ValueError("must be between 0 and 1 (exclusive)")
        return v

    @model_validator(mode="after")
    def _slices(self) -> Self:
        timeslices = self.budgeting is Budgeting.TIMESLICES
        if timeslices != (self.slice_target is not None) or timeslices != (self.slice_minutes is not None):
            raise ValueError("slice_target and slice_minutes are given exactly when budgeting is Timeslices")
        return self

    def sli_metrics(self) -> dict[str, CloudWatchMetric]:
        return self.ratio.metrics()

    @property
    def nominal_period(self) -> timedelta:
        """The period length the default rules' thresholds are scaled to."""
        return self.time_window.nominal

    def period(self, at: datetime) -> tuple[datetime, datetime]:
        """The SLO period containing `at`: rolling (at - duration, at); a calendar month in its time zone.
        Returned in UTC."""
        return self.time_window.period(at)

    def period_length(self, at: datetime) -> timedelta:
        start, end = self.period(at)
        return end - start

"""SLO definitions in OpenSLO v1 YAML (https://github.com/OpenSLO/OpenSLO), validated into `Slo` objects.

A file holds several YAML documents (`---`). Documents of kind `SLO` are read; the other OpenSLO v1 kinds
(Service, SLI, DataSource, AlertPolicy, AlertCondition, AlertNotificationTarget) are accepted and skipped;
any other kind is an error. Every document must say `apiVersion: openslo/v1`.

What is supported of an SLO:
- `spec.indicator`, inline, with a `ratioMetric`: `total` and exactly one of `good` or `bad`, each a
  `metricSource` of `type: CloudWatch` whose `spec` names `namespace`, `metricName`, `dimensions` (a list
  of `{name, value}` or a mapping name -> value) and `stat` (Sum, SampleCount, Average, Minimum, Maximum,
  IQM, pNN(.N), tmNN/wmNN/tcNN/tsNN, TM/WM/TC/TS(a:b) with absolute or percent bounds, PR(a:b)).
  `counter: true` says the metrics are cumulative counters: increases are computed, resets handled.
  `indicatorRef`, `thresholdMetric`, `raw` and `metricSourceRef` are not supported (clear errors).
- `spec.timeWindow`: one window, rolling whole days (`30d`, `28d`, `4w`, ... 1d to 90d) or a calendar
  month (`duration: 1M` with `calendar: {startTime, timeZone}`; the start must be the first of a month).
- `spec.budgetingMethod`: Occurrences, or Timeslices (the objective then needs `timeSliceTarget` and a
  `timeSliceWindow` of whole minutes that divides an hour: 1m, 5m, 10m, ...).
- `spec.objectives`: exactly one, with `target` (0 < target < 1) or `targetPercent` (0 < p < 100),
  read decimal-exact (0.999 is 999/1000).
- `metadata.annotations["alertrouter/min-events"]`: the minimum-events guard per window (default 0, off).

Alert rules. Without `spec.alertPolicies` an SLO gets the SRE Workbook's multiwindow, multi-burn-rate set
scaled to its period (`rules.default_rules`; for 30 days: page 1h/5m above 14.4, page 6h/30m above 6,
ticket 3d/6h above 1). With `alertPolicies` (inline AlertPolicy documents with inline AlertConditions of
`kind: burnrate`) each condition becomes one `BurnRule`, mapped thus:
- `lookbackWindow` is the rule's long window; its short window is lookbackWindow / 12 (the Workbook's
  ratio), unless the condition gives our extension key `shortWindow`; both are whole minutes;
- `threshold` is the burn rate both windows must exceed; `op`, if given, must be `gt` (strictly greater,
  as in the Workbook); `alertAfter` (default 0m) is kept on the rule: how long the condition must hold;
- `severity` is one of page, critical (these page, and suppress the others while firing), ticket,
  warning, info.
`notificationTargets` and `alertWhenResolved` are ignored: the routing config decides where alerts go
(by their labels) and the router sends resolutions. `alertWhenNoData: true` is refused (windows without
data never fire) and so is `alertWhenBreaching: false`. Unlike OpenSLO, a policy may hold several
conditions. A calendar month's rules are scaled to a nominal 30 days, so they do not change by month.

Errors are `SloError`, one message naming the file, the document and the field, e.g.
`config/slos.yaml: document 2 (checkout-latency): spec.objectives.0.target: must be between 0 and 1
(exclusive)`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from alertrouter.slo.burn import exact
from alertrouter.slo.rules import BurnRule, default_rules, format_duration
from alertrouter.yamltext import YAMLError, load_yaml_all

API_VERSION = "openslo/v1"
SKIPPED_KINDS = frozenset(
    {"Service", "SLI", "DataSource", "AlertPolicy", "AlertCondition", "AlertNotificationTarget"}
)
SEVERITIES = ("page", "critical", "ticket", "warning", "info")
MIN_EVENTS = "alertrouter/min-events"
NOMINAL_MONTH = timedelta(days=30)
MAX_ROLLING_DAYS = 90
SHORT_WINDOW_RATIO = 12

_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_SHORTHAND = re.compile(r"^(\d+)([mhdwMQY])$")
_FIXED_UNITS = {
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}
_MINUTE = timedelta(minutes=1)


class SloError(ValueError):
    """The SLO file cannot be used; the message says where (file, document, field) and why."""


class _FieldError(ValueError):
    """A problem found by a model-level check, at `path` below that model (so the message names the field)."""

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


# ---- values ----


def _number(value: Any) -> Fraction:
    try:
        return exact(value)
    except (TypeError, ValueError):
        raise ValueError(f"must be a number, got {value!r}") from None


ExactNumber = Annotated[Fraction, BeforeValidator(_number)]


def _optional_number(value: Any) -> Fraction | None:
    return None if value is None else _number(value)


OptionalExactNumber = Annotated[Fraction | None, BeforeValidator(_optional_number)]


def parse_shorthand(value: Any, *, allow_zero: bool = False) -> timedelta:
    """An OpenSLO duration-shorthand of fixed length: `Nm`, `Nh`, `Nd` or `Nw` (M, Q and Y vary in length)."""
    found = _SHORTHAND.match(value.strip()) if isinstance(value, str) else None
    if found is None:
        raise ValueError(
            f"{value!r} is not a duration: write a whole number and a unit, like 5m, 1h, 3d or 4w"
        )
    count, unit = int(found.group(1)), found.group(2)
    if unit not in _FIXED_UNITS:
        raise ValueError(f"{value!r}: months, quarters and years have no fixed length here; use m, h, d or w")
    if count == 0 and not allow_zero:
        raise ValueError(f"{value!r}: must be longer than zero")
    try:
        return count * _FIXED_UNITS[unit]
    except OverflowError as exc:
        raise ValueError(f"{str(value)[:40]!r} is out of range") from exc


def _duration(value: Any) -> Any:
    return value if isinstance(value, timedelta) else parse_shorthand(value)


def _duration_or_zero(value: Any) -> Any:
    return value if isinstance(value, timedelta) else parse_shorthand(value, allow_zero=True)


Shorthand = Annotated[timedelta, BeforeValidator(_duration)]
ShorthandOrZero = Annotated[timedelta, BeforeValidator(_duration_or_zero)]


# ---- CloudWatch statistics ----

_BASIC_STATS = ("SampleCount", "Sum", "Average", "Minimum", "Maximum", "IQM")
_DECIMAL = r"\d+(?:\.\d{1,10})?"
_PERCENTILE = re.compile(rf"^[pP]({_DECIMAL})$")
_SHORT_TRIM = re.compile(rf"^(?:tm|wm|tc|ts|TM|WM|TC|TS)({_DECIMAL})$")
_RANGE_STAT = re.compile(r"^(TM|WM|TC|TS|PR|tm|wm|tc|ts|pr)\(([^:()]*):([^:()]*)\)$")
_BOUND = re.compile(rf"^(-?{_DECIMAL})(%?)$")
_STAT_HELP = (
    "use Sum, SampleCount, Average, Minimum, Maximum, IQM, a percentile like p99 or p99.9, "
    "tm90/wm90/tc90/ts90, or a range like TC(:0.3), TM(10%:90%), PR(:300)"
)


def check_stat(stat: str) -> str:  # noqa: C901 - to be split (issue 14)
    """A CloudWatch statistic, by its form (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/
    Statistics-definitions.html); returns it unchanged or raises ValueError."""
    if stat in _BASIC_STATS:
        return stat
    for basic in _BASIC_STATS:
        if stat.lower() == basic.lower():
            raise ValueError(f"statistic {stat!r}: write {basic!r} (statistic names are case-sensitive)")
    if (found := _PERCENTILE.match(stat) or _SHORT_TRIM.match(stat)) is not None:
        if Fraction(found.group(1)) > 100:
            raise ValueError(f"statistic {stat!r}: a percentile is between 0 and 100")
        return stat
    if (ranged := _RANGE_STAT.match(stat)) is None:
        raise ValueError(f"statistic {stat!r} is not a CloudWatch statistic: {_STAT_HELP}")
    name = ranged.group(1).upper()
    bounds: list[tuple[Fraction, bool] | None] = []
    for text in (ranged.group(2).strip(), ranged.group(3).strip()):
        if not text:
            bounds.append(None)
            continue
        bound = _BOUND.match(text)
        if bound is None:
            raise ValueError(f"statistic {stat!r}: bound {text!r} is not a number or a percentage like 10%")
        bounds.append((Fraction(bound.group(1)), bool(bound.group(2))))
    low, high = bounds
    given = [b for b in bounds if b is not None]
    if not given:
        raise ValueError(f"statistic {stat!r}: give at least one bound, e.g. {name}(:0.3)")
    if name == "PR" and any(percent for _, percent in given):
        raise ValueError(f"statistic {stat!r}: PR takes values, not percentages, e.g. PR(:300)")
    if len({percent for _, percent in given}) > 1:
        raise ValueError(f"statistic {stat!r}: both bounds must be percentages or both values")
    if any(percent and not 0 <= value <= 100 for value, percent in given):
        raise ValueError(f"statistic {stat!r}: percentages are between 0% and 100%")
    if low is not None and high is not None and low[0] >= high[0]:
        raise ValueError(f"statistic {stat!r}: the lower bound must be below the upper one")
    return stat


# ---- public, compiled model ----


class CloudWatchMetric(BaseModel):
    """One CloudWatch metric and statistic (`metricSource.spec` in the YAML, camelCase there)."""

    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True)

    namespace: str = Field(min_length=1, max_length=255)
    metric_name: str = Field(min_length=1, max_length=255)
    dimensions: dict[str, str] = Field(default_factory=dict)
    stat: str

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


# ---- the OpenSLO documents, as written ----


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel)


def _unsupported(what: str) -> Any:
    def check(value: Any) -> Any:
        if value is not None:
            raise ValueError(f"not supported: {what}")
        return value

    return BeforeValidator(check)


def _api_version(cls: Any, v: str | None) -> str | None:
    if v is not None and v != API_VERSION:
        raise ValueError(f"expected {API_VERSION}, got {v!r}")
    return v


class Metadata(_Document):
    name: str
    display_name: str | None = None
    labels: dict[str, Any] = Field(default_factory=dict)
    annotations: dict[str, Any] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError(
                f"{v!r} is not a valid name: at most 63 lowercase letters, digits and '-', "
                "starting and ending with a letter or digit"
            )
        return v


class MetricSource(_Document):
    type: str
    metric_source_ref: Annotated[Any, _unsupported("put type: CloudWatch and the metric in spec")] = None
    spec: CloudWatchMetric

    @model_validator(mode="before")
    @classmethod
    def _cloudwatch(cls, data: Any) -> Any:
        if isinstance(data, dict) and "type" in data and data["type"] != "CloudWatch":
            raise _FieldError(("type",), f"only type: CloudWatch is supported, got {data['type']!r}")
        return data


class MetricRef(_Document):
    metric_source: MetricSource


class RatioMetricDoc(_Document):
    counter: bool = False
    good: MetricRef | None = None
    bad: MetricRef | None = None
    total: MetricRef | None = None
    raw: Annotated[Any, _unsupported("give good or bad over total instead of a raw ratio")] = None
    raw_type: Annotated[Any, _unsupported("give good or bad over total instead of a raw ratio")] = None

    @model_validator(mode="after")
    def _parts(self) -> Self:
        if self.good is not None and self.bad is not None:
            raise _FieldError(("bad",), "give good or bad, not both")
        numerator = self.good or self.bad
        if numerator is None:
            raise _FieldError(("good",), "required: the good events (or bad, instead)")
        if self.total is None:
            raise _FieldError(("total",), "required: all events, the denominator")
        if numerator.metric_source.spec.key() == self.total.metric_source.spec.key():
            raise _FieldError(
                ("total",), "the same metric and statistic as the numerator: the ratio would be 1"
            )
        return self

    def compile(self) -> RatioMetric:
        def metric(ref: MetricRef | None) -> CloudWatchMetric | None:
            return None if ref is None else ref.metric_source.spec

        total = metric(self.total)
        assert total is not None  # checked above
        return RatioMetric(counter=self.counter, good=metric(self.good), bad=metric(self.bad), total=total)


class IndicatorSpec(_Document):
    description: str | None = Field(default=None, max_length=1050)
    ratio_metric: RatioMetricDoc | None = None
    threshold_metric: Annotated[Any, _unsupported("use a ratioMetric (good or bad over total)")] = None

    @model_validator(mode="after")
    def _ratio(self) -> Self:
        if self.ratio_metric is None:
            raise _FieldError(("ratioMetric",), "required: good or bad events over total events")
        return self


class Indicator(_Document):
    metadata: Metadata | None = None
    spec: IndicatorSpec


class Calendar(_Document):
    start_time: datetime
    time_zone: str = "UTC"

    @field_validator("start_time", mode="before")
    @classmethod
    def _start(cls, v: Any) -> Any:
        if isinstance(v, date) and not isinstance(v, datetime):
            return datetime(v.year, v.month, v.day)
        if isinstance(v, str):
            try:
                return datetime.fromisoformat(v.strip())
            except ValueError:
                raise ValueError(f"{v!r} is not a date and time like 2024-01-01 00:00:00") from None
        return v

    @field_validator("start_time")
    @classmethod
    def _local(cls, v: datetime) -> datetime:
        if v.tzinfo is not None:
            raise ValueError("startTime is local time in timeZone: leave out the UTC offset")
        return v

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # (OSError: "Europe" is a directory of zones)
            raise ValueError(f"unknown time zone {v!r}: use an IANA name like UTC or Europe/Berlin") from None
        return v


class TimeWindowDoc(_Document):
    duration: str
    is_rolling: bool | None = None
    calendar: Calendar | None = None

    @model_validator(mode="after")
    def _shape(self) -> Self:
        rolling = self.calendar is None if self.is_rolling is None else self.is_rolling
        if rolling:
            if self.calendar is not None:
                raise _FieldError(("calendar",), "a rolling window has no calendar (or set isRolling: false)")
            self._rolling_length()
        else:
            if self.calendar is None:
                raise _FieldError(("calendar",), "required for a calendar window: {startTime, timeZone}")
            if self.duration != "1M":
                raise _FieldError(
                    ("duration",),
                    f"{self.duration!r}: the only calendar window supported is 1M "
                    "(a month); for other lengths use a rolling window",
                )
            start = self.calendar.start_time
            if (start.day, start.hour, start.minute, start.second, start.microsecond) != (1, 0, 0, 0, 0):
                raise _FieldError(
                    ("calendar", "startTime"),
                    "a 1M window starts at the beginning of a month, e.g. 2024-01-01 00:00:00",
                )
        return self

    def _rolling_length(self) -> timedelta:
        found = _SHORTHAND.match(self.duration.strip())
        if found is None or found.group(2) not in "dw":
            hint = ""
            if found is not None and found.group(2) == "M":
                hint = (
                    " (a calendar month is duration: 1M, isRolling: false, calendar: {startTime, timeZone})"
                )
            raise _FieldError(
                ("duration",),
                f"{self.duration!r}: a rolling window is whole days or weeks, "
                f"e.g. 28d or 30d (1d to 90d){hint}",
            )
        try:
            length = int(found.group(1)) * _FIXED_UNITS[found.group(2)]
        except OverflowError:
            length = timedelta.max
        if not timedelta(days=1) <= length <= timedelta(days=MAX_ROLLING_DAYS):
            raise _FieldError(
                ("duration",), f"{self.duration!r}: a rolling window is 1d to {MAX_ROLLING_DAYS}d"
            )
        return length

    def compile(self) -> TimeWindow:
        if self.calendar is None:
            return TimeWindow(duration=self.duration, rolling=True, length=self._rolling_length())
        return TimeWindow(
            duration=self.duration,
            rolling=False,
            time_zone=self.calendar.time_zone,
            start=self.calendar.start_time,
        )


class Objective(_Document):
    display_name: str | None = None
    target: OptionalExactNumber = None
    target_percent: OptionalExactNumber = None
    time_slice_target: OptionalExactNumber = None
    time_slice_window: Any = None
    op: Annotated[Any, _unsupported("op and value are for thresholdMetric SLIs; use target")] = None
    value: Annotated[Any, _unsupported("op and value are for thresholdMetric SLIs; use target")] = None

    @field_validator("target")
    @classmethod
    def _target(cls, v: Fraction | None) -> Fraction | None:
        if v is not None and not 0 < v < 1:
            raise ValueError("must be between 0 and 1 (exclusive)")
        return v

    @field_validator("target_percent")
    @classmethod
    def _percent(cls, v: Fraction | None) -> Fraction | None:
        if v is not None and not 0 < v < 100:
            raise ValueError("must be between 0 and 100 (exclusive)")
        return v

    @field_validator("time_slice_target")
    @classmethod
    def _slice_target(cls, v: Fraction | None) -> Fraction | None:
        if v is not None and not 0 < v <= 1:
            raise ValueError("must be above 0 and at most 1")
        return v

    @field_validator("time_slice_window")
    @classmethod
    def _slice_window(cls, v: Any) -> Any:
        if v is None:
            return v
        if isinstance(v, int) and not isinstance(v, bool):
            minutes = v  # OpenSLO: a bare number is minutes
        else:
            window = parse_shorthand(v)
            if window % _MINUTE or window > timedelta(hours=1):
                raise ValueError(f"{v!r}: a slice is whole minutes, at most 1h")
            minutes = window // _MINUTE
        if minutes <= 0 or 60 % minutes:
            raise ValueError(
                f"{v!r}: a slice must divide an hour evenly: 1m, 2m, 3m, 4m, 5m, 6m, 10m, 12m, "
                "15m, 20m, 30m or 60m"
            )
        return minutes

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if self.target is not None and self.target_percent is not None:
            raise _FieldError(("targetPercent",), "give target or targetPercent, not both")
        if self.target is None and self.target_percent is None:
            raise _FieldError(("target",), "required: the share of good events, e.g. target: 0.999")
        return self

    @property
    def goal(self) -> Fraction:
        if self.target is not None:
            return self.target
        assert self.target_percent is not None
        return self.target_percent / 100


class BurnCondition(_Document):
    kind: str = "burnrate"
    op: str | None = None
    threshold: ExactNumber
    lookback_window: Shorthand
    alert_after: ShorthandOrZero = timedelta(0)
    short_window: Shorthand | None = None  # ours: the rule's short window (default lookbackWindow / 12)

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        if v != "burnrate":
            raise ValueError(f"only kind: burnrate is supported, got {v!r}")
        return v

    @field_validator("op")
    @classmethod
    def _op(cls, v: str | None) -> str | None:
        if v is not None and v != "gt":
            raise ValueError(
                f"only op: gt is supported (a rule fires when the burn rate is strictly above "
                f"the threshold), got {v!r}"
            )
        return v

    @field_validator("threshold")
    @classmethod
    def _threshold(cls, v: Fraction) -> Fraction:
        if v <= 0:
            raise ValueError("must be above 0")
        return v

    @model_validator(mode="after")
    def _windows(self) -> Self:
        short = self.short
        if short % _MINUTE and self.short_window is None:
            raise _FieldError(
                ("lookbackWindow",),
                (
                    f"the short window, lookbackWindow / {SHORT_WINDOW_RATIO} = {format_duration(short)}, is not whole "
                    "minutes: give shortWindow, or a lookbackWindow of a multiple of 12 minutes"
                ),
            )
        if short > self.lookback_window:
            raise _FieldError(("shortWindow",), "must not be longer than lookbackWindow")
        return self

    @property
    def short(self) -> timedelta:
        return (
            self.short_window if self.short_window is not None else self.lookback_window / SHORT_WINDOW_RATIO
        )


class AlertConditionSpec(_Document):
    description: str | None = Field(default=None, max_length=1050)
    severity: str
    condition: BurnCondition

    @field_validator("severity")
    @classmethod
    def _severity(cls, v: str) -> str:
        if v not in SEVERITIES:
            raise ValueError(f"unknown severity {v!r}: use {', '.join(SEVERITIES)}")
        return v


class AlertCondition(_Document):
    api_version: str | None = None
    kind: str | None = None
    metadata: Metadata | None = None
    spec: AlertConditionSpec

    @model_validator(mode="before")
    @classmethod
    def _inline(cls, data: Any) -> Any:
        if isinstance(data, dict) and "conditionRef" in data:
            raise _FieldError(("conditionRef",), "not supported: inline the AlertCondition")
        return data

    _api = field_validator("api_version")(_api_version)

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str | None) -> str | None:
        if v is not None and v != "AlertCondition":
            raise ValueError(f"expected AlertCondition, got {v!r}")
        return v

    def rule(self) -> BurnRule:
        condition = self.spec.condition
        return BurnRule(
            self.spec.severity,
            condition.lookback_window,
            condition.short,
            condition.threshold,
            condition.alert_after,
        )


class AlertPolicySpec(_Document):
    description: str | None = Field(default=None, max_length=1050)
    alert_when_no_data: bool = False
    alert_when_resolved: bool = True  # ignored: the router sends resolutions
    alert_when_breaching: bool = True
    conditions: list[AlertCondition]
    notification_targets: list[Any] = Field(default_factory=list)  # ignored: the routing config decides

    @field_validator("conditions")
    @classmethod
    def _conditions(cls, v: list[AlertCondition]) -> list[AlertCondition]:
        if not v:
            raise ValueError("give at least one condition")
        return v

    @field_validator("alert_when_no_data")
    @classmethod
    def _no_data(cls, v: bool) -> bool:
        if v:
            raise ValueError("not supported: windows without data never fire")
        return v

    @field_validator("alert_when_breaching")
    @classmethod
    def _breaching(cls, v: bool) -> bool:
        if not v:
            raise ValueError("a policy that never alerts on a breach does nothing: remove it")
        return v


class AlertPolicy(_Document):
    api_version: str | None = None
    kind: str | None = None
    metadata: Metadata | None = None
    spec: AlertPolicySpec

    @model_validator(mode="before")
    @classmethod
    def _inline(cls, data: Any) -> Any:
        if isinstance(data, dict) and "alertPolicyRef" in data:
            raise _FieldError(("alertPolicyRef",), "not supported: inline the AlertPolicy")
        return data

    _api = field_validator("api_version")(_api_version)

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str | None) -> str | None:
        if v is not None and v != "AlertPolicy":
            raise ValueError(f"expected AlertPolicy, got {v!r}")
        return v


class SloSpec(_Document):
    description: str = Field(default="", max_length=1050)
    service: str

    @field_validator("service")
    @classmethod
    def _service(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be empty: the service this SLO belongs to")
        return v

    indicator: Indicator | None = None
    indicator_ref: Annotated[Any, _unsupported("inline the SLI as spec.indicator")] = None
    time_window: list[TimeWindowDoc]
    budgeting_method: str
    objectives: list[Objective]
    alert_policies: list[AlertPolicy] = Field(default_factory=list)

    @field_validator("time_window")
    @classmethod
    def _one_window(cls, v: list[TimeWindowDoc]) -> list[TimeWindowDoc]:
        if len(v) != 1:
            raise ValueError(f"give exactly one time window, got {len(v)}")
        return v

    @field_validator("budgeting_method")
    @classmethod
    def _budgeting(cls, v: str) -> str:
        if v not in tuple(Budgeting):
            raise ValueError(f"{v!r} is not supported: use Occurrences or Timeslices")
        return v

    @field_validator("objectives")
    @classmethod
    def _one_objective(cls, v: list[Objective]) -> list[Objective]:
        if len(v) != 1:
            raise ValueError(f"exactly one objective is supported, got {len(v)}: give each its own SLO")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.indicator is None:
            raise _FieldError(("indicator",), "required: the SLI, inline (indicator.spec.ratioMetric)")
        objective = self.objectives[0]
        slices = {
            "timeSliceTarget": objective.time_slice_target,
            "timeSliceWindow": objective.time_slice_window,
        }
        for field, value in slices.items():
            if self.budgeting_method == Budgeting.TIMESLICES and value is None:
                raise _FieldError(("objectives", 0, field), "required when budgetingMethod is Timeslices")
            if self.budgeting_method == Budgeting.OCCURRENCES and value is not None:
                raise _FieldError(("objectives", 0, field), "only used with budgetingMethod: Timeslices")
        self._check_rules()
        return self

    def rules(self) -> list[tuple[BurnRule, tuple[str | int, ...] | None]]:
        """Each rule with the path of the condition it came from (None: the defaults)."""
        if not self.alert_policies:
            return [(rule, None) for rule in default_rules(self.time_window[0].compile().nominal)]
        return [
            (condition.rule(), ("alertPolicies", p, "spec", "conditions", c))
            for p, policy in enumerate(self.alert_policies)
            for c, condition in enumerate(policy.spec.conditions)
        ]

    def _check_rules(self) -> None:
        period = self.time_window[0].compile().nominal
        target = self.objectives[0].goal
        highest = 1 / (1 - target)  # the burn rate when every event is bad
        seen: set[str] = set()
        for rule, path in self.rules():
            if path is None:
                where: tuple[str | int, ...] = ("timeWindow", 0, "duration")
                if rule.long > period:
                    raise _FieldError(
                        where,
                        f"the default alert rules read up to {format_duration(rule.long)} "
                        "of data: use a longer window or give alertPolicies",
                    )
                if rule.threshold >= highest:
                    raise _FieldError(
                        ("objectives", 0, "target"),
                        (
                            f"with target {_decimal(target)} the burn rate cannot exceed {_decimal(highest)}, so "
                            f"the default rule {rule.name} (threshold {_decimal(rule.threshold)}) could never fire: "
                            "give alertPolicies"
                        ),
                    )
                continue
            condition = (*path, "spec", "condition")
            if rule.long > period:
                raise _FieldError(
                    (*condition, "lookbackWindow"),
                    (f"{format_duration(rule.long)} is longer than the SLO period {format_duration(period)}"),
                )
            if rule.threshold >= highest:
                raise _FieldError(
                    (*condition, "threshold"),
                    (
                        f"{_decimal(rule.threshold)} can never be exceeded: with target {_decimal(target)} the "
                        f"burn rate is at most {_decimal(highest)}"
                    ),
                )
            if rule.name in seen:
                raise _FieldError(path, f"rule {rule.name} is defined twice (same severity and windows)")
            seen.add(rule.name)


class SloDocument(_Document):
    api_version: str
    kind: str
    metadata: Metadata
    spec: SloSpec

    _api = field_validator("api_version")(_api_version)

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        if v != "SLO":
            raise ValueError(f"expected SLO, got {v!r}")
        return v

    @model_validator(mode="after")
    def _annotations(self) -> Self:
        self._min_events()
        return self

    def _min_events(self) -> int:
        annotations = self.metadata.annotations
        for key in annotations:
            if key.startswith("alertrouter/") and key != MIN_EVENTS:
                raise _FieldError(
                    ("metadata", "annotations", key), f"unknown annotation: known: {MIN_EVENTS}"
                )
        value = annotations.get(MIN_EVENTS, 0)
        text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
        if not text.isdigit():
            raise _FieldError(
                ("metadata", "annotations", MIN_EVENTS),
                f'must be a whole number of events (0 = off), e.g. "100"; got {value!r}',
            )
        return int(text)

    def to_slo(self) -> Slo:
        spec, objective = self.spec, self.spec.objectives[0]
        assert spec.indicator is not None and spec.indicator.spec.ratio_metric is not None  # checked
        return Slo(
            name=self.metadata.name,
            display_name=self.metadata.display_name or self.metadata.name,
            service=spec.service,
            description=spec.description,
            ratio=spec.indicator.spec.ratio_metric.compile(),
            time_window=spec.time_window[0].compile(),
            budgeting=Budgeting(spec.budgeting_method),
            target=objective.goal,
            slice_target=objective.time_slice_target,
            slice_minutes=objective.time_slice_window,
            rules=[rule for rule, _ in spec.rules()],
            min_events=self._min_events(),
        )


def _decimal(value: Fraction) -> str:
    """A fraction as a short decimal for messages: 14.4, 1000, 0.999, 3.333."""
    try:
        text = f"{float(value):.4f}".rstrip("0").rstrip(".")
    except OverflowError:
        return "a number too large"
    return text if Fraction(text) == value else f"{float(value):.4g}"


# ---- loading ----


def describe_errors(exc: ValidationError) -> str:
    """A pydantic error as `path.to.field: message`, several joined by '; '."""
    problems = []
    for error in exc.errors():
        loc = list(error["loc"])
        message = error["msg"]
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, _FieldError):
            loc += cause.path
            message = cause.message
        elif error["type"] == "value_error":
            message = message.removeprefix("Value error, ")
        elif error["type"] == "extra_forbidden":
            message = "unknown field (check the spelling)"
        elif error["type"] == "missing":
            message = "required"
        where = ".".join(str(part) for part in loc) or "(top level)"
        problems.append(f"{where}: {message}")
    return "; ".join(problems)


def _where(source: str, index: int, doc: Any) -> str:
    metadata = doc.get("metadata") if isinstance(doc, dict) else None
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return f"{source}: document {index}" + (f" ({name})" if isinstance(name, str) and name else "")


def slos_from_documents(documents: Sequence[Any], source: str = "slos") -> list[Slo]:
    """The SLOs of parsed YAML documents (None documents are skipped); SloError names the first failing one."""
    slos, problems = usable_slos(documents, source)
    if problems:
        raise problems[0]
    return slos


def usable_slos(documents: Sequence[Any], source: str = "slos") -> tuple[list[Slo], list[SloError]]:
    """Every SLO that is valid, and what is wrong with each document that is not: at run time one broken SLO
    must not stop the others from being evaluated (a deploy refuses any problem first)."""
    slos: list[Slo] = []
    problems: list[SloError] = []
    defined: dict[str, int] = {}
    for index, doc in enumerate(documents, start=1):
        if doc is None:
            continue
        try:
            slo = _document_slo(doc, _where(source, index, doc), defined)
        except SloError as exc:
            problems.append(exc)
            continue
        if slo is not None:
            defined[slo.name] = index
            slos.append(slo)
    return slos, problems


def _document_slo(doc: Any, where: str, defined: Mapping[str, int]) -> Slo | None:
    """One document's SLO (None for the kinds that are skipped), or SloError saying what is wrong."""
    if not isinstance(doc, dict):
        raise SloError(f"{where}: expected a mapping with apiVersion, kind, metadata and spec")
    if doc.get("apiVersion") != API_VERSION:
        raise SloError(f"{where}: apiVersion: expected {API_VERSION}, got {doc.get('apiVersion')!r}")
    kind = doc.get("kind")
    if not isinstance(kind, str):
        raise SloError(f"{where}: kind: expected a name such as SLO, got {str(kind)[:40]!r}")
    if kind in SKIPPED_KINDS:
        return None
    if kind != "SLO":
        skipped = ", ".join(sorted(SKIPPED_KINDS))
        raise SloError(
            f"{where}: kind: unknown kind {kind!r}: expected SLO (or {skipped}, which are skipped)"
        )
    try:
        slo = SloDocument.model_validate(doc).to_slo()
    except ValidationError as exc:
        raise SloError(f"{where}: {describe_errors(exc)}") from exc
    if slo.name in defined:
        raise SloError(
            f"{where}: metadata.name: {slo.name!r} is already the name of document "
            f"{defined[slo.name]}: SLO names must be unique"
        )
    return slo


def load_slos(text: str, source: str = "slos") -> list[Slo]:
    """The SLOs of an OpenSLO v1 YAML text (several documents); `source` names it in errors."""
    try:
        documents = load_yaml_all(text)
    except YAMLError as exc:
        raise SloError(f"{source}: not valid YAML: {exc}") from exc
    except RecursionError as exc:
        raise SloError(f"{source}: nested too deeply") from exc
    return slos_from_documents(documents, source)


def load_slo_file(path: str | Path) -> list[Slo]:
    return load_slos(_read(path), source=str(path))


def load_usable_slos(path: str | Path) -> tuple[list[Slo], list[SloError]]:
    """The valid SLOs of a file and the problems of the others (a file that cannot be read or parsed at all
    is one problem and no SLO)."""
    try:
        documents = load_yaml_all(_read(path))
    except SloError as exc:
        return [], [exc]
    except YAMLError as exc:
        return [], [SloError(f"{path}: not valid YAML: {exc}")]
    except RecursionError:
        return [], [SloError(f"{path}: nested too deeply")]
    return usable_slos(documents, str(path))


def _read(path: str | Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SloError(f"cannot read SLO file {path}: {exc.strerror}") from exc

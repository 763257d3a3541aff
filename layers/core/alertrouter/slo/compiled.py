"""The SLO as the evaluator uses it: compiled from an OpenSLO document by `alertrouter.slo.loader`."""

from __future__ import annotations

import json
import operator
import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from fractions import Fraction
from typing import Annotated, Any, ClassVar, Literal, Self
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator
from pydantic.alias_generators import to_camel, to_pascal

from alertrouter.slo.rules import BurnRule
from alertrouter.slo.statistics import check_stat
from alertrouter.slo.units import ExactNumber, OptionalExactNumber, decimal_text

NOMINAL_MONTH = timedelta(days=30)


REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
ACCOUNT_ID = re.compile(r"^\d{12}$")
QUERY_ID = re.compile(r"^[a-z][a-zA-Z0-9_]{0,254}$")  # GetMetricData's rule for MetricDataQuery.Id
# a metric's keys, by kind: a CloudWatch spec is exactly one kind; region and accountId go with any
SPEC_KINDS = {
    "namespace + metricName (+ dimensions) + stat": ("namespace", "metricName", "dimensions", "stat"),
    "sql (a Metrics Insights query)": ("sql",),
    "json (metric math)": ("json",),
}
# CloudWatch quotas (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataQuery.html):
# an Expression is at most 2,048 characters
MAX_EXPRESSION = 2048
# Metrics Insights reads at most the last two weeks (three hours for alarms), per the GetMetricData reference
# (https://docs.aws.amazon.com/cli/latest/reference/cloudwatch/get-metric-data.html) and the Metrics Insights
# quotas (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-limits.html)
METRICS_INSIGHTS_MAX_AGE = timedelta(days=14)
_TOKEN = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[A-Za-z_][A-Za-z0-9_]*")


def _spec_kinds(data: Any) -> list[str]:
    """The kinds of metric spec whose keys a mapping holds."""
    if not isinstance(data, dict):
        return []
    keys = {str(k) for k in data} | {to_camel(str(k)) for k in data}
    return [kind for kind, names in SPEC_KINDS.items() if keys & set(names)]


def _one_kind(data: Any) -> Any:
    kinds = _spec_kinds(data)
    if len(kinds) > 1:
        given = sorted(
            str(key) for key in data if any(to_camel(str(key)) in SPEC_KINDS[kind] for kind in kinds)
        )
        raise ValueError(
            f"{' and '.join(given)} cannot be given together: a CloudWatch spec is exactly one of "
            f"{'; '.join(SPEC_KINDS)} (region and accountId go with any of them)"
        )
    return data


class _Metric(BaseModel):
    """What every kind of metric shares: where it is read (region, account)."""

    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True)

    # True for a kind CloudWatch runs at most one of per GetMetricData call (Metrics Insights)
    one_per_call: ClassVar[bool] = False
    region: str | None = None  # None: the evaluator's own region
    account_id: str | None = None  # 12 digits; None: the evaluator's own account

    @model_validator(mode="before")
    @classmethod
    def _alone(cls, data: Any) -> Any:
        return _one_kind(data)

    @field_validator("region")
    @classmethod
    def _region(cls, v: str | None) -> str | None:
        if v is not None and not REGION.match(v):
            raise ValueError(f"{v!r} is not an AWS region name like us-east-1 or eu-central-1")
        return v

    @field_validator("account_id", mode="before")
    @classmethod
    def _account(cls, v: Any) -> Any:
        if v is None:
            return v
        text = str(v) if isinstance(v, int) and not isinstance(v, bool) else v
        if not isinstance(text, str) or not ACCOUNT_ID.match(text):
            raise ValueError(f"an AWS account id is 12 digits, written as text (quote it): got {v!r}")
        return text

    def _where(self) -> list[str | None]:
        return [self.region, self.account_id]

    def _place(self) -> str:
        return (f" in {self.region}" if self.region else "") + (
            f" of account {self.account_id}" if self.account_id else ""
        )


class CloudWatchMetric(_Metric):
    """One CloudWatch metric and statistic (`metricSource.spec` in the YAML, camelCase there)."""

    namespace: str = Field(min_length=1, max_length=255)
    metric_name: str = Field(min_length=1, max_length=255)
    dimensions: dict[str, str] = Field(default_factory=dict)
    stat: str

    @field_validator("dimensions", mode="before")
    @classmethod
    def _dimensions(cls, v: Any) -> Any:
        return dimensions_mapping(v, "name", "value")

    @field_validator("dimensions")
    @classmethod
    def _dimension_limits(cls, v: dict[str, str]) -> dict[str, str]:
        return dimension_limits(v)

    @field_validator("stat")
    @classmethod
    def _stat(cls, v: str) -> str:
        return check_stat(v.strip())

    def key(self) -> str:
        """A stable id: equal for the same metric and statistic however the dimensions were written. A metric
        without region and account (the first four items) keeps the key it had before they existed."""
        parts: list[Any] = [self.namespace, self.metric_name, sorted(self.dimensions.items()), self.stat]
        if self.region is not None or self.account_id is not None:
            parts += self._where()
        return _key(parts)

    def describe(self) -> str:
        """For people: namespace, name, dimensions, statistic, where."""
        dimensions = ",".join(f"{k}={v}" for k, v in sorted(self.dimensions.items()))
        return (
            f"{self.namespace} {self.metric_name}"
            + (f" [{dimensions}]" if dimensions else "")
            + (f" {self.stat}{self._place()}")
        )

    def data_queries(self, qid: str, period: int) -> list[dict[str, Any]]:
        entry: dict[str, Any] = {
            "Id": qid,
            "MetricStat": _metric_stat(self.namespace, self.metric_name, self.dimensions, self.stat, period),
            "ReturnData": True,
        }
        if self.account_id is not None:
            entry["AccountId"] = self.account_id
        return [entry]

    @property
    def billed_metrics(self) -> int:
        # GetMetricData bills per metric requested ($0.01 per 1,000, https://aws.amazon.com/cloudwatch/pricing/)
        return 1


class MetricsInsightsQuery(_Metric):
    """A Metrics Insights query (`sql`): one time series, e.g. SELECT SUM(Errors) FROM "AWS/Lambda". CloudWatch
    reads it at most METRICS_INSIGHTS_MAX_AGE back, and runs at most one per GetMetricData call."""

    sql: str = Field(min_length=1)
    max_age: ClassVar[timedelta] = METRICS_INSIGHTS_MAX_AGE
    # "each GetMetricData operation can include only one query" (the GetMetricData API reference)
    one_per_call: ClassVar[bool] = True

    @field_validator("sql")
    @classmethod
    def _sql(cls, v: str) -> str:
        v = " ".join(v.split())
        if len(v) > MAX_EXPRESSION:
            raise ValueError(f"a Metrics Insights query is at most {MAX_EXPRESSION} characters, got {len(v)}")
        if not v.upper().startswith("SELECT "):
            raise ValueError(
                f'a Metrics Insights query starts with SELECT, e.g. SELECT SUM(Errors) FROM "AWS/Lambda"; got {v[:40]!r}'
            )
        if re.search(r"\bGROUP\s+BY\b", _outside_quotes(v), re.IGNORECASE):
            raise ValueError(
                "not supported: GROUP BY (the query would return one series per group; an SLI is one series: "
                "filter with WHERE instead)"
            )
        return v

    @field_validator("account_id")
    @classmethod
    def _no_account(cls, v: str | None) -> str | None:
        if v is not None:
            raise ValueError(
                "not supported with sql: choose the account in the query, e.g. "
                f"WHERE AWS.AccountId = '{v}' (the stack's account must be a monitoring account linked to it)"
            )
        return v

    def key(self) -> str:
        return _key(["sql", *self._where(), self.sql])

    def describe(self) -> str:
        return f"Metrics Insights ({self.sql}){self._place()}"

    def data_queries(self, qid: str, period: int) -> list[dict[str, Any]]:
        return [{"Id": qid, "Expression": self.sql, "Period": period, "ReturnData": True}]

    @property
    def billed_metrics(self) -> int:
        # A Metrics Insights query is billed per metric it analyzes (each matched by its FROM and WHERE, up to
        # 10,000; https://aws.amazon.com/cloudwatch/pricing/), unknown until it runs: at least 1.
        return 1


class _Dimension(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    Name: str
    Value: str


class _MathMetric(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_pascal, populate_by_name=True)

    namespace: str = Field(min_length=1, max_length=255)
    metric_name: str = Field(min_length=1, max_length=255)
    dimensions: dict[str, str] = Field(default_factory=dict)

    @field_validator("dimensions", mode="before")
    @classmethod
    def _dimensions(cls, v: Any) -> Any:
        return dimensions_mapping(v, "Name", "Value")

    @field_validator("dimensions")
    @classmethod
    def _dimension_limits(cls, v: dict[str, str]) -> dict[str, str]:
        return dimension_limits(v)


class _MathStat(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_pascal, populate_by_name=True)

    metric: _MathMetric
    stat: str
    period: int | None = Field(default=None, ge=1)  # replaced by the evaluator's period
    unit: str | None = None

    @field_validator("stat")
    @classmethod
    def _stat(cls, v: str) -> str:
        return check_stat(v.strip())


class MathEntry(BaseModel):
    """One MetricDataQuery of a metric-math spec, as GetMetricData names its keys (Id, Expression, ...)."""

    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_pascal, populate_by_name=True)

    id: str
    expression: str | None = Field(default=None, min_length=1, max_length=MAX_EXPRESSION)
    metric_stat: _MathStat | None = None
    return_data: bool = True  # GetMetricData's default
    period: int | None = Field(default=None, ge=1)  # replaced by the evaluator's period
    label: str | None = None  # not used
    account_id: str | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not QUERY_ID.match(v):
            raise ValueError(f"{v!r}: an Id starts with a lowercase letter, then letters, digits and '_'")
        return v

    @field_validator("expression")
    @classmethod
    def _expression(cls, v: str | None) -> str | None:
        if v is not None and re.search(r"\b(SEARCH|SELECT)\b", _outside_quotes(v), re.IGNORECASE):
            raise ValueError(
                "not supported: SEARCH and SELECT in metric math (they return several series or bill every "
                "metric they match): give the metrics as MetricStat entries, or a Metrics Insights query as sql"
            )
        return v

    @field_validator("account_id")
    @classmethod
    def _account(cls, v: str | None) -> str | None:
        if v is not None and not ACCOUNT_ID.match(v):
            raise ValueError(f"an AWS account id is 12 digits, got {v!r}")
        return v

    @model_validator(mode="after")
    def _one(self) -> Self:
        if (self.expression is None) == (self.metric_stat is None):
            raise ValueError(f"{self.id}: give exactly one of Expression or MetricStat")
        return self


class MetricMathQuery(_Metric):
    """Metric math (`json`): MetricDataQueries of which exactly one returns data, the SLI's series. Written as
    Nobl9 writes it, a JSON text, or as a YAML list."""

    queries: tuple[MathEntry, ...] = Field(alias="json", min_length=1)

    @field_validator("queries", mode="before")
    @classmethod
    def _parse(cls, v: Any) -> Any:
        if isinstance(v, str):
            try:
                v = json.loads(v)
            except json.JSONDecodeError as exc:
                raise ValueError(f"not valid JSON: {exc}") from None
        if not isinstance(v, list | tuple):
            raise ValueError("a list of MetricDataQueries ({Id, Expression or MetricStat, ReturnData})")
        return v

    @model_validator(mode="after")
    def _graph(self) -> Self:
        problems = []
        ids = [entry.id for entry in self.queries]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            problems.append(f"each Id once: {', '.join(twice)} given more than once")
        returned = [entry.id for entry in self.queries if entry.return_data]
        if len(returned) != 1:
            problems.append(
                "exactly one entry returns data (the SLI's series; ReturnData is true unless set false), "
                f"got {len(returned)}: {', '.join(returned) or 'none'}"
                + (": set ReturnData: false on the others" if returned else "")
            )
        for entry in self.queries:
            unknown = sorted({t for t in _identifiers(entry.expression or "") if t not in ids})
            if unknown:
                problems.append(
                    f"{entry.id}: the expression names {', '.join(unknown)}, not an Id of this list"
                )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def returned(self) -> MathEntry:
        return next(entry for entry in self.queries if entry.return_data)

    def key(self) -> str:
        entries = [
            [
                e.id,
                e.return_data,
                e.expression,
                e.account_id,
                None
                if e.metric_stat is None
                else [
                    e.metric_stat.metric.namespace,
                    e.metric_stat.metric.metric_name,
                    sorted(e.metric_stat.metric.dimensions.items()),
                    e.metric_stat.stat,
                    e.metric_stat.unit,
                ],
            ]
            for e in self.queries
        ]
        return _key(["math", *self._where(), entries])

    def describe(self) -> str:
        returned = self.returned
        what = returned.expression if returned.expression is not None else returned.id
        count = self.billed_metrics
        return f"metric math ({what}) of {count} metric{'s' * (count != 1)}{self._place()}"

    def data_queries(self, qid: str, period: int) -> list[dict[str, Any]]:
        """The entries with the returned one's Id `qid` and the others' `qid`_Id (expressions renamed to match)."""
        names = {e.id: (qid if e.return_data else f"{qid}_{e.id}") for e in self.queries}
        out = []
        for e in self.queries:
            entry: dict[str, Any] = {"Id": names[e.id], "ReturnData": e.return_data}
            if e.expression is not None:
                entry["Expression"] = _TOKEN.sub(lambda m: names.get(m.group(0), m.group(0)), e.expression)
            else:
                assert e.metric_stat is not None
                metric = e.metric_stat.metric
                entry["MetricStat"] = _metric_stat(
                    metric.namespace, metric.metric_name, metric.dimensions, e.metric_stat.stat, period
                )
                if e.metric_stat.unit is not None:
                    entry["MetricStat"]["Unit"] = e.metric_stat.unit
                account = e.account_id or self.account_id
                if account is not None:
                    entry["AccountId"] = account
            out.append(entry)
        return out

    @property
    def billed_metrics(self) -> int:
        # GetMetricData bills per metric requested ($0.01 per 1,000, https://aws.amazon.com/cloudwatch/pricing/):
        # each MetricStat entry is one; the expressions compute on them.
        return sum(1 for e in self.queries if e.metric_stat is not None)


AnyMetric = CloudWatchMetric | MetricsInsightsQuery | MetricMathQuery
METRIC_TAGS = {"metric": CloudWatchMetric, "sql": MetricsInsightsQuery, "json": MetricMathQuery}


def _metric_tag(v: Any) -> str | None:
    if isinstance(v, dict):
        return "sql" if "sql" in v else "json" if "json" in v or "queries" in v else "metric"
    return next((tag for tag, kind in METRIC_TAGS.items() if isinstance(v, kind)), None)


# a field holding any kind of metric, chosen by its keys (the tag is left out of error paths by the loader)
MetricSpec = Annotated[
    Annotated[CloudWatchMetric, Tag("metric")]
    | Annotated[MetricsInsightsQuery, Tag("sql")]
    | Annotated[MetricMathQuery, Tag("json")],
    Discriminator(
        _metric_tag,
        custom_error_type="metric_spec",
        custom_error_message="expected a mapping: namespace, metricName, dimensions and stat; or sql; or json",
    ),
]


def _key(parts: list[Any]) -> str:
    return json.dumps(parts, separators=(",", ":"), ensure_ascii=False)


def _metric_stat(
    namespace: str, name: str, dimensions: dict[str, str], stat: str, period: int
) -> dict[str, Any]:
    return {
        "Metric": {
            "Namespace": namespace,
            "MetricName": name,
            "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(dimensions.items())],
        },
        "Period": period,
        "Stat": stat,
    }


def _outside_quotes(text: str) -> str:
    return re.sub(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", "''", text)


def _identifiers(expression: str) -> list[str]:
    """The names in a math expression that can only be Ids: lowercase-first words outside quotes (functions
    are uppercase)."""
    return [t for t in _TOKEN.findall(expression) if t[0].islower()]


def dimensions_mapping(v: Any, name_key: str, value_key: str) -> Any:
    """Dimensions as a list of {name, value} (or {Name, Value}) or a mapping of name to value -> a mapping."""
    if v is None:
        return {}
    if isinstance(v, dict):
        return {k: _dimension_value(k, value) for k, value in v.items()}
    if not isinstance(v, list):
        raise ValueError(
            f"dimensions are a list of {{{name_key}, {value_key}}} or a mapping of name to value"
        )
    out: dict[str, str] = {}
    for index, item in enumerate(v):
        if not isinstance(item, dict) or set(item) != {name_key, value_key}:
            raise ValueError(f"dimension {index}: write it as {{{name_key}: ..., {value_key}: ...}}")
        name = item[name_key]
        if not isinstance(name, str):
            raise ValueError(f"dimension {index}: the name must be text")
        if name in out:
            raise ValueError(f"dimension {name!r} is given twice")
        out[name] = _dimension_value(name, item[value_key])
    return out


def dimension_limits(v: dict[str, str]) -> dict[str, str]:
    if len(v) > 30:
        raise ValueError(f"CloudWatch allows at most 30 dimensions, got {len(v)}")
    for name, value in v.items():
        if not 1 <= len(name) <= 255 or not 1 <= len(value) <= 1024:
            raise ValueError(f"dimension {name!r}: names are 1-255 characters, values 1-1024")
    return v


def _dimension_value(name: Any, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"dimension {name!r}: the value must be text (quote it), got {value!r}")
    return str(value)


class RatioMetric(BaseModel):
    """The SLI: good or bad events over total events."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    counter: bool = False  # the metrics are cumulative counters: their increases are the events
    good: MetricSpec | None = None
    bad: MetricSpec | None = None
    total: MetricSpec

    @model_validator(mode="after")
    def _one_numerator(self) -> Self:
        if (self.good is None) == (self.bad is None):
            raise ValueError("give exactly one of good or bad")
        return self

    def metrics(self) -> dict[str, AnyMetric]:
        """The metrics to read, by part: {"good" or "bad": ..., "total": ...}."""
        parts = {"good": self.good, "bad": self.bad, "total": self.total}
        return {part: metric for part, metric in parts.items() if metric is not None}


Op = Literal["lt", "lte", "gt", "gte"]
OPS: dict[str, Any] = {"lt": operator.lt, "lte": operator.le, "gt": operator.gt, "gte": operator.ge}
OP_SIGNS = {"lt": "<", "lte": "≤", "gt": ">", "gte": "≥"}


class ThresholdMetric(BaseModel):
    """The SLI of a threshold: each data point of `metric` is an event, good when `value op threshold` holds
    (OpenSLO's thresholdMetric, with the objective's op and value)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: MetricSpec
    op: Op
    value: ExactNumber

    def metrics(self) -> dict[str, AnyMetric]:
        return {"value": self.metric}

    def describe(self) -> str:
        return f"good when {OP_SIGNS[self.op]} {decimal_text(self.value)}"

    def good(self, value: Fraction) -> bool:
        """Whether a data point is good: `value op threshold`."""
        return bool(OPS[self.op](value, self.value))


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
    ratio: RatioMetric | None = None
    threshold: ThresholdMetric | None = None  # exactly one of ratio and threshold
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
    def _one_sli(self) -> Self:
        if (self.ratio is None) == (self.threshold is None):
            raise ValueError("give exactly one of ratio and threshold")
        return self

    @property
    def counter(self) -> bool:
        """The SLI's metrics are cumulative counters (their increases are the events)."""
        return self.ratio is not None and self.ratio.counter

    def sli_metrics(self) -> dict[str, AnyMetric]:
        """The metrics to read, by part: the ratio's good or bad and total, or the threshold's value."""
        if self.ratio is not None:
            return self.ratio.metrics()
        assert self.threshold is not None
        return self.threshold.metrics()

    @property
    def account_id(self) -> str | None:
        """The account the SLO's SLI is read in: the first its metrics name (a metric-math entry's own, else
        its query's), in the order good or bad, total; None: the evaluator's own account."""
        for metric in self.sli_metrics().values():
            accounts = [metric.account_id]
            if isinstance(
                metric, MetricMathQuery
            ):  # as data_queries reads them: an entry's, else the query's
                accounts = [e.account_id or metric.account_id for e in metric.queries if e.metric_stat]
            account = next((a for a in accounts if a is not None), None)
            if account is not None:
                return account
        return None

    @property
    def billed_metrics(self) -> int:
        """What CloudWatch bills for one read of this SLO's metrics (at least: see MetricsInsightsQuery)."""
        return sum(metric.billed_metrics for metric in self.sli_metrics().values())

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

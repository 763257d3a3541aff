"""The SLI as written: `spec.indicator`, a ratio of CloudWatch metrics."""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import Field, model_validator

from alertrouter.slo.compiled import CloudWatchMetric, RatioMetric
from alertrouter.slo.openslo.base import Document, FieldError, Metadata, unsupported


class MetricSource(Document):
    type: str
    metric_source_ref: Annotated[Any, unsupported("put type: CloudWatch and the metric in spec")] = None
    spec: CloudWatchMetric

    @model_validator(mode="before")
    @classmethod
    def _cloudwatch(cls, data: Any) -> Any:
        if isinstance(data, dict) and "type" in data and data["type"] != "CloudWatch":
            raise FieldError(("type",), f"only type: CloudWatch is supported, got {data['type']!r}")
        return data


class MetricRef(Document):
    metric_source: MetricSource


class RatioMetricDoc(Document):
    counter: bool = False
    good: MetricRef | None = None
    bad: MetricRef | None = None
    total: MetricRef | None = None
    raw: Annotated[Any, unsupported("give good or bad over total instead of a raw ratio")] = None
    raw_type: Annotated[Any, unsupported("give good or bad over total instead of a raw ratio")] = None

    @model_validator(mode="after")
    def _parts(self) -> Self:
        if self.good is not None and self.bad is not None:
            raise FieldError(("bad",), "give good or bad, not both")
        numerator = self.good or self.bad
        if numerator is None:
            raise FieldError(("good",), "required: the good events (or bad, instead)")
        if self.total is None:
            raise FieldError(("total",), "required: all events, the denominator")
        if numerator.metric_source.spec.key() == self.total.metric_source.spec.key():
            raise FieldError(
                ("total",), "the same metric and statistic as the numerator: the ratio would be 1"
            )
        return self

    def compile(self) -> RatioMetric:
        def metric(ref: MetricRef | None) -> CloudWatchMetric | None:
            return None if ref is None else ref.metric_source.spec

        total = metric(self.total)
        assert total is not None  # checked above
        return RatioMetric(counter=self.counter, good=metric(self.good), bad=metric(self.bad), total=total)


class IndicatorSpec(Document):
    description: str | None = Field(default=None, max_length=1050)
    ratio_metric: RatioMetricDoc | None = None
    threshold_metric: Annotated[Any, unsupported("use a ratioMetric (good or bad over total)")] = None

    @model_validator(mode="after")
    def _ratio(self) -> Self:
        if self.ratio_metric is None:
            raise FieldError(("ratioMetric",), "required: good or bad events over total events")
        return self


class Indicator(Document):
    metadata: Metadata | None = None
    spec: IndicatorSpec

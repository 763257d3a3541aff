"""The SLI as written: `spec.indicator`, a ratio of CloudWatch metrics or a threshold on one."""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import Field, model_validator

from alertrouter.slo.compiled import AnyMetric, MetricSpec, RatioMetric
from alertrouter.slo.openslo.base import Document, FieldError, Metadata, unsupported

REQUIRED_SLI = "required: good or bad events over total events (ratioMetric), or a thresholdMetric"
REQUIRED_GOOD = "required: the good events (or bad, instead)"
BOTH_GOOD_AND_BAD = "give good or bad, not both"


class MetricSource(Document):
    type: str
    metric_source_ref: Annotated[
        Any, unsupported("metricSourceRef: put type: CloudWatch and the metric in spec")
    ] = None
    spec: MetricSpec

    @model_validator(mode="before")
    @classmethod
    def _cloudwatch(cls, data: Any) -> Any:
        """Any type but CloudWatch (in any case) is refused before its spec is read (its keys are another
        source's)."""
        if isinstance(data, dict) and isinstance(data.get("type"), str):
            if data["type"].lower() != "cloudwatch":
                raise FieldError(
                    ("type",), f"not supported: type {data['type']!r}: only CloudWatch metrics are read"
                )
            return {**data, "type": "CloudWatch"}
        return data


class MetricRef(Document):
    metric_source: MetricSource


class RatioMetricDoc(Document):
    counter: bool = False
    good: MetricRef | None = None
    bad: MetricRef | None = None
    total: MetricRef
    raw: Annotated[Any, unsupported("raw: give good or bad over total instead of a raw ratio")] = None
    raw_type: Annotated[Any, unsupported("rawType: give good or bad over total instead of a raw ratio")] = (
        None
    )

    @model_validator(mode="after")
    def _parts(self) -> Self:
        if self.good is not None and self.bad is not None:
            raise FieldError(("bad",), BOTH_GOOD_AND_BAD)
        numerator = self.good or self.bad
        if numerator is None:
            raise FieldError(("good",), REQUIRED_GOOD)
        if numerator.metric_source.spec.key() == self.total.metric_source.spec.key():
            raise FieldError(
                ("total",), "the same metric and statistic as the numerator: the ratio would be 1"
            )
        return self

    def compile(self) -> RatioMetric:
        def metric(ref: MetricRef | None) -> AnyMetric | None:
            return None if ref is None else ref.metric_source.spec

        return RatioMetric(
            counter=self.counter,
            good=metric(self.good),
            bad=metric(self.bad),
            total=self.total.metric_source.spec,
        )


class ThresholdMetricDoc(Document):
    """OpenSLO's thresholdMetric: one metric, each data point judged by the objective's op and value."""

    metric_source: MetricSource


class IndicatorSpec(Document):
    description: str | None = Field(default=None, max_length=1050)
    ratio_metric: RatioMetricDoc | None = None
    threshold_metric: ThresholdMetricDoc | None = None

    @model_validator(mode="after")
    def _one(self) -> Self:
        if self.ratio_metric is None and self.threshold_metric is None:
            raise FieldError(("ratioMetric",), REQUIRED_SLI)
        if self.ratio_metric is not None and self.threshold_metric is not None:
            raise FieldError(("thresholdMetric",), "give ratioMetric or thresholdMetric, not both")
        return self


class Indicator(Document):
    metadata: Metadata | None = None
    spec: IndicatorSpec

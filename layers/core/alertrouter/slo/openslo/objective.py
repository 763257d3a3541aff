"""The objective as written: `spec.objectives[0]`, a target and, for Timeslices, the slices."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction
from typing import Annotated, Any, Self

from pydantic import field_validator, model_validator

from alertrouter.slo.compiled import Op
from alertrouter.slo.openslo.base import Document, FieldError, unsupported
from alertrouter.slo.units import MINUTE, OptionalExactNumber, parse_shorthand

REQUIRED_TARGET = "required: the share of good events, e.g. target: 0.999"


class Objective(Document):
    display_name: str | None = None
    target: OptionalExactNumber = None
    target_percent: OptionalExactNumber = None
    time_slice_target: OptionalExactNumber = None
    time_slice_window: Any = None
    op: Op | None = None  # thresholdMetric SLIs: a data point is good when `value op` this value holds
    value: OptionalExactNumber = None
    indicator: Annotated[
        Any, unsupported("indicator in an objective: give the SLI once, as spec.indicator")
    ] = None
    indicator_ref: Annotated[Any, unsupported("indicatorRef: inline the SLI as spec.indicator")] = None
    composite_weight: Annotated[Any, unsupported("compositeWeight: composite SLOs")] = None

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
            if window % MINUTE or window > timedelta(hours=1):
                raise ValueError(f"{v!r}: a slice is whole minutes, at most 1h")
            minutes = window // MINUTE
        if minutes <= 0 or 60 % minutes:
            raise ValueError(
                f"{v!r}: a slice must divide an hour evenly: 1m, 2m, 3m, 4m, 5m, 6m, 10m, 12m, "
                "15m, 20m, 30m or 60m"
            )
        return minutes

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if self.target is not None and self.target_percent is not None:
            raise FieldError(("targetPercent",), "give target or targetPercent, not both")
        if self.target is None and self.target_percent is None:
            raise FieldError(("target",), REQUIRED_TARGET)
        return self

    @property
    def goal(self) -> Fraction:
        if self.target is not None:
            return self.target
        assert self.target_percent is not None
        return self.target_percent / 100

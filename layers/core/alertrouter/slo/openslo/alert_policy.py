"""Alert policies as written: inline AlertPolicy documents whose AlertConditions of kind burnrate become
`BurnRule`s."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction
from typing import Any, ClassVar, Self

from pydantic import Field, field_validator, model_validator

from alertrouter.slo.openslo.base import Document, FieldError, InlineObject
from alertrouter.slo.rules import BurnRule, format_duration
from alertrouter.slo.units import MINUTE, ExactNumber, Shorthand, ShorthandOrZero

SEVERITIES = ("page", "critical", "ticket", "warning", "info")
SHORT_WINDOW_RATIO = 12


class BurnCondition(Document):
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
        if short % MINUTE and self.short_window is None:
            raise FieldError(
                ("lookbackWindow",),
                (
                    f"the short window, lookbackWindow / {SHORT_WINDOW_RATIO} = {format_duration(short)}, is not whole "
                    "minutes: give shortWindow, or a lookbackWindow of a multiple of 12 minutes"
                ),
            )
        if short > self.lookback_window:
            raise FieldError(("shortWindow",), "must not be longer than lookbackWindow")
        return self

    @property
    def short(self) -> timedelta:
        return (
            self.short_window if self.short_window is not None else self.lookback_window / SHORT_WINDOW_RATIO
        )


class AlertConditionSpec(Document):
    description: str | None = Field(default=None, max_length=1050)
    severity: str
    condition: BurnCondition

    @field_validator("severity")
    @classmethod
    def _severity(cls, v: str) -> str:
        if v not in SEVERITIES:
            raise ValueError(f"unknown severity {v!r}: use {', '.join(SEVERITIES)}")
        return v


class AlertCondition(InlineObject):
    KIND: ClassVar[str] = "AlertCondition"
    REF: ClassVar[str] = "conditionRef"

    spec: AlertConditionSpec

    def rule(self) -> BurnRule:
        condition = self.spec.condition
        return BurnRule(
            self.spec.severity,
            condition.lookback_window,
            condition.short,
            condition.threshold,
            condition.alert_after,
        )


class AlertPolicySpec(Document):
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


class AlertPolicy(InlineObject):
    KIND: ClassVar[str] = "AlertPolicy"
    REF: ClassVar[str] = "alertPolicyRef"

    spec: AlertPolicySpec

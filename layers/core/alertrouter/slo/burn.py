"""Error rates, burn rates and error budgets, in exact arithmetic (the SRE Workbook, "Alerting on SLOs").

Every quantity is a `Fraction`, so a 90% target with exactly 10% errors is burn 1, not 0.9999999999999998.
No data (no events in a window) is `None`, never 0 and never NaN.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from typing import ClassVar

Exact = int | float | str | Decimal | Fraction

_MICROSECOND = timedelta(microseconds=1)


def exact(value: Exact) -> Fraction:
    """Decimal-exact: a float is read through repr/str (0.999 -> 999/1000, not the binary float); reject NaN/inf with ValueError."""
    if isinstance(value, bool):
        raise TypeError("a bool is not a number here")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a finite number: {value!r}")
        return Fraction(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a finite number: {value!r}")
        return Fraction(value)
    if isinstance(value, str):
        try:
            return Fraction(value.strip())
        except (ValueError, ZeroDivisionError) as err:
            raise ValueError(f"not a finite number: {value!r}") from err
    raise TypeError(f"not a number: {value!r}")


def micros(d: timedelta) -> int:
    """A duration in whole microseconds, the exact unit of `timedelta`."""
    return d // _MICROSECOND


def _target(target: Exact) -> Fraction:
    t = exact(target)
    if not 0 < t < 1:
        raise ValueError(f"an SLO target must be strictly between 0 and 1, got {t}")
    return t


@dataclass(frozen=True)
class Counts:
    """Events in a window: `good` of `total` (bad = total - good)."""

    good: Fraction
    total: Fraction

    ZERO: ClassVar[Counts]

    def __post_init__(self) -> None:
        good, total = exact(self.good), exact(self.total)
        if total < 0 or good < 0:
            raise ValueError(f"counts cannot be negative: good={good}, total={total}")
        if good > total:
            raise ValueError(f"good ({good}) exceeds total ({total})")
        object.__setattr__(self, "good", good)
        object.__setattr__(self, "total", total)

    @classmethod
    def of(cls, *, total: Exact, good: Exact | None = None, bad: Exact | None = None) -> Counts:
        """Counts from the total and exactly one of good or bad."""
        if good is not None and bad is None:
            return cls(good=exact(good), total=exact(total))
        if bad is not None and good is None:
            t, b = exact(total), exact(bad)
            if b < 0:
                raise ValueError(f"counts cannot be negative: bad={b}")
            if b > t:
                raise ValueError(f"bad ({b}) exceeds total ({t})")
            return cls(good=t - b, total=t)
        raise ValueError("give exactly one of good or bad")

    @property
    def bad(self) -> Fraction:
        return self.total - self.good

    @property
    def no_data(self) -> bool:
        return self.total == 0

    def __add__(self, other: Counts) -> Counts:
        if not isinstance(other, Counts):
            return NotImplemented
        return Counts(good=self.good + other.good, total=self.total + other.total)


Counts.ZERO = Counts(good=Fraction(0), total=Fraction(0))


def error_rate(c: Counts) -> Fraction | None:
    """bad / total; None when there is no data."""
    return None if c.no_data else c.bad / c.total


def burn_rate(c: Counts, target: Fraction) -> Fraction | None:
    """How fast the error budget burns: error rate / (1 - target); 1 spends exactly the budget over the period."""
    t = _target(target)
    rate = error_rate(c)
    return None if rate is None else rate / (1 - t)


@dataclass(frozen=True)
class Budget:
    """The share of a period's error budget spent and left; both None when there is no data."""

    consumed: Fraction | None
    remaining: Fraction | None


def budget(period: Counts, target: Fraction) -> Budget:
    """The error budget of a whole period: consumed = bad / (total * (1 - target)), remaining = 1 - consumed."""
    consumed = burn_rate(period, target)
    return Budget(consumed=consumed, remaining=None if consumed is None else 1 - consumed)


def time_to_exhaustion(
    remaining: Fraction | None, burn: Fraction | None, period: timedelta
) -> timedelta | None:
    """When the remaining budget runs out at the current burn: remaining * period / burn.

    None when unknown or never (no data, or burn <= 0); timedelta(0) when the budget is already spent.
    Rounded to the microsecond; capped at `timedelta.max`.
    """
    if remaining is None:
        return None
    if remaining <= 0:
        return timedelta(0)
    if burn is None or burn <= 0:
        return None
    us = round(exact(remaining) * micros(period) / exact(burn))
    return timedelta(microseconds=us) if us <= micros(timedelta.max) else timedelta.max


def timeslices(slices: Iterable[Counts], slice_target: Fraction) -> Counts:
    """Timeslices budgeting: a slice with data is good if good/total >= slice_target; slices without data are skipped."""
    t = exact(slice_target)
    if not 0 < t <= 1:
        raise ValueError(f"a slice target must be in (0, 1], got {t}")
    judged = [s for s in slices if not s.no_data]
    good = sum(1 for s in judged if s.good / s.total >= t)
    return Counts(good=Fraction(good), total=Fraction(len(judged)))


def budget_consumed_by(burn: Fraction, window: timedelta, period: timedelta) -> Fraction:
    """The share of a period's budget that `burn` sustained over `window` spends: burn * window / period."""
    if period <= timedelta(0):
        raise ValueError(f"the period must be positive, got {period}")
    if window < timedelta(0):
        raise ValueError(f"the window cannot be negative, got {window}")
    return exact(burn) * Fraction(micros(window), micros(period))

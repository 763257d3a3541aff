"""CloudWatch statistics, checked by their form
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html)."""

from __future__ import annotations

import re
from fractions import Fraction

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

Bound = tuple[Fraction, bool]  # the value, and whether it is a percentage


def check_stat(stat: str) -> str:
    """A CloudWatch statistic, returned unchanged, or ValueError saying what is wrong with it."""
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
    low, high = (_bound(stat, text.strip()) for text in (ranged.group(2), ranged.group(3)))
    _check_bounds(stat, name, low, high)
    return stat


def _bound(stat: str, text: str) -> Bound | None:
    """One bound of a range statistic; None when left out."""
    if not text:
        return None
    bound = _BOUND.match(text)
    if bound is None:
        raise ValueError(f"statistic {stat!r}: bound {text!r} is not a number or a percentage like 10%")
    return Fraction(bound.group(1)), bool(bound.group(2))


def _check_bounds(stat: str, name: str, low: Bound | None, high: Bound | None) -> None:
    given = [bound for bound in (low, high) if bound is not None]
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

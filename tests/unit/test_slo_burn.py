"""Burn rates and error budgets in exact arithmetic, against the SRE Workbook's worked numbers."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alertrouter.slo.burn import (
    Budget,
    Counts,
    budget,
    budget_consumed_by,
    burn_rate,
    error_rate,
    exact,
    time_to_exhaustion,
    timeslices,
)

NINES3 = Fraction(999, 1000)
DAYS30 = timedelta(days=30)


def test_exact_reads_floats_as_written() -> None:
    assert exact(0.999) == Fraction(999, 1000)
    assert exact(0.1) + exact(0.2) == exact("0.3")
    assert exact(1e-05) == Fraction(1, 100_000)
    assert exact(Decimal("99.95")) == Fraction(1999, 20)
    assert exact("1/3") == Fraction(1, 3)
    assert exact(7) == 7


@pytest.mark.parametrize(
    "bad",
    [
        float("nan"),
        float("inf"),
        -float("inf"),
        "nan",
        "inf",
        Decimal("NaN"),
        Decimal("-Infinity"),
        "1/0",
        "x",
    ],
)
def test_exact_rejects_non_finite(bad: object) -> None:
    with pytest.raises(ValueError):
        exact(bad)  # type: ignore[arg-type]


def test_exact_rejects_non_numbers() -> None:
    with pytest.raises(TypeError):
        exact(True)
    with pytest.raises(TypeError):
        exact(None)  # type: ignore[arg-type]


def test_counts_from_good_or_bad() -> None:
    assert Counts.of(total=10, bad=1) == Counts.of(total=10, good=9) == Counts(Fraction(9), Fraction(10))
    assert Counts.of(total=10, bad=1).bad == 1
    assert Counts.of(total="2.5", good=0.5).bad == 2
    assert Counts.of(total=3, good=1) + Counts.of(total=2, bad=2) == Counts.of(total=5, good=1)
    assert Counts.ZERO.no_data and Counts.ZERO + Counts.ZERO == Counts.ZERO


@pytest.mark.parametrize(
    "kwargs",
    [
        {"total": 10},
        {"total": 10, "good": 1, "bad": 9},
        {"total": -1, "good": 0},
        {"total": 1, "good": -1},
        {"total": 1, "bad": -1},
        {"total": 1, "good": 2},
        {"total": 1, "bad": 2},
        {"total": float("nan"), "good": 0},
    ],
)
def test_counts_rejects_impossible(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Counts.of(**kwargs)  # type: ignore[arg-type]


def test_workbook_thresholds_consume_their_share() -> None:
    # 99.9% over 30 days: 14.4 for 1h spends 2%, 6 for 6h spends 5%, 1 for 3d spends 10%
    assert budget_consumed_by(Fraction(72, 5), timedelta(hours=1), DAYS30) == Fraction(2, 100)
    assert budget_consumed_by(Fraction(6), timedelta(hours=6), DAYS30) == Fraction(5, 100)
    assert budget_consumed_by(Fraction(1), timedelta(days=3), DAYS30) == Fraction(10, 100)


def test_one_failure_at_ten_requests_an_hour_is_burn_100() -> None:
    hour = Counts.of(total=10, bad=1)
    assert error_rate(hour) == Fraction(1, 10)
    assert burn_rate(hour, NINES3) == 100


def test_burn_14_4_exhausts_a_full_budget_in_50_hours() -> None:
    assert time_to_exhaustion(Fraction(1), Fraction(72, 5), DAYS30) == timedelta(hours=50)
    assert time_to_exhaustion(Fraction(1, 2), Fraction(1), DAYS30) == timedelta(days=15)


def test_time_to_exhaustion_edges() -> None:
    assert time_to_exhaustion(None, Fraction(1), DAYS30) is None
    assert time_to_exhaustion(Fraction(1), None, DAYS30) is None
    assert time_to_exhaustion(Fraction(1), Fraction(0), DAYS30) is None
    assert time_to_exhaustion(Fraction(0), Fraction(2), DAYS30) == timedelta(0)
    assert time_to_exhaustion(Fraction(-1, 2), Fraction(2), DAYS30) == timedelta(0)
    assert time_to_exhaustion(Fraction(1), Fraction(1, 10**15), DAYS30) == timedelta.max


def test_ninety_percent_with_ten_percent_errors_is_burn_one_exactly() -> None:
    c = Counts.of(total=1000, bad=100)
    assert burn_rate(c, Fraction(9, 10)) == 1
    assert burn_rate(c, exact(0.9)) == 1
    assert 0.1 / (1 - 0.9) != 1  # the float answer this module exists to avoid


def test_no_data_is_none_never_zero() -> None:
    assert error_rate(Counts.ZERO) is None
    assert burn_rate(Counts.ZERO, NINES3) is None
    assert budget(Counts.ZERO, NINES3) == Budget(consumed=None, remaining=None)
    assert burn_rate(Counts.of(total=5, bad=0), NINES3) == 0


@pytest.mark.parametrize("target", [Fraction(0), Fraction(1), Fraction(-1, 2), Fraction(3, 2)])
def test_target_must_be_strictly_between_0_and_1(target: Fraction) -> None:
    with pytest.raises(ValueError):
        burn_rate(Counts.of(total=1, good=1), target)


def test_budget_remaining_goes_negative() -> None:
    # 99.9% over a million requests allows 1000 failures
    assert budget(Counts.of(total=10**6, bad=250), NINES3) == Budget(Fraction(1, 4), Fraction(3, 4))
    assert budget(Counts.of(total=10**6, bad=1000), NINES3).remaining == 0
    assert budget(Counts.of(total=10**6, bad=3000), NINES3) == Budget(Fraction(3), Fraction(-2))


def test_timeslices_counts_good_slices_and_skips_empty_ones() -> None:
    slices = [
        Counts.of(total=100, bad=0),
        Counts.of(total=100, bad=1),  # exactly 99%: good (>=)
        Counts.of(total=100, bad=2),
        Counts.ZERO,
        Counts.of(total=3, bad=3),
    ]
    assert timeslices(slices, Fraction(99, 100)) == Counts.of(total=4, good=2)
    assert timeslices([Counts.ZERO], Fraction(99, 100)).no_data
    with pytest.raises(ValueError):
        timeslices(slices, Fraction(0))


def test_budget_consumed_by_rejects_bad_durations() -> None:
    with pytest.raises(ValueError):
        budget_consumed_by(Fraction(1), timedelta(hours=1), timedelta(0))
    with pytest.raises(ValueError):
        budget_consumed_by(Fraction(1), -timedelta(hours=1), DAYS30)


counts = st.integers(0, 10**6).flatmap(
    lambda total: st.builds(Counts.of, total=st.just(total), bad=st.integers(0, total))
)
targets = st.fractions(min_value=Fraction(1, 10**5), max_value=1 - Fraction(1, 10**5)).filter(
    lambda t: 0 < t < 1
)


@settings(max_examples=60, deadline=None)
@given(total=st.integers(1, 10**6), bad=st.integers(0, 10**6), k=st.integers(1, 50), target=targets)
def test_burn_rate_scales_linearly_with_bad(total: int, bad: int, k: int, target: Fraction) -> None:
    bad = min(bad, total // k)
    one, many = (
        burn_rate(Counts.of(total=total, bad=bad), target),
        burn_rate(Counts.of(total=total, bad=k * bad), target),
    )
    assert one is not None and many == k * one


@settings(max_examples=60, deadline=None)
@given(parts=st.lists(counts, min_size=1, max_size=8), target=targets)
def test_budget_consumed_over_sub_windows_adds_up(parts: list[Counts], target: Fraction) -> None:
    whole = sum(parts, Counts.ZERO)
    consumed = budget(whole, target).consumed
    if whole.no_data:
        assert consumed is None
        return
    # each part's share of the whole period's budget: its burn weighted by its share of the traffic
    shares = [(burn_rate(p, target) or 0) * p.total / whole.total for p in parts]
    assert consumed == sum(shares)


@settings(max_examples=60, deadline=None)
@given(c=counts, target=targets)
def test_burn_rate_one_spends_exactly_the_budget(c: Counts, target: Fraction) -> None:
    burn = burn_rate(c, target)
    b = budget(c, target)
    assert (burn is None) == c.no_data == (b.consumed is None)
    if burn is not None:
        assert burn >= 0 and b.consumed == burn and b.remaining == 1 - burn
        assert budget_consumed_by(burn, DAYS30, DAYS30) == burn

"""Multiwindow, multi-burn-rate rules: the Workbook's thresholds, strict comparison, no data, suppression."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alertrouter.slo.burn import Counts, budget_consumed_by
from alertrouter.slo.rules import BurnRule, default_rules, evaluate, format_duration, windows_needed

NINES3 = Fraction(999, 1000)
M5, M30, H1, H6, D3 = (
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=6),
    timedelta(days=3),
)
FAST = BurnRule("page", H1, M5, Fraction(72, 5))
SLOW = BurnRule("page", H6, M30, Fraction(6))
TICKET = BurnRule("ticket", D3, H6, Fraction(1))


def at_burn(burn: Fraction, target: Fraction = NINES3, total: int = 10**6) -> Counts:
    """Counts whose burn rate is exactly `burn`."""
    return Counts.of(total=total, bad=burn * (1 - target) * total)


def test_thresholds_for_30_days() -> None:
    assert default_rules(timedelta(days=30)) == [FAST, SLOW, TICKET]
    assert [r.name for r in default_rules(timedelta(days=30))] == [
        "page-1h-5m",
        "page-6h-30m",
        "ticket-3d-6h",
    ]


def test_thresholds_for_28_days() -> None:
    assert [r.threshold for r in default_rules(timedelta(days=28))] == [
        Fraction("13.44"),
        Fraction("5.6"),
        Fraction(14, 15),
    ]


def test_a_calendar_month_of_31_days_passes_its_own_length() -> None:
    period = timedelta(days=31)
    rules = default_rules(period)
    assert [r.threshold for r in rules] == [Fraction("14.88"), Fraction(31, 5), Fraction(31, 30)]
    assert [budget_consumed_by(r.threshold, r.long, period) for r in rules] == [
        Fraction(2, 100),
        Fraction(5, 100),
        Fraction(10, 100),
    ]


def test_windows_needed() -> None:
    assert windows_needed(default_rules(timedelta(days=30))) == {M5, M30, H1, H6, D3}


def test_exactly_at_threshold_does_not_fire_a_hair_above_does() -> None:
    hair = Fraction(1, 10**12)
    at = evaluate([FAST], {H1: at_burn(FAST.threshold), M5: at_burn(FAST.threshold)}, NINES3)[0]
    assert at.long_burn == at.short_burn == Fraction(72, 5) and not at.firing and at.reason == ""
    above = {H1: at_burn(FAST.threshold + hair), M5: at_burn(FAST.threshold + hair)}
    assert evaluate([FAST], above, NINES3)[0].firing
    one_window = {H1: at_burn(FAST.threshold + hair), M5: at_burn(FAST.threshold)}
    assert not evaluate([FAST], one_window, NINES3)[0].firing


def test_ninety_percent_with_ten_percent_errors_does_not_fire_at_threshold_one() -> None:
    tenth = Counts.of(total=1000, bad=100)
    [result] = evaluate([TICKET], {D3: tenth, H6: tenth}, Fraction(9, 10))
    assert result.long_burn == result.short_burn == 1 and not result.firing


def test_a_window_without_data_does_not_fire() -> None:
    hot = at_burn(Fraction(100))
    for windows in ({H1: hot, M5: Counts.ZERO}, {H1: hot}, {M5: hot}, {}):
        [result] = evaluate([FAST], windows, NINES3)
        assert not result.firing and result.reason == "no data"
    [result] = evaluate([FAST], {H1: hot}, NINES3)
    assert result.long_burn == 100 and result.short_burn is None


def test_page_suppresses_ticket() -> None:
    hot = at_burn(Fraction(20))
    results = evaluate([TICKET, FAST, SLOW], {w: hot for w in (M5, M30, H1, H6, D3)}, NINES3)
    assert [(r.rule, r.firing, r.suppressed) for r in results] == [
        (TICKET, False, True),
        (FAST, True, False),
        (SLOW, True, False),
    ]
    only_fast = {H1: hot, M5: hot, D3: hot, H6: Counts.of(total=10, good=10)}
    results = evaluate([FAST, TICKET], only_fast, NINES3)
    assert [(r.firing, r.suppressed) for r in results] == [(True, False), (False, False)]
    warm = at_burn(Fraction(2))
    results = evaluate([FAST, SLOW, TICKET], {w: warm for w in (M5, M30, H1, H6, D3)}, NINES3)
    assert [(r.firing, r.suppressed) for r in results] == [(False, False), (False, False), (True, False)]


def test_critical_is_a_page_and_warnings_are_suppressed_by_it() -> None:
    critical = BurnRule("critical", H1, M5, Fraction(10))
    warning = BurnRule("warning", H6, M30, Fraction(1))
    hot = at_burn(Fraction(20))
    results = evaluate([critical, warning], {w: hot for w in (M5, M30, H1, H6)}, NINES3)
    assert [(r.firing, r.suppressed) for r in results] == [(True, False), (False, True)]


def test_min_events_guard() -> None:
    # at 10 requests an hour one failure is burn 100: a page for a single failure
    one_failure = {H1: Counts.of(total=10, bad=1), M5: Counts.of(total=1, bad=1)}
    assert evaluate([FAST], one_failure, NINES3)[0].firing
    [guarded] = evaluate([FAST], one_failure, NINES3, min_events=70)
    assert not guarded.firing and guarded.long_burn == 100 and guarded.reason == "fewer than 70 events in 1h"
    busy_hour = {H1: Counts.of(total=840, bad=12), M5: Counts.of(total=69, bad=69)}
    assert evaluate([FAST], busy_hour, NINES3, min_events=70)[0].reason == "fewer than 70 events in 5m"
    # with 70 events per window, one failure is burn 14.29 (< 14.4); two are 28.6
    assert not evaluate(
        [FAST], {H1: Counts.of(total=70, bad=1), M5: Counts.of(total=70, bad=1)}, NINES3, min_events=70
    )[0].firing
    assert evaluate(
        [FAST], {H1: Counts.of(total=70, bad=2), M5: Counts.of(total=70, bad=2)}, NINES3, min_events=70
    )[0].firing
    with pytest.raises(ValueError):
        evaluate([FAST], {}, NINES3, min_events=-1)


@pytest.mark.parametrize(
    ("d", "text"),
    [
        (M5, "5m"),
        (H1, "1h"),
        (H6, "6h"),
        (D3, "3d"),
        (timedelta(minutes=90), "1h30m"),
        (timedelta(days=1, seconds=1), "1d1s"),
        (timedelta(0), "0s"),
        (timedelta(milliseconds=250), "250ms"),
        (-M5, "-5m"),
    ],
)
def test_format_duration(d: timedelta, text: str) -> None:
    assert format_duration(d) == text


@pytest.mark.parametrize(
    "kwargs",
    [
        {"severity": "", "long": H1, "short": M5, "threshold": Fraction(1)},
        {"severity": "page", "long": M5, "short": H1, "threshold": Fraction(1)},
        {"severity": "page", "long": H1, "short": timedelta(0), "threshold": Fraction(1)},
        {"severity": "page", "long": H1, "short": M5, "threshold": Fraction(0)},
        {"severity": "page", "long": H1, "short": M5, "threshold": Fraction(1), "alert_after": -M5},
    ],
)
def test_rule_rejects_nonsense(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        BurnRule(**kwargs)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(
    long_burn=st.fractions(min_value=0, max_value=100, max_denominator=10**4),
    short_burn=st.fractions(min_value=0, max_value=100, max_denominator=10**4),
    threshold=st.fractions(min_value=Fraction(1, 100), max_value=100, max_denominator=10**4),
)
def test_fires_iff_both_windows_strictly_above(
    long_burn: Fraction, short_burn: Fraction, threshold: Fraction
) -> None:
    target = Fraction(99, 100)  # burns up to 100: all events bad
    rule = BurnRule("page", H1, M5, threshold)
    windows = {H1: at_burn(long_burn, target, 10**12), M5: at_burn(short_burn, target, 10**12)}
    [result] = evaluate([rule], windows, target)
    assert (result.long_burn, result.short_burn) == (long_burn, short_burn)
    assert result.firing == (long_burn > threshold and short_burn > threshold)

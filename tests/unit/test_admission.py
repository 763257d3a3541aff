"""Admission: the clock-drift allowance (inclusive) and the accounts a stack serves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alertrouter.admission import MAX_FUTURE_MS, Admission, RefusedEventError
from alertrouter.models.alert import Alert, Severity, Status

NOW = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)


def _alert(ahead_ms: int = 0, account: str = "123456789012") -> Alert:
    return Alert(
        source="cloudwatch",
        status=Status.FIRING,
        severity=Severity.WARNING,
        title="Cpu",
        labels={"account": account} if account else {},
        timestamp=NOW + timedelta(milliseconds=ahead_ms),
        fingerprint="f",
    )


def test_five_minutes_ahead_is_drift_one_millisecond_more_is_refused() -> None:
    Admission().check([_alert(MAX_FUTURE_MS)], NOW_MS)
    with pytest.raises(RefusedEventError, match="300 s ahead of the router's clock"):
        Admission().check([_alert(MAX_FUTURE_MS + 1)], NOW_MS)


def test_any_alert_of_the_event_dated_ahead_refuses_it() -> None:
    with pytest.raises(RefusedEventError, match="2099"):
        Admission().check(
            [_alert(), _alert(ahead_ms=int(timedelta(days=365 * 75).total_seconds() * 1000))], NOW_MS
        )


def test_the_stack_serves_its_own_account_and_those_allowed() -> None:
    admission = Admission.of("123456789012", [" 444455556666 ", ""])
    admission.check([_alert(account="123456789012"), _alert(account="444455556666")], NOW_MS)
    with pytest.raises(RefusedEventError, match="AWS account 111122223333"):
        admission.check([_alert(account="111122223333")], NOW_MS)


def test_without_an_own_account_any_account_is_served() -> None:
    assert Admission.of("", ["444455556666"]) == Admission()
    Admission.of("").check([_alert(account="111122223333")], NOW_MS)


def test_an_alert_that_names_no_account_is_let_in() -> None:
    # (every AWS event names one; the queue and topic policies decide who may send at all)
    Admission.of("123456789012").check([_alert(account="")], NOW_MS)

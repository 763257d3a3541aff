"""Admission: the clock-drift allowance (inclusive) and the accounts a stack serves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alertrouter.accounts import Membership
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


# ---- a hub: the members of its organisation ----


class Organisation:
    """Which accounts belong (alertrouter.accounts.AccountDirectory's answer), and who was asked about."""

    organization_id = "o-a1b2c3d4e5"

    def __init__(self, members: dict[str, Membership]) -> None:
        self.members = members
        self.asked: list[str] = []

    def membership(self, account_id: str) -> Membership:
        self.asked.append(account_id)
        return self.members.get(account_id, Membership.NOT_MEMBER)


def test_a_hub_lets_in_the_members_of_its_organisation_and_refuses_others_with_the_reason() -> None:
    org = Organisation({"210987654321": Membership.MEMBER})
    hub = Admission.of("123456789012", ["444455556666"], org)
    hub.check([_alert(account="123456789012"), _alert(account="444455556666")], NOW_MS)
    assert org.asked == []  # its own and the allowed accounts need no question
    hub.check([_alert(account="210987654321")], NOW_MS)
    with pytest.raises(RefusedEventError) as refused:
        hub.check([_alert(account="999988887777")], NOW_MS)
    assert refused.value.account == "999988887777"
    assert refused.value.reason == (
        "'Cpu' comes from AWS account 999988887777, which is not a member of organisation o-a1b2c3d4e5 "
        "(nor in AllowedSourceAccountIds)"
    )


def test_a_hub_lets_in_an_account_the_organisation_cannot_vouch_for() -> None:
    # (AccessDenied: the event bus policy, aws:PrincipalOrgID, let the event through; it is the gate)
    hub = Admission.of("123456789012", (), Organisation({"210987654321": Membership.UNKNOWN}))
    hub.check([_alert(account="210987654321")], NOW_MS)
    assert hub.serves("210987654321") and not hub.serves("999988887777")


def test_a_refused_event_names_the_account_it_came_from() -> None:
    with pytest.raises(RefusedEventError) as refused:
        Admission.of("123456789012").check([_alert(account="111122223333")], NOW_MS)
    assert refused.value.account == "111122223333"
    with pytest.raises(RefusedEventError) as ahead:
        Admission().check([_alert(MAX_FUTURE_MS + 1, account="")], NOW_MS)
    assert ahead.value.account == ""

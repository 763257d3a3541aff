"""What the router knows of an AWS account (alertrouter.accounts): names from the config first, then AWS
Organizations (cached, a negative cache for accounts it does not have), membership for a hub's admission, and
what each Organizations error means. Organizations here is a recording stand-in speaking its answers' shapes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from alertrouter.accounts import (
    ACCOUNT_NAME_LABEL,
    Account,
    AccountDirectory,
    AccountLookupRetryableError,
    Membership,
    answered,
    classified,
)
from alertrouter.models.alert import Alert, Severity, Status
from alertrouter.models.settings import Settings

ORG = "o-a1b2c3d4e5"
HUB = "123456789012"
SPOKE = "210987654321"
STRANGER = "999988887777"


class ClientError(Exception):
    """Shaped as botocore's: the error code in `response["Error"]["Code"]`."""

    def __init__(self, code: str) -> None:
        super().__init__(f"An error occurred ({code})")
        self.response = {"Error": {"Code": code, "Message": f"{code} said so"}}


class Organizations:
    """DescribeAccount over a fixed organisation; `fails` makes the next calls raise that error."""

    def __init__(self, members: Mapping[str, str], org: str = ORG) -> None:
        self.members = dict(members)
        self.org = org
        self.calls: list[str] = []
        self.fails: Exception | None = None

    def describe_account(self, **kwargs: Any) -> Mapping[str, Any]:
        account = kwargs["AccountId"]
        self.calls.append(account)
        if self.fails is not None:
            raise self.fails
        if account not in self.members:
            raise ClientError("AccountNotFoundException")
        arn = f"arn:aws:organizations::{HUB}:account/{self.org}/{account}"
        return {"Account": {"Id": account, "Arn": arn, "Name": self.members[account], "Status": "ACTIVE"}}


class Clock:
    def __init__(self) -> None:
        self.s = 1000.0

    def __call__(self) -> float:
        return self.s


def _directory(
    org: Organizations | None = None, names: Mapping[str, str] | None = None, clock: Clock | None = None
) -> AccountDirectory:
    return AccountDirectory(names, org, organization_id=ORG, clock=clock or Clock())


def _alert(account: str) -> Alert:
    return Alert(
        source="cloudwatch",
        status=Status.FIRING,
        severity=Severity.WARNING,
        title="Cpu",
        labels={"alertname": "Cpu", "account": account} if account else {"alertname": "Cpu"},
        timestamp=datetime(2024, 5, 1, 10, 0, tzinfo=UTC),
        fingerprint="f00d",
    )


# ---- names ----


def test_the_configs_name_wins_and_organizations_is_not_asked_for_it() -> None:
    org = Organizations({SPOKE: "checkout-prod-org"})
    accounts = _directory(org, {SPOKE: "checkout-prod"})
    assert accounts.name(SPOKE) == "checkout-prod"
    assert org.calls == []


def test_an_account_the_config_does_not_name_is_named_by_organizations_once_per_hour() -> None:
    org, clock = Organizations({SPOKE: "checkout-prod"}), Clock()
    accounts = _directory(org, clock=clock)
    assert [accounts.name(SPOKE) for _ in range(3)] == ["checkout-prod"] * 3
    assert org.calls == [SPOKE]
    clock.s += 3599
    accounts.name(SPOKE)
    assert org.calls == [SPOKE]
    clock.s += 2  # an hour on: asked again (a renamed account is renamed in the messages)
    org.members[SPOKE] = "checkout-production"
    assert accounts.name(SPOKE) == "checkout-production"
    assert org.calls == [SPOKE, SPOKE]


def test_without_organizations_only_the_config_names_accounts() -> None:
    accounts = AccountDirectory({SPOKE: "checkout-prod"})
    assert (accounts.name(SPOKE), accounts.name(STRANGER), accounts.name("")) == ("checkout-prod", "", "")
    assert accounts.membership(SPOKE) is Membership.UNKNOWN


# ---- the label ----


def test_alerts_are_labelled_with_their_accounts_name_and_keep_their_fingerprint() -> None:
    accounts = _directory(Organizations({SPOKE: "checkout-prod"}))
    named, unnamed, without = accounts.labelled([_alert(SPOKE), _alert(STRANGER), _alert("")])
    assert named.labels == {"alertname": "Cpu", "account": SPOKE, ACCOUNT_NAME_LABEL: "checkout-prod"}
    assert named.fingerprint == "f00d"
    assert ACCOUNT_NAME_LABEL not in unnamed.labels and ACCOUNT_NAME_LABEL not in without.labels


# ---- membership and what the errors mean ----


def test_membership_member_and_not_found_are_both_remembered() -> None:
    org, clock = Organizations({SPOKE: "checkout-prod"}), Clock()
    accounts = _directory(org, clock=clock)
    assert accounts.membership(SPOKE) is Membership.MEMBER
    assert [accounts.membership(STRANGER) for _ in range(5)] == [Membership.NOT_MEMBER] * 5
    assert org.calls == [SPOKE, STRANGER]
    clock.s += 601  # the negative answer is kept ten minutes: an account that joins is let in soon after
    org.members[STRANGER] = "new-product"
    assert accounts.membership(STRANGER) is Membership.MEMBER


def test_an_account_of_another_organisation_is_not_a_member() -> None:
    accounts = _directory(Organizations({SPOKE: "elsewhere"}, org="o-zzzzzzzzzz"))
    assert accounts.membership(SPOKE) is Membership.NOT_MEMBER
    assert accounts.name(SPOKE) == "elsewhere"


@pytest.mark.parametrize(
    "code", ["AccessDeniedException", "AWSOrganizationsNotInUseException", "ReadTimeout"]
)
def test_an_organisation_that_cannot_answer_leaves_membership_unknown_logged_once(
    code: str, caplog: pytest.LogCaptureFixture
) -> None:
    org, clock = Organizations({}), Clock()
    org.fails = ClientError(code)
    accounts = _directory(org, clock=clock)
    assert accounts.membership(SPOKE) is Membership.UNKNOWN
    assert accounts.membership(STRANGER) is Membership.UNKNOWN
    assert accounts.membership(SPOKE) is Membership.UNKNOWN  # remembered a while: not asked per alert
    assert org.calls == [SPOKE, STRANGER]
    assert [r.getMessage() for r in caplog.records].count(
        "AWS Organizations cannot say which accounts belong: the event bus policy is the gate"
    ) == 1
    clock.s += 301
    org.fails = None
    org.members[SPOKE] = "checkout-prod"
    assert accounts.membership(SPOKE) is Membership.MEMBER


@pytest.mark.parametrize("code", ["TooManyRequestsException", "ServiceException"])
def test_throttling_is_retried_later_never_taken_as_an_answer(code: str) -> None:
    org = Organizations({SPOKE: "checkout-prod"})
    org.fails = ClientError(code)
    accounts = _directory(org)
    with pytest.raises(AccountLookupRetryableError, match=code):
        accounts.membership(SPOKE)
    org.fails = None  # nothing was remembered: the retry asks again
    assert accounts.membership(SPOKE) is Membership.MEMBER


def test_the_cache_forgets_its_oldest_answers_beyond_its_size() -> None:
    org = Organizations({})
    accounts = AccountDirectory(None, org, organization_id=ORG, max_cached=2, clock=Clock())
    for account in ("111111111111", "222222222222", "333333333333", "111111111111"):
        accounts.membership(account)
    assert org.calls == ["111111111111", "222222222222", "333333333333", "111111111111"]


def test_the_pure_parts_read_answers_and_errors() -> None:
    arn = f"arn:aws:organizations::{HUB}:account/{ORG}/{SPOKE}"
    assert answered({"Account": {"Arn": arn, "Name": " checkout-prod "}}, ORG) == Account(
        Membership.MEMBER, "checkout-prod"
    )
    assert (
        answered({"Account": {"Arn": arn, "Name": "x"}}, "o-other00000").membership is Membership.NOT_MEMBER
    )
    assert classified(ClientError("AccountNotFoundException")) == Account(Membership.NOT_MEMBER)
    assert classified(ConnectionError("no route")) == Account(Membership.UNKNOWN)
    with pytest.raises(AccountLookupRetryableError):
        classified(ClientError("TooManyRequestsException"))


# ---- the router's settings ----


def test_the_router_reads_its_mode_and_organisation_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TABLE_NAME", "alertrouter-state")
    monkeypatch.setenv("INGEST_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/ingest")
    monkeypatch.setenv("MODE", "hub")
    monkeypatch.setenv("ORGANIZATION_ID", ORG)
    settings = Settings.from_env()
    assert (settings.mode, settings.organization_id) == ("hub", ORG)
    monkeypatch.setenv("ORGANIZATION_ID", "123456789012")
    with pytest.raises(ValidationError, match="organization_id"):
        Settings.from_env()
    monkeypatch.delenv("MODE")
    monkeypatch.delenv("ORGANIZATION_ID")
    assert (Settings.from_env().mode, Settings.from_env().organization_id) == ("standalone", "")

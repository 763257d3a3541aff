"""What the router knows of an AWS account: its name, and whether it belongs to the organisation.

Names come from the routing config first (`messages.account_names`), then, in a hub, from AWS Organizations
(DescribeAccount). Each answer is kept per process: a found account for `found_ttl_s`, an account the
organisation does not have (AccountNotFoundException) for `not_found_ttl_s`, so a storm of one account's
alarms costs one call, and a stranger's flood no more than one call per account.

What an error means (organisation membership is a gate only beside the event bus policy, which is the real one):
- AccountNotFoundException: not a member (its events are refused, with the reason);
- AccessDenied, Organizations not in use, a timeout or anything unforeseen: unknown, logged once per cause,
  remembered for `unknown_ttl_s` (the events are let in, the bus policy let them through);
- throttling or Organizations' own failure: AccountLookupRetryableError, so the SQS record is handed back and
  retried, never refused for a passing cause.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from alertrouter.models.alert import Alert
from alertrouter.observability import ROUTER, module_logger

logger = module_logger(ROUTER, "accounts")

ACCOUNT_NAME_LABEL = "account_name"
FOUND_TTL_S = 3600.0
NOT_FOUND_TTL_S = 600.0
UNKNOWN_TTL_S = 300.0
# Accounts remembered per process: the oldest are forgotten first, so a flood of made-up accounts keeps
# memory flat
MAX_CACHED = 10_000
NOT_FOUND = frozenset({"AccountNotFoundException"})
RETRYABLE = frozenset(
    {
        "TooManyRequestsException",
        "ThrottlingException",
        "Throttling",
        "ServiceException",
        "ConcurrentModificationException",
    }
)


class Membership(Enum):
    MEMBER = "member"
    NOT_MEMBER = "not a member"
    UNKNOWN = "unknown"  # Organizations could not say (no access, not in use, unreachable)


class AccountLookupRetryableError(Exception):
    """Organizations asked to wait (throttled) or failed on its side: the record is retried, not refused."""


class OrganizationsApi(Protocol):
    """The one Organizations operation the router makes (a botocore `organizations` client)."""

    def describe_account(self, **kwargs: Any) -> Mapping[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Account:
    """What Organizations said of one account: its name ("" when unknown) and membership."""

    membership: Membership
    name: str = ""


def error_code(exc: Exception) -> str:
    """A botocore ClientError's code, else the exception's type name (a timeout, a connection error)."""
    response = getattr(exc, "response", None)
    error = response.get("Error", {}) if isinstance(response, dict) else {}
    return str(error.get("Code") or type(exc).__name__)


def classified(exc: Exception) -> Account:
    """What a failed DescribeAccount says of the account; raises AccountLookupRetryableError when the call is
    worth making again later."""
    code = error_code(exc)
    if code in NOT_FOUND:
        return Account(Membership.NOT_MEMBER)
    if code in RETRYABLE:
        raise AccountLookupRetryableError(
            f"AWS Organizations DescribeAccount: {code}: retried later"
        ) from exc
    return Account(Membership.UNKNOWN)


def answered(answer: Mapping[str, Any], organization_id: str = "") -> Account:
    """A DescribeAccount answer as an Account: a member of `organization_id` (when given, the one its ARN
    names: `arn:aws:organizations::<management>:account/o-.../<id>`)."""
    account = answer.get("Account") or {}
    name = str(account.get("Name") or "").strip()[:60]
    arn = str(account.get("Arn") or "")
    parts = arn.split("/")
    if organization_id and len(parts) == 3 and parts[1] != organization_id:
        return Account(Membership.NOT_MEMBER, name)
    return Account(Membership.MEMBER, name)


class AccountDirectory:
    """The accounts' names and membership, for the labels, the admission and the messages (one per process).
    Without an Organizations client (standalone): the config's names only, membership unknown."""

    def __init__(
        self,
        names: Mapping[str, str] | None = None,
        organizations: OrganizationsApi | None = None,
        *,
        organization_id: str = "",
        found_ttl_s: float = FOUND_TTL_S,
        not_found_ttl_s: float = NOT_FOUND_TTL_S,
        unknown_ttl_s: float = UNKNOWN_TTL_S,
        max_cached: int = MAX_CACHED,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.names = dict(names or {})  # the config's: they win over Organizations'
        self.organizations = organizations
        self.organization_id = organization_id  # "o-..." ("" for none: names only, no membership gate)
        self.ttl = {
            Membership.MEMBER: found_ttl_s,
            Membership.NOT_MEMBER: not_found_ttl_s,
            Membership.UNKNOWN: unknown_ttl_s,
        }
        self.max_cached = max_cached
        self.clock = clock
        self._known: dict[str, tuple[float, Account]] = {}  # account id -> (until, what was said)
        self._logged: set[str] = set()
        self._lock = threading.Lock()

    def name(self, account_id: str) -> str:
        """The account's name: the config's, else Organizations' ("" when none is known)."""
        if not account_id:
            return ""
        return self.names.get(account_id) or self.lookup(account_id).name

    def membership(self, account_id: str) -> Membership:
        """Whether the account belongs to the organisation (UNKNOWN without Organizations)."""
        return self.lookup(account_id).membership

    def lookup(self, account_id: str) -> Account:
        """What Organizations says of the account, from the cache while it is fresh."""
        if self.organizations is None or not account_id:
            return Account(Membership.UNKNOWN)
        now = self.clock()
        kept = self._known.get(account_id)
        if kept is not None and kept[0] > now:
            return kept[1]
        try:
            account = answered(
                self.organizations.describe_account(AccountId=account_id), self.organization_id
            )
        except Exception as exc:  # noqa: BLE001 - classified: not found, unknown, or retried
            account = classified(exc)
            if account.membership is Membership.UNKNOWN:
                self._log_once(exc)
        self._keep(account_id, now + self.ttl[account.membership], account)
        return account

    def labelled(self, alerts: Iterable[Alert]) -> list[Alert]:
        """The alerts, each of an account with a known name labelled `account_name` (its fingerprint kept)."""
        out = []
        for alert in alerts:
            name = self.name(alert.labels.get("account", ""))
            if name and alert.labels.get(ACCOUNT_NAME_LABEL) != name:
                alert = alert.model_copy(update={"labels": {**alert.labels, ACCOUNT_NAME_LABEL: name}})
            out.append(alert)
        return out

    def _keep(self, account_id: str, until: float, account: Account) -> None:
        with self._lock:
            known = self._known
            known.pop(account_id, None)
            if len(known) >= self.max_cached:
                del known[next(iter(known))]  # the oldest answer
            known[account_id] = (until, account)

    def _log_once(self, exc: Exception) -> None:
        code = error_code(exc)
        if code in self._logged:
            return
        self._logged.add(code)
        logger.warning(
            "AWS Organizations cannot say which accounts belong: the event bus policy is the gate",
            extra={
                "cause": code,
                "reason": str(exc)[:300],
                "fix": "allow organizations:DescribeAccount to the router's role, from the management account "
                "or a delegated administrator (an Organizations resource policy)",
            },
        )

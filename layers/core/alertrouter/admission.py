"""What the router lets in, after an event has been understood: alerts dated no further ahead than clocks
drift, from the AWS accounts the stack serves (its own, those allowed beside it, and in a hub the members of
its organisation). A refused event goes to the DLQ with the reason."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from alertrouter.accounts import Membership
from alertrouter.models.alert import Alert
from alertrouter.sources.errors import MalformedEventError

# AWS's own clocks agree to well within a second; five minutes is Slack's and SigV4's allowance too.
# Further ahead is a forged or broken timestamp: stored, it would make every genuine later event
# look stale until the clock caught up (an ALARM dated 2099 would hold the alarm firing for good).
MAX_FUTURE_MS = 300_000


class RefusedEventError(MalformedEventError):
    """A well-formed event the router will not act on (dated in the future, from an account not served);
    `account`: the AWS account it came from ("" when it names none)."""

    def __init__(self, reason: str, account: str = "") -> None:
        super().__init__(reason)
        self.account = account


class Organization(Protocol):
    """The organisation whose members a hub serves (alertrouter.accounts.AccountDirectory)."""

    organization_id: str

    def membership(self, account_id: str) -> Membership: ...


@dataclass(frozen=True)
class Admission:
    """`accounts`: the stack's own account and those allowed beside it; empty means not configured
    (a local run without an account), where any account is let in. `organization` (a hub with
    ORGANIZATION_ID): its members are let in too, and so are accounts it cannot vouch for either way
    (AccessDenied: the event bus policy is the gate)."""

    accounts: frozenset[str] = frozenset()
    own: str = ""  # the stack's own account ("" where not configured)
    organization: Organization | None = None

    @classmethod
    def of(
        cls, own_account: str, allowed: Iterable[str] = (), organization: Organization | None = None
    ) -> Admission:
        own = own_account.strip()
        accounts = frozenset({own, *(a.strip() for a in allowed if a.strip())}) if own else frozenset()
        return cls(accounts, own, organization)

    def serves(self, account: str) -> bool:
        """Whether events of this AWS account are acted on (an unknown account "" is). May raise
        AccountLookupRetryableError (Organizations throttled: the record is retried)."""
        if not self.accounts or not account or account in self.accounts:
            return True
        return self.organization is not None and (
            self.organization.membership(account) is not Membership.NOT_MEMBER
        )

    def check_own(self, account: str, what: str) -> None:
        """Raise RefusedEventError unless `what` (an event about the stack's own doings, as its page calls)
        comes from the stack's own account (or no account is configured, or the event names none)."""
        if self.own and account and account != self.own:
            raise RefusedEventError(
                f"{what} of AWS account {account[:20]}: only the stack's own account places its calls",
                account,
            )

    def check_account(self, account: str, what: str) -> None:
        """Raise RefusedEventError unless the stack serves this account (`what`: the event, as the reason
        says it)."""
        if not self.serves(account):
            raise RefusedEventError(
                f"{what} of AWS account {account[:20]}, which this stack does not serve (add it to "
                "AllowedSourceAccountIds)"
            )

    def check(self, alerts: Iterable[Alert], now_ms: int) -> None:
        """Raise RefusedEventError for the first alert that may not be acted on."""
        for alert in alerts:
            ahead = alert.timestamp_ms - now_ms
            if ahead > MAX_FUTURE_MS:
                raise RefusedEventError(
                    f"{alert.title[:120]!r} is dated {alert.timestamp.isoformat()}, {ahead // 1000} s ahead of the "
                    f"router's clock (at most {MAX_FUTURE_MS // 1000} s allowed): not applied, so it cannot hide "
                    "the real state changes that follow",
                    alert.labels.get("account", ""),
                )
            account = alert.labels.get("account", "")
            if not self.serves(account):
                raise RefusedEventError(self._not_served(alert, account), account)

    def _not_served(self, alert: Alert, account: str) -> str:
        if self.organization is not None:
            return (
                f"{alert.title[:120]!r} comes from AWS account {account[:20]}, which is not a member of "
                f"organisation {self.organization.organization_id} (nor in AllowedSourceAccountIds)"
            )
        return (
            f"{alert.title[:120]!r} comes from AWS account {account[:20]}, which this stack does not serve "
            "(add it to AllowedSourceAccountIds to route its alarms)"
        )

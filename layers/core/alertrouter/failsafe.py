"""Routing when the deployed routing config cannot be loaded: every alert to the stack's default channel,
with a banner saying why, and critical ones paged to ops (the on-call names were in the broken file)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

from alertrouter.models.config import Receiver, ResolvedRoute, Route, RoutingConfig, SlackTarget
from alertrouter.models.state import Member
from alertrouter.mrkdwn import shorten
from alertrouter.routing.tree import match_routes

RECEIVER = "config-invalid"
ROUTE_ID = "config-invalid"  # never a route id of a real config ("0", "0.1"...): its groups stay apart
GROUP_BY = ["alertname", "account", "region"]
OPS_PAGE_CAUSE = "config-invalid"
# One ops page per 5 minutes across all workers, one per group episode: a storm of critical alarms is a
# few pages an hour, each naming its alerts; a group whose page waits is looked at again after the gap.
OPS_PAGE_GAP_MS = 300_000
REASON_LIMIT = 300
RECOVERED_BANNER = (
    "routing config was invalid when these alerts arrived, so they were routed to the default "
    "channel — this message keeps them; new alerts are routed by the config again"
)


@dataclass(frozen=True)
class FailSafe:
    """The fail-safe routing of one router: its default channel, and why it is in use ("": it is not)."""

    channel: str
    reason: str = ""

    @property
    def active(self) -> bool:
        return bool(self.reason)

    @cached_property
    def config(self) -> RoutingConfig:
        config = RoutingConfig(
            route=Route(
                receiver=RECEIVER,
                group_by=GROUP_BY,
                group_wait=timedelta(seconds=10),
                group_interval=timedelta(minutes=1),
                repeat_interval=timedelta(hours=4),
            ),
            receivers=[Receiver(name=RECEIVER, slack=[SlackTarget(channel=self.channel)])],
        )
        config.route.id = ROUTE_ID
        return config

    @cached_property
    def receiver(self) -> Receiver:
        return self.config.receivers[0]

    @cached_property
    def route(self) -> ResolvedRoute:
        return match_routes(self.config, {})[0]

    def banner(self) -> str:
        """What every message of a fail-safe group says on top."""
        if not self.active:
            return RECOVERED_BANNER
        return (
            f"routing config invalid: {shorten(' '.join(self.reason.split()), REASON_LIMIT)} — alerts are "
            "routed to the default channel"
        )

    def ops_page(self, account_label: str, critical: list[Member]) -> tuple[str, str]:
        """The subject and text of the ops page for a group's critical alerts."""
        titles = ", ".join(shorten(m.title, 80) for m in critical[:3])
        more = f" and {len(critical) - 3} more" if len(critical) > 3 else ""
        subject = " ".join(f"AlertRouter {account_label}: CRITICAL {titles} (routing config invalid)".split())
        text = (
            f"{subject}. Critical alerts firing: {titles}{more}. The routing config cannot be loaded "
            f"({shorten(self.reason, REASON_LIMIT) or 'see the router log'}), so no on-call SMS is sent: every "
            f"alert goes to {self.channel}. Fix the config and deploy again. Further critical alerts are "
            f"paged here at most once per {OPS_PAGE_GAP_MS // 60_000} minutes."
        )
        return subject, text

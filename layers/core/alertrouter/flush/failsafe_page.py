"""Stage: while the routing config is invalid, critical alerts of fail-safe groups page the ops topic."""

from __future__ import annotations

from alertrouter import failsafe
from alertrouter.flush.env import FlushEnv
from alertrouter.flush.ops_page import page_ops
from alertrouter.flush.stage import Flush
from alertrouter.limits import OPS_RECIPIENT, SLACK_RETRY_GAP_MS
from alertrouter.models.alert import Status
from alertrouter.models.state import Member
from alertrouter.observability import ROUTER, module_logger

logger = module_logger(ROUTER, __name__)


def unpaged_critical(flush: Flush) -> dict[str, Member]:
    """Firing critical members, neither muted nor flapping, not yet paged to ops this episode."""
    group, mutes = flush.group, flush.mutes
    return {
        fp: m
        for fp, m in group.members.items()
        if m.status == Status.FIRING
        and m.severity == "critical"
        and fp not in mutes.reasons
        and fp not in mutes.held
        and group.sms_notified.get(f"{fp}@{OPS_RECIPIENT}") != str(m.starts_at_ms)
    }


class FailSafePage:
    def __init__(self, env: FlushEnv) -> None:
        self.env = env

    def run(self, flush: Flush) -> None:
        if flush.receiver.name != failsafe.RECEIVER or not self.env.fail_safe.active:
            return
        page_again = self._page(flush)
        if page_again:
            flush.look_again_at(page_again)

    def _page(self, flush: Flush) -> int:
        """While the config is invalid no on-call SMS goes out (their names were in it): a group's new critical
        alerts page the ops topic instead, each once per episode, one page per OPS_PAGE_GAP_MS across all
        workers. Returns when to try again for alerts the gap held back (0: none waits)."""
        group, now = flush.group, flush.now
        critical = unpaged_critical(flush)
        if not critical:
            return 0
        if self.env.ops is None:
            logger.error("no ops topic to page", extra={"group": group.key, "cause": failsafe.OPS_PAGE_CAUSE})
            return 0
        sent = page_ops(
            self.env,
            failsafe.OPS_PAGE_CAUSE,
            failsafe.OPS_PAGE_GAP_MS,
            *self.env.fail_safe.ops_page(self.env.account_label, list(critical.values())),
            now,
            flush.outcome,
        )
        if sent is False:
            return now + failsafe.OPS_PAGE_GAP_MS  # another page went out within the gap: this one waits
        if sent is None:
            return now + SLACK_RETRY_GAP_MS  # the Slack message still goes out; the page is tried again
        sms_notified = {
            **group.sms_notified,
            **{f"{fp}@{OPS_RECIPIENT}": str(m.starts_at_ms) for fp, m in critical.items()},
        }
        self.env.leases.save_progress(group.key, flush.lease, {"sms_notified": sms_notified})
        self.env.history(
            group.key, "ops_page", {"cause": failsafe.OPS_PAGE_CAUSE, "alerts": sorted(critical)}
        )
        logger.error(
            "ops paged: critical alerts while the routing config is invalid",
            extra={"group": group.key, "alerts": len(critical)},
        )
        return 0

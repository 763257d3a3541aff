"""Stage: the escalation's clock starts with the first page sent (or queued for pacing); a route with
reminders but no pages starts it when a firing alert is shown. A first page that reached nobody (a refused
number, nobody on call) starts it due at once: the escalator pages its first step on its next run."""

from __future__ import annotations

from alertrouter.flush.env import FlushEnv
from alertrouter.flush.stage import Flush
from alertrouter.models.alert import Status
from alertrouter.models.state import EscalationState


def shows_firing(flush: Flush) -> bool:
    """Whether the message shows a firing alert that is neither muted nor flapping."""
    mutes = flush.mutes
    return any(
        m.status == Status.FIRING and fp not in mutes.reasons and fp not in mutes.held
        for fp, m in flush.members.items()
    )


class StartEscalation:
    def __init__(self, env: FlushEnv) -> None:
        self.env = env

    def run(self, flush: Flush) -> None:
        route = flush.route
        if not (route.escalation or route.reminder_interval):
            return
        reminding = route.reminder_interval and not flush.receiver.sms and shows_firing(flush)
        if not (flush.paged or flush.unreached or reminding):
            return
        policy = route.escalation
        after_ms = int(policy.after.total_seconds() * 1000) if policy else 0
        reminder_ms = int(route.reminder_interval.total_seconds() * 1000) if route.reminder_interval else 0
        group = flush.group
        self.env.escalations.start_escalation(
            EscalationState(
                key=group.key,
                episode=group.episode,
                next_ms=flush.now + (0 if flush.unreached and not flush.paged else after_ms or reminder_ms),
                after_ms=after_ms,
                steps=policy.steps if policy else (),
                repeat=policy.repeat if policy else 0,
                reminder_ms=reminder_ms,
            )
        )

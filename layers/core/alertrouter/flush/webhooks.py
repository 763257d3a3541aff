"""Stage: Alertmanager's webhook JSON to each of the receiver's webhooks, after Slack (a webhook that is down
never delays Slack or SMS).

Sent what the message shows (muted alerts left out, as Alertmanager leaves silenced and inhibited ones out),
on every flush that notifies (webhook_progress.due). Each webhook's progress is saved after it, so a retry of the
flush never sends a webhook the same version twice. A webhook still failing after its retries is recorded, the
others carry on, and a later flush sends it the group's state then (nothing lost, nothing sent twice)."""

from __future__ import annotations

from alertrouter.flush.env import FlushEnv
from alertrouter.flush.retry_at import retry_at
from alertrouter.flush.stage import Flush
from alertrouter.flush.webhook_progress import Sendable, WebhookProgress, digest, due
from alertrouter.limits import WEBHOOK_RESOLVED_TRIES_MS, WEBHOOK_RETRY_GAP_MS, WEBHOOK_RETRY_S
from alertrouter.models.alert import Status
from alertrouter.models.state import AlertState, Member, WebhookFailure, WebhookMark
from alertrouter.models.webhook import WebhookTarget
from alertrouter.notify.base import NotifyError
from alertrouter.notify.webhook_payload import GroupFacts, selected, webhook_message
from alertrouter.observability import ROUTER, module_logger

logger = module_logger(ROUTER, __name__)


def sendable_members(flush: Flush) -> dict[str, Member]:
    """The group's alerts a webhook is sent, as Alertmanager sends a group: every one, muted ones left out (as
    it leaves silenced and inhibited ones out), and resolved ones until their resolve was sent (then it drops
    them). Also an alert that fired and resolved between two notifications, which the Slack message does not
    show."""
    told = flush.group.notified
    return {
        fp: m
        for fp, m in flush.every_member.items()
        if fp not in flush.mutes.reasons
        and not (m.status == Status.RESOLVED and fp in told and told[fp].status == Status.RESOLVED)
    }


class Webhooks:
    def __init__(self, env: FlushEnv) -> None:
        self.env = env

    def run(self, flush: Flush) -> None:
        targets = flush.receiver.webhook_configs
        if not targets or self.env.webhooks is None:
            return
        progress = WebhookProgress.of(flush.group, {t.id for t in targets})
        members = sendable_members(flush)
        todo = []
        for target in targets:
            chosen, truncated = selected(members, target.send_resolved, target.max_alerts)
            held = digest(chosen, members, truncated)
            now = Sendable(
                frozenset(fp for fp, m in members.items() if m.status != Status.RESOLVED),
                frozenset(fp for fp, m in members.items() if m.status == Status.RESOLVED),
                held,
            )
            failed = progress.failed.get(target.id)
            mark = progress.done.get(target.id)
            if not due(flush, mark, now, send_resolved=target.send_resolved, behind=failed is not None) or (
                failed is not None and flush.now - failed.last_ms < WEBHOOK_RETRY_GAP_MS
            ):
                continue  # (a failing one: not asked again at every flush of a storm)
            todo.append((target, chosen, truncated, held))
        if todo:
            # One batched read of the alerts sent (their labels and annotations: a member keeps a summary)
            states = self.env.alerts.get_alerts(sorted({fp for _, chosen, _, _ in todo for fp in chosen}))
            for target, chosen, truncated, held in todo:
                self._one(flush, progress, target, (members, states, chosen, truncated), held)
                self.env.leases.save_progress(flush.group.key, flush.lease, progress.fields())
        self._retry_later(flush, progress)

    def _one(
        self,
        flush: Flush,
        progress: WebhookProgress,
        target: WebhookTarget,
        parts: tuple[dict[str, Member], dict[str, AlertState], list[str], int],
        held: str,
    ) -> None:
        """Send one webhook its message (none when nothing is left to send: resolves without send_resolved, or
        resolves alone to a webhook never told of them)."""
        assert self.env.webhooks is not None
        group = flush.group
        members, states, chosen, truncated = parts
        mark = WebhookMark(version=flush.version, episode=group.episode, digest=held, at=flush.now)
        never_told = target.id not in progress.done
        if not chosen or (never_told and all(members[fp].status == Status.RESOLVED for fp in chosen)):
            # nothing to send; resolves alone only to a webhook told something before (as Alertmanager)
            progress.done[target.id] = mark
            progress.failed.pop(target.id, None)  # (nor anything left to retry)
            return
        facts = GroupFacts(group.key, group.receiver, group.group_labels)
        message = webhook_message(facts, members, states, chosen, truncated)
        try:
            attempts = self.env.webhooks.send(target, message)
        except NotifyError as exc:
            self._failed(flush, progress, target, exc)
            return
        progress.done[target.id] = mark
        healed = progress.failed.pop(target.id, None)
        outcome = flush.outcome
        outcome.webhooks_sent += 1
        outcome.webhook_retries += attempts - 1
        detail = {
            "webhook": target.id,
            "status": message["status"],
            "alerts": len(chosen),
            "truncated": truncated,
        }
        logger.info(
            "webhook sent", extra={"group": group.key, **detail, "attempts": attempts, "to": target.label}
        )
        self.env.history(group.key, "webhook", {**detail, "version": flush.version})
        if healed is not None:
            outcome.webhooks_healed += 1
            logger.info(
                "webhook reachable again",
                extra={"group": group.key, "to": target.label, "cause": healed.error, "tries": healed.tries},
            )
            self.env.history(group.key, "webhook_healed", {"webhook": target.id, "cause": healed.error})

    def _failed(
        self, flush: Flush, progress: WebhookProgress, target: WebhookTarget, exc: NotifyError
    ) -> None:
        """Record a webhook that did not take the message after its retries: loudly, counted by cause."""
        code, now = exc.code or "unknown_error", flush.now
        before = progress.failed.get(target.id)
        failure = progress.failed[target.id] = WebhookFailure(
            error=code, at=before.at if before else now, last_ms=now, tries=before.tries + 1 if before else 1
        )
        outcome = flush.outcome
        outcome.webhook_failures[code] = outcome.webhook_failures.get(code, 0) + 1
        outcome.webhook_retries += max(0, getattr(exc, "attempts", 1) - 1)
        logger.error(
            "webhook failed",
            extra={
                "group": flush.group.key,
                "to": target.label,
                "cause": code,
                "reason": str(exc),
                "retryable": exc.retryable,
                "tries": failure.tries,
            },
        )
        if before is None or before.error != code:
            self.env.history(flush.group.key, "webhook_failed", {"webhook": target.id, "cause": code})

    def _retry_later(self, flush: Flush, progress: WebhookProgress) -> None:
        """A failing webhook has the group looked at again (as a refused Slack channel does); a group all
        resolved stops once its resolve has been refused for WEBHOOK_RESOLVED_TRIES_MS."""
        failing = [
            f
            for f in progress.failed.values()
            if not flush.all_resolved or flush.now - f.at < WEBHOOK_RESOLVED_TRIES_MS
        ]
        if failing:
            again = retry_at(failing, WEBHOOK_RETRY_S, flush.now)
            flush.kept["resume_at_ms"] = min(t for t in (flush.kept.get("resume_at_ms", 0), again) if t)

"""Stage: SMS pages, before Slack (a Slack outage must not delay a page).

Each alert episode pages each recipient once (recorded per recipient, so a failure for the second never pages
the first again). Muted and flapping alerts are not paged; a flapping one is, once it has settled and still
fires. A recipient texted less than SMS_GAP_MS ago gets its pages queued for the escalator to bundle."""

from __future__ import annotations

import contextlib

from alertrouter.flush.env import FlushEnv
from alertrouter.flush.stage import Flush
from alertrouter.models.alert import Status
from alertrouter.models.recipient import parse_recipient
from alertrouter.models.state import Member, QueuedPage
from alertrouter.notify.base import SMS_GAP_MS, NotifyError
from alertrouter.notify.render import render_sms
from alertrouter.observability import ROUTER, module_logger

logger = module_logger(ROUTER, __name__)


def pageable(flush: Flush, severities: list[str]) -> dict[str, Member]:
    """The firing members of a paged severity that are neither muted nor flapping."""
    mutes = flush.mutes
    return {
        fp: m
        for fp, m in flush.group.members.items()
        if m.status == Status.FIRING
        and m.severity in severities
        and fp not in mutes.reasons
        and fp not in mutes.held
    }


class Pages:
    def __init__(self, env: FlushEnv) -> None:
        self.env = env

    def run(self, flush: Flush) -> None:
        recipients = flush.receiver.sms
        if not recipients or self.env.sms is None:
            return
        firing = pageable(flush, flush.receiver.sms_severities)
        sms_notified = dict(flush.group.sms_notified)
        for ref in recipients:
            # recorded per recipient as written: a schedule's page goes once an episode, to whoever was on
            # call when it went out
            pages = {
                fp: m for fp, m in firing.items() if sms_notified.get(f"{fp}@{ref}") != str(m.starts_at_ms)
            }
            if not pages:
                continue
            name = self._whom(flush, ref, pages)
            if name is None:
                continue
            if self._page(flush, name, pages, sms_notified, ref):
                flush.paged = True
            else:
                flush.unreached = True

    def _whom(self, flush: Flush, ref: str, pages: dict[str, Member]) -> str | None:
        """The person a recipient reaches now: as named, or whoever its schedule has on call (None, logged,
        counted and noted in the history when nobody is: the escalation then starts at once)."""
        recipient = parse_recipient(ref)
        if recipient.person is not None:
            return recipient.person
        on_call = self.env.on_call
        person = on_call.person(recipient, self.env.now_ms()) if on_call is not None else None
        if person is None:
            logger.error(
                "nobody on call to page", extra={"schedule": recipient.schedule, "group": flush.group.key}
            )
            flush.outcome.sms_failures += 1
            flush.unreached = True
            self.env.history(flush.group.key, "sms_unreached", {"to": ref, "alerts": sorted(pages)})
        return person

    def _page(
        self, flush: Flush, name: str, pages: dict[str, Member], sms_notified: dict[str, str], ref: str
    ) -> bool:
        """Page one person (or queue the pages), for the recipient `ref`: whether a page went out or was
        queued."""
        assert self.env.sms is not None
        key, outcome = flush.group.key, flush.outcome
        now = self.env.now_ms()
        if not self.env.paging.claim_sms_slot(name, now, SMS_GAP_MS):
            # Texted less than a minute ago: the escalator sends these on its next run, bundled with
            # whatever else is due to this recipient (one SMS per number per minute).
            self.env.outbox.queue_pages(
                [
                    QueuedPage(
                        recipient=name,
                        key=key,
                        episode=flush.group.episode,
                        fingerprint=fp,
                        member=m,
                        queued_ms=now,
                    )
                    for fp, m in pages.items()
                ]
            )
            outcome.sms_queued += 1
            self._record(flush, ref, pages, sms_notified)
            self.env.history(key, "sms_queued", {"to": name, "alerts": sorted(pages)})
            return True
        try:
            masked = self.env.sms.send(
                name, render_sms(list(pages.values()), self.env.account_label, self.env.account_id)
            )
        except NotifyError as exc:
            if exc.retryable:
                with contextlib.suppress(Exception):  # the retry may text at once
                    self.env.paging.release_sms_slot(name, now)
                raise
            # A recipient that cannot be paged (not in the secret, number refused) must not stop the
            # other recipients nor the Slack message: logged loudly and counted, tried again next flush.
            logger.error("SMS recipient cannot be paged", extra={"recipient": name, "reason": str(exc)})
            outcome.sms_failures += 1
            return False
        outcome.sms += 1
        logger.info("SMS sent", extra={"to": masked, "group": key, "alerts": len(pages)})
        self._record(flush, ref, pages, sms_notified)
        titles = [m.title for m in pages.values()][:10]
        self.env.history(key, "sms", {"to": name, "alerts": sorted(pages), "titles": titles})
        return True

    def _record(self, flush: Flush, ref: str, pages: dict[str, Member], sms_notified: dict[str, str]) -> None:
        sms_notified.update({f"{fp}@{ref}": str(m.starts_at_ms) for fp, m in pages.items()})
        self.env.leases.save_progress(flush.group.key, flush.lease, {"sms_notified": sms_notified})

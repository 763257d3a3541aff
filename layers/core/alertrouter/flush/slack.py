"""Stage: the group's message in each of the receiver's Slack channels.

Posted once per channel, then edited in place; changes go to its thread. Each channel's part of this flush is
recorded as done, so a retry redoes only the channels left. A channel Slack refuses for good (archived, app
removed) is recorded and skipped: the others carry on, it is tried again later and, healed, gets the current
message. When every channel is refused the message goes to the fallback channel; a refused token pages ops."""

from __future__ import annotations

from alertrouter.flush.env import FlushEnv
from alertrouter.flush.ops_page import page_ops
from alertrouter.flush.slack_channel import ChannelSender, SlackPass
from alertrouter.flush.slack_progress import SlackProgress, slack_retry_at
from alertrouter.flush.slack_view import SlackView
from alertrouter.flush.stage import Flush
from alertrouter.limits import OPS_PAGE_GAP_MS, SLACK_RETRY_GAP_MS
from alertrouter.models.state import SlackFailure
from alertrouter.notify.base import NotifyError
from alertrouter.notify.slack_failures import is_token_error
from alertrouter.observability import ROUTER, module_logger

logger = module_logger(ROUTER, __name__)


class Slack:
    def __init__(self, env: FlushEnv, view: SlackView) -> None:
        self.env = env
        self.view = view
        self.sender = ChannelSender(env, view)

    def run(self, flush: Flush) -> None:
        if self.env.slack is None or not flush.receiver.slack:
            return
        failed = self._send(flush)
        if failed and not flush.all_resolved:  # looked at again (scheduled) until the channels heal
            retry_at = slack_retry_at(failed, flush.now)
            flush.look_again_at(retry_at)

    def _send(self, flush: Flush) -> dict[str, SlackFailure]:
        """Every channel, then the fallback if all of them refuse. Returns the channels still refused."""
        group, message, read_at = self.sender.with_clicks(flush.group, flush.now)
        walk = SlackPass(flush, group, message, read_at, SlackProgress.of(group))
        progress = walk.progress
        own = [t.channel for t in flush.receiver.slack]
        fallback = self.env.config.fallback_channel(flush.receiver)
        # once used in an episode, the fallback's message is kept up to date like a channel's
        channels = [*own, fallback] if fallback and fallback in progress.ts else own
        token_error, unsaved = self._channels(walk, channels, own)
        refused = [progress.failed.get(c) for c in own]
        if (
            token_error is None
            and fallback
            and fallback not in progress.ts
            and all(f is not None and not is_token_error(f.error) for f in refused)
        ):
            token_error = self.sender.try_channel(walk, fallback, [], banner=True)
            flush.outcome.slack_fallbacks += fallback in progress.ts
            unsaved = True
        if unsaved:
            self.env.leases.save_progress(walk.group.key, flush.lease, progress.fields())
        if token_error is not None:
            self._page_ops_token(token_error, flush)
        return progress.failed

    def _channels(
        self, walk: SlackPass, channels: list[str], own: list[str]
    ) -> tuple[NotifyError | None, bool]:
        """Each channel not done yet, its progress saved after it. Returns the token's refusal, if Slack
        refused it, and whether progress is left unsaved."""
        flush, progress = walk.flush, walk.progress
        token_error: NotifyError | None = None
        unsaved = False
        for index, channel in enumerate(channels):
            if progress.done.get(channel) == flush.version:
                continue
            walk.siblings_left = any(progress.done.get(c) != flush.version for c in channels[index + 1 :])
            failed = progress.failed.get(channel)
            if failed is not None and flush.now - failed.last_ms < SLACK_RETRY_GAP_MS:
                continue  # tried a moment ago: Slack is not asked again at every flush of a storm
            if token_error is not None:  # the token is refused: every call would be, not only this channel's
                self.sender.failed(walk, channel, token_error)
                unsaved = True
                continue
            lines = [] if failed is not None else flush.thread_lines  # healed: the current message only
            token_error = self.sender.try_channel(walk, channel, lines, banner=channel not in own)
            self.env.leases.save_progress(walk.group.key, flush.lease, progress.fields())
            unsaved = False
        return token_error, unsaved

    def _page_ops_token(self, exc: NotifyError, flush: Flush) -> None:
        """A refused token silences every channel (a fallback too): tell ops through their topic, not Slack,
        at most once an hour per cause across all workers. Never fails the flush (the SMS went out already)."""
        cause = exc.code or "unknown_error"
        subject = f"AlertRouter {self.env.account_label}: Slack refuses its token ({cause})".replace(
            "  ", " "
        )
        text = (
            f"{subject}. No Slack message can be posted or edited until it is fixed; SMS pages still go "
            f"out. Fix: {self.view.fix('', cause, exc.needed)}. Messages refused meanwhile are posted once "
            "the token works again."
        )
        if self.env.ops is None:
            logger.error("no ops topic to page", extra={"cause": cause, "page": text})
            return
        if page_ops(self.env, f"slack-{cause}", OPS_PAGE_GAP_MS, subject, text, flush.now, flush.outcome):
            logger.error("ops paged: Slack refuses the token", extra={"cause": cause})

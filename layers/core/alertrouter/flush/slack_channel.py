"""The group's message in one Slack channel: posted once, then edited in place, changes in its thread; a
channel Slack refuses for good is recorded (with its fix), never raised."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alertrouter.flush.changes import changes
from alertrouter.flush.env import FlushEnv
from alertrouter.flush.slack_progress import SlackProgress
from alertrouter.flush.slack_view import SlackView
from alertrouter.flush.stage import Flush
from alertrouter.limits import CLICK_REREAD_MS
from alertrouter.models.state import GroupState, SlackFailure
from alertrouter.notify.base import NotifyError
from alertrouter.notify.render import SlackMessage, render_group, thread_note
from alertrouter.notify.slack_failures import channel_label, is_token_error
from alertrouter.observability import ROUTER, module_logger

logger = module_logger(ROUTER, __name__)


@dataclass(slots=True)
class SlackPass:
    """One flush's walk through the channels: the group and message as the last click re-read left them."""

    flush: Flush
    group: GroupState
    message: SlackMessage
    read_at: int
    progress: SlackProgress
    # other channels are still to be sent in this flush: a channel sent now gets ahead of them, and what it was
    # told is kept until the release records it for all (with none left, the release follows at once)
    siblings_left: bool = False


class ChannelSender:
    def __init__(self, env: FlushEnv, view: SlackView) -> None:
        self.env = env
        self.view = view

    def with_clicks(self, group: GroupState, now: int) -> tuple[GroupState, SlackMessage, int]:
        """The group with the acknowledgement and manual resolve as stored now (a click may have landed since
        the claim; the interactions function redrew the message then, and this edit must not undo it)."""
        clicks = self.env.groups.get_clicks(group.key)
        if clicks is not None:
            group = group.model_copy(update={"clicks": clicks})
        return group, render_group(group, now, self.env.wording), self.env.now_ms()

    def try_channel(
        self, walk: SlackPass, channel: str, lines: list[str], *, banner: bool
    ) -> NotifyError | None:
        """send, with a permanent failure recorded instead of raised (a retryable one is raised: SQS brings
        the record back). Returns the failure if Slack refused the token itself."""
        try:
            self._send(walk, channel, lines, banner=banner)
        except NotifyError as exc:
            if exc.retryable:
                raise
            self.failed(walk, channel, exc)
            return exc if is_token_error(exc.code) else None
        return None

    def _send(self, walk: SlackPass, channel: str, lines: list[str], *, banner: bool) -> None:
        """Post or edit the group's message in one channel (and note the changes in its thread); records the
        progress. The walk's group, message and read time are those of the click re-read, once it worked."""
        assert self.env.slack is not None
        group, progress = walk.group, walk.progress
        if channel in group.slack.notified and lines:
            # This channel got ahead of its siblings in an earlier, partly failed flush: tell it only
            # what it has not been told.
            told = group.model_copy(update={"notified": group.slack.notified[channel]})
            lines = changes(told, walk.flush.route, walk.flush.now)[1]
        ts = progress.ts.get(channel)
        if channel in progress.channels:
            self.env.slack.learn(channel, progress.channels[channel])
        if ts is None:
            kind, entry = "slack_post", self._post(walk, channel, banner)
        else:
            kind, entry = "slack_update", self._update(walk, channel, ts, lines, banner)
        progress.done[channel] = walk.flush.version
        if walk.siblings_left:
            progress.notified[channel] = walk.flush.notified
        healed = progress.failed.pop(channel, None)
        self.env.history(group.key, kind, entry)
        if healed is not None:
            self._healed(walk, channel, healed)

    def _post(self, walk: SlackPass, channel: str, banner: bool) -> dict[str, Any]:
        assert self.env.slack is not None
        group, message, progress = walk.group, walk.message, walk.progress
        metadata = {"group": group.key, "episode": group.episode}
        # Recorded before posting: if this flush dies after Slack acted, the retry looks first.
        tried = progress.attempts.get(channel) == group.episode
        if not tried:
            progress.attempts[channel] = group.episode
            self.env.leases.save_progress(group.key, walk.flush.lease, {"slack_attempts": progress.attempts})
        shown = self.view.shown(group, message, progress.failed, channel, banner, walk.flush.now)
        channel_id, ts = self.env.slack.post_once(
            channel, shown, metadata, oldest=group.created_ms / 1000 - 60, look_first=tried
        )
        progress.ts[channel], progress.channels[channel] = ts, channel_id
        walk.flush.outcome.posts += 1
        return {"channel": channel, "ts": ts, "text": message.text, "episode": group.episode}

    def _update(
        self, walk: SlackPass, channel: str, ts: str, lines: list[str], banner: bool
    ) -> dict[str, Any]:
        assert self.env.slack is not None
        group, message, read_at, progress = walk.group, walk.message, walk.read_at, walk.progress
        outcome = walk.flush.outcome
        # chat.update and threads take the channel id Slack answered the post with
        channel_id = progress.channels.get(channel, channel)
        if self.env.now_ms() - read_at > CLICK_REREAD_MS:  # pacing took a while: a click may have landed
            group, message, read_at = self.with_clicks(group, walk.flush.now)
        shown = self.view.shown(group, message, progress.failed, channel, banner, walk.flush.now)
        self.env.slack.update(channel_id, ts, shown)
        outcome.updates += 1
        entry: dict[str, Any] = {"channel": channel, "ts": ts, "text": message.text}
        if lines:
            self.env.slack.post(channel_id, SlackMessage(text=thread_note(lines)), thread_ts=ts)
            outcome.thread_notes += 1
            entry["thread"] = lines[:20]
        walk.group, walk.message, walk.read_at = group, message, read_at
        return entry

    def _healed(self, walk: SlackPass, channel: str, healed: SlackFailure) -> None:
        walk.flush.outcome.slack_healed += 1
        logger.info(
            "Slack channel reachable again",
            extra={
                "group": walk.group.key,
                "channel": channel,
                "cause": healed.error,
                "tries": healed.tries,
                "refused_for_s": (walk.flush.now - healed.at) // 1000,
            },
        )
        self.env.history(walk.group.key, "slack_healed", {"channel": channel, "cause": healed.error})

    def failed(self, walk: SlackPass, channel: str, exc: NotifyError) -> None:
        """Record a channel Slack refused for good, loudly: an error log with the fix, a metric per cause."""
        group, progress, now = walk.group, walk.progress, walk.flush.now
        code = exc.code or "unknown_error"
        before = progress.failed.get(channel)
        progress.failed[channel] = SlackFailure(
            error=code,
            episode=group.episode,
            at=before.at if before else now,
            last_ms=now,
            tries=before.tries + 1 if before else 1,
            needed=exc.needed,
        )
        outcome = walk.flush.outcome
        outcome.slack_failures[code] = outcome.slack_failures.get(code, 0) + 1
        fix = self.view.fix(channel, code, exc.needed)
        logger.error(
            "Slack refuses the channel",
            extra={
                "group": group.key,
                "channel": channel_label(channel),
                "cause": code,
                "fix": fix,
                "reason": str(exc),
                "tries": progress.failed[channel].tries,
            },
        )
        if before is None or before.error != code:
            self.env.history(group.key, "slack_refused", {"channel": channel, "cause": code, "fix": fix})

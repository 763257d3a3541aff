"""A click (stored, and drawn in the clicked message by the interactions function) shown in the group's
messages in its other channels, under the flush lease."""

from __future__ import annotations

from alertrouter.flush.env import FlushEnv
from alertrouter.flush.lease import new_lease_id
from alertrouter.flush.outcome import Outcome
from alertrouter.flush.slack_view import SlackView
from alertrouter.flush.visible import visible_members
from alertrouter.limits import LEASE_MS
from alertrouter.models.state import GroupState
from alertrouter.notify.base import NotifyError
from alertrouter.notify.render import render_group
from alertrouter.observability import ROUTER, module_logger
from alertrouter.store.base import LeaseHeldError

logger = module_logger(ROUTER, __name__)


class Redraw:
    def __init__(self, env: FlushEnv) -> None:
        self.env = env
        self.view = SlackView(env)

    def run(self, key: str, episode: int, clicked: str) -> Outcome:
        """A flush that holds the lease re-reads the clicks before its own edits, so then nothing is left to
        do here. `clicked` is the Slack channel id already redrawn."""
        group = self.env.groups.get_group(key)
        if self.env.slack is None or group is None or group.episode != episode or len(group.slack.ts) < 2:
            return Outcome()
        lease = new_lease_id()
        now = self.env.now_ms()
        try:
            group = self.env.leases.claim(key, lease, now, LEASE_MS)
        except LeaseHeldError:
            return Outcome()
        outcome = Outcome()
        try:
            self._redraw(group, episode, clicked, now, outcome)
        finally:
            self.env.leases.release(key, lease, {}, 0, claimed_version=None)
        return outcome

    def _redraw(self, group: GroupState, episode: int, clicked: str, now: int, outcome: Outcome) -> None:
        assert self.env.slack is not None
        visible = group.model_copy(update={"members": visible_members(group)})
        message = render_group(visible, now, self.env.wording)
        own = self.view.configured_channels(group)
        for channel, ts in group.slack.ts.items() if group.episode == episode else ():
            channel_id = group.slack.channels.get(channel, channel)
            if channel_id == clicked:
                continue
            self.env.slack.learn(channel, channel_id)  # one pace and Retry-After with the flushes' calls
            shown = self.view.shown(visible, message, group.slack.failed, channel, channel not in own, now)
            try:
                self.env.slack.update(channel_id, ts, shown)
            except NotifyError as exc:
                if exc.retryable:
                    raise  # SQS brings the redraw back
                # the click is stored: the group's next edit shows it there
                logger.warning(
                    "click not redrawn", extra={"group": group.key, "channel": channel, "reason": str(exc)}
                )
                continue
            outcome.updates += 1

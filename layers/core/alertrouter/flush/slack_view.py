"""How a group's message reads in one channel: with a fallback banner, a fail-safe banner, a fix to quote."""

from __future__ import annotations

from alertrouter import failsafe
from alertrouter.flush.env import FlushEnv
from alertrouter.models.state import GroupState, SlackFailure
from alertrouter.notify.render import SlackMessage, render_group, with_banner
from alertrouter.notify.slack_failures import fallback_banner, fix_for


class SlackView:
    def __init__(self, env: FlushEnv) -> None:
        self.env = env

    def shown(  # noqa: PLR0913 - what decides how one channel shows the group
        self,
        group: GroupState,
        message: SlackMessage,
        failed: dict[str, SlackFailure],
        channel: str,
        banner: bool,
        now: int,
    ) -> SlackMessage:
        """The message as a channel shows it: drawn with the channel's own title/text templates when it has
        them; in a fallback channel, with why it is there; from a fail-safe group, with why it is in the
        default channel."""
        receiver = group.receiver
        # (the fail-safe's receiver is in no config: it has no templates)
        target = self.env.routes.config.slack_target(receiver, channel)
        if target is not None and (target.title or target.text):
            message = render_group(group, now, self.env.wording, target)
        if receiver == failsafe.RECEIVER:
            message = with_banner(message, self.env.fail_safe.banner())
        if not banner:
            return message
        return with_banner(
            message,
            fallback_banner(
                {c: (f.error, self.fix(c, f.error, f.needed)) for c, f in failed.items() if c != channel}
            ),
        )

    def configured_channels(self, group: GroupState) -> set[str]:
        """The receiver's own channels (any other channel with a message is its fallback)."""
        try:
            return {t.channel for t in self.env.routes.receiver(group.receiver).slack}
        except KeyError:  # the receiver left the config: no channel is known to be a fallback
            return set(group.slack.ts)

    def fix(self, channel: str, code: str, needed: str) -> str:
        return fix_for(code, channel, needed=needed, token_secret=self.env.slack_token_secret)

"""The flush: the stages in order, built once per router, run on a claimed group."""

from __future__ import annotations

from alertrouter.flush.changes import Changes
from alertrouter.flush.env import FlushEnv
from alertrouter.flush.episode import NewEpisode
from alertrouter.flush.escalation import StartEscalation
from alertrouter.flush.failsafe_page import FailSafePage
from alertrouter.flush.graph import AskForGraph
from alertrouter.flush.mute import Mute
from alertrouter.flush.muting import Muting
from alertrouter.flush.open_group import ListOpenGroup
from alertrouter.flush.outcome import Outcome
from alertrouter.flush.pages import Pages
from alertrouter.flush.prune import Prune
from alertrouter.flush.release import Release, ReleaseUntold
from alertrouter.flush.repeat import Repeat
from alertrouter.flush.silences import SilenceCache
from alertrouter.flush.slack import Slack
from alertrouter.flush.slack_view import SlackView
from alertrouter.flush.stage import Flush, Stage
from alertrouter.flush.webhooks import Webhooks
from alertrouter.models.state import GroupState


class FlushPipeline:
    def __init__(self, env: FlushEnv, silences: SilenceCache) -> None:
        self.env = env
        self.open_group = ListOpenGroup(env)
        self.stages: tuple[Stage, ...] = (
            NewEpisode(env),
            Prune(env),
            Mute(env, Muting(env, silences)),
            self.open_group,  # after Mute: it knows whether all is resolved, and what the release keeps
            ReleaseUntold(env),
            Pages(env),  # SMS first: a Slack outage must not delay a page
            FailSafePage(env),
            Changes(),
            Repeat(),
            Slack(env, SlackView(env)),
            AskForGraph(env),  # after Slack: the graph follows the text, never delays it
            Webhooks(env),  # after Slack: a webhook that is down must not delay Slack (nor SMS)
            StartEscalation(env),
            Release(env),
        )

    def run(self, group: GroupState, route_id: str, lease: str, now: int, outcome: Outcome) -> GroupState:
        """Notify the claimed group's receiver of what changed; returns the group as the release left it."""
        receiver = self.env.routes.receiver(group.receiver)
        route = self.env.routes.route_by_id(route_id, group)
        flush = Flush(group, route, receiver, lease, now, group.version, outcome)
        for stage in self.stages:
            stage.run(flush)
            if flush.released is not None:
                self.open_group.after_release(flush)
                return flush.released
        raise AssertionError("the last stage releases the group")

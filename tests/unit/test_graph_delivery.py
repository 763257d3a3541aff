"""The graph's delivery on the in-memory store: which alert is drawn, every channel edited, what a flush asks
for and when (flush/graph.py)."""

from __future__ import annotations

from alertrouter.flush.graph import GraphDelivery
from alertrouter.flush.graph_wiring import GraphWiring
from alertrouter.own_messages import GraphMessage
from alertrouter.router import Router
from support.clock import Clock
from support.fakes import Scheduler, Slack, alert, router
from support.graph_fakes import PngRenderer
from support.memory_store import MemoryStore

TWO_CHANNELS = """
route:
  receiver: team
  group_by: [account]
  group_wait: 0s
  send_changes: at_once
receivers:
  - name: team
    slack: [{channel: "#oncall"}, {channel: "#payments"}]
"""


class World:
    def __init__(self, graphable_names: tuple[str, ...] = ("DiskFull", "CpuHigh")) -> None:
        self.store, self.slack, self.clock = MemoryStore(), Slack(), Clock()
        self.router: Router = router(TWO_CHANNELS, self.store, self.slack, Scheduler(), self.clock)
        self.renderer = PngRenderer()
        self.asked: list[tuple[GraphMessage, int]] = []
        self.router.env.graphs = GraphWiring(
            self.renderer,
            lambda source, labels: labels.get("alertname") in graphable_names,
            lambda message, delay: self.asked.append((message, delay)),
        )
        self.delivery = GraphDelivery(self.router.env)

    def key(self) -> str:
        [key] = self.store.groups
        return key


def test_a_first_post_asks_once_and_the_worst_graphable_alert_is_drawn() -> None:
    w = World(graphable_names=("DiskFull", "CpuHigh"))
    # When a warning is posted, then a critical and a critical that cannot be graphed join its group
    w.router.handle(alert("DiskFull", severity="warning"))
    w.router.handle(alert("Heartbeat", severity="critical", minute=1))
    w.router.handle(alert("CpuHigh", severity="critical", minute=2))
    # Then only the first post asked for a graph (the joins edit a message already there)
    [(message, delay)] = w.asked
    assert (message.phase, message.episode, delay) == ("firing", 1, 2)
    # When it is handled, the worst graphable alert is drawn (critical beats warning; Heartbeat cannot be)
    outcome = w.delivery.run(message.group, message.episode, message.phase)
    [(fingerprint, _, resolved)] = w.renderer.calls
    assert w.store.alerts[fingerprint].labels["alertname"] == "CpuHigh" and resolved is None
    # And one private upload shows in both channels' messages
    assert w.slack.uploads == [("", "CpuHigh (firing)")]
    assert (outcome.graphs, outcome.updates) == (1, 2)
    graph = w.store.groups[w.key()].slack.graph
    assert graph is not None and graph.file_id == "F000000001" and graph.episode == 1
    blocks = w.slack.last_message.attachments[0]["blocks"] if w.slack.last_message else []
    assert {"id": "F000000001"} in [b.get("slack_file") for b in blocks]


def test_nothing_graphable_asks_for_nothing() -> None:
    w = World(graphable_names=())
    w.router.handle(alert("Heartbeat"))
    assert w.asked == []


def test_a_resolve_uploads_a_fresh_graph_to_each_thread_once() -> None:
    w = World()
    w.router.handle(alert("DiskFull"))
    [(firing, _)] = w.asked
    w.delivery.run(firing.group, firing.episode, firing.phase)
    # When the alarm resolves
    w.router.handle(alert("DiskFull", state="OK", minute=5))
    [(resolved, _)] = w.asked[1:]
    assert resolved.phase == "resolved"
    outcome = w.delivery.run(resolved.group, resolved.episode, resolved.phase)
    # Then each channel's thread gets its own upload, drawn up to the resolve
    threads = sorted(channel for channel, _ in w.slack.uploads if channel)
    assert threads == ["ID#oncall", "ID#payments"] and outcome.graphs == 2
    assert w.renderer.calls[-1][2] is not None
    # And a redelivery uploads nothing more
    w.delivery.run(resolved.group, resolved.episode, resolved.phase)
    assert len(w.slack.uploads) == 3


def test_a_request_for_an_older_episode_does_nothing() -> None:
    w = World()
    w.router.handle(alert("DiskFull"))
    [(firing, _)] = w.asked
    outcome = w.delivery.run(firing.group, firing.episode + 1, firing.phase)
    assert w.renderer.calls == [] and outcome.graphs == 0

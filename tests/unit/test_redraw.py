"""An Acknowledge clicked in one channel's message shows in the group's messages in its other channels: the
interactions function redraws the clicked one and hands the others to the router (Router.redraw)."""

from __future__ import annotations

import pytest

from alertrouter.notify.base import NotifyError
from alertrouter.router import Router
from support.clock import Clock
from support.fakes import Scheduler, Slack, alert, router
from support.memory_store import MemoryStore

TWO_CHANNELS = """
route:
  receiver: team
  group_by: [alertname]
  group_wait: 0s
receivers:
  - name: team
    slack: [{channel: "#oncall"}, {channel: "#payments"}]
"""


@pytest.fixture
def world() -> tuple[MemoryStore, Slack, Router, str]:
    store, slack, clock = MemoryStore(), Slack(), Clock()
    r = router(TWO_CHANNELS, store, slack, Scheduler(), clock)
    r.handle(alert("DiskFull"))
    [key] = store.groups
    assert slack.posts == ["#oncall", "#payments"]
    return store, slack, r, key


def test_an_acknowledgement_is_redrawn_in_the_other_channels_not_the_clicked_one(
    world: tuple[MemoryStore, Slack, Router, str],
) -> None:
    store, slack, r, key = world
    store.acknowledge(key, "U0ALICE", 1, ack=True, episode=1)
    outcome = r.redraw(key, 1, clicked="ID#oncall")
    assert slack.updates == ["ID#payments"] and outcome.updates == 1
    assert "Acknowledged by <@U0ALICE>" in str(slack.last_message)
    assert store.groups[key].lease.id == ""  # the lease is given back


def test_a_redraw_for_another_episode_or_while_a_flush_runs_does_nothing(
    world: tuple[MemoryStore, Slack, Router, str],
) -> None:
    store, slack, r, key = world
    assert r.redraw(key, 2, clicked="ID#oncall").updates == 0  # the episode the click was on is over
    store.claim(key, "flushing", 0, 10**15)  # a flush holds the lease: it re-reads the clicks itself
    assert r.redraw(key, 1, clicked="ID#oncall").updates == 0
    assert r.redraw("no-such-group", 1).updates == 0
    assert slack.updates == []


def test_slack_failing_retryably_brings_the_redraw_back_with_the_lease_free(
    world: tuple[MemoryStore, Slack, Router, str],
) -> None:
    store, slack, r, key = world
    slack.fail.add("ID#payments")
    with pytest.raises(NotifyError):
        r.redraw(key, 1, clicked="ID#oncall")
    assert store.groups[key].lease.id == ""
    assert r.redraw(key, 1, clicked="ID#oncall").updates == 1  # SQS's redelivery

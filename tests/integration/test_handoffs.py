"""The escalator's handoff watcher against the Slack stand-in: a notice in the schedule's channel and its user
group set at each change of who is on call, once however many runs overlap, finished after a Slack failure."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from alertrouter.config import parse_config
from alertrouter.handoffs import Handoffs
from alertrouter.models.schedule import Override
from alertrouter.notify.slack import SlackClient
from alertrouter.on_call_now import OnCallNow
from support.memory_store import MemoryStore
from support.slack_standin import SlackStandIn

pytestmark = pytest.mark.integration

CONFIG = """
route: {receiver: team}
receivers: [{name: team, slack: [{channel: "#payments"}]}]
people:
  alice: {slack: U0ALICE01}
  bob: {slack: U0BOB0001}
  dave: {}
schedules:
  - name: payments
    time_zone: Europe/Berlin
    handoff_channel: "#payments"
    slack_usergroup: S0PAYONCALL
    layers:
      - {name: primary, rotation: daily, start: 2026-12-01T09:00, members: [alice, bob, dave]}
"""
HOUR = 3_600_000


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


class World:
    def __init__(self, slack: SlackStandIn, config: str = CONFIG) -> None:
        self.config = parse_config(config)
        self.store = MemoryStore()
        self.slack = slack
        slack.usergroups["S0PAYONCALL"] = {"U0SOMEONE"}
        self.now = ms("2026-12-03T07:30:00")  # 08:30 in Berlin: the second day's shift (bob's), till 09:00
        client = SlackClient(lambda: "xoxb-test", slack.url, timeout=(1.0, 1.0), min_interval=0.0)
        schedules = {s.name: s for s in self.config.schedules}
        self.on_call_now = OnCallNow(schedules, self.store, clock=lambda: self.now / 1000)
        self.handoffs = Handoffs(
            list(schedules.values()),
            self.config.people,
            self.on_call_now,
            self.store,
            client,
            now_ms=lambda: self.now,
        )

    def notices(self) -> list[str]:
        return [
            m.attachments[0]["blocks"][0]["text"]["text"] for m in self.slack.channel_messages("#payments")
        ]


@pytest.fixture
def world(slack: SlackStandIn) -> Iterator[World]:
    yield World(slack)


def test_the_first_run_tells_who_is_on_call_and_sets_the_group(world: World) -> None:
    outcome = world.handoffs.run()
    assert (outcome.handoffs, outcome.notices, outcome.synced) == (1, 1, 1)
    # 12-03 08:30 Berlin: the shift that began 12-02 09:00 (bob, the second day), until 12-03 09:00
    assert world.notices() == ["<@U0BOB0001> (bob) is on call for *payments* until 09:00 CET (08:00 UTC)."]
    assert world.slack.usergroups["S0PAYONCALL"] == {"U0BOB0001"}
    assert world.handoffs.run().handoffs == 0 and len(world.notices()) == 1  # nothing changed: nothing said


def test_at_the_handoff_the_notice_says_who_was_and_the_group_follows(world: World) -> None:
    world.handoffs.run()
    world.now = ms("2026-12-03T08:00:30")  # 09:00:30 in Berlin
    outcome = world.handoffs.run()
    assert (outcome.handoffs, outcome.notices) == (1, 1)
    assert world.notices()[-1] == (
        "*dave* is on call for *payments* until 2026-12-04 09:00 CET (08:00 UTC) (was bob)."
    )
    # dave has no Slack id: the group is left as it was (said in the log), not emptied
    assert world.slack.usergroups["S0PAYONCALL"] == {"U0BOB0001"}


def test_an_override_is_a_handoff_and_its_end_another(world: World) -> None:
    world.handoffs.run()
    world.store.put_override(
        Override(
            "payments",
            "alice",
            world.now + 60_000,
            world.now + 2 * HOUR,
            by="U0ALICE01",
            created_ms=world.now,
        )
    )
    world.now += 31 * 60_000  # past the override's start, and the overrides are read again
    world.handoffs.run()
    # until the override ends (09:30 UTC), when the layer's shift of the day (dave's) shows through
    assert world.notices()[-1] == (
        "<@U0ALICE01> (alice) is on call for *payments* until 10:30 CET (09:30 UTC) (was bob)."
    )
    assert world.slack.usergroups["S0PAYONCALL"] == {"U0ALICE01"}
    world.now = ms("2026-12-03T09:31:00")
    world.handoffs.run()
    assert (
        world.notices()[-1]
        == "*dave* is on call for *payments* until 2026-12-04 09:00 CET (08:00 UTC) (was alice)."
    )


def test_overlapping_runs_tell_a_handoff_once(slack: SlackStandIn) -> None:
    first, second = World(slack), World(slack)
    second.store = first.store
    second.handoffs.noted = first.store
    first.handoffs.run()
    second.handoffs.run()
    assert len(first.notices()) == 1


def test_a_notice_slack_refused_is_posted_by_the_next_run(world: World) -> None:
    world.slack.faults = ["500", "500", "500", "500"]
    outcome = world.handoffs.run()
    assert outcome.notices == 0 and outcome.failures >= 1 and world.notices() == []
    assert world.store.noted_handoffs()["payments"].posted is False
    world.slack.faults = []
    outcome = world.handoffs.run()
    assert (outcome.handoffs, outcome.notices) == (0, 1)
    assert world.notices() == ["<@U0BOB0001> (bob) is on call for *payments* until 09:00 CET (08:00 UTC)."]
    assert world.store.noted_handoffs()["payments"].posted is True


def test_a_schedule_without_channel_or_group_is_noted_quietly(slack: SlackStandIn) -> None:
    quiet = CONFIG.replace('    handoff_channel: "#payments"\n', "").replace(
        "    slack_usergroup: S0PAYONCALL\n", ""
    )
    world = World(slack, quiet)
    assert world.handoffs.run().handoffs == 1
    assert world.notices() == [] and world.slack.usergroups["S0PAYONCALL"] == {"U0SOMEONE"}

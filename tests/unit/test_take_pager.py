"""Take the pager from Slack: a signed click on a handoff notice's button puts the clicker on call by an override
until the current shift ends, said in the notice's thread; refused (to the clicker alone) when they are not in
`people`, the schedule is gone, they are on call already, or the allowlist leaves them out."""

from __future__ import annotations

from typing import Any

import pytest

from alertrouter.config import parse_config
from alertrouter.interactions import InteractionService, Response
from alertrouter.models.config import RoutingConfig
from alertrouter.models.schedule import Override
from alertrouter.notify.base import NotifyError
from alertrouter.notify.render import SlackMessage
from alertrouter.oncall.schedule import on_call
from support.memory_store import MemoryStore
from support.slack_clicks import SIGNING_SECRET, take_pager_click

NOW = 1_796_634_000_000  # 2026-12-07 09:00 UTC, 10:00 CET (a Monday)
HOUR = 3_600_000
NEXT_HANDOFF = NOW + 23 * HOUR  # 2026-12-08 09:00 CET: alice hands payments to bob
CHANNEL, NOTICE_TS = "C0HANDOFF1", "1796634000.000100"

CONFIG = """
route: {receiver: r}
receivers: [{name: r}]
people:
  alice: {slack: U0ALICE01}
  bob: {slack: U0BOB0001}
  carol: {slack: U0CAROL01}
  dave: {}
schedules:
  - name: payments
    time_zone: Europe/Berlin
    handoff_channel: '#payments'
    layers:
      - {name: primary, rotation: daily, start: 2026-01-05T09:00, members: [alice, bob, carol]}
  - name: daytime
    time_zone: Europe/Berlin
    layers:
      - name: office
        rotation: weekly
        start: 2026-01-05T09:00
        members: [carol]
        restrictions:
          - times: [{start_time: '09:00', end_time: '17:00'}]
  - name: solo
    layers:
      - {name: always, rotation: weekly, start: 2026-01-05T09:00, members: [carol]}
"""


class ThreadSlack:
    """Records what is posted, with the thread it went to; `members` are the Slack user groups' members."""

    def __init__(self, members: dict[str, set[str]] | None = None) -> None:
        self.posted: list[tuple[str, str, str | None]] = []
        self.members = members or {}
        self.fail = False

    def post(
        self,
        channel: str,
        message: SlackMessage,
        *,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> tuple[str, str]:
        if self.fail:
            raise NotifyError(f"{channel}: HTTP 503", retryable=True)
        self.posted.append((channel, message.text, thread_ts))
        return channel, "9.000100"

    def update(self, channel: str, ts: str, message: SlackMessage) -> None:
        raise AssertionError("a take of the pager redraws no message")

    def post_once(self, *args: Any, **kwargs: Any) -> tuple[str, str]:
        raise AssertionError("not used by clicks")

    def learn(self, name: str, channel_id: str) -> None:
        pass

    def usergroup_members(self, usergroup: str) -> set[str]:
        return self.members.get(usergroup, set())


class World:
    def __init__(self, config: str = CONFIG, **allowlists: Any) -> None:
        self.store = MemoryStore()
        self.slack = ThreadSlack(allowlists.pop("members", None))
        self.config: RoutingConfig | None = parse_config(config, source="routing.yaml")
        self.now_ms = NOW
        self.service = InteractionService(
            self.store.stores(),
            lambda: SIGNING_SECRET,
            self.slack,
            now=lambda: self.now_ms / 1000,
            routing=lambda: self.config,
            overrides=self.store,
            **allowlists,
        )

    def click(self, schedule: str, user: str) -> Response:
        return self.service.handle(*take_pager_click(schedule, user, timestamp=self.now_ms // 1000))

    def overrides(self, schedule: str = "payments") -> list[Override]:
        return self.store.overrides(schedule, 0, 2 * NOW)

    def on_call(self, schedule: str = "payments", at_ms: int | None = None) -> str | None:
        assert self.config is not None
        found = on_call(self.config.schedule(schedule), at_ms or self.now_ms, self.overrides(schedule))
        return found.person if found else None


def ephemeral(response: Response) -> str:
    assert response.status == 200 and response.body["response_type"] == "ephemeral", response
    text: str = response.body["text"]
    return text


def test_taking_the_pager_puts_the_clicker_on_call_until_the_shift_ends_and_says_so_in_the_thread() -> None:
    world = World()
    # Given alice on call for payments until tomorrow's 09:00 CET handoff
    assert world.on_call() == "alice"
    # When bob clicks Take the pager on the handoff notice
    response = world.click("payments", "U0BOB0001")
    # Then an override puts him on call from now to the end of alice's shift, made by his Slack id
    assert response == Response(200, {})
    assert world.overrides() == [
        Override("payments", "bob", NOW, NEXT_HANDOFF, by="U0BOB0001", created_ms=NOW)
    ]
    assert world.on_call() == "bob" and world.on_call(at_ms=NEXT_HANDOFF - 1) == "bob"
    # and the notice's thread says who took it, until when in the schedule's zone, from whom
    assert world.slack.posted == [
        (
            CHANNEL,
            "📟 <@U0BOB0001> (bob) took the pager for *payments* until 2026-12-08 09:00 CET (08:00 UTC) "
            "(was alice). Whoever takes it last has it.",
            NOTICE_TS,
        )
    ]


def test_when_two_take_it_the_later_has_it_until_the_first_takers_override_ends() -> None:
    world = World()
    world.click("payments", "U0BOB0001")
    world.now_ms = NOW + 60_000
    world.click("payments", "U0CAROL01")
    # carol takes what bob took (alice's shift), not also bob's own shift that follows it
    assert world.overrides()[-1] == Override(
        "payments", "carol", NOW + 60_000, NEXT_HANDOFF, by="U0CAROL01", created_ms=NOW + 60_000
    )
    assert world.on_call() == "carol" and world.on_call(at_ms=NEXT_HANDOFF) == "bob"
    assert world.slack.posted[-1][1].startswith(
        "📟 <@U0CAROL01> (carol) took the pager for *payments* until 2026-12-08 09:00 CET (08:00 UTC) (was bob)."
    )


def test_someone_without_their_slack_id_in_people_is_told_how_to_be_added() -> None:
    world = World()
    text = ephemeral(world.click("payments", "U0STRANGER"))
    assert text == (
        "You are not in `people` of the routing config with your Slack id (people: NAME: {slack: U0STRANGER}), "
        "so the pager cannot be handed to you."
    )
    assert world.overrides() == [] and world.slack.posted == []


def test_a_schedule_no_longer_in_the_config_changes_nothing() -> None:
    world = World()
    text = ephemeral(world.click("checkout", "U0BOB0001"))
    assert text == (
        "There is no schedule *checkout* in the routing config (it changed since this notice was posted), "
        "so nothing was changed."
    )
    assert world.overrides("checkout") == [] and world.slack.posted == []


def test_the_one_on_call_is_told_until_when() -> None:
    world = World()
    text = ephemeral(world.click("payments", "U0ALICE01"))
    assert text == "You are already on call for *payments* until 2026-12-08 09:00 CET (08:00 UTC)."
    assert world.overrides() == []
    text = ephemeral(world.click("solo", "U0CAROL01"))
    assert text == "You are already on call for *solo* with no change in sight."


def test_in_a_restricted_layers_gap_the_pager_is_taken_until_someone_comes_on() -> None:
    world = World()
    world.now_ms = NOW + 10 * HOUR  # 20:00 CET: the office layer has nobody until 09:00
    assert world.on_call("daytime") is None
    world.click("daytime", "U0BOB0001")
    assert world.overrides("daytime") == [
        Override("daytime", "bob", NOW + 10 * HOUR, NEXT_HANDOFF, by="U0BOB0001", created_ms=NOW + 10 * HOUR)
    ]
    assert "until 2026-12-08 09:00 CET (08:00 UTC) (was nobody)" in world.slack.posted[-1][1]


def test_with_no_change_in_sight_the_pager_is_taken_for_12_hours() -> None:
    world = World()
    world.click("solo", "U0ALICE01")  # carol is on call for good
    [override] = world.overrides("solo")
    assert (override.start_ms, override.end_ms) == (NOW, NOW + 12 * HOUR)
    assert "until 21:00 UTC (was carol)" in world.slack.posted[-1][1]


def test_the_allowlist_applies_to_the_button_as_to_the_others() -> None:
    world = World(allowed_users=frozenset({"U0ALICE01"}), allowed_groups=frozenset({"S0ONCALL1"}))
    assert ephemeral(world.click("payments", "U0BOB0001")) == (
        "You are not on the list of people who may act on alerts here."
    )
    assert world.overrides() == []
    # a member of an allowed user group may
    world = World(allowed_groups=frozenset({"S0ONCALL1"}), members={"S0ONCALL1": {"U0BOB0001"}})
    assert world.click("payments", "U0BOB0001") == Response(200, {})
    assert world.on_call() == "bob"


def test_a_click_from_another_team_is_refused() -> None:
    world = World(allowed_teams=frozenset({"T0OTHER01"}))
    assert world.click("payments", "U0BOB0001").status == 403
    assert world.overrides() == []


def test_the_same_signed_click_twice_acts_once() -> None:
    world = World()
    request = take_pager_click("payments", "U0BOB0001", timestamp=NOW // 1000)
    assert world.service.handle(*request).status == 200
    assert world.service.handle(*request).status == 401
    assert len(world.overrides()) == 1 and len(world.slack.posted) == 1


@pytest.mark.parametrize("schedule", ["<!channel>", "a&b<@U0ALICE01>"])
def test_a_schedule_name_from_the_button_cannot_mention_anyone(schedule: str) -> None:
    world = World()
    text = ephemeral(world.click(schedule, "U0BOB0001"))
    assert "<!" not in text and "<@" not in text and "&lt;" in text


def test_a_slack_id_that_is_not_one_is_shown_as_text() -> None:
    world = World()
    text = ephemeral(world.click("payments", "U0<!here>"))
    assert "<!here>" not in text and "U0&lt;!here&gt;" in text


def test_a_thread_note_slack_refuses_is_said_to_the_clicker_and_the_override_kept() -> None:
    world = World()
    world.slack.fail = True
    text = ephemeral(world.click("payments", "U0BOB0001"))
    assert text.startswith("📟 <@U0BOB0001> (bob) took the pager for *payments*")
    assert world.on_call() == "bob"


def test_without_an_override_store_or_a_config_nothing_is_taken() -> None:
    world = World()
    world.service.overrides = None
    assert "not set up" in ephemeral(world.click("payments", "U0BOB0001"))
    world = World()
    world.config = None
    assert "routing config could not be read" in ephemeral(world.click("payments", "U0BOB0001"))
    assert world.overrides() == []

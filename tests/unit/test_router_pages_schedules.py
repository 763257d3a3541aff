"""The router's first page to a schedule: texted to whoever is on call when it goes out, once an episode;
a first page that reaches nobody (nobody on call, a refused number) starts the escalation due at once, so the
escalator pages its first step on its next run instead of never."""

from __future__ import annotations

from alertrouter.escalate import Escalator
from alertrouter.models.schedule import Override
from support.clock import T0, Clock
from support.fakes import Calls, Scheduler, Slack, Sms, alert, router
from support.memory_store import MemoryStore

MIN = 60_000
CONFIG = """
route:
  receiver: team
  group_by: [alertname]
  group_wait: 0s
  send_changes: at_once
  routes:
    - matchers: ['severity="critical"']
      receiver: pager
      escalation: {after: 10m, steps: [[lead]]}
receivers:
  - name: team
    slack: [{channel: "#team"}]
  - name: pager
    slack: [{channel: "#oncall"}]
    sms: [schedule:payments]
schedules:
  - name: payments
    layers:
      - name: days           # 2023-11-14 (T0) is a Tuesday; on call 09:00-17:00 UTC on weekdays
        rotation: daily
        start: 2023-11-13T00:00
        members: [dana, erin]
        restrictions: [{weekdays: ['monday:friday'], times: [{start_time: '09:00', end_time: '17:00'}]}]
"""


class World:
    def __init__(self, at_ms: int) -> None:
        self.store, self.slack, self.sms, self.clock = MemoryStore(), Slack(), Sms(), Clock()
        self.clock.ms = at_ms
        self.router = router(CONFIG, self.store, self.slack, Scheduler(), self.clock, sms=self.sms)
        self.escalator = Escalator(
            self.store.stores(), self.sms, self.slack, voice=Calls(), now_ms=self.clock
        )

    def page(self, name: str = "DiskFull") -> None:
        self.router.handle(alert(name, severity="critical"))

    def texted(self) -> list[str]:
        return [name for name, _ in self.sms.sent]


def at(hour: int, minute: int = 0) -> int:
    """T0's day (2023-11-14, a Tuesday) at hh:mm UTC."""
    day = T0 - T0 % 86_400_000
    return day + hour * 3_600_000 + minute * MIN


def test_the_first_page_goes_to_whoever_the_schedule_has_on_call() -> None:
    world = World(at(10))
    world.page()
    assert world.texted() == ["erin"]  # Tuesday: the rotation's second day
    world.clock.ms += MIN
    world.page()  # the same episode again: not paged twice
    assert world.texted() == ["erin"]


def test_an_override_in_the_table_takes_the_first_page() -> None:
    world = World(at(10))
    world.store.put_override(Override("payments", "frank", at(9), at(12), by="cli", created_ms=at(9)))
    world.page()
    assert world.texted() == ["frank"]


def test_nobody_on_call_starts_the_escalation_at_once_and_its_first_step_is_paged() -> None:
    world = World(at(20))  # outside the layer's hours: nobody on call
    world.page()
    assert world.texted() == []
    [escalation] = world.store.escalations()
    assert escalation.next_ms == at(20)
    [key] = world.store.groups
    assert [e["to"] for e in world.store.history(key) if e["kind"] == "sms_unreached"] == [
        "schedule:payments"
    ]
    world.clock.ms += MIN
    world.escalator.run()
    assert world.texted() == ["lead"]


def test_a_refused_first_page_starts_the_escalation_at_once() -> None:
    world = World(at(10))
    world.sms.refuse.add("erin")
    world.page()
    [escalation] = world.store.escalations()
    assert escalation.next_ms == at(10)
    world.clock.ms += MIN
    world.escalator.run()
    assert world.texted() == ["lead"]


def test_a_page_that_went_out_waits_the_steps_after() -> None:
    world = World(at(10))
    world.page()
    [escalation] = world.store.escalations()
    assert escalation.next_ms == at(10) + 10 * MIN

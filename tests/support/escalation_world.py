"""The escalation tests' world (tests/unit/test_escalation.py, also used by the Slack escaping tests): a
router and an escalator on one memory store with recording Slack and SMS fakes, on a clock set in minutes."""

from __future__ import annotations

from alertrouter.escalate import Escalator
from alertrouter.router import Router
from support.clock import T0, Clock
from support.fakes import Scheduler, Slack, Sms, alert, router
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
      escalation: {{after: 10m, steps: [[secondary], [lead, manager]], repeat: {repeat}}}
      {reminder}
receivers:
  - name: team
    slack: [{{channel: "#team"}}]
  - name: pager
    slack: [{{channel: "#oncall"}}]
    sms: [primary]
"""


class World:
    def __init__(self, repeat: int = 0, reminder: str = "") -> None:
        self.store, self.slack, self.sms, self.clock = MemoryStore(), Slack(), Sms(), Clock()
        self.router: Router = router(
            CONFIG.format(repeat=repeat, reminder=reminder),
            self.store,
            self.slack,
            Scheduler(),
            self.clock,
            sms=self.sms,
        )
        self.escalator = Escalator(self.store.stores(), self.sms, self.slack, now_ms=self.clock)

    def at(self, minutes: float) -> World:
        self.clock.ms = T0 + int(minutes * MIN)
        return self

    def texted(self) -> list[str]:
        return [name for name, _ in self.sms.sent]

    @property
    def key(self) -> str:
        [key] = self.store.groups
        return key


def page(world: World, name: str = "DiskFull") -> None:
    world.at(0).router.handle(alert(name, severity="critical"))


def reminders_after_acknowledge(world: World, user: str, until_minute: int) -> list[str]:
    """Page at 0, acknowledged by `user` at 2, the escalator run every minute: the reminders in the thread."""
    page(world)
    world.at(2).store.acknowledge(world.key, user, world.clock(), ack=True, episode=1)
    for minute in range(3, until_minute):
        world.at(minute).escalator.run()
    return [text for _, text in world.slack.threads if text.startswith("⏰")]

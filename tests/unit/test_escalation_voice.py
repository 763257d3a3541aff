"""Escalation by SMS and call, on an injected clock: `call:` recipients are called; a text or a call that cannot
go out does not hold the escalation up (a step that reached nobody moves on at once, in the same run); a
throttled call is tried again the next run until the step's `after`; calls are paced one per person per five
minutes; schedule recipients page whoever the resolver says is on call, or move on."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from alertrouter.escalate import EscalationOutcome, Escalator
from alertrouter.models.recipient import Recipient
from alertrouter.notify.base import NotifyError
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
      escalation: {{after: 10m, steps: {steps}}}
receivers:
  - name: team
    slack: [{{channel: "#team"}}]
  - name: pager
    slack: [{{channel: "#oncall"}}]
    sms: [primary]
schedules:
  - name: payments
    layers: [{{name: primary, rotation: weekly, start: 2023-01-02T09:00, members: [dana]}}]
"""
SMS_THEN_CALL = '[[secondary], ["call:secondary"], [lead]]'


class World:
    def __init__(
        self,
        steps: str = SMS_THEN_CALL,
        *,
        voice: bool = True,
        resolve: Callable[[Recipient, int], str | None] | None = None,
    ) -> None:
        self.store, self.slack, self.sms, self.calls, self.clock = (
            MemoryStore(),
            Slack(),
            Sms(),
            Calls(),
            Clock(),
        )
        self.router = router(
            CONFIG.format(steps=steps), self.store, self.slack, Scheduler(), self.clock, sms=self.sms
        )
        options = {"resolve": resolve} if resolve else {}
        self.escalator = Escalator(
            self.store.stores(),
            self.sms,
            self.slack,
            voice=self.calls if voice else None,
            now_ms=self.clock,
            **options,  # type: ignore[arg-type]
        )

    def page(self, minute: float = 0, name: str = "DiskFull") -> None:
        self.clock.ms = T0 + int(minute * MIN)
        self.router.handle(alert(name, severity="critical"))

    def run(self, minute: float) -> EscalationOutcome:
        self.clock.ms = T0 + int(minute * MIN)
        return self.escalator.run()

    def texted(self) -> list[str]:
        return [name for name, _ in self.sms.sent]

    def notes(self) -> list[str]:
        return [text for _, text in self.slack.threads]

    def history(self, kind: str) -> list[dict[str, object]]:
        [key] = self.store.groups
        return [e for e in self.store.history(key) if e["kind"] == kind]


def test_a_call_step_calls_the_person_and_says_so_in_the_thread() -> None:
    world = World()
    world.page()
    world.run(10)
    outcome = world.run(20)
    assert world.calls.called() == ["secondary"] and outcome.calls == 1
    [(_, words, context)] = world.calls.placed
    assert "DiskFull" in words and "press Acknowledge" in words
    assert context["step"] == "2" and context["episode"] == "1"
    assert world.notes()[-1] == "📞 Not acknowledged: called secondary (step 2 of 3)"
    assert [(e["to"], e["by"], e["step"]) for e in world.history("escalation")] == [
        ("secondary", "sms", 1),
        ("secondary", "call", 2),
    ]
    world.run(30)
    assert world.texted() == ["primary", "secondary", "lead"]  # and the next step after `after`, as before


@pytest.mark.parametrize(
    "failure",
    [
        NotifyError("SMS recipient 'secondary' is not in the SMS numbers secret", retryable=False),
        NotifyError("SMS to +*********01: Throttling", retryable=True),  # after the notifier's own retries
    ],
)
def test_a_text_that_fails_moves_on_at_once_to_the_call(failure: NotifyError) -> None:
    world = World()
    world.sms.fail["secondary"] = failure
    world.page()
    outcome = world.run(10)
    assert world.calls.called() == ["secondary"]  # in the same run
    assert (outcome.sms_failures, outcome.calls, outcome.moved_on) == (1, 1, 1)
    reason = "not in the SMS numbers secret" if not failure.retryable else "Throttling"
    [failed, moved, called] = world.notes()[-3:]
    assert failed.startswith("⚠️ Could not text secondary (") and reason in failed
    assert failed.endswith("(step 1 of 3)")
    assert moved == "⏭️ Step 1 of 3 reached nobody: moving on to step 2 of 3 now"
    assert called == "📞 Not acknowledged: called secondary (step 2 of 3)"
    assert [e["reason"] for e in world.history("escalation_failed")] and world.history("escalation_moved_on")
    world.run(19)
    assert world.texted() == ["primary"]  # the call's step waits its `after` as usual
    world.run(20)
    assert world.texted() == ["primary", "lead"]


def test_a_refused_call_moves_on_at_once_to_the_next_step() -> None:
    world = World()
    world.calls.refuse.add("secondary")
    world.page()
    world.run(10)
    outcome = world.run(20)
    assert world.calls.called() == [] and world.texted() == ["primary", "secondary", "lead"]
    assert (outcome.voice_failures, outcome.sms, outcome.moved_on) == (1, 1, 1)
    assert "⚠️ Could not call secondary (DESTINATION_PHONE_NUMBER_OPTED_OUT) (step 2 of 3)" in world.notes()


def test_a_throttled_call_is_tried_again_next_run() -> None:
    world = World()
    world.page()
    world.run(10)
    world.calls.throttled = 1
    outcome = world.run(20)
    assert world.calls.called() == [] and outcome.voice_failures == 1 and outcome.moved_on == 0
    world.run(21)
    assert world.calls.called() == ["secondary"]
    world.run(30)
    assert world.texted()[-1] == "secondary"  # lead's step counts its `after` from the call: at 31
    world.run(31)
    assert world.texted()[-1] == "lead"


def test_a_call_throttled_for_the_whole_step_gives_way_to_the_next_step() -> None:
    world = World()
    world.page()
    world.run(10)
    world.calls.throttled = 1000
    for minute in range(20, 30):
        world.run(minute)
    assert world.calls.called() == [] and world.texted() == ["primary", "secondary"]
    outcome = world.run(30)  # the step's `after` has passed: it reached nobody
    assert outcome.moved_on == 1 and world.texted() == ["primary", "secondary", "lead"]


def test_without_voice_a_call_step_is_a_failure_that_moves_on() -> None:
    world = World(voice=False)
    world.page()
    world.run(10)
    outcome = world.run(20)
    assert world.texted() == ["primary", "secondary", "lead"] and outcome.voice_failures == 1
    assert any("Could not call secondary (voice calls are off" in note for note in world.notes())


def test_calls_are_paced_one_per_person_per_five_minutes_and_bundle() -> None:
    world = World()
    world.page(0, "DiskFull")
    world.page(0.2, "CpuHigh")
    world.page(5, "MemoryHigh")
    world.run(10.5)  # DiskFull and CpuHigh: one SMS to secondary
    world.run(15)  # MemoryHigh: its own SMS (a minute after the last)
    assert world.texted().count("secondary") == 2
    world.run(20.5)
    [(_, words, context)] = world.calls.placed  # both due now: one call naming both
    assert "2 alerts are not acknowledged" in words and "DiskFull" in words and "CpuHigh" in words
    assert context == {"pages": "2"}
    outcome = world.run(25)  # MemoryHigh's call step: secondary was called 4.5 minutes ago
    assert outcome.deferred == 1 and len(world.calls.placed) == 1
    world.run(25.5)
    assert len(world.calls.placed) == 2 and "MemoryHigh" in world.calls.placed[1][1]


def test_a_text_and_a_call_to_the_same_person_are_paced_apart() -> None:
    world = World('[["secondary", "call:secondary"]]')
    world.page()
    outcome = world.run(10)
    assert (world.texted()[-1], world.calls.called(), outcome.deferred) == ("secondary", ["secondary"], 0)


def test_a_schedule_pages_whoever_is_on_call_and_moves_on_when_nobody_is() -> None:
    def on_call(recipient: Recipient, now_ms: int) -> str | None:
        assert recipient.schedule == "payments"
        return "carol" if now_ms < T0 + 15 * MIN else None

    world = World('[["schedule:payments"], ["call:schedule:payments"], [lead]]', resolve=on_call)
    world.page()
    world.run(10)
    assert world.texted() == ["primary", "carol"]
    assert world.notes()[-1] == "📟 Not acknowledged: paged carol (escalation step 1 of 3)"
    outcome = world.run(20)
    assert world.calls.called() == [] and world.texted()[-1] == "lead"  # nobody on call: on at once
    assert (outcome.failures, outcome.voice_failures, outcome.moved_on) == (1, 1, 1)
    assert "⚠️ Could not page call:schedule:payments (nobody on call in schedule payments) (step 2 of 3)" in (
        world.notes()
    )


def test_without_schedules_a_schedule_step_moves_on() -> None:
    world = World('[["schedule:payments"], [lead]]')
    world.page()
    outcome = world.run(10)
    assert world.texted() == ["primary", "lead"] and outcome.sms_failures == 1


def test_a_step_that_reached_someone_waits_its_after_though_another_failed() -> None:
    world = World("[[secondary, lead], [manager]]")
    world.sms.refuse.add("secondary")
    world.page()
    outcome = world.run(10)
    assert world.texted() == ["primary", "lead"] and outcome.moved_on == 0
    world.run(19)
    assert world.texted() == ["primary", "lead"]
    world.run(20)
    assert world.texted() == ["primary", "lead", "manager"]


def test_when_nothing_can_be_sent_the_steps_end_in_one_run() -> None:
    world = World('[["call:secondary"], ["call:lead"]]', voice=False)
    world.page()
    outcome = world.run(10)
    assert outcome.moved_on == 2 and outcome.voice_failures == 2
    assert world.notes()[-1] == "⏭️ Step 2 of 2 reached nobody: no step left to page"
    [escalation] = world.store.escalations()
    assert escalation.done


def test_a_schedule_step_pages_the_person_on_call_per_the_config_and_a_stored_override() -> None:
    from alertrouter.config import parse_config
    from alertrouter.models.schedule import Override
    from alertrouter.on_call_now import OnCallNow

    steps = '[["schedule:payments"], ["call:schedule:payments"]]'
    config = parse_config(CONFIG.format(steps=steps))
    world = World(steps)
    seconds = [0.0]
    on_call_now = OnCallNow({s.name: s for s in config.schedules}, world.store, clock=lambda: seconds[0])
    world.escalator.resolve = on_call_now.person  # overrides read from the escalator's own table
    world.page()
    world.run(10)
    assert world.texted() == ["primary", "dana"]  # the config's rotation: dana, the one member
    world.store.put_override(
        Override("payments", "erin", T0 + 15 * MIN, T0 + 60 * MIN, by="cli", created_ms=T0)
    )
    seconds[0] = 60.0  # the overrides are read again after OVERRIDES_FRESH_S
    world.run(20)
    assert world.calls.called() == ["erin"]  # called: whoever the override put on call

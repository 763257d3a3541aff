"""Escalation on an injected clock (no sleeping): the router pages at t0, the escalator pages the next step
at t0+N and the one after at t0+2N, unless someone acknowledged; reminders; pacing; silences stop it."""

from __future__ import annotations

import pytest

from alertrouter.escalate import Escalator
from alertrouter.models.silence import Silence
from support.clock import T0, Clock
from support.escalation_world import CONFIG, MIN, World, page, reminders_after_acknowledge
from support.fakes import Scheduler, Slack, alert, router
from support.memory_store import MemoryStore


def test_unacknowledged_page_escalates_step_by_step() -> None:
    world = World()
    page(world)
    assert world.texted() == ["primary"]  # t0: the receiver's own SMS
    world.at(9.99).escalator.run()
    assert world.texted() == ["primary"]  # not yet
    world.at(10).escalator.run()
    assert world.texted() == ["primary", "secondary"]  # t0+N: step 1
    world.at(15).escalator.run()
    assert world.texted() == ["primary", "secondary"]
    world.at(20).escalator.run()
    assert world.texted() == ["primary", "secondary", "lead", "manager"]  # t0+2N: step 2, all of its list
    world.at(30).escalator.run()
    world.at(90).escalator.run()
    assert len(world.sms.sent) == 4  # repeat 0: the steps are used up, nobody is texted again
    [done] = world.store.escalations()
    assert done.done  # kept until the episode ends, so a later change of this episode does not start it over
    world.at(95).router.handle(alert("DiskFull", minute=95, severity="critical"))  # a repeat: flushed again
    for minute in range(96, 130):
        world.at(minute).escalator.run()
    assert len(world.sms.sent) == 4
    world.at(130).router.handle(alert("DiskFull", state="OK", minute=130, severity="critical"))
    world.at(131).escalator.run()
    assert world.store.escalations() == []  # the episode ended
    # Each escalation is in the message's thread and in the history
    notes = [text for _, text in world.slack.threads if text.startswith("📟")]
    assert notes == [
        "📟 Not acknowledged: paged secondary (escalation step 1 of 2)",
        "📟 Not acknowledged: paged lead (escalation step 2 of 2)",
        "📟 Not acknowledged: paged manager (escalation step 2 of 2)",
    ]
    assert [e["to"] for e in world.store.history(world.key) if e["kind"] == "escalation"] == [
        "secondary",
        "lead",
        "manager",
    ]


def test_an_acknowledgement_a_minute_before_the_deadline_means_no_sms() -> None:
    world = World()
    page(world)
    world.at(9).store.acknowledge(world.key, "U0ONCALL1", world.clock(), ack=True, episode=1)
    for minute in range(10, 60):
        world.at(minute).escalator.run()
    assert world.texted() == ["primary"]


def test_repeat_goes_through_the_steps_again_then_stops() -> None:
    world = World(repeat=1)
    page(world)
    for minute in range(1, 120):
        world.at(minute).escalator.run()
    assert world.texted() == ["primary", "secondary", "lead", "manager", "secondary", "lead", "manager"]
    # and the pages were ten minutes apart
    assert [e["at_ms"] - T0 for e in world.store.history(world.key) if e["kind"] == "escalation"] == [
        10 * MIN,
        20 * MIN,
        20 * MIN,
        30 * MIN,
        40 * MIN,
        40 * MIN,
    ]


def test_resolve_or_a_new_episode_ends_the_escalation() -> None:
    world = World()
    page(world)
    world.at(5).router.handle(alert("DiskFull", state="OK", minute=5, severity="critical"))
    world.at(10).escalator.run()
    assert world.texted() == ["primary"] and world.store.escalations() == []


def test_a_silence_holds_the_escalation_and_it_goes_on_when_the_silence_ends() -> None:
    world = World()
    page(world)
    world.store.put_silence(
        Silence(
            matchers=["alertname=DiskFull"],
            starts_at_ms=T0 + MIN,
            ends_at_ms=T0 + 25 * MIN,
            created_by="alice",
        )
    )
    world.at(10).escalator.run()
    world.at(20).escalator.run()
    assert world.texted() == ["primary"]
    world.at(30).escalator.run()  # the silence ended at 25 and the alert still fires
    assert world.texted() == ["primary", "secondary"]


def test_reminders_while_acknowledged_and_escalation_resumes_after_unacknowledge() -> None:
    world = World(reminder="reminder_interval: 1h")
    reminders = reminders_after_acknowledge(world, "U0ONCALL1", 150)
    assert reminders == [
        "⏰ Still firing, acknowledged by <@U0ONCALL1> 1 h ago",
        "⏰ Still firing, acknowledged by <@U0ONCALL1> 2 h ago",
    ]
    assert world.texted() == ["primary"]
    # Unacknowledged: the escalation goes on from where it stood
    world.at(150).store.acknowledge(world.key, "U0ONCALL1", world.clock(), ack=False, episode=1)
    for minute in range(151, 161):  # noticed within `after` (10m)
        world.at(minute).escalator.run()
    assert world.texted() == ["primary", "secondary"]


def test_sms_are_paced_one_per_recipient_per_minute_and_pending_alerts_bundle() -> None:
    world = World()
    page(world, "DiskFull")
    world.at(0.1).router.handle(alert("CpuHigh", severity="critical"))
    world.at(0.2).router.handle(alert("MemoryHigh", severity="critical"))
    # the router texts the first page; the next ones, within the minute, wait for the escalator's next run
    assert world.texted() == ["primary"]
    assert sorted(p.member.title for p in world.store.queued_pages()) == ["CpuHigh", "MemoryHigh"]
    world.at(0.5).escalator.run()
    assert world.texted() == ["primary"]  # still within the minute
    world.at(1).escalator.run()
    [(name, text)] = world.sms.sent[1:]  # both, bundled into one SMS
    assert name == "primary" and text.startswith("CRIT: 2 pages:")
    assert world.store.queued_pages() == []
    # All three groups escalate in the same run: secondary gets one SMS naming them all
    world.at(10.5).escalator.run()
    [(name, text)] = world.sms.sent[2:]
    assert name == "secondary" and text.startswith("CRIT: 3 pages:")
    # A recipient texted less than a minute ago waits for the next run
    assert world.store.claim_sms_slot("lead", world.at(20).clock(), 0)
    outcome = world.at(20.5).escalator.run()
    assert outcome.deferred == 1 and world.texted()[3:] == ["manager"]
    world.at(21).escalator.run()
    assert world.texted()[3:] == ["manager", "lead"]
    assert len(world.sms.sent) == 5  # manager was not texted twice


def test_a_queued_page_whose_alert_resolved_meanwhile_is_not_sent() -> None:
    world = World()
    page(world, "DiskFull")
    world.at(0.1).router.handle(alert("CpuHigh", severity="critical"))
    world.at(0.5).router.handle(alert("CpuHigh", state="OK", minute=1, severity="critical"))
    world.at(1).escalator.run()
    assert world.texted() == ["primary"] and world.store.queued_pages() == []


def test_an_unknown_recipient_does_not_stall_the_escalation() -> None:
    world = World()
    world.sms.refuse.add("secondary")
    page(world)
    world.at(10).escalator.run()
    world.at(20).escalator.run()
    assert world.texted() == ["primary", "lead", "manager"]


@pytest.mark.parametrize("after", ["30s", "0s"])
def test_escalation_faster_than_the_escalator_runs_is_refused(after: str) -> None:
    from alertrouter.config import ConfigError, parse_config

    with pytest.raises(ConfigError, match="at least 1m"):
        parse_config(CONFIG.format(repeat=0, reminder="").replace("after: 10m", f"after: {after}"))


ONE_SHOT = """
route:
  receiver: team
  group_by: [alertname]
  group_wait: 0s
  send_changes: at_once
  resolve_timeout: 1h
receivers:
  - name: team
    slack: [{channel: "#team"}]
"""


def test_a_one_shot_alert_resolves_after_resolve_timeout_unless_it_recurs() -> None:
    store, slack, clock, queue = MemoryStore(), Slack(), Clock(), []
    r = router(ONE_SHOT, store, slack, Scheduler(), clock)
    escalator = Escalator(store.stores(), None, slack, now_ms=clock, enqueue=queue.append)

    def failure(minute: int) -> None:  # a job failure: no "resolved" event will ever come for it
        clock.ms = T0 + minute * MIN
        r.handle(alert("NightlyJobFailed", minute=minute).model_copy(update={"one_shot": True}))

    def escalate_at(minute: int) -> None:
        clock.ms = T0 + minute * MIN
        escalator.run()
        for message in queue:  # what the router does with the escalator's messages on its queue
            r.expire(message.fingerprint, message.ts)
        queue.clear()

    failure(0)
    failure(30)  # it recurred: the hour counts again from here
    escalate_at(60)
    [state] = store.alerts.values()
    assert state.status == "firing"
    escalate_at(89)
    assert next(iter(store.alerts.values())).status == "firing"
    escalate_at(90)
    assert next(iter(store.alerts.values())).status == "resolved"
    assert slack.last_text.startswith("✅ RESOLVED · NightlyJobFailed")
    assert store.expiries() == []
    # a recurrence after that is a new episode: a new message
    failure(120)
    assert slack.posts == ["#team", "#team"]


def test_an_expiry_overtaken_by_a_newer_event_changes_nothing() -> None:
    store, slack, clock = MemoryStore(), Slack(), Clock()
    r = router(ONE_SHOT, store, slack, Scheduler(), clock)
    first = alert("NightlyJobFailed", minute=0).model_copy(update={"one_shot": True})
    r.handle(first)
    r.handle(alert("NightlyJobFailed", minute=5).model_copy(update={"one_shot": True}))
    assert r.expire(first.fingerprint, first.timestamp_ms).applied == 0  # the message for the older event
    assert next(iter(store.alerts.values())).status == "firing"


def test_a_storms_expiries_are_handed_over_a_thousand_a_run_the_longest_due_first() -> None:
    from alertrouter.limits import EXPIRIES_PER_RUN

    store, clock, queue = MemoryStore(), Clock(), []  # type: ignore[var-annotated]
    escalator = Escalator(store.stores(), None, None, now_ms=clock, enqueue=queue.append)
    jobs = 2 * EXPIRIES_PER_RUN + 500
    for i in range(jobs):  # a storm's failed jobs, their resolve_timeout over one after another
        store.set_expiry(f"job{i:05d}", T0 + i, due_ms=T0 + i)
    store.set_expiry("later", T0, due_ms=T0 + jobs + 10 * MIN)  # not due yet: stays
    clock.ms = T0 + jobs
    handed = []
    for _ in range(4):  # the escalator's next four runs, a minute apart
        assert escalator.run().expired == len(queue)
        handed.append([m.fingerprint for m in queue])
        queue.clear()
        clock.ms += MIN
    assert [len(h) for h in handed] == [EXPIRIES_PER_RUN, EXPIRIES_PER_RUN, 500, 0]
    assert sum(handed, []) == [f"job{i:05d}" for i in range(jobs)]  # each once, the longest due first
    assert [e[0] for e in store.expiries()] == ["later"]

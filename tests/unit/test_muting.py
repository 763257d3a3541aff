"""Silences, inhibition, time intervals and flapping in the router: muted alerts are kept and shown as such,
never sent; when the mute ends and the alert still fires, it is sent."""

from __future__ import annotations

from alertrouter.models.recurrence import parse_every
from alertrouter.models.silence import Silence
from support.clock import T0, Clock
from support.fakes import Scheduler, Slack, Sms, alert, router
from support.memory_store import MemoryStore

MIN = 60_000


class World:
    def __init__(self, config: str) -> None:
        self.store, self.slack, self.sms, self.clock, self.scheduler = (
            MemoryStore(),
            Slack(),
            Sms(),
            Clock(),
            Scheduler(),
        )
        self.router = router(config, self.store, self.slack, self.scheduler, self.clock, sms=self.sms)

    def at(self, minutes: float) -> World:
        self.clock.ms = T0 + int(minutes * MIN)
        return self

    def deliver_due(self) -> None:
        """Hand the router every scheduled flush that is due, as SQS would (a delay is at most 15 min)."""
        for _ in range(50):
            due = [(i, d) for i, d in enumerate(self.scheduler.due) if d <= self.clock.ms]
            if not due:
                return
            i, d = due[0]
            key, route_id, delay = self.scheduler.sent.pop(i)
            self.scheduler.due.pop(i)
            assert delay <= 900
            self.router.flush_due(key, route_id, d)

    def run_until(self, minutes: float) -> None:
        """Let time pass minute by minute, delivering flushes as they fall due."""
        start = (self.clock.ms - T0) / MIN
        for step in range(int(start) + 1, int(minutes) + 1):
            self.at(step).deliver_due()

    def silence(self, *matchers: str, start: float, end: float, **extra: object) -> Silence:
        silence = Silence(
            matchers=list(matchers),
            starts_at_ms=T0 + int(start * MIN),
            ends_at_ms=T0 + int(end * MIN),
            created_by="alice",
            **extra,
        )  # type: ignore[arg-type]
        self.store.put_silence(silence)
        return silence

    def group(self):  # type: ignore[no-untyped-def]
        [group] = self.store.groups.values()
        return group


PAGER = """
route:
  receiver: pager
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1m
receivers:
  - name: pager
    slack: [{channel: "#oncall"}]
    sms: [primary]
"""


def test_a_silenced_alert_is_kept_not_sent_and_sent_when_the_silence_ends() -> None:
    world = World(PAGER)
    world.silence('alertname="DiskFull"', start=-1, end=30)
    world.at(0).router.handle(alert("DiskFull", severity="critical"))
    assert world.slack.posts == [] and world.sms.sent == []
    assert world.store.alerts  # stored
    [reason] = world.group().muting.reasons.values()
    assert reason.startswith("silenced by alice until ")
    world.run_until(29)
    assert world.slack.posts == [] and world.sms.sent == []
    world.run_until(31)  # the silence ended at 30 and the alert still fires
    assert world.slack.posts == ["#oncall"] and [n for n, _ in world.sms.sent] == ["primary"]
    assert world.group().muting.reasons == {}


def test_a_silence_outlives_the_alert_resolving_and_firing_again() -> None:
    world = World(PAGER)
    world.silence('alertname="DiskFull"', start=-1, end=240)
    world.at(0).router.handle(alert("DiskFull", severity="critical"))
    world.at(10).router.handle(alert("DiskFull", state="OK", minute=10, severity="critical"))
    world.at(20).router.handle(alert("DiskFull", minute=20, severity="critical"))
    world.run_until(60)
    assert world.slack.posts == [] and world.sms.sent == []


def test_a_silence_ended_early_lets_the_alert_through_at_the_next_look() -> None:
    world = World(PAGER)
    silence = world.silence('alertname="DiskFull"', start=-1, end=240)
    world.at(0).router.handle(alert("DiskFull", severity="critical"))
    world.at(5).store.expire_silence(silence.id, world.clock())
    world.router.silences.forget()  # the expire came from another process: its cache is 5 s old at most
    world.run_until(16)  # muted groups are looked at again at least every 15 minutes
    assert world.slack.posts == ["#oncall"]


def test_silencing_an_alert_already_shown_quiets_its_repeats_and_pages_again_when_it_ends() -> None:
    world = World(PAGER)
    world.at(0).router.handle(alert("DiskFull", severity="critical"))
    assert world.slack.posts == ["#oncall"] and len(world.sms.sent) == 1
    world.silence('alertname="DiskFull"', start=1, end=60)
    world.at(2).router.handle(alert("DiskFull", minute=2, severity="critical"))  # a repeat
    world.run_until(10)
    assert world.slack.threads == [] and len(world.sms.sent) == 1
    assert "🔕 silenced by alice" in str(world.slack.last_message)
    world.run_until(62)
    # the silence is over and it still fires: the thread hears of it and it is paged again
    assert len(world.sms.sent) == 2
    assert any("DiskFull" in text and "firing" in text for _, text in world.slack.threads)


def test_an_until_resolved_silence_ends_with_the_episode() -> None:
    world = World(PAGER)
    world.at(0).router.handle(alert("DiskFull", severity="critical"))
    key = next(iter(world.store.groups))
    world.silence('alertname="DiskFull"', start=0, end=30 * 24 * 60, group=key, episode=1)
    world.at(1).router.handle(alert("DiskFull", minute=1, severity="critical"))
    world.run_until(5)
    assert len(world.sms.sent) == 1
    world.at(6).router.handle(alert("DiskFull", state="OK", minute=6, severity="critical"))
    world.run_until(8)
    world.at(9).router.handle(alert("DiskFull", minute=9, severity="critical"))
    world.run_until(12)
    assert world.group().episode == 2 and len(world.slack.posts) == 2 and len(world.sms.sent) == 2


# Recurring silences: T0 is Tuesday 2023-11-14 22:13:20 UTC, 23:13:20 in Berlin.
WEEKS = 12 * 7 * 24 * 60


def test_a_recurring_silence_mutes_in_its_window_and_the_alert_is_sent_when_the_window_ends() -> None:
    world = World(PAGER)
    every = parse_every("tue 23:00-24:00", "Europe/Berlin")  # 22:00-23:00 UTC
    world.silence('alertname="DiskFull"', start=-24 * 60, end=WEEKS, every=every)
    world.at(0).router.handle(alert("DiskFull", severity="critical"))
    assert world.slack.posts == [] and world.sms.sent == []
    [reason] = world.group().muting.reasons.values()
    assert reason == "silenced by alice until 2023-11-14 23:00 UTC, every tue 23:00-24:00 (Europe/Berlin)"
    world.run_until(46)  # 22:59:20 UTC
    assert world.slack.posts == [] and world.sms.sent == []
    world.run_until(47)  # the window ended at 23:00 and the alert still fires; the silence runs on
    assert world.slack.posts == ["#oncall"] and [n for n, _ in world.sms.sent] == ["primary"]
    assert world.group().muting.reasons == {}


def test_between_windows_an_alert_is_sent_and_its_repeats_are_quiet_in_the_next_window() -> None:
    world = World(PAGER)
    every = parse_every("tue 23:20-23:40", "Europe/Berlin")  # from 6m40s to 26m40s after T0
    world.silence('alertname="DiskFull"', start=-24 * 60, end=WEEKS, every=every)
    world.at(0).router.handle(alert("DiskFull", severity="critical"))  # not in a window: sent
    assert world.slack.posts == ["#oncall"] and len(world.sms.sent) == 1
    world.at(10).router.handle(alert("DiskFull", minute=10, severity="critical"))  # a repeat, in the window
    world.run_until(26)
    assert world.slack.threads == [] and len(world.sms.sent) == 1
    assert "🔕 silenced by alice" in str(world.slack.last_message)
    world.run_until(28)  # the window is over and it still fires: the thread hears of it and it is paged again
    assert len(world.sms.sent) == 2
    assert any("DiskFull" in text and "firing" in text for _, text in world.slack.threads)


def test_a_recurring_silence_whose_window_is_over_lets_a_new_alert_through_at_once() -> None:
    world = World(PAGER)
    every = parse_every("tue 08:00-09:00", "Europe/Berlin")
    world.silence('alertname="DiskFull"', start=-24 * 60, end=WEEKS, every=every)
    world.at(0).router.handle(alert("DiskFull", severity="critical"))
    assert world.slack.posts == ["#oncall"] and len(world.sms.sent) == 1


INHIBIT = """
route:
  receiver: pager
  group_by: [alertname]
  group_wait: 0s
  group_interval: 2m
receivers:
  - name: pager
    slack: [{channel: "#oncall"}]
    sms: [primary]
inhibit_rules:
  - source_matchers: ['alertname="RegionDown"']
    target_matchers: ['severity="warning"']
    equal: [region]
"""


def test_a_firing_source_inhibits_its_targets_until_it_resolves() -> None:
    world = World(INHIBIT)
    world.at(0).router.handle(alert("RegionDown", severity="critical"))
    world.at(0).router.handle(alert("LatencyHigh", severity="warning"))
    assert world.slack.posts == ["#oncall"]  # only the source
    latency = world.store.groups[
        next(k for k, g in world.store.groups.items() if "LatencyHigh" in str(g.members) or g.muting.reasons)
    ]
    assert any(r.startswith("inhibited by a firing alert") for r in latency.muting.reasons.values())
    world.at(5).router.handle(alert("RegionDown", state="OK", minute=5, severity="critical"))
    world.run_until(9)  # inhibited groups are looked at again on each group_interval tick
    assert len(world.slack.posts) == 2
    latency = world.store.groups[latency.key]  # (RegionDown's resolve is sent on the same tick)
    assert latency.slack.ts and not latency.muting.reasons


class CountingStore(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.reads: list[list[str]] = []

    def get_alerts(self, fingerprints: list[str]):  # type: ignore[no-untyped-def]
        self.reads.append(list(fingerprints))
        return super().get_alerts(fingerprints)


def test_with_inhibit_rules_but_no_firing_source_a_flush_does_not_read_its_members() -> None:
    # In DynamoDB that read is a BatchGetItem per flush: only worth it when something could mute
    world = World(INHIBIT)
    world.store = store = CountingStore()
    world.router.use(store.stores())
    world.at(0).router.handle(alert("LatencyHigh", severity="warning"))
    assert world.slack.posts == ["#oncall"] and store.reads == []
    # once a source fires, the targets' flushes read their members and are muted
    world.at(1).router.handle(alert("RegionDown", minute=1, severity="critical"))
    world.at(2).router.handle(alert("DiskSlow", minute=2, severity="warning"))
    assert store.reads and world.slack.posts == ["#oncall", "#oncall"]


BUSINESS_HOURS = """
route:
  receiver: team
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1m
  routes:
    - matchers: ['severity="warning"']
      receiver: team
      active_time_intervals: [office]
time_intervals:
  - name: office
    time_intervals:
      - weekdays: ['monday:friday']
        times: [{start_time: '09:00', end_time: '17:00'}]
        location: Europe/Berlin
receivers:
  - name: team
    slack: [{channel: "#team"}]
"""


def test_outside_active_time_an_alert_waits_and_is_sent_when_the_office_opens() -> None:
    world = World(BUSINESS_HOURS)
    # T0 is Tuesday 2023-11-14 22:13 UTC = 23:13 in Berlin: outside the office hours
    world.at(0).router.handle(alert("QueueBacklog", severity="warning"))
    assert world.slack.posts == []
    [reason] = world.group().muting.reasons.values()
    assert reason == "outside office"
    world.run_until(9 * 60 + 45)  # Wednesday 08:58 Berlin
    assert world.slack.posts == []
    world.run_until(9 * 60 + 48)  # 09:01 Berlin
    assert world.slack.posts == ["#team"]


FLAPPY = """
route:
  receiver: pager
  group_by: [alertname]
  group_wait: 0s
  send_changes: at_once
  flapping: {changes: 3, window: 30m, settle: 15m}
receivers:
  - name: pager
    slack: [{channel: "#oncall"}]
    sms: [primary]
"""


def test_a_flapping_alert_keeps_one_message_and_pages_once_it_settles() -> None:
    world = World(FLAPPY)
    world.at(0).router.handle(alert("Flappy", severity="critical"))
    assert world.slack.posts == ["#oncall"] and len(world.sms.sent) == 1
    for minute, state in [(2, "OK"), (4, "ALARM"), (6, "OK"), (8, "ALARM"), (10, "OK"), (12, "ALARM")]:
        world.at(minute).router.handle(alert("Flappy", state=state, minute=minute, severity="critical"))
        world.deliver_due()
    # Until its 4th change (minute 8) it is a normal alert: resolved at 2, a new message and page at 4.
    # From then on one message is edited in place: no new episode, no page while it flaps.
    assert world.slack.posts == ["#oncall", "#oncall"] and len(world.sms.sent) == 2
    assert world.group().muting.flapping
    assert "flapping" in str(world.slack.last_message)
    world.run_until(26)
    assert len(world.sms.sent) == 2
    world.run_until(28)  # settled (15m without a change) and still firing: paged now
    assert world.slack.posts == ["#oncall", "#oncall"] and len(world.sms.sent) == 3
    assert world.group().muting.flapping == []


def test_history_says_when_and_why_alerts_were_held_back_and_let_through() -> None:
    world = World(PAGER)
    world.silence('alertname="DiskFull"', start=-1, end=30)
    world.at(0).router.handle(alert("DiskFull", severity="critical"))
    world.run_until(31)
    kinds = [(e["kind"], e.get("reasons")) for e in world.store.history(world.group().key)]
    assert kinds[0][0] == "muted" and kinds[0][1][0].startswith("silenced by alice until")
    assert [k for k, _ in kinds[1:]] == ["unmuted", "sms", "slack_post"]

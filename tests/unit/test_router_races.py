"""The router's scheduling and flush pipeline under races and partial failures (found in review):
no change is stranded, no channel is told twice, a bad SMS recipient blocks nothing."""

from __future__ import annotations

from typing import Any

import pytest

from alertrouter.notify.base import NotifyError
from support.clock import Clock
from support.fakes import Scheduler, Slack, alert, router
from support.memory_store import MemoryStore

ONE_GROUP = """
route:
  receiver: team
  group_by: [account]
  group_wait: {wait}
  send_changes: at_once
receivers:
  - name: team
    slack: [{{channel: "#one"}}, {{channel: "#two"}}]
"""


def test_a_change_that_lands_during_a_flush_gets_a_flush_of_its_own() -> None:
    store, slack, scheduler, clock = MemoryStore(), Slack(), Scheduler(), Clock()
    first = router(ONE_GROUP.format(wait="0s"), store, slack, scheduler, clock)
    second = router(ONE_GROUP.format(wait="0s"), store, slack, scheduler, clock)
    # Given worker 2 handles alert B while worker 1 is in the middle of posting alert A's group
    slack.during_post = lambda: second.handle(alert("B"))
    first.handle(alert("A"))
    # Then B's change was not lost: worker 2 found the lease taken and a flush is scheduled for it
    group = store.get_group(next(iter(store.groups)))
    assert group is not None and group.pending and scheduler.sent
    key, route_id, _ = scheduler.sent[-1]
    first.flush_due(key, route_id)
    assert not store.get_group(key).pending  # type: ignore[union-attr]
    assert slack.last_text.startswith("🟠 WARNING · 2 EC2 CPU alarms firing")  # the message now shows B too


def test_a_flush_message_that_arrives_a_little_early_is_sent_again() -> None:
    store, slack, scheduler, clock = MemoryStore(), Slack(), Scheduler(), Clock()
    r = router(ONE_GROUP.format(wait="30s"), store, slack, scheduler, clock)
    r.handle(alert("A"))
    [(key, route_id, delay)] = scheduler.sent
    assert delay == 30
    clock.ms += 29_500  # half a second early (another host's clock)
    r.flush_due(key, route_id)
    assert slack.posts == [] and scheduler.sent[-1] == (key, route_id, 1)
    clock.ms += 600
    r.flush_due(key, route_id)
    assert slack.posts == ["#one", "#two"]


def test_a_silent_flap_does_not_let_the_next_firing_skip_group_wait() -> None:
    store, slack, scheduler, clock = MemoryStore(), Slack(), Scheduler(), Clock()
    r = router(ONE_GROUP.format(wait="30s"), store, slack, scheduler, clock)
    # Given A fires and resolves within group_wait (nothing is sent)
    r.handle(alert("A", minute=0))
    r.handle(alert("A", "OK", minute=1))
    clock.ms += 30_000
    r.flush_due(*scheduler.sent[-1][:2])
    assert slack.posts == []
    # When it fires again a minute later, Then it waits group_wait again instead of posting at once
    clock.ms += 60_000
    r.handle(alert("A", minute=2))
    assert slack.posts == [] and scheduler.sent[-1][2] == 30


def test_a_channel_that_failed_is_retried_alone() -> None:
    store, slack, scheduler, clock = MemoryStore(), Slack(), Scheduler(), Clock()
    r = router(ONE_GROUP.format(wait="0s"), store, slack, scheduler, clock)
    r.handle(alert("A", minute=0))
    assert slack.posts == ["#one", "#two"]
    # Given #two fails when A resolves
    slack.fail.add("ID#two")  # edits go to the channel id Slack answered the post with
    with pytest.raises(NotifyError):
        r.handle(alert("A", "OK", minute=5))
    assert slack.updates == ["ID#one"] and len(slack.threads) == 1
    # When SQS redelivers, Then only #two is done now: #one gets no second edit nor thread note
    r.handle(alert("A", "OK", minute=5))
    assert slack.updates == ["ID#one", "ID#two"]
    assert [c for c, _ in slack.threads] == ["ID#one", "ID#two"]


def test_an_unusable_sms_recipient_does_not_stop_the_slack_message() -> None:
    class Sms:
        sent: list[str] = []

        def send(self, name: str, text: str) -> str:
            if name == "ghost":
                raise NotifyError("SMS recipient 'ghost' is not in the SMS numbers secret", retryable=False)
            self.sent.append(name)
            return "+*********00"

    config = ONE_GROUP.format(wait="0s").replace(
        'slack: [{channel: "#one"}, {channel: "#two"}]',
        'slack: [{channel: "#one"}]\n    sms: [ghost, oncall]',
    )
    store, slack, scheduler, clock = MemoryStore(), Slack(), Scheduler(), Clock()
    sms = Sms()
    outcome = router(config, store, slack, scheduler, clock, sms=sms).handle(alert("A", severity="critical"))
    assert slack.posts == ["#one"] and sms.sent == ["oncall"]
    assert outcome.sms == 1 and outcome.sms_failures == 1


def test_a_failed_first_post_is_retried_when_sqs_brings_the_flush_back() -> None:
    store, slack, scheduler, clock = MemoryStore(), Slack(), Scheduler(), Clock()
    r = router(ONE_GROUP.format(wait="30s"), store, slack, scheduler, clock)
    r.handle(alert("A"))
    [(key, route_id, delay)] = scheduler.sent
    due = scheduler.due[0]
    clock.ms += delay * 1000
    slack.fail = {"#one"}  # one transient 503 on the first post
    with pytest.raises(NotifyError):
        r.flush_due(key, route_id, due)
    clock.ms += 30_000  # SQS redelivers the same flush message after its visibility timeout
    r.flush_due(key, route_id, due)
    assert slack.posts == ["#one", "#two"]
    assert not store.get_group(key).pending  # type: ignore[union-attr]


def test_flush_messages_do_not_pile_up_when_changes_keep_landing_during_flushes() -> None:
    import heapq

    class Queue:
        def __init__(self) -> None:
            self.heap: list[tuple[int, int, str, str, int]] = []
            self.sent = 0

        def schedule(self, key: str, route_id: str, delay_s: int, due_ms: int) -> None:
            self.sent += 1
            heapq.heappush(self.heap, (clock.ms + delay_s * 1000, self.sent, key, route_id, due_ms))

    store, slack, clock = MemoryStore(), Slack(), Clock()
    queue = Queue()
    config = ONE_GROUP.format(wait="30s").replace("send_changes: at_once", "group_interval: 5m")
    first, second = (router(config, store, slack, queue, clock) for _ in range(2))  # type: ignore[arg-type]
    first.handle(alert("A0"))
    landed = [0]
    real_release = store.release

    def release_with_a_change_landing(*args: Any, **kwargs: Any) -> Any:
        landed[0] += 1  # another worker handles a new alert of the group while this flush finishes
        second.handle(alert(f"B{landed[0]}", minute=landed[0] % 60))
        return real_release(*args, **kwargs)

    store.release = release_with_a_change_landing  # type: ignore[method-assign]
    in_flight = []
    end = clock.ms + 3 * 3_600_000
    while queue.heap and clock.ms < end:
        at, _, key, route_id, due = heapq.heappop(queue.heap)
        clock.ms = max(clock.ms, at)
        first.flush_due(key, route_id, due)
        in_flight.append(len(queue.heap))
    assert max(in_flight) <= 2  # one scheduled flush (and at most one look-again) at any time
    assert queue.sent < 120 and len(slack.updates) >= 30  # every 5 min for 3 h, not one per change


def test_a_channel_ahead_of_a_failed_sibling_is_not_told_the_same_change_twice() -> None:
    store, slack, scheduler, clock = MemoryStore(), Slack(), Scheduler(), Clock()
    r = router(ONE_GROUP.format(wait="0s"), store, slack, scheduler, clock)
    r.handle(alert("A"))
    # Given B's flush reaches #one but #two fails
    slack.fail = {"ID#two"}
    with pytest.raises(NotifyError):
        r.handle(alert("B", minute=1))
    # When C lands before the retry (the group moves on a version)
    r.handle(alert("C", minute=2))
    # Then #one heard of B once and of C once; #two, which missed B, hears of both
    one = [t.split("*")[1] for c, texts in slack.threads if c == "ID#one" for t in texts.split("\n")]
    two = [t.split("*")[1] for c, texts in slack.threads if c == "ID#two" for t in texts.split("\n")]
    assert sorted(one) == ["B", "C"] and sorted(two) == ["B", "C"]

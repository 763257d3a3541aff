"""Alertmanager's grouping clock: group_wait before a group's first notification, then its changes on the
group's group_interval ticks (a burst is one notification), repeat_interval repeats on a tick, and waits longer
than SQS's 15-minute delay carried in hops."""

from __future__ import annotations

from datetime import timedelta

from alertrouter.models.config import ResolvedRoute
from alertrouter.models.state import GroupState, Notified
from alertrouter.routing.clock import due_ms, next_tick, repeat_due
from support.clock_world import ClockWorld, alert

CONFIG = """
route:
  receiver: team
  group_by: [alertname]
  group_wait: 2s
  group_interval: {interval}
  repeat_interval: {repeat}
  {extra}
receivers:
  - name: team
    slack: [{{channel: "#team"}}]
"""


def world(interval: str = "4s", repeat: str = "1h", extra: str = "") -> ClockWorld:
    return ClockWorld(CONFIG.format(interval=interval, repeat=repeat, extra=extra))


def times(world: ClockWorld) -> list[int]:
    return [n.at_ms for n in world.slack.sent]


def sent_at(world: ClockWorld, expected: list[int]) -> bool:
    """Whether the notifications went out at these times, each within the second after it (SQS delays are
    whole seconds: a flush message arrives on its tick or less than a second after it)."""
    got = times(world)
    return len(got) == len(expected) and all(0 <= g - e < 1_000 for g, e in zip(got, expected, strict=True))


def test_a_burst_is_one_notification_after_group_wait() -> None:
    w = world()
    w.run([(i * 20, alert("Burst", "firing", i * 20, instance=f"i{i}")) for i in range(5)], 30_000)
    assert times(w) == [2_000]
    assert [n.kind for n in w.slack.sent] == ["post"]


def test_a_storm_resolving_over_100ms_is_one_notification_on_the_next_tick() -> None:
    w = world()
    firing = [(0, alert("Storm", "firing", 0, instance=f"i{i}")) for i in range(5)]
    resolving = [
        (7_000 + 20 * i, alert("Storm", "resolved", 7_000 + 20 * i, instance=f"i{i}")) for i in range(5)
    ]
    w.run(firing + resolving, 30_000)
    # ticks every 4 s from the first notification (2 s): the resolves of 7.0-7.1 s go out at 10 s, together
    assert times(w) == [2_000, 10_000]
    assert w.slack.sent[-1].text.startswith("✅ RESOLVED")


def test_a_change_after_a_quiet_spell_waits_for_the_next_tick_not_sent_at_once() -> None:
    w = world()
    w.run(
        [(0, alert("Quiet", "firing", 0)), (13_500, alert("Quiet", "firing", 13_500, instance="b"))], 30_000
    )
    assert sent_at(w, [2_000, 14_000]), times(w)


def test_changes_mid_interval_go_out_on_the_ticks() -> None:
    w = world()
    steps = [
        (0, alert("Mid", "firing", 0, instance="a")),
        (3_000, alert("Mid", "firing", 3_000, instance="b")),
        (6_500, alert("Mid", "resolved", 6_500, instance="b")),
        (11_000, alert("Mid", "resolved", 11_000, instance="a")),
    ]
    w.run(steps, 30_000)
    assert sent_at(w, [2_000, 6_000, 10_000, 14_000]), times(w)


def test_a_group_announced_resolved_starts_afresh_with_group_wait() -> None:
    w = world()
    steps = [
        (0, alert("Again", "firing", 0)),
        (3_000, alert("Again", "resolved", 3_000)),
        (7_000, alert("Again", "firing", 7_000)),
    ]
    w.run(steps, 30_000)
    # resolved on the 6 s tick; the next firing waits group_wait (9 s), not the old group's 10 s tick
    assert times(w) == [2_000, 6_000, 9_000]
    assert [n.kind for n in w.slack.sent] == ["post", "update", "post"]


def test_a_group_still_firing_is_notified_again_every_repeat_interval_on_a_tick() -> None:
    w = world(repeat="9s")
    w.run([(0, alert("Repeat", "firing", 0))], 35_000)
    # ticks at 6, 10, 14...: the first at or after 9 s since the last notification
    assert times(w) == [2_000, 14_000, 26_000]
    notes = [text for _, text in w.slack.threads]
    assert notes == [
        "🔁 Still firing: 1 alert, the first for 14 s",
        "🔁 Still firing: 1 alert, the first for 26 s",
    ]


def test_a_repeated_firing_alert_is_no_change_for_the_clock() -> None:
    w = world(repeat="9s")
    w.run([(t, alert("Again", "firing", 0)) for t in range(0, 16_000, 1_000)], 20_000)
    # the same alert, re-sent every second as Prometheus sends it: the repeats are what repeat_interval says
    assert times(w) == [2_000, 14_000]


def test_a_resolved_group_is_not_repeated() -> None:
    w = world(repeat="9s")
    w.run([(0, alert("Done", "firing", 0)), (5_000, alert("Done", "resolved", 5_000))], 60_000)
    assert times(w) == [2_000, 6_000]


def test_send_changes_at_once_sends_each_change_as_it_comes() -> None:
    w = world(extra="send_changes: at_once")
    w.run([(0, alert("Fast", "firing", 0)), (13_500, alert("Fast", "firing", 13_500, instance="b"))], 30_000)
    assert times(w) == [2_000, 13_500]


def test_intervals_longer_than_sqs_delays_are_carried_in_15_minute_hops() -> None:
    w = world(interval="30m", repeat="2h")
    w.run(
        [(0, alert("Slow", "firing", 0)), (60_000, alert("Slow", "firing", 60_000, instance="b"))],
        3 * 3_600_000,
    )
    half_hour = 1_800_000
    assert times(w)[:2] == [2_000, 2_000 + half_hour]
    # repeats: the first tick 2 h or more after the last notification
    assert times(w)[2:] == [2_000 + 5 * half_hour]
    assert max(w.queue.delays) == 900  # no message asked SQS for more than its longest delay


ROUTE = ResolvedRoute(
    id="0",
    receiver="r",
    group_by=(),
    group_wait=timedelta(seconds=30),
    group_interval=timedelta(minutes=5),
    repeat_interval=timedelta(hours=4),
)
MIN = 60_000


def notified_group(last: int, pending_since: int = 0) -> GroupState:
    return GroupState(
        key="g",
        route_id="0",
        receiver="r",
        notified={"a": Notified(status="firing")},
        notified_firing=True,
        last_notified_ms=last,
        pending_since_ms=pending_since,
        version=2,
        notified_version=1,
    )


def test_the_ticks_run_every_group_interval_from_the_last_notification() -> None:
    group = notified_group(last=10 * MIN)
    assert next_tick(group, ROUTE, 10 * MIN) == 15 * MIN  # never the notification's own instant
    assert next_tick(group, ROUTE, 12 * MIN) == 15 * MIN
    assert next_tick(group, ROUTE, 15 * MIN) == 15 * MIN
    assert next_tick(group, ROUTE, 15 * MIN + 1) == 20 * MIN
    assert next_tick(group, ROUTE, 47 * MIN) == 50 * MIN


def test_changes_are_due_on_the_tick_after_they_arrived_whenever_the_flush_message_comes() -> None:
    # the due time depends on when the change arrived, not on when it is asked: a message arriving a little
    # late at its tick still finds itself due
    assert due_ms(notified_group(last=10 * MIN, pending_since=31 * MIN), ROUTE) == 35 * MIN


def test_the_first_notification_waits_group_wait_from_when_the_group_became_pending() -> None:
    group = GroupState(key="g", route_id="0", receiver="r", pending_since_ms=7 * MIN, version=1)
    assert due_ms(group, ROUTE) == 7 * MIN + 30_000


def test_a_repeat_is_due_on_the_first_tick_after_repeat_interval() -> None:
    group = notified_group(last=10 * MIN)
    assert repeat_due(group, ROUTE, 10 * MIN) == 10 * MIN + 4 * 60 * MIN
    odd = ROUTE.model_copy(update={"group_interval": timedelta(minutes=7)})
    assert repeat_due(group, odd, 10 * MIN) == 10 * MIN + 35 * 7 * MIN  # 245 min: the first tick past 240

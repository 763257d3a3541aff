"""Property-based: whatever order, duplication and timing the deliveries come in, the router converges on
the newest state of each alarm, posts each group's message once per episode, and never leaves a
resolved alarm shown as firing (nor a firing one as resolved)."""

from __future__ import annotations

import heapq
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alertrouter.config import parse_config
from alertrouter.flush.visible import visible_members
from alertrouter.models.alert import Alert
from alertrouter.notify.render import SlackMessage
from alertrouter.router import Router
from alertrouter.sources import parse_payload
from alertrouter.store.memory import MemoryStore
from conftest import load_event

CONFIG = """
route:
  receiver: team
  group_by: [{group_by}]
  group_wait: {wait}s
  group_interval: {interval}s
receivers:
  - name: team
    slack: [{{channel: "#team"}}]
"""
BASE = load_event("eventbridge_cw_alarm_state_change_single_metric_ALARM_awsdocs.json")


def alert(name: str, state: str, second: int) -> Alert:
    event = {
        **BASE,
        "resources": [f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}"],
        "detail": {
            **BASE["detail"],
            "alarmName": name,
            "state": {
                **BASE["detail"]["state"],
                "value": state,
                "timestamp": f"2024-05-01T10:{second // 60:02d}:{second % 60:02d}.000+0000",
            },
        },
    }
    return parse_payload(event).alerts[0]


def all_group_keys(store: Any) -> list[str]:
    if isinstance(store, MemoryStore):
        return list(store.groups)
    items = store.client.scan(TableName=store.table)["Items"]
    return [i["pk"]["S"].split("#", 1)[1] for i in items if i["pk"]["S"].startswith("GROUP#")]


class Queue:
    """SQS delays on the test's clock."""

    def __init__(self) -> None:
        self.pending: list[tuple[int, int, str, str, int]] = []
        self.n = 0

    def schedule(self, key: str, route_id: str, delay_s: int, due_ms: int) -> None:
        self.n += 1
        heapq.heappush(self.pending, (self.now + delay_s * 1000, self.n, key, route_id, due_ms))

    now = 0


class Slack:
    def __init__(self) -> None:
        self.posts: dict[str, list[str]] = {}  # group key -> headline of each post
        self.messages: dict[str, str] = {}  # ts -> current text
        self.by_ts: dict[str, str] = {}

    def post_once(
        self,
        channel: str,
        message: SlackMessage,
        metadata: dict[str, Any],
        oldest: float,
        *,
        look_first: bool = False,
    ) -> tuple[str, str]:
        ts = f"{len(self.messages) + 1}.000100"
        self.posts.setdefault(metadata["group"], []).append(message.text)
        self.messages[ts] = message.text
        return channel, ts

    def post(
        self,
        channel: str,
        message: SlackMessage,
        *,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> tuple[str, str]:
        return channel, "0.1"

    def update(self, channel: str, ts: str, message: SlackMessage) -> None:
        self.messages[ts] = message.text

    def learn(self, name: str, channel_id: str) -> None:
        pass


events = st.lists(
    st.tuples(st.sampled_from(["A", "B", "C"]), st.sampled_from(["ALARM", "OK"]), st.integers(0, 40)),
    min_size=1,
    max_size=25,
)


scenarios = {
    "events": events,
    "duplicates": st.lists(st.integers(0, 24), max_size=10),
    "shuffle": st.randoms(),
    "group_by": st.sampled_from(["alertname", "account"]),
    "wait": st.sampled_from([0, 30]),
    "interval": st.sampled_from([0, 60]),
    "gaps": st.lists(st.integers(0, 90_000), min_size=40, max_size=40),
}


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**scenarios)
def test_router_converges_and_never_double_posts(
    events, duplicates, shuffle, group_by, wait, interval, gaps
) -> None:
    check_convergence(MemoryStore(), events, duplicates, shuffle, group_by, wait, interval, gaps)


def check_convergence(store: Any, events, duplicates, shuffle, group_by, wait, interval, gaps) -> None:
    """The property, on any StateStore (the DynamoDB one runs it in tests/integration)."""
    # Given deliveries in any order, some duplicated, arriving at random times
    deliveries = list(events) + [events[i % len(events)] for i in duplicates]
    shuffle.shuffle(deliveries)
    queue, slack = Queue(), Slack()
    queue.now = 1_700_000_000_000
    router = Router(
        parse_config(CONFIG.format(group_by=group_by, wait=wait, interval=interval)),
        store,
        queue,
        slack=slack,
        now_ms=lambda: queue.now,
    )

    def run_due_flushes() -> None:
        while queue.pending and queue.pending[0][0] <= queue.now:
            _, _, key, route_id, due_ms = heapq.heappop(queue.pending)
            router.flush_due(key, route_id, due_ms)

    for i, (name, state, second) in enumerate(deliveries):
        queue.now += gaps[i % len(gaps)]
        run_due_flushes()
        router.handle(alert(name, state, second))
    queue.now += 3_600_000
    run_due_flushes()

    # Then every alarm's stored state is its newest event (ties: the first delivered of that instant wins)
    newest: dict[str, tuple[int, str]] = {}
    for name, state, second in deliveries:
        if name not in newest or second > newest[name][0]:
            newest[name] = (second, state)
    for name, (_, state) in newest.items():
        stored = store.get_alert(alert(name, "OK", 0).fingerprint)
        assert stored is not None and stored.ts_ms == alert(name, state, newest[name][0]).timestamp_ms
        assert stored.status == ("firing" if state == "ALARM" else "resolved")
    # and nothing is left pending: every change was flushed
    groups = {key: store.get_group(key) for key in all_group_keys(store)}
    assert groups and all(not g.pending for g in groups.values())
    for key, group in groups.items():
        # each episode of a group was posted once (the current one only once it has a message)
        assert len(slack.posts.get(key, [])) == group.episode - (0 if group.slack_ts else 1)
        # and the message's status matches what the alarms are now
        if group.slack_ts:
            text = slack.messages[group.slack_ts["#team"]]
            shown = visible_members(group)
            firing = [m for m in shown.values() if m.status == "firing"]
            assert text.startswith("✅ RESOLVED") == (not firing), (text, shown)


# ---- events mixed with what people do in Slack ----

actions = st.lists(
    st.one_of(
        st.tuples(
            st.just("event"),
            st.sampled_from(["A", "B"]),
            st.sampled_from(["ALARM", "OK"]),
            st.integers(0, 40),
        ),
        st.tuples(st.just("ack"), st.sampled_from(["A", "B"])),
        st.tuples(st.just("resolve"), st.sampled_from(["A", "B"])),
        st.tuples(st.just("silence"), st.sampled_from(["A", "B"]), st.integers(1, 30)),
        st.tuples(st.just("unsilence"), st.sampled_from(["A", "B"])),
    ),
    min_size=1,
    max_size=30,
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=actions,
    group_by=st.sampled_from(["alertname", "account"]),
    interval=st.sampled_from([0, 60]),
    gaps=st.lists(st.integers(0, 120_000), min_size=30, max_size=30),
)
def test_clicks_and_silences_never_double_post_nor_unresolve(steps, group_by, interval, gaps) -> None:  # noqa: C901 - to be split (issue 14)
    from alertrouter.models.silence import Silence

    store, queue, slack = MemoryStore(), Queue(), Slack()
    # clicks happen on our clock; the source's events are stamped 10:00:00-10:00:40 that day, and the clock
    # starts at 10:00:20, so clicks fall before, between and after them (some events arrive late)
    queue.now = alert("A", "OK", 20).timestamp_ms
    router = Router(
        parse_config(CONFIG.format(group_by=group_by, wait=0, interval=interval)),
        store,
        queue,
        slack=slack,
        now_ms=lambda: queue.now,
    )
    expected: dict[str, tuple[int, str]] = {}  # alarm -> (ts, status) the model says is stored
    silences: dict[str, str] = {}

    def run_due_flushes() -> None:
        while queue.pending and queue.pending[0][0] <= queue.now:
            _, _, key, route_id, due_ms = heapq.heappop(queue.pending)
            router.flush_due(key, route_id, due_ms)

    def group_of(name: str) -> Any:
        fp = alert(name, "OK", 0).fingerprint
        key = next((k for k, g in store.groups.items() if fp in g.members), None)
        return store.get_group(key) if key else None  # a snapshot: the store's own object changes under us

    for i, step in enumerate(steps):
        queue.now += gaps[i % len(gaps)]
        run_due_flushes()
        kind, name = step[0], step[1]
        group = group_of(name)
        if kind == "event":
            new = alert(name, step[2], step[3])
            router.handle(new)
            if name not in expected or new.timestamp_ms > expected[name][0]:
                expected[name] = (new.timestamp_ms, new.status.value)
        elif group is None:
            continue
        elif kind == "ack":
            store.acknowledge(group.key, "U1", queue.now, ack=True, episode=group.episode)
        elif (
            kind == "resolve"
        ):  # what the interactions function does: mark, then hand the router what it showed
            shown = list(visible_members(group))
            store.resolve_by_hand(group.key, "U1", queue.now, group.episode)
            router.resolve_group(group.key, group.episode, queue.now, shown)
            for member_name, (ts, status) in list(expected.items()):
                if (
                    alert(member_name, "OK", 0).fingerprint in shown
                    and status != "resolved"
                    and ts < queue.now
                ):
                    expected[member_name] = (queue.now, "resolved")
        elif kind == "silence":
            silence = Silence(
                matchers=[f'alertname="{name}"'],
                starts_at_ms=queue.now,
                ends_at_ms=queue.now + step[2] * 60_000,
                created_by="U1",
            )
            store.put_silence(silence)
            silences[name] = silence.id
        elif kind == "unsilence" and name in silences:
            store.expire_silence(silences.pop(name), queue.now)
            router.silences.forget()  # another process ended it; this one's cache would age out in 5 s
    queue.now += 3 * 3_600_000
    for _ in range(20):  # muted groups are looked at again every 15 minutes at most
        queue.now += 900_000
        run_due_flushes()

    # Then each alarm's state is what the model says: newest source event, or a resolve click after it
    for name, (ts, status) in expected.items():
        stored = store.get_alert(alert(name, "OK", 0).fingerprint)
        assert stored is not None and (stored.ts_ms, stored.status) == (ts, status)
    for key, group in store.groups.items():
        assert not group.pending and not group.muted  # every silence is over: nothing is held back
        # each episode was posted once at most, and the current one once it has a message
        assert len(slack.posts.get(key, [])) == group.episode - (0 if group.slack_ts else 1)
        if group.slack_ts:
            text = slack.messages[group.slack_ts["#team"]]
            firing = [m for m in visible_members(group).values() if m.status == "firing"]
            assert text.startswith("✅ RESOLVED") == (not firing), (text, group)

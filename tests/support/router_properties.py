"""The router's convergence property (tests/unit/test_router_properties.py), shared with the same property on
the DynamoDB store (tests/integration/test_router_properties_dynamodb.py): the scenarios hypothesis draws,
a Slack that keeps each group's posts, SQS delays on the test's clock, and the check on any whole store."""

from __future__ import annotations

import heapq
import random
from typing import Any

from hypothesis import strategies as st

from alertrouter.config import parse_config
from alertrouter.flush.visible import visible_members
from alertrouter.models.alert import Alert
from alertrouter.notify.render import SlackMessage
from alertrouter.router import Router
from alertrouter.sources import parse_payload
from support.events import ALARM_EVENT, load_event
from support.memory_store import MemoryStore

CONFIG = """
route:
  receiver: team
  group_by: [{group_by}]
  group_wait: {wait}s
  {timing}
receivers:
  - name: team
    slack: [{{channel: "#team"}}]
"""


def config_text(group_by: str, wait: int, interval: int) -> str:
    """The scenario's routing; an interval of 0 is each change sent as it comes."""
    timing = f"group_interval: {interval}s" if interval else "send_changes: at_once"
    return CONFIG.format(group_by=group_by, wait=wait, timing=timing)


BASE = load_event(ALARM_EVENT)


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

    def upload_file(
        self,
        png: bytes,
        filename: str,
        title: str,
        alt_text: str,
        *,
        channel_id: str | None = None,
        thread_ts: str | None = None,
    ) -> str:
        raise AssertionError("no graphs in the router's property tests")


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


def check_convergence(
    store: Any,
    events: list[tuple[str, str, int]],
    duplicates: list[int],
    shuffle: random.Random,
    group_by: str,
    wait: int,
    interval: int,
    gaps: list[int],
) -> None:
    """The property, on any whole store (the DynamoDB one runs it in tests/integration)."""
    # Given deliveries in any order, some duplicated, arriving at random times
    deliveries = list(events) + [events[i % len(events)] for i in duplicates]
    shuffle.shuffle(deliveries)
    queue, slack = Queue(), Slack()
    queue.now = 1_700_000_000_000
    router = Router(
        parse_config(config_text(group_by, wait, interval)),
        store.stores(),
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
        assert len(slack.posts.get(key, [])) == group.episode - (0 if group.slack.ts else 1)
        # and the message's status matches what the alarms are now
        if group.slack.ts:
            text = slack.messages[group.slack.ts["#team"]]
            shown = visible_members(group)
            firing = [m for m in shown.values() if m.status == "firing"]
            assert text.startswith("✅ RESOLVED") == (not firing), (text, shown)

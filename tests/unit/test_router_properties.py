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
from alertrouter.models.silence import Silence
from alertrouter.router import Router
from support.memory_store import MemoryStore
from support.router_properties import Queue, Slack, alert, check_convergence, config_text, scenarios


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**scenarios)
def test_router_converges_and_never_double_posts(
    events, duplicates, shuffle, group_by, wait, interval, gaps
) -> None:
    check_convergence(MemoryStore(), events, duplicates, shuffle, group_by, wait, interval, gaps)


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


class ClickScenario:
    """The router and its store under a test's steps (source events, clicks, silences), on the test's clock,
    with what the model expects each alarm's stored state to be."""

    def __init__(self, group_by: str, interval: int) -> None:
        self.store, self.queue, self.slack = MemoryStore(), Queue(), Slack()
        # clicks happen on our clock; the source's events are stamped 10:00:00-10:00:40 that day, and the clock
        # starts at 10:00:20, so clicks fall before, between and after them (some events arrive late)
        self.queue.now = alert("A", "OK", 20).timestamp_ms
        self.router = Router(
            parse_config(config_text(group_by, 0, interval)),
            self.store.stores(),
            self.queue,
            slack=self.slack,
            now_ms=lambda: self.queue.now,
        )
        self.expected: dict[str, tuple[int, str]] = {}  # alarm -> (ts, status) the model says is stored
        self.silences: dict[str, str] = {}

    def run_due_flushes(self) -> None:
        queue = self.queue
        while queue.pending and queue.pending[0][0] <= queue.now:
            _, _, key, route_id, due_ms = heapq.heappop(queue.pending)
            self.router.flush_due(key, route_id, due_ms)

    def group_of(self, name: str) -> Any:
        fp = alert(name, "OK", 0).fingerprint
        key = next((k for k, g in self.store.groups.items() if fp in g.members), None)
        return (
            self.store.get_group(key) if key else None
        )  # a snapshot: the store's own object changes under us

    def apply(self, step: tuple[Any, ...]) -> None:
        kind, name = step[0], step[1]
        group = self.group_of(name)
        now = self.queue.now
        if kind == "event":
            self.event(name, step[2], step[3])
        elif group is None:
            return
        elif kind == "ack":
            self.store.acknowledge(group.key, "U1", now, ack=True, episode=group.episode)
        elif kind == "resolve":
            self.resolve(group)
        elif kind == "silence":
            silence = Silence(
                matchers=[f'alertname="{name}"'],
                starts_at_ms=now,
                ends_at_ms=now + step[2] * 60_000,
                created_by="U1",
            )
            self.store.put_silence(silence)
            self.silences[name] = silence.id
        elif kind == "unsilence" and name in self.silences:
            self.store.expire_silence(self.silences.pop(name), now)
            self.router.silences.forget()  # another process ended it; this one's cache would age out in 5 s

    def event(self, name: str, state: str, second: int) -> None:
        new = alert(name, state, second)
        self.router.handle(new)
        if name not in self.expected or new.timestamp_ms > self.expected[name][0]:
            self.expected[name] = (new.timestamp_ms, new.status.value)

    def resolve(self, group: Any) -> None:
        """What the interactions function does: mark, then hand the router what it showed."""
        now = self.queue.now
        shown = list(visible_members(group))
        self.store.resolve_by_hand(group.key, "U1", now, group.episode)
        self.router.resolve_group(group.key, group.episode, now, shown)
        for member_name, (ts, status) in list(self.expected.items()):
            if alert(member_name, "OK", 0).fingerprint in shown and status != "resolved" and ts < now:
                self.expected[member_name] = (now, "resolved")


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=actions,
    group_by=st.sampled_from(["alertname", "account"]),
    interval=st.sampled_from([0, 60]),
    gaps=st.lists(st.integers(0, 120_000), min_size=30, max_size=30),
)
def test_clicks_and_silences_never_double_post_nor_unresolve(steps, group_by, interval, gaps) -> None:
    scenario = ClickScenario(group_by, interval)
    store, queue, slack = scenario.store, scenario.queue, scenario.slack
    for i, step in enumerate(steps):
        queue.now += gaps[i % len(gaps)]
        scenario.run_due_flushes()
        scenario.apply(step)
    queue.now += 3 * 3_600_000
    for _ in range(20):  # muted groups are looked at again every 15 minutes at most
        queue.now += 900_000
        scenario.run_due_flushes()

    # Then each alarm's state is what the model says: newest source event, or a resolve click after it
    for name, (ts, status) in scenario.expected.items():
        stored = store.get_alert(alert(name, "OK", 0).fingerprint)
        assert stored is not None and (stored.ts_ms, stored.status) == (ts, status)
    for key, group in store.groups.items():
        assert not group.pending and not group.muting.reasons  # every silence is over: nothing is held back
        # each episode was posted once at most, and the current one once it has a message
        assert len(slack.posts.get(key, [])) == group.episode - (0 if group.slack.ts else 1)
        if group.slack.ts:
            text = slack.messages[group.slack.ts["#team"]]
            firing = [m for m in visible_members(group).values() if m.status == "firing"]
            assert text.startswith("✅ RESOLVED") == (not firing), (text, group)

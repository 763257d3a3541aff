"""A group keeps at most MAX_GROUP_MEMBERS alerts (each one DynamoDB item of its group's partition); the
firing alerts beyond are counted by reason, shown in the message's counts, never counted twice, and forgotten
when the group's next episode starts. The cap is lowered here (CAP) so that the behaviour at the cap is shown
by a few dozen alerts, not 5,000."""

from __future__ import annotations

import json
from typing import Any

import pytest

from alertrouter.flush.outcome import Outcome
from alertrouter.joining import GroupFullError, join_full_group
from alertrouter.models.state import (
    KEPT_LABELS,
    MAX_GROUP_MEMBERS,
    MAX_KEPT_LABEL,
    Clicks,
    GroupState,
    Member,
    _kept_labels,
)
from alertrouter.notify.render import render_group
from alertrouter.sources import parse_body
from support import memory_store
from support.clock import Clock
from support.events import batch_child_failure as child_failure
from support.fakes import Scheduler, Slack, alert, router
from support.memory_store import MemoryStore

CAP = 20  # MAX_GROUP_MEMBERS, lowered


@pytest.fixture(autouse=True)
def _lowered_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory_store, "MAX_GROUP_MEMBERS", CAP)


CONFIG = """
route:
  receiver: team
  group_by: [queue, job_definition]
  group_wait: 0s
  send_changes: at_once
  resolve_timeout: 1h
receivers:
  - name: team
    slack: [{channel: "#batch"}]
"""


def test_a_full_group_counts_the_rest_by_reason_once_each() -> None:
    store, slack, clock = MemoryStore(), Slack(), Clock()
    r = router(CONFIG, store, slack, Scheduler(), clock)
    failures = [parse_body(child_failure(i)).alerts[0] for i in range(500)]
    overflowed = sum(r.handle(a).overflowed for a in failures)
    overflowed += sum(r.handle(a).overflowed for a in failures[::3])  # redelivered: counted once
    [group] = store.groups.values()
    assert len(group.members) == CAP and overflowed == 500 - CAP
    assert sum(group.overflow.values()) == 500 - CAP
    assert slack.posts == ["#batch"]  # one message, edited as the failures came
    assert (
        slack.last_text
        == "🟠 WARNING · 500 jobs failed in queue nightly in account 123456789012 (us-east-1): 480 × Out of memory, 20 × Timeout"
    )


def test_the_largest_possible_member_is_written_with_three_write_units() -> None:
    huge = Member(
        status="firing",
        severity="critical",
        title="t" * 200,
        summary="s" * 300,
        resource="r" * 200,
        account="123456789012",
        region="ap-southeast-3",
        console="c" * 300,
        runbook="b" * 300,
        ts_ms=1_700_000_000_000,
        starts_at_ms=1_700_000_000_000,
        count=10**6,
        changes_ms=tuple(range(1_700_000_000_000, 1_700_000_000_020)),
        source="cloudwatch",
        reason="x" * 60,
        links={"logs": "l" * 300, "domain": "d" * 300},
        labels=_kept_labels({name: "v" * MAX_KEPT_LABEL for name in KEPT_LABELS}),
        received_ms=1_700_000_000_000,
    )
    size = len(json.dumps(huge.model_dump())) + 100  # + its keys and its delivery records
    # one write unit per KB: a 5,000-member group's members are written one small item each
    assert size <= 3 * 1024 and MAX_GROUP_MEMBERS >= 5_000


def test_counts_are_shown_beside_the_kept_alerts_in_a_mixed_group() -> None:
    store, slack, clock = MemoryStore(), Slack(), Clock()
    r = router(CONFIG, store, slack, Scheduler(), clock)
    for i in range(CAP + 5):
        r.handle(parse_body(child_failure(i)).alerts[0])
    [group] = store.groups.values()
    text = json.dumps(render_group(group, clock()).model_dump(), ensure_ascii=False)
    # the alerts only counted are in their reason's row, and the full list is one command away
    assert (
        f"*{CAP + 4} × Out of memory* · e.g. " in text and '*1 × Timeout*"' in text
    )  # (only counted: no example)
    assert f"All {CAP + 5}: `aws batch list-jobs --job-queue nightly --job-status FAILED" in text


def test_a_full_group_whose_alerts_all_resolved_still_announces_the_next_failure() -> None:
    store, slack, clock = MemoryStore(), Slack(), Clock()
    r = router(
        CONFIG.replace("send_changes: at_once", "group_interval: 5m"), store, slack, Scheduler(), clock
    )
    failures = [parse_body(child_failure(i)).alerts[0] for i in range(CAP)]
    for a in failures:
        r.handle(a)
    clock.ms += 3_600_000
    for a in failures:  # an hour without a new failure: each expires (as the escalator hands them over)
        r.expire(a.fingerprint, a.timestamp_ms)
    [group] = store.groups.values()
    r.flush(group.key, group.route_id)  # all resolved in one flush: all kept, announced resolved
    [group] = store.groups.values()
    assert len(group.members) == CAP and slack.last_text.startswith("✅ RESOLVED")
    posts = len(slack.posts)
    # the group was announced resolved: as in Alertmanager, its next alert starts afresh (group_wait, 0s here)
    r.handle(parse_body(child_failure(10_000, parent="6b2e3f1d-0000-4000-8000-00000000b22b")).alerts[0])
    [group] = store.groups.values()
    assert not group.overflow  # it took a resolved one's place, not counted as overflow
    assert len(slack.posts) == posts + 1  # a new episode: a new message
    assert (
        slack.last_text
        == "🟠 WARNING · nightly-render failed: Out of memory in queue nightly in account 123456789012 (us-east-1)"
    )


def _full_and_resolved(r: Any, store: MemoryStore, clock: Clock) -> GroupState:
    failures = [parse_body(child_failure(i)).alerts[0] for i in range(CAP)]
    for a in failures:
        r.handle(a)
    clock.ms += 3_600_000
    for a in failures:
        r.expire(a.fingerprint, a.timestamp_ms)
    [group] = store.groups.values()
    r.flush(group.key, group.route_id)
    return store.groups[group.key]


def test_a_new_storm_bigger_than_the_group_is_a_new_message_not_an_edit_of_the_resolved_one() -> None:
    store, slack, clock = MemoryStore(), Slack(), Clock()
    r = router(
        CONFIG.replace("send_changes: at_once", "group_interval: 5m"), store, slack, Scheduler(), clock
    )
    group = _full_and_resolved(r, store, clock)
    store.groups[group.key].clicks = Clicks(ack_by="U_OLD")  # someone acknowledged the old storm
    posts = len(slack.posts)
    storm = [
        parse_body(child_failure(i, parent="6b2e3f1d-0000-4000-8000-00000000b22b")).alerts[0]
        for i in range(200)
    ]
    overflowed = sum(r.handle(a).overflowed for a in storm)
    clock.ms += 300_000
    r.flush(group.key, group.route_id)
    group = store.groups[group.key]
    assert overflowed == 200 - CAP and group.episode == 2 and not group.clicks.ack_by
    assert len(slack.posts) == posts + 1  # a new message for the new storm
    assert (
        slack.last_text
        == "🟠 WARNING · 200 jobs failed in queue nightly in account 123456789012 (us-east-1): 192 × Out of memory, 8 × Timeout"
    )


def test_workers_racing_for_the_same_resolved_places_each_find_one() -> None:
    store, slack, clock = MemoryStore(), Slack(), Clock()
    r = router(
        CONFIG.replace("send_changes: at_once", "group_interval: 5m"), store, slack, Scheduler(), clock
    )
    stale = _full_and_resolved(r, store, clock).detached()  # what four workers read at the same moment
    newcomers = [
        parse_body(child_failure(i, parent="7c3f4a2e-0000-4000-8000-00000000c33c")).alerts[0]
        for i in range(4)
    ]
    for a in newcomers:
        state = store.apply_alert(a, clock()).state
        join_full_group(r.stores.groups, stale, state, Member.of(state), True, Outcome(), clock())
    group = store.groups[stale.key]
    assert all(a.fingerprint in group.members for a in newcomers) and not group.overflow


def test_an_alarm_a_full_group_cannot_take_is_refused_with_a_reason_never_dropped() -> None:
    store, slack, clock = MemoryStore(), Slack(), Clock()
    r = router(
        CONFIG.replace("group_by: [queue, job_definition]", "group_by: [region]"),
        store,
        slack,
        Scheduler(),
        clock,
    )
    for i in range(CAP):
        r.handle(alert(f"Alarm{i}"))
    with pytest.raises(GroupFullError, match="none resolved.*kept in the DLQ"):
        r.handle(alert("OneTooMany"))
    [group] = store.groups.values()
    assert len(group.members) == CAP and not group.overflow  # an alarm is never only counted

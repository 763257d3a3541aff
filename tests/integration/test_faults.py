"""Slack misbehaving on a third of all calls (500s, 429s with Retry-After, timeouts after acting), SQS
redelivering what failed: every alert is still posted exactly once, and Retry-After is never broken."""

from __future__ import annotations

import time

import pytest

from alertrouter.notify.base import NotifyError
from support.events import alarm_body
from support.harness import Harness, make_harness

pytestmark = pytest.mark.integration


@pytest.fixture
def faulty(aws, tmp_path) -> Harness:
    from support.slack_standin import SlackStandIn

    standin = SlackStandIn(fault_rate=0.3, seed=11, timeout_delay=0.35, retry_after=1).start()
    try:
        # the client hands any wait back to SQS at once (max_wait 0) so the test can redeliver quickly
        yield make_harness(aws, standin, tmp_path, max_wait=0.0, attempts=2)
    finally:
        standin.stop()


@pytest.mark.slow
def test_every_alert_is_posted_once_through_a_third_of_slack_calls_failing(faulty: Harness) -> None:
    alarms = [f"Alarm{i:02d}" for i in range(40)]
    bodies = [alarm_body(name=name, instance=f"i-{i:04d}") for i, name in enumerate(alarms)]
    redeliveries = 0
    deadline = time.monotonic() + 60
    for body in bodies:
        while True:  # SQS: a record that fails comes back until it succeeds
            try:
                faulty.service.handle_body(body)
                break
            except NotifyError as exc:
                assert exc.retryable
                redeliveries += 1
                assert time.monotonic() < deadline, "did not converge"
                time.sleep(min(exc.retry_after or 0.05, 1.05))
    messages = faulty.slack.channel_messages("#team")
    posted = sorted(m.metadata["event_payload"]["group"] for m in messages)
    assert len(posted) == len(alarms) == len(set(posted))  # each group's message exactly once
    assert redeliveries > 0 and sum(1 for c in faulty.slack.calls if c.fault not in ("", "ok")) > 5
    assert faulty.slack.retry_after_violations == 0

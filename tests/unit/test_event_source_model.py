"""The event source model reads the router's lanes and the rules' targets from template.yaml as deployed."""

from __future__ import annotations

import json

from support.event_source import MAIN_QUEUE, lanes_from_template, matches, rule_targets
from support.events import alarm_body, batch_child_failure, batch_job_succeeded, event_text


def lane_of(body: str) -> str:
    [queue] = [queue for pattern, queue in rule_targets() if matches(pattern, json.loads(body))]
    return queue


def test_the_lanes_are_the_routers_event_source_mappings_main_first() -> None:
    [main, storm] = lanes_from_template()
    assert (main.queue, main.batch_size, main.batching_window_s, main.max_concurrency) == (
        MAIN_QUEUE,
        10,
        0,
        2,
    )
    assert (storm.queue, storm.batch_size, storm.max_concurrency) == ("StormQueue", 10, 5)
    assert main.visibility_timeout_s == storm.visibility_timeout_s == 360
    assert main.max_receives == storm.max_receives == 15


def test_each_event_reaches_the_queue_its_rule_targets() -> None:
    assert lane_of(batch_child_failure(0)) == "StormQueue"
    # not alerted on (BatchAlertStatuses: FAILED), but forwarded: the outcome metrics count it
    assert lane_of(json.dumps(batch_job_succeeded())) == "StormQueue"
    assert lane_of(event_text("eventbridge_batch_job_queue_blocked_RUNNABLE_awsdocs.json")) == MAIN_QUEUE
    assert lane_of(alarm_body(severity="critical")) == MAIN_QUEUE
    assert (
        lane_of(event_text("eventbridge_opensearch_notification_low_disk_space_awsdocs.json")) == MAIN_QUEUE
    )


def test_a_job_state_the_rule_does_not_forward_reaches_no_queue() -> None:
    runnable = json.loads(event_text("eventbridge_batch_job_state_change_RUNNABLE_awsdocs.json"))
    assert not any(matches(pattern, runnable) for pattern, _ in rule_targets())  # BatchAlertStatuses: FAILED

"""Escalation and inhibition on moto (DynamoDB, SNS) and the Slack stand-in: the escalator pages the next
step through SNS and notes it in the message's thread; an acknowledgement stops it; an inhibited alert
is held in the table and sent when its source resolves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from alertrouter.escalate import Escalator
from alertrouter.notify.slack import SlackClient
from support.events import alarm_body
from support.harness import Harness, make_harness, queued

pytestmark = pytest.mark.integration

CONFIG = """
route:
  receiver: team
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1m
  routes:
    - matchers: ['severity="critical"']
      receiver: pager
      escalation: {after: 10m, steps: [[oncall-secondary]]}
receivers:
  - name: team
    slack: [{channel: "#team"}]
  - name: pager
    slack: [{channel: "#oncall"}]
    sms: [oncall-primary]
inhibit_rules:
  - source_matchers: ['alertname="RegionDown"']
    target_matchers: ['severity="warning"']
    equal: [region]
"""


def sms_numbers() -> list[str]:
    from moto.backends import get_backend

    return [v[0] for v in get_backend("sns")["123456789012"]["us-east-1"].sms_messages.values()]


@pytest.fixture
def h(aws: Any, slack: Any, tmp_path: Path) -> Harness:
    return make_harness(aws, slack, tmp_path, CONFIG)


def escalator(h: Harness) -> Escalator:
    router = h.service.router
    slack = SlackClient(lambda: "xoxb-test", h.slack.url, timeout=(1.0, 1.0), min_interval=0.0)
    return Escalator(router.stores, router.sms, slack, account_label="test", now_ms=h.clock)


def test_an_unacknowledged_page_escalates_by_sms_and_says_so_in_the_thread(h: Harness) -> None:
    h.service.handle_body(alarm_body(name="DiskFull", severity="critical"))
    assert sms_numbers() == ["+15555550100"]
    h.clock.advance(9 * 60)
    assert escalator(h).run().sms == 0
    h.clock.advance(60)
    outcome = escalator(h).run()
    assert outcome.pages and outcome.pages[0][0] == "oncall-secondary"
    assert sms_numbers() == ["+15555550100", "+15555550101"]
    [page] = h.slack.channel_messages("#oncall")
    assert page.replies[-1].text == "📟 Not acknowledged: paged oncall-secondary (escalation step 1 of 1)"
    h.clock.advance(3600)
    escalator(h).run()
    assert len(sms_numbers()) == 2  # the steps are used up


def test_an_acknowledged_page_does_not_escalate(h: Harness) -> None:
    h.service.handle_body(alarm_body(name="DiskFull", severity="critical"))
    [group] = [
        g for g in (h.service.router.stores.groups.get_group(k) for k in _group_keys(h)) if g and g.slack.ts
    ]
    h.clock.advance(9 * 60)
    h.service.router.stores.clicks.acknowledge(
        group.key, "U0ONCALL1", h.clock(), ack=True, episode=group.episode
    )
    for _ in range(30):
        h.clock.advance(60)
        escalator(h).run()
    assert sms_numbers() == ["+15555550100"]


def _group_keys(h: Harness) -> list[str]:
    items = h.session.client("dynamodb").scan(TableName=h.stack.table_name)["Items"]
    # (a group's header item; its members are items of the same partition)
    return [
        i["pk"]["S"].split("#", 1)[1]
        for i in items
        if i["pk"]["S"].startswith("GROUP#") and i["sk"]["S"] == "GROUP"
    ]


def test_an_inhibited_alert_is_held_and_sent_when_its_source_resolves(h: Harness) -> None:
    h.service.handle_body(alarm_body(name="RegionDown", severity="critical"))
    h.service.handle_body(alarm_body(name="LatencyHigh", severity="warning"))
    assert h.slack.channel_messages("#team") == []  # held: the region is down
    h.clock.advance(60)
    h.service.handle_body(
        alarm_body(name="RegionDown", state="OK", ts="2024-05-01T10:01:00.000+0000", severity="critical")
    )
    # the held group is looked at again at its group_interval (a delayed message on the queue)
    h.clock.advance(120)
    for body, _ in queued(h, h.stack.queue_url):
        h.service.handle_body(body)
    [message] = h.slack.channel_messages("#team")
    assert "LatencyHigh" in message.text

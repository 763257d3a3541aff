"""The AWS services' events (Health, X-Ray, ECS, Step Functions, RDS, GuardDuty, Security Hub) through the router's
Lambda handler on moto and the Slack stand-in, with the shipped config/routing.yaml: each firing sample alert is
posted in the channels of the receivers the real amtool named for it (tests/conformance/golden/
signal_routes.json), and a source's "it is over" event turns that very message resolved."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from alertrouter.config import load_config
from alertrouter.models.alert import Status
from support.events import load_event, parsed
from support.harness import RouterStack, drain_scheduled, make_harness
from support.paths import ROOT
from support.slack_standin import SlackStandIn

pytestmark = pytest.mark.integration
SHIPPED = (ROOT / "config" / "routing.yaml").read_text().replace("${DEFAULT_SLACK_CHANNEL}", "#alerts")
GOLDEN = json.loads((ROOT / "tests" / "conformance" / "golden" / "signal_routes.json").read_text())
CHANNELS = {
    r.name: [s.channel for s in r.slack]
    for r in load_config(
        str(ROOT / "config" / "routing.yaml"), {"DEFAULT_SLACK_CHANNEL": "#alerts"}
    ).receivers
}
ALL_CHANNELS = sorted({ch for channels in CHANNELS.values() for ch in channels})
# the real sample files (not the derived events) whose alerts fire: each should reach its receivers
FIRING_FILES = sorted(
    {
        c["event"]
        for c in GOLDEN["cases"]
        if not c["event"].startswith("derived:") and (ROOT / "events" / c["event"]).exists()
    }
)


@pytest.fixture
def stack(aws: Any, slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RouterStack:
    return RouterStack(make_harness(aws, slack, tmp_path, SHIPPED), monkeypatch)


def deliver(stack: RouterStack, *events: dict[str, Any]) -> None:
    assert stack.send(*[json.dumps(e) for e in events]) == {"batchItemFailures": []}
    stack.h.clock.ms += 10 * 60_000  # past every route's group_wait and group_interval
    drain_scheduled(stack.h)


@pytest.mark.parametrize("name", FIRING_FILES)
def test_each_sample_alert_is_posted_where_amtool_routes_it(name: str, stack: RouterStack) -> None:
    event = load_event(name)
    deliver(stack, event)
    cases = [c for c in GOLDEN["cases"] if c["event"] == name]
    expected = {ch for c in cases for r in c["receivers"].split(",") for ch in CHANNELS[r]}
    if all(alert.status == Status.RESOLVED for alert in parsed(event).alerts):
        expected = set()  # an end alone (RDS's failover completed): resolved, never announced, nothing sent
    assert {ch for ch in ALL_CHANNELS if stack.h.slack.channel_messages(ch)} == expected
    assert not stack.dlq()


def test_an_rds_failover_pages_and_its_completion_resolves_the_same_messages(stack: RouterStack) -> None:
    done = load_event("eventbridge_rds_db_instance_failover_completed_awsdocs.json")
    started = copy.deepcopy(done)  # derived: the guide's one instance event, as the failover's start
    started["detail"].update(
        EventID="RDS-EVENT-0013",
        Message="A Multi-AZ failover that resulted in the promotion of a standby instance has started.",
        Date="2018-09-27T22:30:12.000Z",
    )
    started["time"] = "2018-09-27T22:30:12Z"
    deliver(stack, started)
    slack = stack.h.slack
    [page] = slack.channel_messages("#oncall")
    [infra] = slack.channel_messages("#infra-alerts")
    assert "🔴 CRITICAL" in page.text and "my-db-instance" in page.text
    deliver(stack, done)
    # the end has its own event id (a label): routed where the start was, it resolves the messages that
    # announced it, and starts no group of its own
    assert [m.text.split(" · ")[0] for m in (page, infra)] == ["✅ RESOLVED", "✅ RESOLVED"]
    assert len(slack.channel_messages("#oncall")) == 1 and len(slack.channel_messages("#infra-alerts")) == 1


def test_a_guardduty_finding_recurs_into_one_message_and_archiving_resolves_it(stack: RouterStack) -> None:
    finding = load_event("eventbridge_guardduty_finding_ec2_outbound_connection_real_awssamples.json")
    deliver(stack, finding)
    [message] = stack.h.slack.channel_messages("#security-alerts")
    again = copy.deepcopy(finding)  # derived: the same finding seen again (GuardDuty counts and updates it)
    again["detail"]["service"]["count"] = finding["detail"]["service"]["count"] + 4
    again["detail"]["updatedAt"] = again["time"] = "2017-11-01T05:16:23.000Z"
    deliver(stack, again)
    archived = copy.deepcopy(again)
    archived["detail"]["service"]["archived"] = True
    archived["detail"]["updatedAt"] = archived["time"] = "2017-11-01T06:16:23.000Z"
    deliver(stack, archived)
    assert len(stack.h.slack.channel_messages("#security-alerts")) == 1
    assert message.text.startswith("✅ RESOLVED")

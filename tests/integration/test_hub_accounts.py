"""One view over every account (issue #19): an alarm of account A's spoke travels A's default bus -> the hub's
bus -> the hub's rule -> the hub's ingest queue -> the real router handler, and its Slack message and text
name account A by the name AWS Organizations gives it; a route matches that name (`account_name`). An
event from an account outside the organisation is refused into the DLQ with the reason, counted per account,
and the good records beside it are delivered.

All on moto (organizations, sts, events, sqs) and the Slack stand-in. moto's one gap, restored by
support.organization.as_eventbridge_forwards: its cross-account forward loses the sender's envelope (no
`account`, no `resources`); EventBridge keeps it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.backends import get_backend

from support.events import spoke_alarm_event
from support.handlers import load_handler
from support.harness import Harness, LambdaContext, make_harness, sqs_event
from support.organization import (
    HUB_ACCOUNT,
    Organisation,
    acting_as,
    as_eventbridge_forwards,
    hub_bus,
    make_organisation,
    put_alarm_event,
    spoke_rule,
)
from support.slack_standin import SlackStandIn

HUB_CONFIG = """
messages:
  account_names:
    "123456789012": monitoring
route:
  receiver: team
  group_by: [alertname, account, region]
  group_wait: 0s
  send_changes: at_once
  repeat_interval: 4h
  routes:
    - matchers: ['account_name=~".*-prod"']
      receiver: prod
receivers:
  - name: team
    slack: [{channel: "#team"}]
  - name: prod
    slack: [{channel: "#prod"}]
    sms: [oncall-primary]
"""
STRANGER = "999988887777"  # an account of no organisation


@pytest.fixture
def org(aws: Any) -> Organisation:
    return make_organisation(aws, "checkout-prod", "sandbox")


@pytest.fixture
def hub(aws: Any, slack: SlackStandIn, tmp_path: Path, org: Organisation) -> Harness:
    return make_harness(
        aws, slack, tmp_path, HUB_CONFIG, account_id=HUB_ACCOUNT, mode="hub", organization_id=org.id
    )


@pytest.fixture
def app(hub: Harness, monkeypatch: pytest.MonkeyPatch) -> Any:
    module = load_handler("router")
    monkeypatch.setattr(module, "build_service", lambda: hub.service)
    return module


def _forwarded(aws: Any, hub: Harness, bus: str, account: str, alarm: str, *, critical: bool = False) -> str:
    """An alarm of `account` put on its default bus, forwarded by its spoke rule to the hub's bus and by the
    hub's rule to the ingest queue: the body the router's queue holds (its envelope as EventBridge keeps it)."""
    spoke = acting_as(aws, account)
    spoke_rule(spoke, bus)
    event = spoke_alarm_event(account, alarm)
    if critical:
        event["detail"]["configuration"]["description"] = "severity: critical"
    put_alarm_event(spoke, event)
    [delivered] = [m["Body"] for m in hub.receive_all(hub.stack.queue_url)]
    assert json.loads(delivered)["detail"] == event["detail"]  # it crossed: spoke bus -> hub bus -> queue
    return as_eventbridge_forwards(delivered, event)


def _texts() -> list[str]:
    """The texts moto's SNS sent (message id -> (number, text))."""
    return [text for _, text in get_backend("sns")[HUB_ACCOUNT]["us-east-1"].sms_messages.values()]


def _emf(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if '"_aws"' in line]


def test_a_spokes_alarm_reaches_the_hub_and_its_message_names_the_account(
    aws: Any, hub: Harness, org: Organisation, app: Any
) -> None:
    bus = hub_bus(aws, hub.stack)
    prod, sandbox = org.accounts["checkout-prod"], org.accounts["sandbox"]
    bodies = [
        _forwarded(aws, hub, bus, prod, "CheckoutLatency", critical=True),
        _forwarded(aws, hub, bus, sandbox, "Experiment"),
    ]

    assert app.lambda_handler(sqs_event(*bodies), LambdaContext()) == {"batchItemFailures": []}

    # The production account's alarm matched `account_name=~".*-prod"`: its channel, named by Organizations
    [message] = hub.slack.channel_messages("#prod")
    assert message.text.startswith("🔴 CRITICAL · CheckoutLatency")
    assert message.text.endswith("in checkout-prod (us-east-1)")
    fields = [f["text"] for f in message.attachments[0]["blocks"][2]["fields"]]
    assert f"*Where*\ncheckout-prod ({prod}) / us-east-1" in fields
    # and the text paged for it names the account too, not the hub's own label
    assert [t.split(" i-")[0] for t in _texts()] == ["CRIT checkout-prod: CheckoutLatency"]
    # The sandbox's alarm went the default way, named as well
    [other] = hub.slack.channel_messages("#team")
    assert other.text.endswith("in sandbox (us-east-1)")
    assert not hub.receive_all(hub.stack.dlq_url)


def test_an_event_from_outside_the_organisation_is_refused_counted_per_account_and_its_neighbour_delivered(
    aws: Any, hub: Harness, org: Organisation, app: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    bus = hub_bus(aws, hub.stack)
    stranger = _forwarded(aws, hub, bus, STRANGER, "NotOurs")
    member = _forwarded(aws, hub, bus, org.accounts["checkout-prod"], "CheckoutLatency")
    capsys.readouterr()

    assert app.lambda_handler(sqs_event(stranger, member), LambdaContext()) == {"batchItemFailures": []}

    [dead] = hub.receive_all(hub.stack.dlq_url, attributes=True)
    assert dead["Body"] == stranger
    assert dead["MessageAttributes"]["reason"]["StringValue"] == (
        f"'NotOurs' comes from AWS account {STRANGER}, which is not a member of organisation {org.id} "
        "(nor in AllowedSourceAccountIds)"
    )
    assert [m.text.split(" in ")[-1] for m in hub.slack.channel_messages("#prod")] == [
        "checkout-prod (us-east-1)"
    ]
    assert not any("NotOurs" in m.text for m in hub.slack.all_messages())
    emf = _emf(capsys.readouterr().out)
    [refused] = [line for line in emf if "EventsRefused" in line]
    assert refused["EventsRefused"] == [1.0]
    assert (refused["service"], refused["account"]) == ("alertrouter", STRANGER)
    assert refused["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service", "account"]]
    assert any(line.get("RefusedEvents") == [1.0] for line in emf)  # the total, as before


def test_a_standalone_stack_names_accounts_from_its_config_only(
    aws: Any, slack: SlackStandIn, tmp_path: Path, org: Organisation
) -> None:
    # Given the same config on a standalone stack that allows the production account: no Organizations call
    prod = org.accounts["checkout-prod"]
    config = HUB_CONFIG.replace('"123456789012": monitoring', f'"{prod}": named-by-config-prod')
    h = make_harness(aws, slack, tmp_path, config, account_id=HUB_ACCOUNT, allowed_source_account_ids=prod)
    h.service.handle_body(json.dumps(spoke_alarm_event(prod, "CheckoutLatency")))
    [message] = h.slack.channel_messages("#prod")
    assert message.text.endswith("in named-by-config-prod (us-east-1)")
    assert h.service.accounts.organizations is None


class ThrottledOrganizations:
    """AWS Organizations answering every DescribeAccount with its throttling error, as botocore raises it."""

    def describe_account(self, **kwargs: Any) -> Any:
        error = {"Error": {"Code": "TooManyRequestsException", "Message": "AWS Organizations can't complete"}}
        raise ClientError(error, "DescribeAccount")


def test_a_throttled_organisation_hands_the_record_back_to_be_retried_never_refused(
    aws: Any, hub: Harness, org: Organisation, app: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    bus = hub_bus(aws, hub.stack)
    body = _forwarded(aws, hub, bus, org.accounts["checkout-prod"], "CheckoutLatency")
    organizations = hub.service.accounts.organizations
    hub.service.accounts.organizations = ThrottledOrganizations()

    assert app.lambda_handler(sqs_event(body), LambdaContext()) == {
        "batchItemFailures": [{"itemIdentifier": "m-0"}]
    }
    assert not hub.receive_all(hub.stack.dlq_url) and not hub.slack.all_messages()
    assert any(line.get("AccountLookupRetries") == [1.0] for line in _emf(capsys.readouterr().out))

    # When Organizations answers again, the retried record is delivered, named
    hub.service.accounts.organizations = organizations
    assert app.lambda_handler(sqs_event(body), LambdaContext()) == {"batchItemFailures": []}
    [message] = hub.slack.channel_messages("#prod")
    assert message.text.endswith("in checkout-prod (us-east-1)")


def test_garbage_from_a_spoke_is_kept_in_the_dlq_with_its_reason_and_counted_for_that_account(
    aws: Any, hub: Harness, org: Organisation, app: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a member's alarm event whose detail is broken (no state), beside a good one
    prod = org.accounts["checkout-prod"]
    broken = spoke_alarm_event(prod, "Broken")
    del broken["detail"]["state"]
    good = json.dumps(spoke_alarm_event(prod, "CheckoutLatency"))
    capsys.readouterr()

    assert app.lambda_handler(sqs_event(json.dumps(broken), good), LambdaContext()) == {
        "batchItemFailures": []
    }

    [dead] = hub.receive_all(hub.stack.dlq_url, attributes=True)
    assert json.loads(dead["Body"]) == broken and dead["MessageAttributes"]["reason"]["StringValue"]
    [refused] = [line for line in _emf(capsys.readouterr().out) if "EventsRefused" in line]
    assert (refused["account"], refused["EventsRefused"]) == (prod, [1.0])
    assert [m.text.split(" · ")[1].split(" on ")[0] for m in hub.slack.channel_messages("#prod")] == [
        "CheckoutLatency"
    ]

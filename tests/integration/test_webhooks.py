"""Webhooks fed Alertmanager's webhook JSON, through the router's Lambda handler on moto, a loopback webhook
stand-in and the Slack stand-in: retried within the flush, a failure recorded in the group and healed later with
the current state, a crash between webhooks never resending, and a webhook that is down never holding up Slack or
SMS. The read cost of a webhook flush is measured here too."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alertrouter.models.webhook import WebhookTarget
from support.dynamodb_capacity import CapacityMeter, moto_backend_reader
from support.events import alarm_body
from support.harness import RouterStack, drain_scheduled, emf_lines, make_harness, sms_sent, top_level
from support.slack_standin import SlackStandIn
from support.webhook_standin import WebhookStandIn

pytestmark = pytest.mark.integration
TOKEN_QUERY = "api-version=1&sig=s3cr3tSIGNATURE"  # as a Teams workflow URL carries its token


@pytest.fixture
def hooks() -> Iterator[WebhookStandIn]:
    with WebhookStandIn(timeout_delay=1.0) as standin:
        yield standin


def config(*webhooks: str, sms: bool = False) -> str:
    entries = "".join(f"      - {w}\n" for w in webhooks)
    return (
        "route:\n  receiver: team\n  group_by: [alertname]\n  group_wait: 0s\n  send_changes: at_once\n"
        "  repeat_interval: 4h\nreceivers:\n  - name: team\n    slack: [{channel: '#team'}]\n"
        + ("    sms: [oncall-primary]\n    sms_severities: [warning, critical]\n" if sms else "")
        + "    webhook_configs:\n"
        + entries
    )


def stack_for(
    text: str, aws: Any, slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> RouterStack:
    return RouterStack(make_harness(aws, slack, tmp_path, text), monkeypatch)


def group_item(stack: RouterStack) -> Any:
    [group] = [g for g in _groups(stack)]
    return group


def _groups(stack: RouterStack) -> list[Any]:
    table = stack.h.session.client("dynamodb")
    items = table.scan(TableName=stack.h.stack.table_name)["Items"]
    keys = [i["key"]["S"] for i in items if i["sk"]["S"] == "GROUP"]
    return [stack.h.service.router.stores.groups.get_group(k) for k in keys]


def logs_of(log_lines: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log_lines.getvalue().splitlines() if line.startswith("{")]


@pytest.mark.parametrize("fault", ["500", "429", "timeout"])
def test_a_webhook_that_fails_for_a_moment_is_tried_again_within_the_flush(
    aws: Any,
    slack: SlackStandIn,
    hooks: WebhookStandIn,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fault: str,
) -> None:
    stack = stack_for(config(f"{{url: '{hooks.url()}', timeout: 500ms}}"), aws, slack, tmp_path, monkeypatch)
    hooks.fail(2, fault)
    # When an alarm fires, Then the webhook gets the message on its third try, within the same flush
    assert stack.send(alarm_body(ts="2024-05-01T10:00:00.000+0000")) == {"batchItemFailures": []}
    assert hooks.tries() == ([0, 0, 200] if fault == "timeout" else [int(fault), int(fault), 200])
    [message] = hooks.taken()
    assert message["version"] == "4" and message["status"] == "firing" and message["receiver"] == "team"
    assert [a["labels"]["alertname"] for a in message["alerts"]] == ["ServerCpuTooHigh"]
    assert message["alerts"][0]["endsAt"] == "0001-01-01T00:00:00Z"
    assert hooks.posts[-1].headers["User-Agent"].startswith("AlertRouter/")
    # and the retries are counted, nothing is recorded as failing, nothing is scheduled
    assert any(
        line.get("WebhookRetries") == [2.0] and line.get("WebhooksSent") == [1.0]
        for line in emf_lines(capsys)
    )
    assert (
        group_item(stack).webhooks.failed == {} and stack.scheduled(hops=False) == []
    )  # (only the repeat_interval look, hours away)


def test_a_refused_webhook_is_recorded_and_later_gets_the_current_state_once(
    aws: Any,
    slack: SlackStandIn,
    hooks: WebhookStandIn,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    log_lines: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = hooks.url("/hook", TOKEN_QUERY)
    stack = stack_for(config(f"{{url: '{url}'}}"), aws, slack, tmp_path, monkeypatch)
    [hook] = stack.h.service.router.config.receivers[0].webhook_configs
    h = stack.h
    hooks.fail(1, "400")
    # When an alarm fires and the webhook refuses it (a 400: not tried again), Then Slack has it all the same
    assert stack.send(alarm_body(ts="2024-05-01T10:00:00.000+0000")) == {"batchItemFailures": []}
    assert hooks.tries() == [400] and len(top_level(slack, "#team")) == 1 and stack.dlq() == []
    # and the failure is kept in the group (DynamoDB), logged with the status and the body, never the URL's token
    failure = group_item(stack).webhooks.failed[hook.id]
    assert (failure.error, failure.tries) == ("http_400", 1) and hook.id not in group_item(
        stack
    ).webhooks.done
    [failed] = [line for line in logs_of(log_lines) if line["message"] == "webhook failed"]
    assert failed["level"] == "ERROR" and failed["cause"] == "http_400"
    assert failed["reason"] == "HTTP 400: Bad Request: missing field 'text'" and failed["to"] == hook.label
    assert "s3cr3t" not in log_lines.getvalue() and "/hook" not in log_lines.getvalue()
    assert any(line.get("WebhookFailures") == [1.0] for line in emf_lines(capsys))
    # and the group is looked at again a minute later
    [(retry, delay)] = stack.scheduled(hops=False)
    assert retry["kind"] == "alertrouter.flush" and 59 <= delay <= 61
    # When the alarm repeats while the webhook is still refusing, Then it is not asked again within the minute
    h.clock.advance(20)
    stack.send(alarm_body(ts="2024-05-01T10:01:00.000+0000"))
    assert hooks.tries() == [400]
    # When the look comes and the webhook is fixed, Then it gets the group's current state, once
    h.clock.advance(60)
    stack.send(json.dumps(retry))
    assert hooks.tries() == [400, 200]
    [healed] = hooks.taken()
    assert healed["status"] == "firing" and len(healed["alerts"]) == 1
    assert hooks.posts[-1].query == TOKEN_QUERY  # (sent to the URL as configured, token and all)
    assert (
        group_item(stack).webhooks.failed == {} and stack.scheduled(hops=False) == []
    )  # (only the repeat_interval look, hours away)
    kinds = [e["kind"] for e in h.service.router.stores.history.history(group_item(stack).key)]
    assert kinds.count("webhook_failed") == 1 and kinds.count("webhook_healed") == 1
    # When the alarm resolves, Then the webhook hears it, once
    h.clock.advance(30)
    stack.send(alarm_body(state="OK", ts="2024-05-01T10:20:00.000+0000"))
    assert [m["status"] for m in hooks.taken()] == ["firing", "resolved"]
    assert hooks.taken()[-1]["alerts"][0]["endsAt"] == "2024-05-01T10:20:00Z"


def test_a_crash_between_two_webhooks_never_resends_the_first(
    aws: Any, slack: SlackStandIn, hooks: WebhookStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = stack_for(
        config(f"{{url: '{hooks.url('/one')}'}}", f"{{url: '{hooks.url('/two')}'}}"),
        aws,
        slack,
        tmp_path,
        monkeypatch,
    )
    client = stack.h.service.router.env.webhooks
    assert client is not None
    real = client.send
    crashes = ["/two"]

    def dies_before_two(target: WebhookTarget, message: dict[str, Any]) -> int:
        if crashes and target.url.endswith(crashes[0]):
            crashes.clear()
            raise RuntimeError("the Lambda died")  # as if the process ended between the two
        return real(target, message)

    monkeypatch.setattr(client, "send", dies_before_two)
    body = alarm_body(ts="2024-05-01T10:00:00.000+0000")
    # When the flush dies after the first webhook, Then the record is handed back for SQS to retry
    assert stack.send(body) == {"batchItemFailures": [{"itemIdentifier": "m-0"}]}
    assert len(hooks.taken("/one")) == 1 and hooks.taken("/two") == []
    # When SQS delivers it again, Then the second webhook is sent, the first is not sent again
    stack.h.clock.advance(5)
    assert stack.send(body) == {"batchItemFailures": []}
    assert len(hooks.taken("/one")) == 1 and len(hooks.taken("/two")) == 1
    assert len(top_level(slack, "#team")) == 1


def test_a_webhook_that_is_down_never_holds_up_slack_or_sms(
    aws: Any, slack: SlackStandIn, hooks: WebhookStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = stack_for(
        config(
            f"{{url: '{hooks.url('/down')}', timeout: 500ms}}", f"{{url: '{hooks.url('/up')}'}}", sms=True
        ),
        aws,
        slack,
        tmp_path,
        monkeypatch,
    )
    hooks.fail(100, "500", "/down")
    started = time.monotonic()
    # When an alarm fires while one webhook answers 500 to everything
    assert stack.send(alarm_body(ts="2024-05-01T10:00:00.000+0000")) == {"batchItemFailures": []}
    # Then Slack and SMS went out, the other webhook too, and the flush gave up on the one that is down in time
    assert len(top_level(slack, "#team")) == 1 and len(sms_sent()) == 1 and len(hooks.taken("/up")) == 1
    assert hooks.tries("/down") == [500] * 4 and time.monotonic() - started < 10
    [hook_down, _] = stack.h.service.router.config.receivers[0].webhook_configs
    assert group_item(stack).webhooks.failed[hook_down.id].error == "http_500" and stack.dlq() == []


def test_a_webhook_url_kept_in_secrets_manager_is_read_from_there(
    aws: Any,
    slack: SlackStandIn,
    hooks: WebhookStandIn,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    log_lines: Any,
) -> None:
    aws.client("secretsmanager").create_secret(
        Name="alertrouter/webhook/teams", SecretString=hooks.url("/teams", TOKEN_QUERY)
    )
    aws.client("secretsmanager").create_secret(Name="alertrouter/webhook/teams-token", SecretString="t0ken")
    auth = "http_config: {authorization: {credentials_secret: alertrouter/webhook/teams-token}}"
    stack = stack_for(
        config(f"{{url_secret: alertrouter/webhook/teams, {auth}}}"), aws, slack, tmp_path, monkeypatch
    )
    stack.send(alarm_body(ts="2024-05-01T10:00:00.000+0000"))
    [post] = hooks.posts
    assert (
        post.path == "/teams"
        and post.query == TOKEN_QUERY
        and post.headers["Authorization"] == "Bearer t0ken"
    )
    assert "webhook sent" in log_lines.getvalue() and "t0ken" not in log_lines.getvalue()


@pytest.mark.parametrize(("webhooks", "max_alerts", "read"), [(1, 0, 20), (3, 0, 20), (2, 5, 5)])
def test_the_read_cost_of_a_webhook_flush_is_one_unit_per_alert_sent_in_one_batched_read(
    aws: Any,
    slack: SlackStandIn,
    hooks: WebhookStandIn,
    tmp_path: Path,
    webhooks: int,
    max_alerts: int,
    read: int,
) -> None:
    # Given a group of 20 alerts waiting for its first flush (group_wait), and its receiver's webhooks
    entries = "".join(
        f"      - {{url: '{hooks.url(f'/h{i}')}', max_alerts: {max_alerts}}}\n" for i in range(webhooks)
    )
    text = config().replace(
        "group_by: [alertname]\n  group_wait: 0s", "group_by: [region]\n  group_wait: 30s"
    )
    h = make_harness(aws, slack, tmp_path, text + entries)
    for i in range(20):
        h.service.handle_body(alarm_body(name=f"Alarm{i:02d}", ts=f"2024-05-01T10:00:{i:02d}.000+0000"))
    assert hooks.posts == []
    meter = CapacityMeter(aws, now_ms=h.clock, read_item=moto_backend_reader()).attach(
        h.service.clients.dynamodb
    )
    # When the flush comes
    h.clock.advance(30)
    drain_scheduled(h)
    # Then every webhook got its message, and the alerts' labels and annotations were read once for all of them:
    # one BatchGetItem of the alerts sent, one read unit each (a consistent read of an item under 4 KB)
    assert [len(hooks.taken(f"/h{i}")[0]["alerts"]) for i in range(webhooks)] == [max_alerts or 20] * webhooks
    assert meter.calls["BatchGetItem"] == 1 and meter.by_operation["BatchGetItem"].read == read

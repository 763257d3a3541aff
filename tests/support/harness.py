"""The router's own service object on local AWS (moto: resources made from template.yaml) and the Slack
stand-in, with a hand-moved clock (Harness); the same with the router's Lambda handler and the ops topic
(RouterStack); what the tests hand them (SQS batches as Lambda delivers them) and read back."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest
from moto.backends import get_backend

from alertrouter.aws import Clients, SecretCache
from alertrouter.composition.router import compose, slack_token
from alertrouter.models.settings import Settings
from alertrouter.notify.slack import SlackClient
from alertrouter.notify.webhook import WebhookClient
from alertrouter.service import RouterService
from support.clock import AFTER_SAMPLE_EVENTS, Clock
from support.events import alarm_body
from support.handlers import load_handler
from support.local_aws import LocalStack, deploy
from support.slack_standin import SlackStandIn

FAST_CONFIG = """
route:
  receiver: team
  group_by: [alertname, account, region]
  group_wait: 0s
  send_changes: at_once
  repeat_interval: 4h
  routes:
    - matchers: ['severity="critical"']
      receiver: pager
receivers:
  - name: team
    slack: [{channel: "#team"}]
  - name: pager
    slack: [{channel: "#oncall"}]
    sms: [oncall-primary]
"""

# The Batch storm's routing (tests/integration/test_batch_storm.py, bench/capacity_bench.py): failed jobs grouped
# by queue and job definition, resolved an hour after the last failure.
BATCH_STORM_CONFIG = """
route:
  receiver: team
  group_by: [alertname, account, region]
  group_wait: 30s
  group_interval: 2m
  routes:
    - matchers: ['source="batch"']
      receiver: batch
      group_by: [alertname, account, region, queue, job_definition]
      resolve_timeout: 1h
receivers:
  - name: team
    slack: [{channel: "#team"}]
  - name: batch
    slack: [{channel: "#batch"}]
"""


@dataclass
class Harness:
    service: RouterService
    slack: SlackStandIn
    stack: LocalStack
    session: Any
    clock: Clock
    sleeps: list[float] = field(default_factory=list)

    @property
    def sqs(self) -> Any:
        return self.session.client("sqs")

    def receive_all(self, queue_url: str, *, attributes: bool = False) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while True:
            got = self.sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=0,
                MessageAttributeNames=["All"] if attributes else [],
            )
            messages = got.get("Messages", [])
            if not messages:
                return out
            for m in messages:
                self.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
            out.extend(messages)


def queued(harness: Harness, queue_url: str, *, take: bool = True) -> list[tuple[str, float]]:
    """Bodies on a moto queue, delayed ones included, each with the delay (s) it was sent with: the
    DelaySeconds the router asked for, however long the test took since (the seconds left before it is
    visible would shrink with the machine's load). take=False leaves them on the queue."""

    name = queue_url.rsplit("/", 1)[-1]
    queue: Any = get_backend("sqs")["123456789012"]["us-east-1"].queues[name]  # its messages' private list
    # moto keeps both in ms: delayed_until = a moment after the send's timestamp + whole DelaySeconds (0: none)
    found = [(m.body, max(0.0, float((m.delayed_until - m.sent_timestamp) // 1000))) for m in queue._messages]
    if take:
        queue._messages.clear()
    return found


def drop_hops(harness: Harness, queue_url: str) -> int:
    """Take off a moto queue the messages sent with SQS's longest delay (each firing group's repeat_interval
    look, hours away, in 15-minute hops): moto scans every message at each receive, so a test of a thousand
    groups would slow with the square of them. How many were taken."""
    name = queue_url.rsplit("/", 1)[-1]
    queue: Any = get_backend("sqs")["123456789012"]["us-east-1"].queues[name]
    kept = [m for m in queue._messages if (m.delayed_until - m.sent_timestamp) // 1000 < 900]
    taken = len(queue._messages) - len(kept)
    queue._messages[:] = kept
    return taken


def messages_left(queue_url: str) -> int:
    """Every message on a moto queue, visible, in flight or delayed, counted at one moment: whether a drain is
    over. (SQS's Approximate* counts are each taken at their own moment, moto's too: a message whose delay or
    visibility timeout ends between two of them is in none, and a drain that trusted them ends early.)"""
    name = queue_url.rsplit("/", 1)[-1]
    return len(get_backend("sqs")["123456789012"]["us-east-1"].queues[name]._messages)


def make_harness(
    session: Any,
    slack: SlackStandIn,
    tmp_path: Path,
    config_text: str = FAST_CONFIG,
    existing: Harness | None = None,
    *,
    account_id: str = "",
    allowed_source_account_ids: str = "",
    stack: LocalStack | None = None,
    mute_rules: bool = False,
    mode: Literal["standalone", "spoke", "hub"] = "standalone",
    organization_id: str = "",
    **slack_kwargs: Any,
) -> Harness:
    """A RouterService on moto and the stand-in; `existing` reuses its AWS resources (a redeploy), `stack`
    uses the given ones (a second stack beside the first). Without `account_id` the router serves alarms of
    any account (as a local run does). `mute_rules`: MuteRulesForSnsAlarms on (its CloudWatch client goes
    where AWS_ENDPOINT_URL_CLOUDWATCH says: moto has no mute rules). `mode="hub"`: accounts are named and
    (with `organization_id`) admitted by moto's AWS Organizations."""
    stack = stack or (existing.stack if existing else deploy(session))
    tmp_path.mkdir(parents=True, exist_ok=True)
    config = tmp_path / "routing.yaml"
    config.write_text(config_text)
    settings = Settings(
        table_name=stack.table_name,
        ingest_queue_url=stack.queue_url,
        storm_queue_url=stack.storm_queue_url,
        dlq_url=stack.dlq_url,
        slack_token_secret=stack.slack_secret,
        sms_numbers_secret=stack.sms_secret,
        routing_config_path=str(config),
        account_label="test",
        slack_api_url=slack.url,
        account_id=account_id,
        allowed_source_account_ids=allowed_source_account_ids,
        mute_rules_for_sns_alarms=mute_rules,
        mode=mode,
        organization_id=organization_id,
    )
    clock = Clock(AFTER_SAMPLE_EVENTS)
    clients = Clients(session)
    sleeps: list[float] = []
    token = slack_token(settings, SecretCache(lambda: clients.secretsmanager))  # as the router reads it

    def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(min(seconds, 1.1))  # the stand-in checks Retry-After in real time

    options = {"timeout": (1.0, 0.3), "min_interval": 0.0, "sleep": fake_sleep, **slack_kwargs}
    # webhooks read their secrets as the router does; their backoff is recorded, barely waited
    secrets = SecretCache(lambda: clients.secretsmanager)

    def webhook_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(min(seconds, 0.05))

    webhooks = WebhookClient(secrets.get, sleep=webhook_sleep)
    service = compose(
        settings, clients, slack=SlackClient(token, slack.url, **options), webhooks=webhooks, now_ms=clock
    )
    return Harness(service=service, slack=slack, stack=stack, session=session, clock=clock, sleeps=sleeps)


def drain_scheduled(h: Harness, spacing_ms: int = 0) -> None:
    """Deliver the router's own delayed messages (flushes, expiries) that are on the queue, early ones too,
    until the queue holds only what the last round sent on unchanged: a message that is not due yet comes
    back as it was (the router sends it on for the rest of its wait), and delivering it again at the same
    moment of the clock would only send it on again; it stays on the queue for the next drain.
    `spacing_ms`: the clock moves on by that much per message, as a worker takes them one after another
    (what a capacity meter on the test's clock needs to see DynamoDB's per-second limits as a lane meets them)."""
    delivered: list[str] = []
    for _ in range(20):
        waiting = sorted(body for body, _ in queued(h, h.stack.queue_url, take=False))
        if not waiting or waiting == delivered:
            return
        bodies = queued(h, h.stack.queue_url)
        for body, _ in bodies:
            h.clock.ms += spacing_ms
            h.service.handle_body(body)
        delivered = sorted(body for body, _ in bodies)


class LambdaContext:
    function_name, memory_limit_in_mb, aws_request_id = "router", 512, "req-1"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:router"


def sqs_event(*bodies: str) -> dict[str, Any]:
    """An SQS batch as Lambda delivers it."""
    return {
        "Records": [
            {
                "messageId": f"m-{i}",
                "receiptHandle": f"rh-{i}",
                "body": body,
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:alertrouter-local-ingest",
                "awsRegion": "us-east-1",
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "0",
                    "SenderId": "x",
                    "ApproximateFirstReceiveTimestamp": "0",
                },
                "messageAttributes": {},
                "md5OfBody": "",
            }
            for i, body in enumerate(bodies)
        ]
    }


def fire(harness: Harness, minute: int = 0, **kwargs: Any) -> None:
    harness.service.handle_body(alarm_body(ts=f"2024-05-01T10:{minute:02d}:00.000+0000", **kwargs))


class RouterStack:
    """The harness with the router's Lambda handler wired to it, and the stack's ops topic read by a queue."""

    def __init__(self, harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
        self.h = harness
        for channel in ("#broken", "#healthy", "#fallback"):  # the workspace has them (the stand-in makes
            harness.slack.channel_id(channel)  # a channel on first use)
        sns, sqs = harness.session.client("sns"), harness.sqs
        topic = sns.create_topic(Name="alertrouter-local-ops")["TopicArn"]
        self.ops_queue = sqs.create_queue(QueueName="ops-inbox")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=self.ops_queue, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        old = harness.service
        settings = old.settings.model_copy(update={"ops_topic_arn": topic})
        harness.service = compose(
            settings,
            Clients(harness.session),
            slack=old.router.slack,
            webhooks=old.router.env.webhooks,
            now_ms=harness.clock,
        )
        self.app = load_handler("router")
        monkeypatch.setattr(self.app, "build_service", lambda: harness.service)

    def send(self, *bodies: str) -> dict[str, Any]:
        result: dict[str, Any] = self.app.lambda_handler(sqs_event(*bodies), LambdaContext())
        return result

    def scheduled(self, *, hops: bool = True) -> list[tuple[dict[str, Any], float]]:
        """The flushes the router scheduled on its own queue (taken off it), with their delays. hops=False
        leaves out the 15-minute hops of a look hours away (each firing group's repeat_interval look)."""
        found = [(json.loads(body), delay) for body, delay in queued(self.h, self.h.stack.queue_url)]
        return [(body, delay) for body, delay in found if hops or delay < 900]

    def run_scheduled(self) -> list[dict[str, Any]]:
        """Deliver every scheduled flush now (the clock moved past their delays); returns them."""
        flushes = [body for body, _ in self.scheduled()]
        if flushes:
            assert self.send(*[json.dumps(f) for f in flushes]) == {"batchItemFailures": []}
        return flushes

    def ops_pages(self) -> list[str]:
        return [json.loads(m["Body"])["Message"] for m in self.h.receive_all(self.ops_queue)]

    def dlq(self) -> list[dict[str, Any]]:
        return self.h.receive_all(self.h.stack.dlq_url)


def emf_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]


def sms_sent() -> list[str]:
    return [v[1] for v in get_backend("sns")["123456789012"]["us-east-1"].sms_messages.values()]


def top_level(slack: SlackStandIn, channel: str) -> list[Any]:
    return slack.channel_messages(channel)

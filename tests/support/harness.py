"""The router's own service object on local AWS (moto: resources made from template.yaml) and the Slack
stand-in, with a hand-moved clock, and what the tests hand it: SQS batches as Lambda delivers them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alertrouter.aws import Clients
from alertrouter.models.settings import Settings
from alertrouter.notify.slack import SlackClient
from alertrouter.service import RouterService
from support.clock import AFTER_SAMPLE_EVENTS, Clock
from support.local_aws import LocalStack, deploy
from support.slack_standin import SlackStandIn

FAST_CONFIG = """
route:
  receiver: team
  group_by: [alertname, account, region]
  group_wait: 0s
  group_interval: 0s
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
    from moto.backends import get_backend

    name = queue_url.rsplit("/", 1)[-1]
    queue = get_backend("sqs")["123456789012"]["us-east-1"].queues[name]
    # moto keeps both in ms: delayed_until = a moment after the send's timestamp + whole DelaySeconds (0: none)
    found = [(m.body, max(0.0, float((m.delayed_until - m.sent_timestamp) // 1000))) for m in queue._messages]
    if take:
        queue._messages.clear()
    return found


def make_harness(
    session: Any,
    slack: SlackStandIn,
    tmp_path: Path,
    config_text: str = FAST_CONFIG,
    existing: Harness | None = None,
    *,
    account_id: str = "",
    allowed_source_account_ids: str = "",
    **slack_kwargs: Any,
) -> Harness:
    """A RouterService on moto and the stand-in; `existing` reuses its AWS resources (a redeploy).
    Without `account_id` the router serves alarms of any account (as a local run does)."""
    stack = existing.stack if existing else deploy(session)
    tmp_path.mkdir(parents=True, exist_ok=True)
    config = tmp_path / "routing.yaml"
    config.write_text(config_text)
    settings = Settings(
        table_name=stack.table_name,
        ingest_queue_url=stack.queue_url,
        dlq_url=stack.dlq_url,
        slack_token_secret=stack.slack_secret,
        sms_numbers_secret=stack.sms_secret,
        routing_config_path=str(config),
        account_label="test",
        slack_api_url=slack.url,
        account_id=account_id,
        allowed_source_account_ids=allowed_source_account_ids,
    )
    clock = Clock(AFTER_SAMPLE_EVENTS)
    clients = Clients(session)
    sleeps: list[float] = []
    service_holder: dict[str, RouterService] = {}

    def token() -> str:
        return service_holder["s"]._slack_token()

    def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(min(seconds, 1.1))  # the stand-in checks Retry-After in real time

    options = {"timeout": (1.0, 0.3), "min_interval": 0.0, "sleep": fake_sleep, **slack_kwargs}
    service = RouterService(settings, clients, slack=SlackClient(token, slack.url, **options), now_ms=clock)
    service_holder["s"] = service
    return Harness(service=service, slack=slack, stack=stack, session=session, clock=clock, sleeps=sleeps)


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

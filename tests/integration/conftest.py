"""Integration fixtures: moto for AWS (resources made from template.yaml), the Slack stand-in on loopback,
and the real RouterService wired to both, with a controllable clock."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from alertrouter.aws import Clients
from alertrouter.models.settings import Settings
from alertrouter.notify.slack import SlackClient
from alertrouter.service import RouterService
from local_aws import LocalStack, deploy
from slack_standin import SlackStandIn

ROOT = Path(__file__).resolve().parents[2]

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
class Clock:
    ms: int = 1_767_225_600_000  # 2026-01-01: after the sample events (ones dated ahead of it are refused)

    def __call__(self) -> int:
        return self.ms

    def advance(self, seconds: float) -> None:
        self.ms += int(seconds * 1000)


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


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Everything the alertrouter loggers write during the test."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("alertrouter")
    handler.setFormatter(logger.handlers[0].formatter)  # Powertools' JSON formatter, extras included
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield boto3.session.Session(region_name="us-east-1")


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(timeout_delay=0.6) as standin:
        yield standin


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
    clock = Clock()
    clients = Clients(session)
    sleeps: list[float] = []
    service_holder: dict[str, RouterService] = {}

    def token() -> str:
        return service_holder["s"]._slack_token()

    def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        import time

        time.sleep(min(seconds, 1.1))  # the stand-in checks Retry-After in real time

    options = {"timeout": (1.0, 0.3), "min_interval": 0.0, "sleep": fake_sleep, **slack_kwargs}
    service = RouterService(settings, clients, slack=SlackClient(token, slack.url, **options), now_ms=clock)
    service_holder["s"] = service
    return Harness(service=service, slack=slack, stack=stack, session=session, clock=clock, sleeps=sleeps)


@pytest.fixture
def harness(aws: Any, slack: SlackStandIn, tmp_path: Path) -> Harness:
    return make_harness(aws, slack, tmp_path)


class LambdaContext:
    function_name, memory_limit_in_mb, aws_request_id = "router", 512, "req-1"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:router"


@pytest.fixture
def app(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The real router handler module, its service wired to the harness (moto + Slack stand-in)."""
    import importlib

    from alertrouter import handler

    module = importlib.import_module("router.app")
    monkeypatch.setattr(module, "build_service", lambda: harness.service)
    monkeypatch.setattr(handler, "build_service", lambda: harness.service)
    return module


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


def alarm_body(
    name: str = "ServerCpuTooHigh",
    state: str = "ALARM",
    ts: str = "2024-05-01T10:00:00.000+0000",
    severity: str | None = None,
    instance: str = "i-0abc",
) -> str:
    """An EventBridge CloudWatch alarm event, from the reference event, with the given state and time."""
    event = json.loads(
        (ROOT / "events" / "eventbridge_cw_alarm_state_change_single_metric_ALARM_awsdocs.json").read_text()
    )
    event["detail"]["alarmName"] = name
    event["resources"] = [f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}"]
    event["detail"]["state"]["value"] = state
    event["detail"]["state"]["timestamp"] = ts
    event["detail"]["configuration"]["metrics"][0]["metricStat"]["metric"]["dimensions"] = {
        "InstanceId": instance
    }
    if severity:
        event["detail"]["alarmTags"] = {"severity": severity}
    return json.dumps(event)

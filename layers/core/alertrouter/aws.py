"""AWS access for the router: botocore clients made on first use, and a small secret cache.

botocore, not boto3: boto3's client() is botocore's create_client(), but `import boto3` also imports
s3transfer, about 35 ms of every cold start for nothing the router uses (bench/run.py measures it).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import botocore.session
from botocore.config import Config

from alertrouter.notify.base import NotifyError
from alertrouter.own_messages import OwnMessage

if TYPE_CHECKING:  # the boto3-stubs types: for mypy only, never imported at a cold start
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

# Every AWS call has a deadline well inside the Lambda's; throttling is retried with backoff (standard mode).
# `total_max_attempts` counts the first try (botocore's `max_attempts` would count retries only: one more).
# Worst case per call: 3 x (2 s + 5 s) = 21 s, inside the router's 30 s margin (handler.MIN_REMAINING_MS).
CLIENT_CONFIG = Config(
    connect_timeout=2, read_timeout=5, retries={"mode": "standard", "total_max_attempts": 3}
)
# Slack waits 3 s for a click's answer: one quick try (the click can be repeated; nothing is half done).
INTERACTIVE_CONFIG = Config(
    connect_timeout=1, read_timeout=1.5, retries={"mode": "standard", "total_max_attempts": 1}
)
# A lookup that must never hold an alert up (the CloudWatch mute rules): one quick try, nothing retried.
LOOKUP_CONFIG = Config(
    connect_timeout=1, read_timeout=2, retries={"mode": "standard", "total_max_attempts": 1}
)

SECRET_MAX_AGE_S = 300


class Clients:
    """The process's AWS clients, each created on first use. Tests and the demo pass their own session."""

    def __init__(self, session: Any | None = None, config: Config = CLIENT_CONFIG) -> None:
        # a botocore Session (create_client) or a boto3 Session (client): both make the same clients
        self.session: Any = session if session is not None else botocore.session.get_session()
        self.config = config
        self._made: dict[str, Any] = {}
        self._lock = threading.Lock()

    def client(self, name: str, region: str | None = None) -> Any:
        """The client of a service, made once; in another region when `region` is given (an SLO may name one)."""
        key = f"{name}@{region}" if region else name
        made = self._made.get(key)
        if made is None:
            with self._lock:
                made = self._made.get(key)
                if made is None:
                    create = getattr(self.session, "create_client", None) or self.session.client
                    where = {"region_name": region} if region else {}
                    made = self._made[key] = create(name, config=self.config, **where)
        return made

    @property
    def dynamodb(self) -> DynamoDBClient:
        return cast("DynamoDBClient", self.client("dynamodb"))

    @property
    def sqs(self) -> SQSClient:
        return cast("SQSClient", self.client("sqs"))

    @property
    def sns(self) -> SNSClient:
        return cast("SNSClient", self.client("sns"))

    @property
    def secretsmanager(self) -> SecretsManagerClient:
        return cast("SecretsManagerClient", self.client("secretsmanager"))


class QueueSender:
    """Hands a message to the router's own queue (as JSON): what the escalator and the Slack interactions
    enqueue the router's work with."""

    def __init__(self, sqs: SQSClient, queue_url: str) -> None:
        self.sqs = sqs
        self.queue_url = queue_url

    def send(self, message: OwnMessage) -> None:
        self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=message.encode())


class EventSender:
    """Puts the stack's own EventBridge-shaped events (heartbeats) on the router's queue, as JSON: what the
    router's parsers take only straight from its queue."""

    def __init__(self, sqs: SQSClient, queue_url: str, *, account: str = "", region: str = "") -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.account, self.region = account, region  # the stack's: where the alert says it is

    def send(self, event: dict[str, Any]) -> None:
        stamped = {
            **event,
            "account": event.get("account") or self.account,
            "region": event.get("region") or self.region,
        }
        self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=json.dumps(stamped))


class SecretCache:
    """Secrets Manager values kept for max_age seconds (what Powertools' SecretsProvider does, without
    the boto3 import its module makes at load)."""

    def __init__(
        self,
        client: Callable[[], SecretsManagerClient],
        max_age_s: float = SECRET_MAX_AGE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self.max_age_s = max_age_s
        self.clock = clock
        self._values: dict[str, tuple[float, str]] = {}

    def get(self, name: str) -> str:
        cached = self._values.get(name)
        now = self.clock()
        if cached is not None and now - cached[0] < self.max_age_s:
            return cached[1]
        value = str(self._client().get_secret_value(SecretId=name)["SecretString"])
        self._values[name] = (now, value)
        return value

    def get_json(self, name: str) -> Any:
        return json.loads(self.get(name))

    def sms_numbers(self, name: str) -> dict[str, str]:
        """The SMS numbers secret: a JSON object of recipient name -> E.164 number."""
        numbers = self.get_json(name)
        if not isinstance(numbers, dict):
            raise NotifyError(
                "the SMS numbers secret must be a JSON object of name -> number", retryable=False
            )
        return {str(k): str(v) for k, v in numbers.items()}

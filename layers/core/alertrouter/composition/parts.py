"""Pieces several functions are wired with: the router's queue, the Slack client and the SMS notifier."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from alertrouter.aws import Clients, QueueSender, SecretCache
from alertrouter.notify.slack import SlackClient
from alertrouter.notify.sms import SmsNotifier
from alertrouter.own_messages import OwnMessage


def router_queue(clients: Clients, queue_url: str) -> Callable[[OwnMessage], None] | None:
    """What hands work to the router's queue; None where the function is given no queue."""
    return QueueSender(clients.sqs, queue_url).send if queue_url else None


def router_events(clients: Clients, queue_url: str) -> Callable[[dict[str, Any]], None] | None:
    """What puts the stack's own EventBridge-shaped events (heartbeats) on the router's queue; None where the
    function is given no queue."""
    if not queue_url:
        return None

    def send(event: dict[str, Any]) -> None:
        clients.sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(event))

    return send


def slack_client(secrets: SecretCache, token_secret: str, api_url: str, **options: Any) -> SlackClient:
    """A Slack client reading its token from Secrets Manager (cached) at each use."""
    return SlackClient(lambda: secrets.get(token_secret), api_url, **options)


def sms_notifier(clients: Clients, secrets: SecretCache, numbers_secret: str) -> SmsNotifier | None:
    """SMS through SNS to the numbers of the secret; None when no numbers secret is configured."""
    if not numbers_secret:
        return None
    return SmsNotifier(clients.sns, lambda: secrets.sms_numbers(numbers_secret))

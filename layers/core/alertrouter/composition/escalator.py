"""The escalator function's object graph."""

from __future__ import annotations

import time
from functools import lru_cache

from alertrouter.aws import Clients, EventSender, SecretCache
from alertrouter.composition.parts import router_queue, slack_client, sms_notifier
from alertrouter.escalate import Escalator
from alertrouter.heartbeat_metrics import MetricSignals
from alertrouter.heartbeats import HeartbeatSweep
from alertrouter.models.settings import EscalatorSettings
from alertrouter.store.dynamodb import DynamoDBStore


@lru_cache(maxsize=1)
def build_escalator() -> Escalator:
    """The process's escalator, built on first use from the validated environment."""
    settings = EscalatorSettings.from_env()
    clients = Clients()
    secrets = SecretCache(lambda: clients.secretsmanager)
    slack = (
        slack_client(secrets, settings.slack_token_secret, str(settings.slack_api_url))
        if settings.slack_token_secret
        else None
    )
    return Escalator(
        DynamoDBStore(settings.table_name, clients.dynamodb).stores(),
        sms_notifier(clients, secrets, settings.sms_numbers_secret),
        slack,
        account_label=settings.account_label,
        enqueue=router_queue(clients, settings.storm_queue_url or settings.ingest_queue_url),
    )


@lru_cache(maxsize=1)
def build_heartbeat_sweep() -> HeartbeatSweep | None:
    """The process's heartbeat sweep (the escalator's second task each minute); None where the escalator is
    given no queue to raise the alerts on."""
    settings = EscalatorSettings.from_env()
    if not settings.heartbeat_queue_url:
        return None
    clients = Clients()
    return HeartbeatSweep(
        DynamoDBStore(settings.table_name, clients.dynamodb),
        EventSender(clients.sqs, settings.heartbeat_queue_url).send,
        lambda: int(time.time() * 1000),
        MetricSignals(lambda region: clients.client("cloudwatch", region)),
    )

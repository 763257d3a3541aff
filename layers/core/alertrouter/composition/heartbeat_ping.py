"""The heartbeat ping function's object graph."""

from __future__ import annotations

import time
from functools import lru_cache

from alertrouter.aws import INTERACTIVE_CONFIG, Clients, EventSender
from alertrouter.heartbeat_ping import HeartbeatPings
from alertrouter.models.settings import HeartbeatPingSettings
from alertrouter.store.dynamodb import DynamoDBStore


@lru_cache(maxsize=1)
def build_pings() -> HeartbeatPings:
    """The process's ping service, built on first use from the validated environment."""
    settings = HeartbeatPingSettings.from_env()
    clients = Clients(config=INTERACTIVE_CONFIG)  # a job waits on its ping: short timeouts
    return HeartbeatPings(
        DynamoDBStore(settings.table_name, clients.dynamodb),
        EventSender(
            clients.sqs, settings.ingest_queue_url, account=settings.account_id, region=settings.aws_region
        ).send,
        lambda: int(time.time() * 1000),
        min_gap_s=settings.heartbeat_min_ping_gap_s,
    )

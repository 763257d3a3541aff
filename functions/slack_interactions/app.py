"""Slack interactions Lambda behind a Function URL: verify, apply the click, answer within 3 s."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger

from alertrouter.aws import INTERACTIVE_CONFIG, Clients, SecretCache
from alertrouter.interactions import InteractionService, function_url_body
from alertrouter.models.settings import InteractionSettings
from alertrouter.notify.slack import SlackClient
from alertrouter.own_messages import OwnMessage
from alertrouter.store.dynamodb import DynamoDBStore

logger = Logger(service="alertrouter-interactions")


@lru_cache(maxsize=1)
def build_service() -> InteractionService:
    settings = InteractionSettings.from_env()
    clients = Clients(config=INTERACTIVE_CONFIG)
    secrets = SecretCache(lambda: clients.secretsmanager)
    # Slack waits 3 s for the answer: short timeouts, no long Retry-After waits in here.
    slack = SlackClient(
        lambda: secrets.get(settings.slack_token_secret),
        settings.slack_api_url,
        timeout=(1.0, 1.5),
        max_wait=0.5,
        attempts=1,
        min_interval=0.0,
    )

    def enqueue(message: OwnMessage) -> None:
        clients.sqs.send_message(QueueUrl=settings.ingest_queue_url, MessageBody=message.encode())

    return InteractionService(
        DynamoDBStore(settings.table_name, clients.dynamodb),
        lambda: secrets.get(settings.slack_signing_secret),
        slack,
        allowed_teams=settings.teams,
        allowed_users=settings.users,
        allowed_groups=settings.usergroups,
        enqueue=enqueue if settings.ingest_queue_url else None,
    )


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    service = build_service()
    response = service.handle(event.get("headers") or {}, function_url_body(event))
    if response.status != 200:
        # the reason stays in our logs; the caller learns only that it was refused
        logger.warning("interaction refused", extra={"status": response.status, **response.body})
        body: dict[str, Any] = {"error": response.body.get("error", "refused")}
    else:
        body = response.body
    return {
        "statusCode": response.status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
    }

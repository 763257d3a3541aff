"""Escalator Lambda, run every minute by EventBridge Scheduler: escalates unacknowledged pages."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from alertrouter.aws import Clients, SecretCache
from alertrouter.escalate import Escalator
from alertrouter.models.settings import EscalatorSettings
from alertrouter.notify.slack import SlackClient
from alertrouter.notify.sms import SmsNotifier
from alertrouter.own_messages import OwnMessage
from alertrouter.store.dynamodb import DynamoDBStore

logger = Logger(service="alertrouter-escalator")
metrics = Metrics(namespace="AlertRouter", service="alertrouter-escalator")


@lru_cache(maxsize=1)
def build_escalator() -> Escalator:
    settings = EscalatorSettings.from_env()
    clients = Clients()
    secrets = SecretCache(lambda: clients.secretsmanager)
    sms = (
        SmsNotifier(clients.sns, lambda: secrets.sms_numbers(settings.sms_numbers_secret))
        if settings.sms_numbers_secret
        else None
    )
    slack = (
        SlackClient(lambda: secrets.get(settings.slack_token_secret), settings.slack_api_url)
        if settings.slack_token_secret
        else None
    )

    def enqueue(message: OwnMessage) -> None:
        clients.sqs.send_message(QueueUrl=settings.ingest_queue_url, MessageBody=message.encode())

    return Escalator(
        DynamoDBStore(settings.table_name, clients.dynamodb),
        sms,
        slack,
        account_label=settings.account_label,
        enqueue=enqueue if settings.ingest_queue_url else None,
    )


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    outcome = build_escalator().run()
    for name, value in (
        ("EscalationSms", outcome.sms),
        ("EscalationSmsDeferred", outcome.deferred),
        ("EscalationReminders", outcome.reminders),
    ):
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    logger.info(
        "escalator run",
        extra={
            "due": outcome.due,
            "sms": outcome.sms,
            "deferred": outcome.deferred,
            "reminders": outcome.reminders,
            "ended": outcome.ended,
            "expired": outcome.expired,
        },
    )
    return {"due": outcome.due, "sms": outcome.sms, "reminders": outcome.reminders}

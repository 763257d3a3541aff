"""The escalator function's object graph."""

from __future__ import annotations

from functools import lru_cache

from alertrouter.aws import Clients, SecretCache
from alertrouter.composition.parts import router_queue, slack_client, sms_notifier
from alertrouter.escalate import Escalator
from alertrouter.models.settings import EscalatorSettings
from alertrouter.notify.voice import VoiceCaller
from alertrouter.observability import ESCALATOR, module_logger
from alertrouter.store.dynamodb import DynamoDBStore

logger = module_logger(ESCALATOR, __name__)


def voice_caller(clients: Clients, secrets: SecretCache, settings: EscalatorSettings) -> VoiceCaller | None:
    """Page calls from the configured origination identity to the numbers of the SMS numbers secret; None
    (said once in the log) when either is missing: a `call:` step is then a failure that moves on."""
    if not settings.voice_origination_identity or not settings.sms_numbers_secret:
        logger.info(
            "page calls are off: a `call:` escalation step will move on without calling",
            extra={
                "voice_origination_identity": bool(settings.voice_origination_identity),
                "sms_numbers_secret": bool(settings.sms_numbers_secret),
            },
        )
        return None
    secret = settings.sms_numbers_secret
    return VoiceCaller(
        clients.client("pinpoint-sms-voice-v2"),
        lambda: secrets.sms_numbers(secret),
        settings.voice_origination_identity,
        settings.voice_id,
    )


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
        voice=voice_caller(clients, secrets, settings),
        account_label=settings.account_label,
        enqueue=router_queue(clients, settings.storm_queue_url or settings.ingest_queue_url),
    )

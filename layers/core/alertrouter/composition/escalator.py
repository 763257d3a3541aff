"""The escalator function's object graph."""

from __future__ import annotations

import time
from functools import lru_cache

from alertrouter.aws import Clients, EventSender, SecretCache
from alertrouter.composition.parts import router_queue, slack_client, sms_notifier
from alertrouter.config import ConfigError, load_config
from alertrouter.escalate import Escalator
from alertrouter.handoffs import Handoffs
from alertrouter.heartbeat_metrics import MetricSignals
from alertrouter.heartbeats import HeartbeatSweep
from alertrouter.models.config import RoutingConfig
from alertrouter.models.settings import EscalatorSettings
from alertrouter.notify.voice import VoiceCaller
from alertrouter.observability import ESCALATOR, module_logger
from alertrouter.on_call_now import OnCallNow
from alertrouter.open_alerts import OpenAlertsGauge
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


def routing_config(settings: EscalatorSettings) -> RoutingConfig | None:
    """The routing config's schedules and people; None when there is none or it is invalid (the router reports
    what is wrong with it): escalation by names goes on, a `schedule:` step reaches nobody and moves on."""
    if not settings.routing_config_path:
        return None
    try:
        return load_config(settings.routing_config_path, settings.placeholders())
    except ConfigError:
        logger.error("routing config not loaded: schedules reach nobody, no handoff notices", exc_info=True)
        return None


def build_escalator() -> Escalator:
    """The process's escalator (built with the handoff watcher, on first use)."""
    return _build()[0]


def build_handoffs() -> Handoffs:
    """The process's handoff watcher (built with the escalator, on first use)."""
    return _build()[1]


@lru_cache(maxsize=1)
def _build() -> tuple[Escalator, Handoffs]:
    """The escalator and the handoff watcher, sharing their clients, from the validated environment."""
    settings = EscalatorSettings.from_env()
    clients = Clients()
    secrets = SecretCache(lambda: clients.secretsmanager)
    slack = (
        slack_client(secrets, settings.slack_token_secret, str(settings.slack_api_url))
        if settings.slack_token_secret
        else None
    )
    store = DynamoDBStore(settings.table_name, clients.dynamodb)
    config = routing_config(settings)
    schedules = {s.name: s for s in config.schedules} if config is not None else {}
    on_call_now = OnCallNow(schedules, store)
    escalator = Escalator(
        store.stores(),
        sms_notifier(clients, secrets, settings.sms_numbers_secret),
        slack,
        voice=voice_caller(clients, secrets, settings),
        resolve=on_call_now.person,
        account_label=settings.account_label,
        account_id=settings.account_id,
        enqueue=router_queue(clients, settings.storm_queue_url or settings.ingest_queue_url),
    )
    people = config.people if config is not None else {}
    return escalator, Handoffs(list(schedules.values()), people, on_call_now, store, slack)


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
        EventSender(
            clients.sqs, settings.heartbeat_queue_url, account=settings.account_id, region=settings.aws_region
        ).send,
        lambda: int(time.time() * 1000),
        MetricSignals(lambda region: clients.client("cloudwatch", region)),
    )


@lru_cache(maxsize=1)
def build_open_alerts_gauge() -> OpenAlertsGauge | None:
    """The process's OpenAlerts gauge (the escalator's third task each minute), naming accounts as the routing
    config does; None outside a hub (only a hub's router keeps the open-alert index)."""
    settings = EscalatorSettings.from_env()
    if settings.mode != "hub":
        return None
    store = DynamoDBStore(settings.table_name, Clients().dynamodb)
    config = routing_config(settings)
    names = config.messages.account_names if config is not None else {}
    return OpenAlertsGauge(
        store, store, lambda: int(time.time() * 1000), lambda account: names.get(account, "")
    )

"""The Slack interactions function's object graph."""

from __future__ import annotations

from functools import lru_cache

from alertrouter.aws import INTERACTIVE_CONFIG, Clients, SecretCache
from alertrouter.composition.parts import router_queue, slack_client
from alertrouter.config import ConfigError, load_config
from alertrouter.interactions import InteractionService
from alertrouter.models.config import RoutingConfig
from alertrouter.models.settings import InteractionSettings
from alertrouter.observability import INTERACTIONS, module_logger
from alertrouter.store.dynamodb import DynamoDBStore

logger = module_logger(INTERACTIONS, __name__)


@lru_cache(maxsize=1)
def build_service() -> InteractionService:
    """The process's interactions service, built on first use from the validated environment."""
    settings = InteractionSettings.from_env()
    clients = Clients(config=INTERACTIVE_CONFIG)
    secrets = SecretCache(lambda: clients.secretsmanager)
    # Slack waits 3 s for the answer: short timeouts, no long Retry-After waits in here.
    slack = slack_client(
        secrets,
        settings.slack_token_secret,
        str(settings.slack_api_url),
        timeout=(1.0, 1.5),
        max_wait=0.5,
        attempts=1,
        min_interval=0.0,
    )
    store = DynamoDBStore(settings.table_name, clients.dynamodb)
    return InteractionService(
        store.stores(),
        lambda: secrets.get(settings.slack_signing_secret),
        slack,
        allowed_teams=settings.teams,
        allowed_users=settings.users,
        allowed_groups=settings.usergroups,
        enqueue=router_queue(clients, settings.ingest_queue_url),
        routing=lru_cache(maxsize=1)(lambda: routing_or_none(settings)),
        overrides=store,
    )


def routing_or_none(settings: InteractionSettings) -> RoutingConfig | None:
    """The routing config, read on the first redraw; None (the defaults) when there is none or it is invalid:
    the router reports what is wrong with it."""
    if not settings.routing_config_path:
        return None
    try:
        return load_config(settings.routing_config_path, settings.placeholders())
    except ConfigError:
        logger.warning("routing config not loaded: redraws use the default wording", exc_info=True)
        return None

"""The router function's object graph: the routing config (or the fail-safe one), the state table, the flush
scheduler on the router's own queue, Slack, SMS, the ops topic and webhooks, behind the RouterService."""

from __future__ import annotations

import gc
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from alertrouter.accounts import AccountDirectory, OrganizationsApi
from alertrouter.admission import Admission
from alertrouter.aws import LOOKUP_CONFIG, Clients, EventSender, SecretCache
from alertrouter.batch_outcomes import NAMESPACE as BATCH_NAMESPACE
from alertrouter.batch_outcomes import BatchOutcomes
from alertrouter.composition.parts import sms_notifier
from alertrouter.config import ConfigError, config_version, load_config
from alertrouter.failsafe import FailSafe
from alertrouter.flush.graph_wiring import GraphImage, GraphSource, GraphWiring
from alertrouter.models.config import RoutingConfig
from alertrouter.models.settings import Settings
from alertrouter.mute_rules import MuteRuleLookup
from alertrouter.notify.base import NotifyError, SlackApi, WebhookSender
from alertrouter.notify.ops import OpsTopic
from alertrouter.notify.slack import SlackClient
from alertrouter.notify.webhook import WebhookClient
from alertrouter.observability import ROUTER, dimensionless_metrics, function_logger
from alertrouter.router import Router
from alertrouter.scheduling import FlushScheduler
from alertrouter.service import Lane, RouterService, SqsFlushScheduler, SqsGraphRequests
from alertrouter.spokes import SpokeWatch
from alertrouter.store.base import Stores
from alertrouter.store.dynamodb import DynamoDBStore
from alertrouter.unanswered_calls import UnansweredCalls

if TYPE_CHECKING:
    from alertrouter.graphs.render import GraphRenderer

logger = function_logger(ROUTER)


@lru_cache(maxsize=1)
def build_service() -> RouterService:
    """The process's router, built on first use (not at import) from the validated environment. The
    collector pauses while it is built (all of it lives as long as the process, see settle)."""
    gc.disable()
    try:
        service = compose(Settings.from_env(), Clients())
        settle()
    finally:
        gc.enable()
    return service


def settle() -> None:
    """What the process built to start (modules, the config, the service) lives as long as it does: moved out
    of the garbage collector's sight, so its collections scan only what events create (a few percent of each
    event's time in a storm)."""
    gc.freeze()


def compose(
    settings: Settings,
    clients: Clients,
    *,
    slack: SlackApi | None = None,
    webhooks: WebhookSender | None = None,
    now_ms: Callable[[], int] | None = None,
    stores: Stores | None = None,
    scheduler: FlushScheduler | None = None,
    organizations: OrganizationsApi | None = None,
    graphs: GraphSource | None = None,
    graphable: Callable[[str, dict[str, str]], bool] | None = None,
) -> RouterService:
    """The router's service from its settings and clients. Every collaborator can be passed in (tests, the
    benchmark); the defaults are the AWS ones (Organizations only in a hub)."""
    version = config_version(settings.routing_config_path)
    config, problem = load_routing(settings, version)
    fail_safe = FailSafe(settings.default_slack_channel, problem)
    secrets = SecretCache(lambda: clients.secretsmanager)
    lane = Lane(settings.ingest_queue_url)
    if stores is None:
        store = DynamoDBStore(settings.table_name, clients.dynamodb)
        store.keeps_open_index = settings.mode == "hub"  # (only a hub's dashboards show the OpenAlerts gauge)
        stores = store.stores()
    slack = slack or SlackClient(slack_token(settings, secrets), str(settings.slack_api_url))
    router = Router(
        config or fail_safe.config,
        stores,
        scheduler or SqsFlushScheduler(clients.sqs, lane),
        slack=slack,
        sms=sms_notifier(clients, secrets, settings.sms_numbers_secret),
        ops=OpsTopic(clients.sns, settings.ops_topic_arn) if settings.ops_topic_arn else None,
        webhooks=webhooks or WebhookClient(secrets.get),
        account_label=settings.account_label,
        account_id=settings.account_id,
        slack_token_secret=settings.slack_token_secret,
        fail_safe=fail_safe,
        **({"now_ms": now_ms} if now_ms else {}),
    )
    if settings.slack_graphs:
        router.env.graphs = GraphWiring(
            graphs or LazyGraphRenderer(settings, clients),
            graphable or _graphable,
            SqsGraphRequests(clients.sqs, lane),
        )
    mute_rules = mute_rule_lookup(settings, clients)
    accounts = account_directory(settings, clients, config or fail_safe.config, organizations)
    service = RouterService(
        router,
        settings=settings,
        clients=clients,
        admission=Admission.of(
            settings.account_id,
            settings.source_accounts,
            accounts if accounts.organizations is not None and settings.organization_id else None,
        ),
        fail_safe=fail_safe,
        config_version=version,
        lane=lane,
        # AlertRouter/Batch by JobQueue (and JobDefinition), as the queue-metrics function: no `service`
        batch_outcomes=BatchOutcomes(dimensionless_metrics(BATCH_NAMESPACE)),
        mute_rules=mute_rules,
        unanswered=UnansweredCalls(stores.escalations, stores.groups, stores.history, slack),
        accounts=accounts,
        spokes=SpokeWatch(
            stores.heartbeats,
            # a silent spoke heard again: its resolve goes to the router's queue (as the sweep's events do)
            lambda event: EventSender(  # (its client made when first needed, not at a cold start)
                clients.sqs,
                settings.ingest_queue_url,
                account=settings.account_id,
                region=settings.aws_region,
            ).send(event),
            lambda: router.now_ms(),
            lambda account: router.config.messages.account_names.get(account, ""),
        ),
    )
    if mute_rules is not None:
        mute_rules.on_failure = lambda metric: service.counts.update((metric,))
    return service


def account_directory(
    settings: Settings, clients: Clients, config: RoutingConfig, organizations: OrganizationsApi | None = None
) -> AccountDirectory:
    """The accounts' names (the config's `messages.account_names`) and, in a hub, AWS Organizations'
    DescribeAccount behind them: its client tries once, quickly (a throttled call hands the record back)."""
    if settings.mode == "hub" and organizations is None:
        organizations = Clients(clients.session, LOOKUP_CONFIG).client("organizations")
    return AccountDirectory(
        config.messages.account_names,
        organizations if settings.mode == "hub" else None,
        organization_id=settings.organization_id,
    )


class LazyGraphRenderer(GraphSource):
    """The graph renderer (alertrouter.graphs.render.GraphRenderer) on the router's CloudWatch client, built
    when the first graph is asked for: a cold start that draws none imports and builds nothing of it."""

    def __init__(self, settings: Settings, clients: Clients) -> None:
        self.settings = settings
        self.clients = clients
        self._renderer: GraphRenderer | None = None

    def graph_for(
        self, state: Any, *, fired_ms: int, resolved_ms: int | None, now_ms: int
    ) -> GraphImage | None:
        if self._renderer is None:
            from alertrouter.graphs.render import GraphRenderer

            cloudwatch = self.clients.client("cloudwatch")  # (made once: Clients keeps it)
            region = self.settings.aws_region or str(cloudwatch.meta.region_name or "")
            self._renderer = GraphRenderer(
                lambda: self.clients.client("cloudwatch"), account=self.settings.account_id, region=region
            )
        return self._renderer.graph_for(state, fired_ms=fired_ms, resolved_ms=resolved_ms, now_ms=now_ms)


def _graphable(source: str, labels: dict[str, str]) -> bool:
    """Whether an alert can be graphed (alertrouter.graphs.widget, imported when first asked)."""
    from alertrouter.graphs.widget import graphable

    return graphable(source, labels)


def mute_rule_lookup(settings: Settings, clients: Clients) -> MuteRuleLookup | None:
    """The CloudWatch mute rule lookup for alarms delivered by SNS or an alarm action, when the stack asks for
    it (MuteRulesForSnsAlarms); None otherwise. Its client tries once, quickly: an alert is never held up."""
    if not settings.mute_rules_for_sns_alarms:
        return None
    client = Clients(clients.session, LOOKUP_CONFIG).client("cloudwatch")
    region = settings.aws_region or str(client.meta.region_name or "")
    return MuteRuleLookup(client, account=settings.account_id, region=region)


def slack_token(settings: Settings, secrets: SecretCache) -> Callable[[], str]:
    """The router's Slack token, read from its secret at each use (cached); a missing secret name is a
    Slack-like refusal (not_authed), which the router reports as a broken token."""

    def token() -> str:
        if not settings.slack_token_secret:
            raise NotifyError(
                "no Slack token secret configured (SLACK_TOKEN_SECRET)", retryable=False, code="not_authed"
            )
        return secrets.get(settings.slack_token_secret)

    return token


def load_routing(settings: Settings, version: str) -> tuple[RoutingConfig | None, str]:
    """The routing config, or None and what is wrong with it. A config that cannot be loaded must not take the
    router down (every alert would end in the DLQ unseen): the fail-safe config is used until a valid one is
    deployed (a new Lambda version, read at its cold start; a running container's layer cannot change, so
    the file is not read again)."""
    path = settings.routing_config_path
    try:
        config = load_config(path, settings.placeholders())
    except Exception as exc:  # noqa: BLE001 - whatever the file holds, the router starts
        reason = str(exc) if isinstance(exc, ConfigError) else f"{path}: {type(exc).__name__}: {exc}"
        logger.error(
            "routing config invalid: alerts are routed to the default channel",
            extra={
                "reason": reason,
                "path": path,
                "config_version": version,
                "channel": settings.default_slack_channel,
            },
        )
        return None, reason or type(exc).__name__
    logger.info(
        "routing config loaded",
        extra={"path": path, "config_version": version, "receivers": len(config.receivers)},
    )
    return config, ""

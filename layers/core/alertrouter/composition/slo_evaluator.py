"""The SLO evaluator function's object graph: its settings, the SLO file (the usable SLOs and the reasons the
others are not), the state table's SLO items, CloudWatch and the router's queue."""

from __future__ import annotations

from functools import lru_cache

from alertrouter.aws import Clients
from alertrouter.models.settings import SloSettings
from alertrouter.slo.loader import load_usable_slos
from alertrouter.slo.service import SloService
from alertrouter.store.dynamodb import DynamoDBStore


@lru_cache(maxsize=1)
def build_service() -> SloService:
    """The process's SLO service, built on first use from the validated environment."""
    return compose(SloSettings.from_env(), Clients())


def compose(settings: SloSettings, clients: Clients) -> SloService:
    """The SLO service from its settings and AWS clients (tests and the bench pass their own)."""
    slos, problems = load_usable_slos(settings.slo_config_path)
    return SloService(
        settings,
        clients,
        store=DynamoDBStore(settings.table_name, clients.dynamodb),
        slos=slos,
        problems=problems,
        cloudwatch=lambda region: clients.client("cloudwatch", region),  # an SLO may name its region
    )

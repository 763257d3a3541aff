"""The SLO evaluator function's object graph."""

from __future__ import annotations

from functools import lru_cache

from alertrouter.aws import Clients
from alertrouter.models.settings import SloSettings
from alertrouter.slo.service import SloService


@lru_cache(maxsize=1)
def build_service() -> SloService:
    """The process's SLO service, built on first use from the validated environment."""
    return SloService(SloSettings.from_env(), Clients())

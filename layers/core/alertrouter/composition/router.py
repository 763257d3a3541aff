"""The router function's object graph."""

from __future__ import annotations

import gc
from functools import lru_cache

from alertrouter.aws import Clients
from alertrouter.models.settings import Settings
from alertrouter.service import RouterService


@lru_cache(maxsize=1)
def build_service() -> RouterService:
    """The process's router, built on first use (not at import) from the validated environment."""
    service = RouterService(Settings.from_env(), Clients())
    settle()
    return service


def settle() -> None:
    """What the process built to start (modules, the config, the service) lives as long as it does: moved out
    of the garbage collector's sight, so its collections scan only what events create (a few percent of each
    event's time in a storm)."""
    gc.freeze()

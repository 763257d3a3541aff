"""The router's cold start pauses the garbage collector while it imports and builds (functions/router/app.py,
composition.router.build_service): it must always run again afterwards, also when building fails."""

from __future__ import annotations

import gc

import pytest

from alertrouter.composition import router as composition
from support.handlers import load_module
from support.paths import ROOT


def test_the_collector_runs_again_after_the_handler_module_is_imported() -> None:
    load_module(ROOT / "functions" / "router" / "app.py", "router_app_gc_check")
    assert gc.isenabled()


def test_the_collector_runs_again_when_building_the_service_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TABLE_NAME", "INGEST_QUEUE_URL", "SLACK_TOKEN_SECRET"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(Exception, match="validation error"):
        composition.build_service.__wrapped__()  # past the process-wide cache
    assert gc.isenabled()

"""SLO evaluator Lambda, run every minute by EventBridge Scheduler: burn rates -> metrics and alerts."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from alertrouter.aws import Clients
from alertrouter.models.settings import SloSettings
from alertrouter.slo.service import SloService, logger, publish


@lru_cache(maxsize=1)
def build_service() -> SloService:
    return SloService(SloSettings.from_env(), Clients())


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    service = build_service()
    broken = service.report_problems()
    reports = service.run()
    publish(reports)
    firing = sorted(f"{r.slo.name}:{f.rule.name}" for r in reports for f in r.firing)
    logger.info(
        "SLOs evaluated",
        extra={
            "slos": len(reports),
            "firing": firing,
            "broken": len(broken),
            "get_metric_data_calls": service.evaluator.calls,
            "metrics_requested": service.evaluator.metrics,
        },
    )
    return {
        "slos": len(reports),
        "firing": firing,
        "broken": len(broken),
        "calls": service.evaluator.calls,
        "metrics": service.evaluator.metrics,
    }

"""SLO evaluator Lambda, run every minute by EventBridge Scheduler: burn rates -> metrics and alerts."""

from __future__ import annotations

from typing import Any

from alertrouter.composition.slo_evaluator import build_service
from alertrouter.observability import SLO, function_logger
from alertrouter.slo.service import publish

logger = function_logger(SLO)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    service = build_service()
    broken = service.report_problems()
    reports = service.run()
    publish(reports, service.settings.account_id)
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

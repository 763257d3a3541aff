"""Preflight Lambda, run daily by EventBridge Scheduler: the checks of `alertrouter doctor` from inside the stack.

It stores each run's results (the state table's PREFLIGHT item) and publishes, as EMF (namespace AlertRouter,
dimension Stack), PreflightFailures (checks failing now) and PreflightRegressions (checks that passed on the last
run and fail now), which the stack's ops alarm watches: a check that already failed yesterday alarms once.
"""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from alertrouter.composition.preflight import build_run, settings
from alertrouter.observability import PREFLIGHT, dimensionless_metrics, function_logger
from alertrouter.preflight import previous_results, regressions, run_checks, save_results

__all__ = ["lambda_handler", "settings"]

logger = function_logger(PREFLIGHT)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    run = build_run()
    s = run.settings
    results = run_checks(run.target, run.clients, run.slack(), run.token)
    checks = results.checks
    regressed = regressions(previous_results(results.last_item), checks)
    failed = [c for c in checks if c.ok is False]
    if results.table_readable:
        save_results(run.clients.dynamodb, s.table_name, checks, int(time.time()))
    metrics = dimensionless_metrics()  # the alarm selects by Stack alone
    metrics.add_dimension(name="Stack", value=s.stack_label or "local")
    metrics.add_metric(name="PreflightFailures", unit=MetricUnit.Count, value=len(failed))
    metrics.add_metric(name="PreflightRegressions", unit=MetricUnit.Count, value=len(regressed))
    metrics.flush_metrics()
    for check in failed:
        logger.warning(check.line(), extra={"check": check.name, "regression": check in regressed})
    unknown = [c.line() for c in checks if c.ok is None]
    logger.info(
        "preflight done",
        extra={
            "checks": len(checks),
            "failed": len(failed),
            "regressions": len(regressed),
            "unknown": unknown,
        },
    )
    return {
        "checks": len(checks),
        "failed": [c.line() for c in failed],
        "regressions": [c.name for c in regressed],
        "unknown": unknown,
    }

"""Preflight Lambda, run daily by EventBridge Scheduler: the checks of `alertrouter doctor` from inside the stack.

It stores each run's results (the state table's PREFLIGHT item) and publishes, as EMF (namespace AlertRouter,
dimension Stack), PreflightFailures (checks failing now) and PreflightRegressions (checks that passed on the last
run and fail now), which the stack's ops alarm watches: a check that already failed yesterday alarms once.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from alertrouter.aws import Clients, SecretCache
from alertrouter.models.settings import PreflightSettings
from alertrouter.notify.slack import SlackClient
from alertrouter.preflight import Target, previous_results, regressions, run_checks, save_results

logger = Logger(service="alertrouter-preflight")


@lru_cache(maxsize=1)
def settings() -> PreflightSettings:
    return PreflightSettings.from_env()


def target(s: PreflightSettings) -> Target:
    return Target(
        table_name=s.table_name,
        ingest_queue_url=s.ingest_queue_url,
        dlq_url=s.dlq_url,
        slack_token_secret=s.slack_token_secret,
        sms_numbers_secret=s.sms_numbers_secret,
        routing_config_path=s.routing_config_path,
        slo_config_path=s.slo_config_path,
        placeholders=s.placeholders(),
        rule_names=s.rules,
        alarm_names=s.alarms,
        uses_usergroups=bool(s.allowed_usergroup_ids.strip()),
    )


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    s = settings()
    clients = Clients()
    secrets = SecretCache(lambda: clients.secretsmanager)  # made per run: the token is read as it is now

    def token() -> str:
        return secrets.get(s.slack_token_secret)

    results = run_checks(target(s), clients, SlackClient(token, s.slack_api_url), token)
    checks = results.checks
    regressed = regressions(previous_results(results.last_item), checks)
    failed = [c for c in checks if c.ok is False]
    if results.table_readable:
        save_results(clients.dynamodb, s.table_name, checks, int(time.time()))
    metrics = EphemeralMetrics()
    metrics.service = ""  # the alarm selects by Stack alone
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

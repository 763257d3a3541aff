"""Escalator Lambda, run every minute by EventBridge Scheduler: escalates unacknowledged pages, marks the
heartbeat checks past their deadline down, then publishes the OpenAlerts gauge."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from alertrouter.composition.escalator import (
    build_escalator,
    build_handoffs,
    build_heartbeat_sweep,
    build_open_alerts_gauge,
)
from alertrouter.observability import ESCALATOR, function_logger, function_metrics

logger = function_logger(ESCALATOR)
metrics = function_metrics(ESCALATOR)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    outcome = build_escalator().run()
    handed = build_handoffs().run()
    for name, value in (
        ("EscalationSms", outcome.sms),
        ("EscalationSmsDeferred", outcome.deferred),
        ("EscalationReminders", outcome.reminders),
        ("EscalationCalls", outcome.calls),
        ("EscalationSmsFailed", outcome.sms_failures),
        ("EscalationVoiceFailed", outcome.voice_failures),
        ("HandoffNotices", handed.notices),
        ("HandoffFailures", handed.failures),
    ):
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    logger.info(
        "escalator run",
        extra={
            "due": outcome.due,
            "sms": outcome.sms,
            "calls": outcome.calls,
            "deferred": outcome.deferred,
            "sms_failed": outcome.sms_failures,
            "voice_failed": outcome.voice_failures,
            "moved_on": outcome.moved_on,
            "reminders": outcome.reminders,
            "ended": outcome.ended,
            "expired": outcome.expired,
            "handoffs": handed.handoffs,
        },
    )
    sweep = build_heartbeat_sweep()
    if sweep is not None:
        swept = sweep.run()
        metrics.add_metric(name="HeartbeatsDown", unit=MetricUnit.Count, value=swept.down)
        logger.info(
            "heartbeat sweep",
            extra={"checks": swept.checks, "down": swept.down, "resent": swept.resent, "raced": swept.raced},
        )
    try:
        gauge = build_open_alerts_gauge()
        if gauge is not None:
            counted = gauge.measure()
            gauge.publish(counted)
            logger.info(
                "open alerts",
                extra={
                    "open": counted.counts.total(),
                    "checked": counted.checked,
                    "dropped": counted.dropped,
                },
            )
    except Exception:  # noqa: BLE001 - a lost minute of the gauge must not fail the pages already sent
        logger.exception("OpenAlerts not published")
    return {"due": outcome.due, "sms": outcome.sms, "calls": outcome.calls, "reminders": outcome.reminders}

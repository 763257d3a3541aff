"""Router Lambda: SQS batches (partial failures) or a direct alarm-action / SNS invocation."""

from __future__ import annotations

import gc
from typing import Any

# The imports make only objects that live as long as the process: the garbage collector's passes over them
# are wasted work, about 14 ms of the cold start (bench/run.py). It runs again once they are made.
gc.disable()
try:
    from alertrouter.composition.router import build_service
    from alertrouter.handler import process_sqs_batch
    from alertrouter.observability import ROUTER, function_logger, function_metrics
finally:
    gc.enable()

logger = function_logger(ROUTER)
metrics = function_metrics(ROUTER)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    service = build_service()
    logger.append_keys(config_version=service.config_version)  # (the decorator's clear_state drops it)
    try:
        records = event.get("Records")
        if isinstance(records, list) and records and records[0].get("eventSource") == "aws:sqs":
            remaining = getattr(context, "get_remaining_time_in_millis", None)
            return process_sqs_batch(service, records, remaining)
        outcome = service.handle_event(event)
        return {"applied": outcome.applied, "duplicates": outcome.duplicates}
    finally:
        service.publish_metrics()

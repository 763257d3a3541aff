"""Heartbeat ping Lambda: behind a Function URL (POST /ping/<check>[/start|/fail] with the check's token) and
the target of EventBridge rules (a job's own ping event, AWS Batch jobs that succeeded)."""

from __future__ import annotations

import json
from typing import Any

from alertrouter.composition.heartbeat_ping import build_pings
from alertrouter.heartbeat_ping import request_body
from alertrouter.observability import HEARTBEAT_PING, function_logger

logger = function_logger(HEARTBEAT_PING)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    pings = build_pings()
    if "detail-type" in event:  # from an EventBridge rule
        answers = pings.event(event)
        logger.info(
            "heartbeat event",
            extra={"source": event.get("source"), "answers": [(a.status, a.body) for a in answers]},
        )
        return {"pings": len(answers), "recorded": sum(a.status == 200 for a in answers)}
    http = (event.get("requestContext") or {}).get("http") or {}
    answer = pings.http(
        str(http.get("method", "")),
        str(http.get("path", "")),
        event.get("headers") or {},
        request_body(event),
    )
    if answer.status != 200:
        logger.info("ping refused", extra={"status": answer.status, "path": str(http.get("path", ""))[:200]})
    headers = {"Content-Type": "application/json"}
    if answer.retry_after_s:
        headers["Retry-After"] = str(answer.retry_after_s)
    return {"statusCode": answer.status, "headers": headers, "body": json.dumps(answer.body)}

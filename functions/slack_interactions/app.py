"""Slack interactions Lambda behind a Function URL: verify, apply the click, answer within 3 s."""

from __future__ import annotations

import json
from typing import Any

from alertrouter.composition.interactions import build_service
from alertrouter.interactions import function_url_body
from alertrouter.observability import INTERACTIONS, function_logger

logger = function_logger(INTERACTIONS)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    service = build_service()
    response = service.handle(event.get("headers") or {}, function_url_body(event))
    if response.status != 200:
        # the reason stays in our logs; the caller learns only that it was refused
        logger.warning("interaction refused", extra={"status": response.status, **response.body})
        body: dict[str, Any] = {"error": response.body.get("error", "refused")}
    else:
        body = response.body
    return {
        "statusCode": response.status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
    }

"""Router Lambda: SQS batches (partial failures) or a direct alarm-action / SNS invocation."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from alertrouter.handler import build_service, logger, metrics, on_retryable

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    service = build_service()
    try:
        service.handle_body(record.body, message_id=record.message_id)
    except Exception as exc:
        on_retryable(service, record, exc)
        raise


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse | dict[str, Any]:
    if isinstance(event.get("Records"), list) and event["Records"] and \
            event["Records"][0].get("eventSource") == "aws:sqs":
        return process_partial_response(event=event, record_handler=record_handler,
                                        processor=processor, context=context)
    outcome = build_service().handle_event(event)
    return {"applied": outcome.applied, "duplicates": outcome.duplicates}

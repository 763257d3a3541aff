"""What the router handler does with an SQS batch: the records in turn, retry hints, partial failures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alertrouter.notify.base import NotifyError
from alertrouter.observability import ROUTER, function_logger
from alertrouter.service import RouterService

logger = function_logger(ROUTER)


def queue_url_of(service: RouterService, record: dict[str, Any]) -> str:
    """The URL of the queue a record came from (its receipt handle is only good there, and what it schedules
    goes back there): the storm queue's when the record's source ARN names it, else the ingest queue's."""
    storm = service.settings.storm_queue_url
    source = str(record.get("eventSourceARN", ""))
    if storm and source and source.rsplit(":", 1)[-1] == storm.rstrip("/").rsplit("/", 1)[-1]:
        return storm
    return service.settings.ingest_queue_url


def on_retryable(service: RouterService, record: dict[str, Any], exc: Exception) -> None:
    """When the far end named a wait (Slack 429 Retry-After), make SQS redeliver no sooner."""
    if isinstance(exc, NotifyError) and exc.retry_after and record.get("receiptHandle"):
        try:
            service.clients.sqs.change_message_visibility(
                QueueUrl=queue_url_of(service, record),
                ReceiptHandle=record["receiptHandle"],
                VisibilityTimeout=min(43_200, int(exc.retry_after) + 1),
            )
        except Exception:  # noqa: BLE001 - a failed hint only means an earlier retry
            logger.warning("could not extend visibility for Retry-After", exc_info=True)


# A record is only started with this much time left: a flush cut off by the Lambda timeout would leave a
# lease behind and could repeat a thread note; handing the record back costs nothing.
MIN_REMAINING_MS = 30_000


def process_sqs_batch(
    service: RouterService, records: list[dict[str, Any]], remaining_ms: Callable[[], int] | None = None
) -> dict[str, Any]:
    """Lambda's partial batch response: the ids of the records to redeliver; the rest are done.

    Written here rather than with Powertools' BatchProcessor, whose import pulls in asyncio and every
    event data class (about 25 ms, a seventh of the cold-start floor) for what is this one loop.
    """
    failures = []
    for record in records:
        message_id = str(record.get("messageId", ""))
        if remaining_ms is not None and remaining_ms() < MIN_REMAINING_MS:
            logger.warning("too little time left: record handed back", extra={"message_id": message_id})
            failures.append({"itemIdentifier": message_id})
            continue
        try:
            with service.lane.of(queue_url_of(service, record)):
                service.handle_body(str(record.get("body", "")), message_id=message_id)
        except Exception as exc:  # noqa: BLE001 - every failure is handed back to SQS, none is lost
            logger.warning(
                "record will be retried", extra={"message_id": message_id, "error": repr(exc)[:300]}
            )
            on_retryable(service, record, exc)
            failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}

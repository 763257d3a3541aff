"""What every router handler shares: one Logger/Metrics set-up, the cached service, retry hints."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3

from alertrouter.models.settings import Settings
from alertrouter.notify.base import NotifyError
from alertrouter.service import Clients, RouterService, logger, metrics

__all__ = ["build_service", "logger", "metrics", "on_retryable"]


@lru_cache(maxsize=1)
def build_service() -> RouterService:
    """The process's router, built on first use (not at import) from the validated environment."""
    return RouterService(Settings.from_env(), Clients(boto3.session.Session()))


def on_retryable(service: RouterService, record: Any, exc: Exception) -> None:
    """When the far end named a wait (Slack 429 Retry-After), make SQS redeliver no sooner."""
    if isinstance(exc, NotifyError) and exc.retry_after:
        try:
            service.clients.sqs.change_message_visibility(
                QueueUrl=service.settings.ingest_queue_url, ReceiptHandle=record.receipt_handle,
                VisibilityTimeout=min(43_200, int(exc.retry_after) + 1),
            )
        except Exception:  # noqa: BLE001 - a failed hint only means an earlier retry
            logger.warning("could not extend visibility for Retry-After", exc_info=True)

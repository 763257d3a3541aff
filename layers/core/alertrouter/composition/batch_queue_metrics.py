"""The Batch queue-metrics function's object graph."""

from __future__ import annotations

from functools import lru_cache

from aws_lambda_powertools.metrics import EphemeralMetrics

from alertrouter.aws import Clients
from alertrouter.batch_metrics import QueueMetricsReader, batch_client_config
from alertrouter.models.settings import BatchMetricsSettings
from alertrouter.observability import dimensionless_metrics


@lru_cache(maxsize=1)
def settings() -> BatchMetricsSettings:
    return BatchMetricsSettings.from_env()


@lru_cache(maxsize=1)
def build_reader() -> QueueMetricsReader:
    s = settings()
    client = Clients(config=batch_client_config(s.batch_metrics_concurrency)).client("batch")
    return QueueMetricsReader(client, s.job_queues, concurrency=s.batch_metrics_concurrency)


@lru_cache(maxsize=1)
def build_metrics() -> EphemeralMetrics:
    # the alarms select these metrics by JobQueue alone: no `service` dimension; EphemeralMetrics, as
    # Metrics' process-wide state would be shared with any other Metrics in the process
    return dimensionless_metrics(settings().batch_metrics_namespace)

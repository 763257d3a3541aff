"""Logging and metrics, set up in one place.

Each Lambda function logs and counts as its own Powertools service (the `service` key of its log lines and
the `service` dimension of its metrics). Its handler and composition root take the function's Logger and
Metrics from here, made once per process. Library modules, which the CLI runs too, log through a plain child
logger of their function's service (`module_logger`): importing them configures no handler, and in a Lambda
their records reach the function's Logger through the logging hierarchy. Tracing is off in the template
(`Tracing: Disabled`): there is no Tracer.
"""

from __future__ import annotations

import logging
from functools import cache

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import EphemeralMetrics

# Each function's service name. The router's is also the prefix of the `alertrouter` logger hierarchy.
ROUTER = "alertrouter"
ESCALATOR = "alertrouter-escalator"
INTERACTIONS = "alertrouter-interactions"
SLO = "alertrouter-slo"
BATCH_METRICS = "alertrouter-batch-metrics"
PREFLIGHT = "alertrouter-preflight"
HEARTBEAT_PING = "alertrouter-heartbeat-ping"

# The metric namespace of each function that publishes through a shared Metrics object.
NAMESPACES = {ROUTER: "AlertRouter", ESCALATOR: "AlertRouter", SLO: "AlertRouter/SLO"}


@cache
def function_logger(service: str) -> Logger:
    """The function's Powertools Logger: JSON lines on stdout, the Lambda context keys, the service key."""
    return Logger(service=service)


@cache
def function_metrics(service: str) -> Metrics:
    """The function's Powertools Metrics, in its namespace, with its `service` dimension."""
    return Metrics(namespace=NAMESPACES[service], service=service)


def module_logger(service: str, module: str) -> logging.Logger:
    """A library module's logger: a child of its function's Logger, which formats and writes its records."""
    return logging.getLogger(f"{service}.{module}")


def dimensionless_metrics(namespace: str | None = None) -> EphemeralMetrics:
    """Metrics of their own (not Metrics' process-wide state) without the `service` dimension, for the
    functions whose alarms select their metrics by other dimensions alone. No namespace: the one of
    POWERTOOLS_METRICS_NAMESPACE."""
    metrics = EphemeralMetrics(namespace=namespace)
    # Powertools adds a `service` dimension from POWERTOOLS_SERVICE_NAME (the template sets it for every
    # function); empty: none
    metrics.service = ""
    return metrics

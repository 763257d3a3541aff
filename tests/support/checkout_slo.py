"""The checkout SLO the SLO tests evaluate (an OpenSLO document on CloudWatch metrics) and its traffic,
written to CloudWatch as an application would publish it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

SLOS = """
apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-availability
  displayName: Checkout availability
spec:
  service: checkout
  indicator:
    metadata: {name: checkout-errors}
    spec:
      ratioMetric:
        counter: false
        bad:
          metricSource:
            type: CloudWatch
            spec: {namespace: Demo/Checkout, metricName: Errors, dimensions: [{name: Service, value: checkout}], stat: Sum}
        total:
          metricSource:
            type: CloudWatch
            spec: {namespace: Demo/Checkout, metricName: Requests, dimensions: [{name: Service, value: checkout}], stat: Sum}
  timeWindow: [{duration: 30d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{displayName: 99.9% of checkouts succeed, target: 0.999}]
"""
NOW = int(datetime(2026, 11, 23, 3, 0, tzinfo=UTC).timestamp())


def put_minutes(cloudwatch: Any, start: int, end: int, requests: int, errors: int) -> None:
    """One datapoint per minute of [start, end) for both metrics, as an application would publish them."""
    data = []
    for minute in range(start, end, 60):
        when = datetime.fromtimestamp(minute, UTC)
        for name, value in (("Requests", requests), ("Errors", errors)):
            data.append(
                {
                    "MetricName": name,
                    "Dimensions": [{"Name": "Service", "Value": "checkout"}],
                    "Timestamp": when,
                    "Value": value,
                    "Unit": "Count",
                }
            )
    for first in range(0, len(data), 1000):
        cloudwatch.put_metric_data(Namespace="Demo/Checkout", MetricData=data[first : first + 1000])


def put_hours(cloudwatch: Any, start: int, end: int, requests: int) -> None:
    """Older traffic, one datapoint per hour (no errors)."""
    data = [
        {
            "MetricName": name,
            "Dimensions": [{"Name": "Service", "Value": "checkout"}],
            "Timestamp": datetime.fromtimestamp(hour, UTC),
            "Value": value,
            "Unit": "Count",
        }
        for hour in range(start, end, 3600)
        for name, value in (("Requests", requests), ("Errors", 0))
    ]
    cloudwatch.put_metric_data(Namespace="Demo/Checkout", MetricData=data)

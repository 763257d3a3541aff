"""A CloudWatch metric alarm as DescribeAlarms answers it, with the data it watched: what the graph of an
alarm's message is drawn from (the demo's and the tests' GetMetricWidgetImage stand-in reads both in moto)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def put_cpu_alarm(
    cloudwatch: Any,
    name: str,
    instance: str,
    values: Sequence[float],
    first_at_s: float,
    *,
    threshold: float,
    evaluation_periods: int = 1,
    period_s: int = 300,
) -> None:
    """An EC2 CPUUtilization alarm (Average, `period_s`, above `threshold`) on `instance`, and its data: one
    point a period from `first_at_s`."""
    dimensions = [{"Name": "InstanceId", "Value": instance}]
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/EC2",
        MetricName="CPUUtilization",
        Dimensions=dimensions,
        Statistic="Average",
        Period=period_s,
        EvaluationPeriods=evaluation_periods,
        Threshold=threshold,
        ComparisonOperator="GreaterThanThreshold",
    )
    cloudwatch.put_metric_data(
        Namespace="AWS/EC2",
        MetricData=[
            {
                "MetricName": "CPUUtilization",
                "Dimensions": dimensions,
                "Value": value,
                "Timestamp": first_at_s + i * period_s,
            }
            for i, value in enumerate(values)
        ],
    )

"""The SLO evaluator's cost against a local CloudWatch (moto server on loopback): 200 SLOs, one first run
(which reads each SLO's period so far) and steady runs a minute apart (which read only what is new)."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from typing import Any

from support.local_aws import moto_server

PRICE_PER_1000_METRICS = 0.01  # GetMetricData, USD per 1,000 metrics requested (us-east-1)
RUNS_PER_MONTH = 30 * 24 * 60  # a 1-minute schedule

SLO = """---
apiVersion: openslo/v1
kind: SLO
metadata: {{name: svc-{i:03d}}}
spec:
  service: svc-{i:03d}
  indicator:
    metadata: {{name: svc-{i:03d}-errors}}
    spec:
      ratioMetric:
        counter: false
        bad: {{metricSource: {{type: CloudWatch, spec: {{namespace: Bench/SLO, metricName: Errors, dimensions: [{{name: Service, value: svc-{i:03d}}}], stat: Sum}}}}}}
        total: {{metricSource: {{type: CloudWatch, spec: {{namespace: Bench/SLO, metricName: Requests, dimensions: [{{name: Service, value: svc-{i:03d}}}], stat: Sum}}}}}}
  timeWindow: [{{duration: 30d, isRolling: true}}]
  budgetingMethod: Occurrences
  objectives: [{{target: 0.999}}]
"""


def slo_costs(slos: int = 200, steady_runs: int = 4) -> dict[str, Any]:
    import boto3
    from botocore.config import Config

    from alertrouter.slo.evaluator import Evaluator, SloState
    from alertrouter.slo.loader import load_slos

    with moto_server() as endpoint:
        for variable, setting in {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            os.environ.setdefault(variable, setting)
        # moto answers the first run's 30-day read of 800 metrics in about a minute on a 2-core machine (it steps
        # through every minute of the period in Python): botocore's 60 s read timeout would end the bench there
        cloudwatch = boto3.session.Session(region_name="us-east-1").client(
            "cloudwatch",
            endpoint_url=endpoint,
            config=Config(read_timeout=600, retries={"max_attempts": 1}),
        )
        # two minutes before an hour: the steady runs cross it, and the 3d window's first hour is read again
        now = int(time.time()) // 3600 * 3600 - 120
        data = []
        for i in range(slos):  # the last 10 minutes of traffic for each service
            for minute in range(now - 600, now + 60 * steady_runs, 60):
                for name, value in (("Requests", 1000), ("Errors", 1)):
                    data.append(
                        {
                            "MetricName": name,
                            "Dimensions": [{"Name": "Service", "Value": f"svc-{i:03d}"}],
                            "Timestamp": datetime.fromtimestamp(minute, UTC),
                            "Value": value,
                        }
                    )
        for offset in range(0, len(data), 1000):
            cloudwatch.put_metric_data(Namespace="Bench/SLO", MetricData=data[offset : offset + 1000])
        definitions = load_slos("".join(SLO.format(i=i) for i in range(slos)))
        states: dict[str, SloState] = {}
        evaluator = Evaluator(definitions, states.get, lambda s: states.__setitem__(s.name, s), cloudwatch)
        started = time.perf_counter()
        evaluator.run(now)
        first = (evaluator.calls, evaluator.metrics, time.perf_counter() - started)
        steady = []
        for run in range(1, steady_runs + 1):
            started = time.perf_counter()
            evaluator.run(now + 60 * run)
            steady.append((evaluator.calls, evaluator.metrics, time.perf_counter() - started))
        calls, metrics, _ = steady[-1]
        hourly = max(
            s[1] for s in steady
        )  # the run that also reads the minutes of the 3d window's first hour
        return {
            "slos": slos,
            "first": first,
            "calls": calls,
            "metrics_per_slo": metrics / slos,
            "metrics_per_slo_hour_average": (59 * metrics + hourly) / 60 / slos,
            "wall_s": min(s[2] for s in steady),
            "walls_s": [s[2] for s in steady],
            "monthly_usd": (59 * metrics + hourly) / 60 * RUNS_PER_MONTH * PRICE_PER_1000_METRICS / 1000,
        }


if __name__ == "__main__":
    print(slo_costs())

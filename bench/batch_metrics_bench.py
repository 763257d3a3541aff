"""The Batch queue-metrics function against a local Batch (moto server on loopback, ListJobs paged as AWS
pages it): one run of the real handler over 50 job queues holding jobs in every active state (the first
with 1,500 RUNNABLE jobs: two pages). Prints the ListJobs calls and wall time of the run, the EMF lines it
printed and the PutMetricData calls that reached the endpoint (target 0)."""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

from support.local_aws import moto_server

ROOT = Path(__file__).resolve().parent.parent
JOBS = {"SUBMITTED": 2, "PENDING": 3, "RUNNABLE": 10, "STARTING": 1, "RUNNING": 4, "SUCCEEDED": 5}
BUSY_RUNNABLE = 1500  # the first queue's RUNNABLE jobs: more than one ListJobs page


class _Context:
    function_name, memory_limit_in_mb, aws_request_id = "batch-queue-metrics", 256, "bench"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:batch-queue-metrics"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 60_000


@contextlib.contextmanager
def _environ(values: dict[str, str | None]) -> Iterator[None]:
    """The process environment with `values` set (None: removed), restored afterwards."""
    with mock.patch.dict(os.environ):
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield


def measure(queues: int = 50, runs: int = 1) -> dict[str, Any]:
    """`runs` runs of the real handler over `queues` job queues on a moto server on loopback: the figures of
    the first run, and the wall time of each (walls_s)."""
    import boto3

    from alertrouter.batch_metrics import STATUSES
    from support.batch_fakes import LIST_JOBS_MAX, build_world, paged_batch
    from support.handlers import load_handler

    with moto_server() as endpoint:
        env: dict[str, str | None] = {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_SESSION_TOKEN": None,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": endpoint,
            "POWERTOOLS_SERVICE_NAME": "alertrouter",
            "POWERTOOLS_METRICS_NAMESPACE": "AlertRouter",
            "POWERTOOLS_METRICS_DISABLED": None,
            "POWERTOOLS_DEV": None,
            "BATCH_JOB_QUEUES": None,
            "BATCH_METRICS_NAMESPACE": None,
            "BATCH_METRICS_CONCURRENCY": None,
        }
        with _environ(env), paged_batch() as calls:
            session: Any = boto3.session.Session(region_name="us-east-1")  # clients named at run time
            now = int(time.time())
            world = {
                f"bench-queue-{i:03d}": {
                    status: [now - 60 * (j + 1) for j in range(n)] for status, n in JOBS.items()
                }
                for i in range(queues)
            }
            world["bench-queue-000"]["RUNNABLE"] = [now - 60 - j % 600 for j in range(BUSY_RUNNABLE)]
            build_world(lambda name: session.client(name, endpoint_url=endpoint), world, prefix="bench")
            outputs, results, walls, requests = [], [], [], []
            for _ in range(runs):
                out = io.StringIO()
                with contextlib.redirect_stdout(out):  # the EMF lines (and the handler's log lines)
                    app = load_handler("batch_queue_metrics")
                    for cached in (app.settings, app.build_reader, app.build_metrics):
                        cached.cache_clear()
                    before = len(calls.list_jobs)
                    started = time.perf_counter()
                    results.append(app.lambda_handler({}, _Context()))
                    walls.append(time.perf_counter() - started)
                    requests.append(len(calls.list_jobs) - before)
                outputs.append(out.getvalue())
    emf = [line for line in outputs[0].splitlines() if line.startswith("{") and "_aws" in json.loads(line)]
    # one ListJobs per queue and active state, and one more for each further page a state's jobs take
    expected = sum(
        max(1, math.ceil(len(states.get(status, [])) / LIST_JOBS_MAX))
        for states in world.values()
        for status in STATUSES
    )
    result = results[0]
    return {
        "queues": queues,
        "list_jobs_calls": result["list_jobs_calls"],
        "list_jobs_expected": expected,
        "list_jobs_requests": requests[0],
        "wall_s": walls[0],
        "walls_s": walls,
        "emf_lines": len(emf),
        "put_metric_data_calls": calls.put_metric_data,
        "queues_failed": len(result["failed"]),
    }


def main() -> None:
    figures = measure()
    print(f"Batch queue metrics, one run over {figures['queues']:.0f} queues (moto server on loopback):")
    print(
        f"  ListJobs calls          {figures['list_jobs_calls']:.0f} (requests reaching the endpoint: "
        f"{figures['list_jobs_requests']:.0f})"
    )
    print(f"  wall time               {figures['wall_s']:.2f} s")
    print(f"  EMF lines               {figures['emf_lines']:.0f} (one per queue, one for the run)")
    print(f"  PutMetricData calls     {figures['put_metric_data_calls']:.0f} (target 0)")
    print(f"  queues not read         {figures['queues_failed']:.0f}")


if __name__ == "__main__":
    main()

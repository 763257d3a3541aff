"""Batch queue-metrics Lambda, run every minute by EventBridge Scheduler: for every AWS Batch job queue (or
BATCH_JOB_QUEUES), jobs by state and the oldest RUNNABLE job's age, published as EMF log lines.

Metrics (namespace BATCH_METRICS_NAMESPACE, default AlertRouter/Batch): per queue, dimension JobQueue only,
JobsSubmitted, JobsPending, JobsRunnable, JobsStarting, JobsRunning (Count), OldestRunnableAgeSeconds
(Seconds); per run, no dimension, QueuesRead and QueueReadFailures (Count). N queues give N + 1 lines (see
alertrouter.batch_metrics.publish for why not one). AWS calls: batch:DescribeJobQueues, batch:ListJobs only.
"""

from __future__ import annotations

from typing import Any

from alertrouter.batch_metrics import WORST_CALL_S, BatchMetricsError, publish
from alertrouter.composition.batch_queue_metrics import build_metrics, build_reader, settings
from alertrouter.observability import BATCH_METRICS, function_logger

__all__ = ["build_metrics", "build_reader", "lambda_handler", "settings"]

logger = function_logger(BATCH_METRICS)
# No ListJobs call starts in the invocation's last 30 s (a call's worst case, and time to publish), or its
# last half when the timeout is shorter: what was read by then is published, the rest reported.
DEADLINE_MARGIN_S = WORST_CALL_S + 3


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    reader = build_reader()
    remaining_s = context.get_remaining_time_in_millis() / 1000
    deadline = reader.monotonic() + remaining_s - min(DEADLINE_MARGIN_S, remaining_s / 2)
    run = reader.run(deadline=deadline)  # QueueListError (a BatchMetricsError) when listing fails
    lines = publish(run, build_metrics())
    failed = [f.queue for f in run.failures]
    logger.info(
        "Batch job queues measured",
        extra={
            "queues_read": len(run.queues),
            "failed": failed,
            "list_jobs_calls": run.list_jobs_calls,
            "describe_job_queues_calls": run.describe_calls,
            "emf_lines": lines,
        },
    )
    if run.all_failed:  # fail the invocation, so Lambda's Errors metric (and its alarm) sees it
        raise BatchMetricsError(f"none of the {len(failed)} job queues could be read: {', '.join(failed)}")
    return {"queues": len(run.queues), "failed": failed, "list_jobs_calls": run.list_jobs_calls}

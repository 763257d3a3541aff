"""AWS Batch job queues as CloudWatch metrics: how many jobs wait or run in each queue, and how long the
oldest runnable job has waited.

Each queue (every queue in the region, or a configured list of names or ARNs) is read with ListJobs once per
active status, every page of up to 1,000 jobs. Queues are read concurrently by a bounded thread pool sharing
one botocore client (thread-safe); throttling is retried by botocore itself (standard retry mode: jittered
exponential backoff). A queue that cannot be read is reported, and the others are still published. The
metrics leave as EMF log lines through Powertools (`publish`), never by PutMetricData.

An array job counts once, as its parent (ListJobs lists child jobs only when asked by array job id).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from alertrouter.observability import BATCH_METRICS, module_logger

logger = module_logger(BATCH_METRICS, __name__)

# the statuses of a job not yet finished, and the metric counting each
COUNT_METRICS = {
    "SUBMITTED": "JobsSubmitted",
    "PENDING": "JobsPending",
    "RUNNABLE": "JobsRunnable",
    "STARTING": "JobsStarting",
    "RUNNING": "JobsRunning",
}
STATUSES = tuple(COUNT_METRICS)
DIMENSION = "JobQueue"
LIST_JOBS_PAGE = 1000  # the largest page ListJobs returns for a jobStatus query
DESCRIBE_QUEUES_PAGE = 100  # DescribeJobQueues' largest page, and the most queues one call may name


CONNECT_TIMEOUT_S, READ_TIMEOUT_S, ATTEMPTS = 2, 3, 4
# one call at worst: every attempt times out, with botocore's backoff (up to 1, 2, 4 s) between them
WORST_CALL_S = ATTEMPTS * (CONNECT_TIMEOUT_S + READ_TIMEOUT_S) + (1 + 2 + 4)


def batch_client_config(concurrency: int) -> Config:
    """The Batch client's deadlines and retries. botocore retries throttling (and 5xx, timeouts) in
    standard mode: 4 attempts in all, jittered exponential backoff. (Adaptive mode's client-side rate
    limiter can fall to 0.5 calls/s and stretch a run past its minute.) Every pool thread can hold its own
    connection."""
    return Config(
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        max_pool_connections=max(10, concurrency),
        retries={"mode": "standard", "total_max_attempts": ATTEMPTS},
    )


class BatchMetricsError(Exception):
    """A run with nothing to trust: the job queues could not be listed, or not one queue could be read."""


class QueueListError(BatchMetricsError):
    """DescribeJobQueues failed (after botocore's retries)."""


class _DeadlineError(Exception):
    """The run's deadline passed before this queue was read."""


@dataclass(frozen=True)
class JobQueue:
    name: str
    arn: str


@dataclass(frozen=True)
class QueueState:
    """One queue's jobs by status (every status in STATUSES) and the oldest RUNNABLE job's age (0: none)."""

    queue: JobQueue
    jobs: dict[str, int]
    oldest_runnable_age_s: float


@dataclass(frozen=True)
class QueueFailure:
    """A queue not read. reason: the AWS error code (AccessDeniedException, ClientException,
    ThrottlingException...), NotFound (a configured entry that names no queue), DeadlineExceeded, or the
    botocore error's class (ReadTimeoutError, EndpointConnectionError...)."""

    queue: str  # the queue's name, or the configured entry that named no queue
    reason: str
    detail: str = ""


@dataclass
class QueueMetricsRun:
    queues: list[QueueState] = field(default_factory=list)
    failures: list[QueueFailure] = field(default_factory=list)
    list_jobs_calls: int = 0
    describe_calls: int = 0

    @property
    def all_failed(self) -> bool:
        return bool(self.failures) and not self.queues


class _Calls:
    """API calls made during one run, counted across the pool's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.list_jobs = 0
        self.describe = 0

    def add(self, operation: str) -> None:
        with self._lock:
            setattr(self, operation, getattr(self, operation) + 1)


def _epoch_ms() -> int:
    return int(time.time() * 1000)


class QueueMetricsReader:
    """Reads the state of Batch job queues through a botocore `batch` client (see batch_client_config).

    queues: names or ARNs to read; empty reads every queue in the client's region (DescribeJobQueues).
    """

    def __init__(
        self,
        client: Any,
        queues: Sequence[str] = (),
        *,
        concurrency: int = 8,
        now_ms: Callable[[], int] = _epoch_ms,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.client = client
        self.configured = tuple(dict.fromkeys(queues))
        self.concurrency = concurrency
        self.now_ms = now_ms
        self.monotonic = monotonic

    def run(self, deadline: float | None = None) -> QueueMetricsRun:
        """Read every queue. deadline (on `monotonic`'s clock): no ListJobs call starts after it, and the
        queues not read by then are reported. Raises QueueListError when the queues cannot be listed."""
        calls = _Calls()
        queues, missing = self._job_queues(calls)
        now_ms = self.now_ms()  # one "now" for every queue of the run
        run = QueueMetricsRun(
            failures=[
                QueueFailure(entry, "NotFound", "no such job queue in this region") for entry in missing
            ]
        )
        if queues:
            workers = min(self.concurrency, len(queues))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="batch-queue") as pool:
                futures = [pool.submit(self._read, queue, now_ms, deadline, calls) for queue in queues]
                for future in futures:  # in queue order, so the output is the same run to run
                    outcome = future.result()
                    if isinstance(outcome, QueueState):
                        run.queues.append(outcome)
                    else:
                        run.failures.append(outcome)
        for failure in run.failures:
            logger.warning(
                "job queue not read",
                extra={"job_queue": failure.queue, "reason": failure.reason, "detail": failure.detail},
            )
        run.list_jobs_calls, run.describe_calls = calls.list_jobs, calls.describe
        return run

    # ---- DescribeJobQueues: which queues ----

    def _job_queues(self, calls: _Calls) -> tuple[list[JobQueue], list[str]]:
        """The queues to read, and the configured entries that name no queue."""
        try:
            if not self.configured:
                return self._describe(None, calls), []
            found: dict[str, JobQueue] = {}  # by name and by ARN
            for first in range(0, len(self.configured), DESCRIBE_QUEUES_PAGE):
                for queue in self._describe(
                    list(self.configured[first : first + DESCRIBE_QUEUES_PAGE]), calls
                ):
                    found[queue.name] = found[queue.arn] = queue
        except (ClientError, BotoCoreError) as e:
            raise QueueListError(f"the job queues could not be listed: {e}") from e
        queues = list(dict.fromkeys(found[entry] for entry in self.configured if entry in found))
        return queues, [entry for entry in self.configured if entry not in found]

    def _describe(self, names: list[str] | None, calls: _Calls) -> list[JobQueue]:
        # naming queues, one call answers for up to 100 of them; listing all, pages of up to 100 queues
        request: dict[str, Any] = {"jobQueues": names} if names else {"maxResults": DESCRIBE_QUEUES_PAGE}
        return [
            JobQueue(q["jobQueueName"], q["jobQueueArn"])
            for page in self._pages(self.client.describe_job_queues, request, lambda: calls.add("describe"))
            for q in page.get("jobQueues", [])
        ]

    # ---- ListJobs: one queue's jobs ----

    def _read(
        self, queue: JobQueue, now_ms: int, deadline: float | None, calls: _Calls
    ) -> QueueState | QueueFailure:
        try:
            jobs: dict[str, int] = {}
            oldest_ms: int | None = None
            for status in STATUSES:
                jobs[status] = 0
                for job in self._list_jobs(queue, status, deadline, calls):
                    jobs[status] += 1
                    if status == "RUNNABLE" and (oldest_ms is None or job["createdAt"] < oldest_ms):
                        oldest_ms = job["createdAt"]
        except ClientError as e:
            error = e.response.get("Error", {})
            return QueueFailure(
                queue.name, str(error.get("Code") or "ClientError"), str(error.get("Message", ""))
            )
        except BotoCoreError as e:  # timeouts and connection errors, after botocore's retries
            return QueueFailure(queue.name, type(e).__name__, str(e))
        except _DeadlineError:
            return QueueFailure(
                queue.name, "DeadlineExceeded", "the run's deadline passed before the queue was read"
            )
        age_s = 0.0 if oldest_ms is None else max(0.0, (now_ms - oldest_ms) / 1000)
        return QueueState(queue, jobs, age_s)

    def _list_jobs(
        self, queue: JobQueue, status: str, deadline: float | None, calls: _Calls
    ) -> Iterator[dict[str, Any]]:
        request: dict[str, Any] = {"jobQueue": queue.arn, "jobStatus": status, "maxResults": LIST_JOBS_PAGE}

        def before_call() -> None:
            if deadline is not None and self.monotonic() >= deadline:
                raise _DeadlineError
            calls.add("list_jobs")

        for page in self._pages(self.client.list_jobs, request, before_call):
            yield from page.get("jobSummaryList", [])

    @staticmethod
    def _pages(
        call: Callable[..., dict[str, Any]], request: dict[str, Any], before_call: Callable[[], None]
    ) -> Iterator[dict[str, Any]]:
        """Every page of a Batch list call, following nextToken; `before_call` runs before each request.
        (Written here rather than with botocore's paginators, so that the run's deadline is checked and each
        call counted before it is made.)"""
        while True:
            before_call()
            page = call(**request)
            yield page
            if not page.get("nextToken"):
                return
            request = {**request, "nextToken": page["nextToken"]}


def publish(run: QueueMetricsRun, metrics: EphemeralMetrics) -> int:
    """Print the run's metrics as EMF log lines (CloudWatch Logs turns them into metrics; no PutMetricData)
    and return how many lines: one per queue read, then one for the run.

    Per queue, dimension JobQueue (the queue's name): JobsSubmitted, JobsPending, JobsRunnable, JobsStarting,
    JobsRunning (Count) and OldestRunnableAgeSeconds (Seconds). For the run, no dimension: QueuesRead and
    QueueReadFailures (Count). A queue not read publishes nothing that minute (no made-up zeros).

    Why not one line: an EMF document holds each dimension's value once, as a root member (`"JobQueue":
    "q1"`), so the metrics of N queues need N documents. The run's metrics have no JobQueue dimension, so
    they take one more: N + 1 lines. (EMF could carry them in the last queue's document as a second metric
    directive, but Powertools applies a document's dimensions to all its metrics; one line of N + 1 is not
    worth hand-written EMF.) Each line holds 6 metrics, far inside EMF's 100 metrics and 256 KB.
    """
    lines = 0
    for state in run.queues:
        metrics.add_dimension(name=DIMENSION, value=state.queue.name)
        for status, name in COUNT_METRICS.items():
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=state.jobs[status])
        metrics.add_metric(
            name="OldestRunnableAgeSeconds", unit=MetricUnit.Seconds, value=state.oldest_runnable_age_s
        )
        _flush(metrics)
        lines += 1
    metrics.add_metric(name="QueuesRead", unit=MetricUnit.Count, value=len(run.queues))
    metrics.add_metric(name="QueueReadFailures", unit=MetricUnit.Count, value=len(run.failures))
    _flush(metrics)
    return lines + 1


def _flush(metrics: EphemeralMetrics) -> None:
    metrics.flush_metrics()  # prints one EMF line and clears, unless POWERTOOLS_METRICS_DISABLED is set:
    metrics.clear_metrics()  # then nothing is printed or cleared, and values would pile up run after run

"""The Batch queue-metrics function, its real handler on moto: Batch queues with jobs in every active state,
ListJobs paged as AWS pages it, queues that do not exist or cannot be read, throttling (injected before
moto, retried by botocore). The EMF lines the handler prints are parsed back and checked."""

from __future__ import annotations

import importlib
import itertools
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws
from pydantic import ValidationError

from alertrouter.batch_metrics import BatchMetricsError, QueueListError, QueueMetricsReader
from alertrouter.models.settings import BatchMetricsSettings
from support.batch_fakes import BatchCalls, Fault, build_world, inject_faults, paged_batch
from support.local_aws import use_fake_aws_environment

pytestmark = pytest.mark.integration

NOW_S = int(time.time()) // 60 * 60  # the injected clock: EMF timestamps stay real, ages are exact
RUNNABLE_ETL = [NOW_S - 600 + i % 300 for i in range(1205)]  # two ListJobs pages of RUNNABLE jobs
RUNNABLE_ETL[1100] = NOW_S - 5400  # the oldest, on the second page
WORLD = {
    "etl-nightly": {
        "SUBMITTED": [NOW_S - 5] * 2,
        "PENDING": [NOW_S - 30] * 3,
        "RUNNABLE": RUNNABLE_ETL,
        "STARTING": [NOW_S - 9000],
        "RUNNING": [NOW_S - 7200] * 4,
        "SUCCEEDED": [NOW_S - 9999] * 6,
    },
    "ml-training": {"RUNNABLE": [NOW_S - 45, NOW_S - 90], "RUNNING": [NOW_S - 60], "FAILED": [NOW_S - 70]},
    "reports": {"SUCCEEDED": [NOW_S - 100]},
}
EXPECTED = {  # JobsSubmitted, JobsPending, JobsRunnable, JobsStarting, JobsRunning, OldestRunnableAgeSeconds
    "etl-nightly": (2, 3, 1205, 1, 4, 5400.0),
    "ml-training": (0, 0, 2, 0, 1, 90.0),
    "reports": (0, 0, 0, 0, 0, 0.0),
}
COUNTS = ("JobsSubmitted", "JobsPending", "JobsRunnable", "JobsStarting", "JobsRunning")
UNITS = {**dict.fromkeys(COUNTS, "Count"), "OldestRunnableAgeSeconds": "Seconds"}


@dataclass
class Batch:
    calls: BatchCalls
    arns: dict[str, str]
    session: Any
    app: Any
    records: list[logging.LogRecord]

    def reader(self) -> QueueMetricsReader:
        """The handler's reader, built from the environment as set now, on the injected clock."""
        for cached in (self.app.settings, self.app.build_reader, self.app.build_metrics):
            cached.cache_clear()
        reader: QueueMetricsReader = self.app.build_reader()
        reader.now_ms = lambda: NOW_S * 1000
        return reader

    def failures(self) -> dict[str, str]:
        return {
            r.__dict__["job_queue"]: r.__dict__["reason"]
            for r in self.records
            if r.getMessage() == "job queue not read"
        }


class Context:
    function_name, memory_limit_in_mb, aws_request_id = "batch-queue-metrics", 256, "req-1"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:batch-queue-metrics"

    def __init__(self, remaining_ms: int = 60_000) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def batch(monkeypatch: pytest.MonkeyPatch) -> Iterator[Batch]:
    from botocore.retries.standard import ExponentialBackoff

    use_fake_aws_environment(monkeypatch)
    for name, value in {
        # as the template sets them for every function: neither may reach these metrics
        "POWERTOOLS_SERVICE_NAME": "alertrouter",
        "POWERTOOLS_METRICS_NAMESPACE": "AlertRouter",
    }.items():
        monkeypatch.setenv(name, value)
    for name in (
        "POWERTOOLS_METRICS_DISABLED",
        "POWERTOOLS_DEV",
        "BATCH_JOB_QUEUES",
        "BATCH_METRICS_NAMESPACE",
        "BATCH_METRICS_CONCURRENCY",
    ):
        monkeypatch.delenv(name, raising=False)
    # botocore waits a random 0..2^n s before retry n; the tests keep every retry and shorten only the wait
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.001)
    app = importlib.import_module("batch_queue_metrics.app")
    records, parent = _Records(), logging.getLogger("alertrouter-batch-metrics")
    parent.addHandler(records)
    # DescribeJobQueues pages of 2 queues (AWS pages by 100): listing the account's 3 queues takes 2 pages
    with mock_aws(config={"batch": {"use_docker": False}}), paged_batch(describe_cap=2) as calls:
        session = boto3.session.Session(region_name="us-east-1")
        arns = build_world(session.client, WORLD)
        yield Batch(calls, arns, session, app, records.records)
    parent.removeHandler(records)


def emf(capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, dict[str, Any]], dict[str, Any] | None]:
    """The EMF documents printed: per-queue ones by queue name, and the run's (checked for shape here)."""
    docs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    docs = [d for d in docs if "_aws" in d]  # Powertools' log lines are JSON too
    per_queue, run = {}, None
    for doc in docs:
        (directive,) = doc["_aws"]["CloudWatchMetrics"]
        assert "service" not in doc and "function_name" not in doc
        units = {m["Name"]: m["Unit"] for m in directive["Metrics"]}
        if directive["Dimensions"] == [["JobQueue"]]:
            assert units == UNITS
            assert doc["JobQueue"] not in per_queue  # one line per queue
            per_queue[doc["JobQueue"]] = doc
        else:
            assert (
                directive["Dimensions"] == [[]] and run is None
            )  # the run's metrics: no dimension, one line
            assert units == {"QueuesRead": "Count", "QueueReadFailures": "Count"}
            run = doc
    return per_queue, run


def value(doc: dict[str, Any], name: str) -> float:
    """A metric's value: EMF allows a number or an array of them; Powertools writes one value, as [v]."""
    (v,) = doc[name] if isinstance(doc[name], list) else [doc[name]]
    return float(v)


def values(doc: dict[str, Any]) -> tuple[float, ...]:
    return tuple(value(doc, name) for name in (*COUNTS, "OldestRunnableAgeSeconds"))


def run_values(doc: dict[str, Any] | None) -> tuple[float, float]:
    assert doc is not None
    return value(doc, "QueuesRead"), value(doc, "QueueReadFailures")


def namespaces(*docs: dict[str, Any]) -> set[str]:
    return {d["_aws"]["CloudWatchMetrics"][0]["Namespace"] for d in docs}


def test_every_queue_is_counted_by_state_with_the_oldest_runnable_age(
    batch: Batch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given three queues (every queue in the region): jobs in every state, 1,205 RUNNABLE in one of them
    batch.reader()

    # When the scheduled run happens
    result = batch.app.lambda_handler({}, Context())

    # Then each queue has its line with exact counts and age, and the run its own: N + 1 lines
    per_queue, run = emf(capsys)
    assert {q: values(doc) for q, doc in per_queue.items()} == EXPECTED
    assert run_values(run) == (3, 0)
    assert run is not None and namespaces(run, *per_queue.values()) == {"AlertRouter/Batch"}
    # ListJobs: each queue x 5 states, one more page for the RUNNABLE jobs, always AWS's largest page
    assert result == {"queues": 3, "failed": [], "list_jobs_calls": 16}
    assert len(batch.calls.list_jobs) == 16 and {r["maxResults"] for r in batch.calls.list_jobs} == {1000}
    assert sum(1 for r in batch.calls.list_jobs if r["nextToken"]) == 1
    assert len(batch.calls.describe_job_queues) == 2  # every queue listed, across pages
    # and no PutMetricData, ever (the count is real: it sees one when one is made)
    assert batch.calls.put_metric_data == 0
    batch.session.client("cloudwatch").put_metric_data(
        Namespace="Check", MetricData=[{"MetricName": "Probe", "Value": 1.0}]
    )
    assert batch.calls.put_metric_data == 1


def test_a_configured_queue_that_does_not_exist_is_reported_and_the_others_published(
    batch: Batch, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a configured list: a name, an ARN, a queue that does not exist, a repeat; a namespace; 1 thread
    monkeypatch.setenv("BATCH_JOB_QUEUES", f" ml-training, {batch.arns['reports']},no-such-queue,ml-training")
    monkeypatch.setenv("BATCH_METRICS_NAMESPACE", "Team/Batch")
    monkeypatch.setenv("BATCH_METRICS_CONCURRENCY", "1")
    batch.reader()

    result = batch.app.lambda_handler({}, Context())

    per_queue, run = emf(capsys)
    assert {q: values(doc) for q, doc in per_queue.items()} == {
        q: EXPECTED[q] for q in ("ml-training", "reports")
    }
    assert run_values(run) == (2, 1)
    assert run is not None and namespaces(run, *per_queue.values()) == {"Team/Batch"}
    assert result["failed"] == ["no-such-queue"] and batch.failures() == {"no-such-queue": "NotFound"}
    # the configured queues are looked up in one call, and only the listed ones are read
    assert [r["jobQueues"] for r in batch.calls.describe_job_queues] == [
        ["ml-training", batch.arns["reports"], "no-such-queue"]
    ]
    assert {r["jobQueue"] for r in batch.calls.list_jobs} == {
        batch.arns["ml-training"],
        batch.arns["reports"],
    }


def test_a_queue_that_cannot_be_read_is_reported_and_the_others_published(
    batch: Batch, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given ListJobs on one queue denied (as an IAM policy scoped to some queues would)
    reader = batch.reader()
    attempts = inject_faults(
        reader.client, monkeypatch, list_jobs={"ml-training": Fault("AccessDeniedException", 403)}
    )

    result = batch.app.lambda_handler({}, Context())

    per_queue, run = emf(capsys)
    assert {q: values(doc) for q, doc in per_queue.items()} == {
        q: EXPECTED[q] for q in ("etl-nightly", "reports")
    }
    assert run_values(run) == (2, 1)
    assert result["failed"] == ["ml-training"] and batch.failures() == {
        "ml-training": "AccessDeniedException"
    }
    assert attempts["ml-training"] == 1  # a denial is not retried


@pytest.mark.parametrize(
    ("code", "status"), [("ThrottlingException", 400), ("TooManyRequestsException", 429)]
)
def test_throttled_calls_are_retried_with_backoff_and_succeed(
    batch: Batch, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, code: str, status: int
) -> None:
    # Given Batch throttling the first ListJobs call of a queue three times in a row
    reader = batch.reader()
    attempts = inject_faults(
        reader.client, monkeypatch, list_jobs={"etl-nightly": Fault(code, status, times=3)}
    )

    result = batch.app.lambda_handler({}, Context())

    # Then botocore retried (its 4th attempt succeeded) and every queue is published, exact
    per_queue, run = emf(capsys)
    assert {q: values(doc) for q, doc in per_queue.items()} == EXPECTED
    assert run_values(run)[1] == 0 and result["failed"] == []
    etl_calls = sum(1 for r in batch.calls.list_jobs if r["jobQueue"] == batch.arns["etl-nightly"])
    assert etl_calls == 6 and attempts["etl-nightly"] == etl_calls + 3
    assert result["list_jobs_calls"] == 16  # calls, not attempts


def test_throttling_that_does_not_end_is_reported_once_botocore_gives_up(
    batch: Batch, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = batch.reader()
    attempts = inject_faults(reader.client, monkeypatch, list_jobs={"reports": Fault("ThrottlingException")})

    result = batch.app.lambda_handler({}, Context())

    per_queue, run = emf(capsys)
    assert {q: values(doc) for q, doc in per_queue.items()} == {
        q: EXPECTED[q] for q in ("etl-nightly", "ml-training")
    }
    assert run_values(run) == (2, 1)
    assert result["failed"] == ["reports"] and batch.failures() == {"reports": "ThrottlingException"}
    assert (
        attempts["reports"] == 4
    )  # botocore's attempts (standard mode, 4 in all), then the queue is given up


def test_when_no_queue_can_be_read_the_invocation_fails(
    batch: Batch, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = batch.reader()
    inject_faults(
        reader.client, monkeypatch, list_jobs=dict.fromkeys(WORLD, Fault("AccessDeniedException", 403))
    )

    with pytest.raises(BatchMetricsError, match="none of the 3 job queues"):
        batch.app.lambda_handler({}, Context())

    # the failures are still counted before the invocation fails (Lambda's Errors metric sees the failure)
    per_queue, run = emf(capsys)
    assert per_queue == {} and run_values(run) == (0, 3)
    assert batch.failures() == dict.fromkeys(WORLD, "AccessDeniedException")


def test_when_the_queues_cannot_be_listed_the_invocation_fails(
    batch: Batch, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = batch.reader()
    attempts = inject_faults(reader.client, monkeypatch, describe=Fault("ThrottlingException"))

    with pytest.raises(QueueListError):
        batch.app.lambda_handler({}, Context())

    assert emf(capsys) == ({}, None) and batch.calls.list_jobs == []
    assert attempts["DescribeJobQueues"] == 4


def test_queues_not_read_before_the_deadline_are_reported(
    batch: Batch, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given one thread and a clock that moves 1 s per look, and 14 s left: no call starts in the last half
    # (the margin is 30 s, or half the time left when less), which leaves the first queue's 6 calls only
    monkeypatch.setenv("BATCH_METRICS_CONCURRENCY", "1")
    reader = batch.reader()
    ticks = itertools.count()
    reader.monotonic = lambda: float(next(ticks))

    result = batch.app.lambda_handler({}, Context(remaining_ms=14_000))

    per_queue, run = emf(capsys)
    assert list(per_queue) == ["etl-nightly"] and values(per_queue["etl-nightly"]) == EXPECTED["etl-nightly"]
    assert run_values(run) == (1, 2)
    assert result["failed"] == ["ml-training", "reports"]
    assert batch.failures() == {"ml-training": "DeadlineExceeded", "reports": "DeadlineExceeded"}
    assert len(batch.calls.list_jobs) == 6


def test_settings_defaults_and_bounds() -> None:
    settings = BatchMetricsSettings.model_validate({})
    assert (settings.job_queues, settings.batch_metrics_namespace, settings.batch_metrics_concurrency) == (
        (),
        "AlertRouter/Batch",
        8,
    )
    parsed = BatchMetricsSettings.model_validate(
        {"batch_job_queues": " a, ,b,a ", "batch_metrics_concurrency": "32"}
    )
    assert parsed.job_queues == ("a", "b") and parsed.batch_metrics_concurrency == 32
    for bad in ("0", "33"):
        with pytest.raises(ValidationError):
            BatchMetricsSettings.model_validate({"batch_metrics_concurrency": bad})

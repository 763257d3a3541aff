"""AWS Batch on moto for the queue-metrics tests and bench: job queues holding jobs in chosen states with
chosen creation times, ListJobs and DescribeJobQueues paged as AWS pages them (moto ignores maxResults and
nextToken), AWS errors answered for chosen queues before moto sees the call, and PutMetricData counted."""

from __future__ import annotations

import base64
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ACCOUNT, REGION = "123456789012", "us-east-1"
JOB_DEFINITION = "alertrouter-bench-job"
LIST_JOBS_MAX = 1000  # ListJobs' largest page for a jobStatus query
DESCRIBE_QUEUES_MAX = 100


@dataclass
class BatchCalls:
    """What reached the Batch stand-in (moto), one entry per HTTP request, retries included."""

    list_jobs: list[dict[str, Any]] = field(default_factory=list)
    describe_job_queues: list[dict[str, Any]] = field(default_factory=list)
    put_metric_data: int = 0


def _token(key: list[Any], offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"k": key, "o": offset}).encode()).decode()


def _page(
    items: list[Any], key: list[Any], max_results: Any, token: str | None, largest: int, cap: int | None
) -> tuple[list[Any], str | None]:
    """One page as AWS gives it: up to maxResults (AWS's largest when absent or above it), an opaque token
    for the rest. cap: a page smaller than asked, which AWS may also return."""
    from moto.batch.exceptions import ClientException

    size = largest if max_results is None else int(max_results)
    if size < 1:
        raise ClientException("maxResults must be at least 1")
    size = min(size, largest, cap or largest)
    offset = 0
    if token:
        try:
            decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
        except ValueError as e:
            raise ClientException("Invalid nextToken") from e
        if decoded.get("k") != key:
            raise ClientException("nextToken does not belong to this request")
        offset = int(decoded["o"])
    rest = offset + size
    return items[offset:rest], (_token(key, rest) if rest < len(items) else None)


@contextmanager
def paged_batch(list_jobs_cap: int | None = None, describe_cap: int | None = None) -> Iterator[BatchCalls]:
    """Patch moto's Batch (in this process: mock_aws or a ThreadedMotoServer) to page ListJobs and
    DescribeJobQueues like AWS, record each request, and count PutMetricData calls of any client.
    The caps make pages smaller than asked (AWS may): paging is then exercised with few queues or jobs."""
    from moto.batch.responses import BatchResponse
    from moto.cloudwatch.responses import CloudWatchResponse

    calls, lock = BatchCalls(), threading.Lock()
    real_put = CloudWatchResponse.put_metric_data

    def listjobs(self: BatchResponse) -> str:
        request = {
            name: self._get_param(name) for name in ("jobQueue", "jobStatus", "maxResults", "nextToken")
        }
        with lock:
            calls.list_jobs.append(request)
        jobs = self.batch_backend.list_jobs(
            job_queue_name=request["jobQueue"],
            array_job_id=None,
            job_status=request["jobStatus"],
            filters=self._get_param("filters"),
        )
        page, token = _page(
            jobs,
            [request["jobQueue"], request["jobStatus"]],
            request["maxResults"],
            request["nextToken"],
            LIST_JOBS_MAX,
            list_jobs_cap,
        )
        return json.dumps(
            {
                "jobSummaryList": [job.describe_short() for job in page],
                **({"nextToken": token} if token else {}),
            }
        )

    def describejobqueues(self: BatchResponse) -> str:
        request = {name: self._get_param(name) for name in ("jobQueues", "maxResults", "nextToken")}
        with lock:
            calls.describe_job_queues.append(request)
        queues = self.batch_backend.describe_job_queues(request["jobQueues"])
        page, token = _page(
            queues,
            [request["jobQueues"]],
            request["maxResults"],
            request["nextToken"],
            DESCRIBE_QUEUES_MAX,
            describe_cap,
        )
        return json.dumps({"jobQueues": page, **({"nextToken": token} if token else {})})

    def put_metric_data(self: CloudWatchResponse) -> Any:
        with lock:
            calls.put_metric_data += 1
        return real_put(self)

    saved = {
        (cls, name): cls.__dict__[name]
        for cls, name in (
            (BatchResponse, "listjobs"),
            (BatchResponse, "describejobqueues"),
            (CloudWatchResponse, "put_metric_data"),
        )
    }
    BatchResponse.listjobs = listjobs  # type: ignore[method-assign]
    BatchResponse.describejobqueues = describejobqueues  # type: ignore[method-assign]
    CloudWatchResponse.put_metric_data = put_metric_data  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        for (cls, name), method in saved.items():
            setattr(cls, name, method)


def build_world(
    client: Callable[[str], Any],
    queues: Mapping[str, Mapping[str, Sequence[int]]],
    prefix: str = "alertrouter-test",
) -> dict[str, str]:
    """Job queues (name -> status -> each job's createdAt, epoch seconds) on moto; returns name -> ARN.
    moto's non-Docker Batch marks every submitted job SUCCEEDED: the states are set on its job objects."""
    from moto.batch_simple.models import batch_simple_backends

    role = client("iam").create_role(RoleName=f"{prefix}-batch", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    batch = client("batch")
    batch.create_compute_environment(
        computeEnvironmentName=f"{prefix}-ce", type="UNMANAGED", state="ENABLED", serviceRole=role
    )
    batch.register_job_definition(
        jobDefinitionName=JOB_DEFINITION,
        type="container",
        containerProperties={"image": "busybox", "vcpus": 1, "memory": 128},
    )
    backend = batch_simple_backends[ACCOUNT][REGION]
    arns: dict[str, str] = {}
    for name, states in queues.items():
        arns[name] = batch.create_job_queue(
            jobQueueName=name,
            state="ENABLED",
            priority=1,
            computeEnvironmentOrder=[{"order": 1, "computeEnvironment": f"{prefix}-ce"}],
        )["jobQueueArn"]
        for status, created in states.items():
            for i, created_s in enumerate(created):
                _, job_id, _ = backend.submit_job(
                    f"{status.lower()}-{i}", JOB_DEFINITION, name, array_properties={}
                )
                job = backend.get_job_by_id(job_id)
                assert job is not None
                job.status = status
                job.job_stopped, job.job_stopped_reason = False, None
                job.job_created_at = datetime.fromtimestamp(created_s)  # naive local, as moto keeps it
    return arns


@dataclass
class Fault:
    """An AWS error answered instead of the call: `times` times, or every time when None."""

    code: str
    status: int = 400
    times: int | None = None


def inject_faults(
    client: Any, monkeypatch: Any, list_jobs: Mapping[str, Fault] | None = None, describe: Fault | None = None
) -> Counter[str]:
    """Answer the client's ListJobs calls for the named queues (and DescribeJobQueues) with AWS errors before
    moto sees them, as Batch does when it throttles or denies. Returns the attempts seen, per queue name and
    "DescribeJobQueues": botocore's retries each come through here."""
    from botocore.awsrequest import AWSResponse
    from botocore.compat import HTTPHeaders
    from moto.core.botocore_stubber import MockRawResponse
    from moto.core.models import botocore_stubber

    attempts: Counter[str] = Counter()
    answered: Counter[str] = Counter()
    lock = threading.Lock()

    def answer(key: str, fault: Fault | None, request: Any) -> AWSResponse | None:
        with lock:
            attempts[key] += 1
            request.faulted_by_test = fault is not None and (
                fault.times is None or answered[key] < fault.times
            )
            if not request.faulted_by_test:
                return None  # on to moto
            answered[key] += 1
        assert fault is not None
        body = json.dumps({"__type": fault.code, "message": f"{fault.code} (injected by the test)"})
        headers = HTTPHeaders()
        headers["Content-Type"], headers["x-amzn-ErrorType"] = "application/json", fault.code
        return AWSResponse(request.url, fault.status, headers, MockRawResponse(body.encode()))

    def on_list_jobs(request: Any, **_: Any) -> AWSResponse | None:
        queue = str(json.loads(request.body)["jobQueue"]).rsplit("/", 1)[-1]
        return answer(queue, (list_jobs or {}).get(queue), request)

    def on_describe(request: Any, **_: Any) -> AWSResponse | None:
        return answer("DescribeJobQueues", describe, request)

    # botocore calls every before-send handler (moto's too) and keeps the first answer: without this, moto
    # would also carry out the call answered with an error, which Batch never does
    real_process = botocore_stubber.process_request
    monkeypatch.setattr(
        botocore_stubber,
        "process_request",
        lambda request: None if getattr(request, "faulted_by_test", False) else real_process(request),
    )
    client.meta.events.register("before-send.batch.ListJobs", on_list_jobs)
    client.meta.events.register("before-send.batch.DescribeJobQueues", on_describe)
    return attempts

"""Batch job outcome metrics (alertrouter.batch_outcomes) from the real events in events/: which jobs are
counted, and the exact EMF documents an invocation prints (namespace AlertRouter/Batch, dimension sets
[JobQueue] and [JobQueue, JobDefinition], the values)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_lambda_powertools.metrics import EphemeralMetrics

from alertrouter.admission import Admission
from alertrouter.batch_outcomes import NAMESPACE, BatchOutcomes, duration_s
from alertrouter.models.alert import Severity
from alertrouter.models.batch import JobOutcome
from alertrouter.observability import dimensionless_metrics
from alertrouter.sources import ParseResult, parse_payload
from alertrouter.sources import batch as batch_source
from support.events import BATCH_OOM_EVENT, BATCH_TIMEOUT_EVENT, batch_job_succeeded, load_event

OOM_QUEUE, OOM_DEFINITION = "calcloud-hst-queue-02g-test", "calcloud-jobdef-02g-test"
TIMEOUT_QUEUE, TIMEOUT_DEFINITION = "calcloud-hst-queue-16g-ops", "calcloud-jobdef-16g-ops"
OOM_SECONDS = (1636132974807 - 1636132332930) / 1000  # the real event's startedAt -> stoppedAt: 641.877
TIMEOUT_SECONDS = (1634603846539 - 1634590841754) / 1000  # 13004.785


@pytest.fixture(autouse=True)
def alerted_statuses(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stack's default BatchAlertStatuses: FAILED."""
    monkeypatch.setattr(batch_source, "ALERTED_STATUSES", frozenset({"FAILED"}))


@pytest.fixture
def outcomes() -> BatchOutcomes:
    return BatchOutcomes(dimensionless_metrics(NAMESPACE))


def emf_documents(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """The EMF documents printed, without their Timestamp (the time of printing)."""
    docs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    for doc in docs:
        assert isinstance(doc["_aws"].pop("Timestamp"), int)
    return docs


def document(queue: str, definition: str, values: dict[str, list[float]]) -> dict[str, Any]:
    """The EMF document expected for one queue and job definition."""
    units = {"JobDuration": "Seconds"}
    return {
        "_aws": {
            "CloudWatchMetrics": [
                {
                    "Namespace": "AlertRouter/Batch",
                    "Dimensions": [["JobQueue"], ["JobQueue", "JobDefinition"]],
                    "Metrics": [{"Name": name, "Unit": units.get(name, "Count")} for name in values],
                }
            ]
        },
        "JobQueue": queue,
        "JobDefinition": definition,
        **values,
    }


# ---- which jobs are counted ----


def test_a_real_failed_job_is_alerted_and_counted_with_its_names_and_times() -> None:
    result = parse_payload(load_event(BATCH_OOM_EVENT))
    [alert] = result.alerts
    assert alert.labels["alertname"] == "BatchJobFailed" and result.ignored == []
    assert result.outcomes == [
        JobOutcome(
            account="xxxxxxxxxxxx",  # (scrubbed by calcloud's authors)
            queue=OOM_QUEUE,
            definition=OOM_DEFINITION,  # without its revision (:44)
            succeeded=False,
            started_at_ms=1636132332930,
            stopped_at_ms=1636132974807,
        )
    ]


def test_a_succeeded_job_is_only_counted_no_alert_and_not_ignored() -> None:
    result = parse_payload(batch_job_succeeded())
    assert result.alerts == [] and result.ignored == []  # no alert, no "event ignored" line or metric
    [outcome] = result.outcomes
    assert (outcome.queue, outcome.definition, outcome.succeeded) == (OOM_QUEUE, OOM_DEFINITION, True)


def test_a_succeeded_job_listed_in_the_alert_statuses_is_still_an_info_alert_and_counted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(batch_source, "ALERTED_STATUSES", frozenset({"FAILED", "SUCCEEDED"}))
    result = parse_payload(batch_job_succeeded())
    [alert] = result.alerts
    assert (alert.severity, alert.labels["alertname"], alert.title) == (
        Severity.INFO,
        "BatchJobSucceeded",
        "j8hqdfgaq is SUCCEEDED",
    )
    assert [o.succeeded for o in result.outcomes] == [True]


def test_a_failed_job_not_listed_in_the_alert_statuses_is_still_counted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(batch_source, "ALERTED_STATUSES", frozenset({"RUNNABLE"}))
    result = parse_payload(load_event(BATCH_TIMEOUT_EVENT))
    assert result.alerts == [] and result.ignored == []
    assert [(o.queue, o.definition, o.succeeded) for o in result.outcomes] == [
        (TIMEOUT_QUEUE, TIMEOUT_DEFINITION, False)
    ]


def test_a_job_that_has_not_ended_is_not_counted() -> None:
    result = parse_payload(load_event("eventbridge_batch_job_state_change_RUNNABLE_awsdocs.json"))
    assert result.outcomes == [] and len(result.ignored) == 1


def test_an_array_parent_is_not_counted_its_children_are() -> None:
    parent = load_event(BATCH_OOM_EVENT)
    parent["detail"]["arrayProperties"] = {"size": 3}
    assert parse_payload(parent).outcomes == []
    child = load_event(BATCH_OOM_EVENT)
    child["detail"]["arrayProperties"] = {"index": 2, "size": 3}
    assert len(parse_payload(child).outcomes) == 1


def test_an_sqs_record_of_several_events_carries_each_outcome() -> None:
    record = {"eventSource": "aws:sqs", "body": json.dumps(batch_job_succeeded())}
    failed = {"eventSource": "aws:sqs", "body": json.dumps(load_event(BATCH_OOM_EVENT))}
    result: ParseResult = parse_payload({"Records": [record, failed]})
    assert [o.succeeded for o in result.outcomes] == [True, False] and len(result.alerts) == 1


def test_the_accounts_served_are_those_of_the_admission() -> None:
    [outcome] = parse_payload(batch_job_succeeded()).outcomes
    assert Admission.of("123456789012", ["xxxxxxxxxxxx"]).serves(outcome.account)
    assert not Admission.of("123456789012").serves(outcome.account)  # counted nowhere (the service: ignored)
    assert Admission.of("").serves(outcome.account)  # no account configured: a local run serves any


@pytest.mark.parametrize(
    ("started", "stopped", "seconds"),
    [
        (1_000, 3_500, 2.5),
        (None, 3_500, None),  # failed before it started (cancelled, image pull)
        (1_000, None, None),
        (3_500, 1_000, None),  # stopped before it started: a broken timestamp
        (0, 3_500, None),
        (1_000, 1_000 + 31 * 86_400_000, None),  # over 30 days: not a run time
    ],
)
def test_the_duration_is_started_to_stopped_and_left_out_without_both(
    started: int | None, stopped: int | None, seconds: float | None
) -> None:
    outcome = JobOutcome("1", "q", "d", False, started_at_ms=started, stopped_at_ms=stopped)
    assert duration_s(outcome) == seconds


# ---- the EMF documents ----


def test_the_real_events_print_one_document_per_queue_and_definition(
    outcomes: BatchOutcomes, capsys: pytest.CaptureFixture[str]
) -> None:
    for event in (load_event(BATCH_OOM_EVENT), batch_job_succeeded(), load_event(BATCH_TIMEOUT_EVENT)):
        outcomes.add(parse_payload(event).outcomes)
    assert outcomes.pending == 3
    assert outcomes.publish() == 2
    assert emf_documents(capsys) == [
        document(
            OOM_QUEUE,
            OOM_DEFINITION,
            {
                "JobsSucceeded": [1.0],
                "JobsFailed": [1.0],
                "JobsFinished": [2.0],
                "JobDuration": [OOM_SECONDS, OOM_SECONDS],  # one value per job
            },
        ),
        document(
            TIMEOUT_QUEUE,
            TIMEOUT_DEFINITION,
            {
                "JobsSucceeded": [0.0],  # zeros too: the ratio has data wherever a job finished
                "JobsFailed": [1.0],
                "JobsFinished": [1.0],
                "JobDuration": [TIMEOUT_SECONDS],
            },
        ),
    ]
    assert outcomes.pending == 0 and outcomes.publish() == 0  # published once, then forgotten
    assert emf_documents(capsys) == []


def test_a_job_that_failed_before_it_started_is_counted_without_a_duration(
    outcomes: BatchOutcomes, capsys: pytest.CaptureFixture[str]
) -> None:
    cancelled = load_event(BATCH_OOM_EVENT)
    detail = cancelled["detail"]
    detail.update(attempts=[], statusReason="Dependent Job failed")
    del detail["startedAt"]
    outcomes.add(parse_payload(cancelled).outcomes)
    outcomes.publish()
    assert emf_documents(capsys) == [
        document(
            OOM_QUEUE, OOM_DEFINITION, {"JobsSucceeded": [0.0], "JobsFailed": [1.0], "JobsFinished": [1.0]}
        )
    ]


def test_no_service_dimension_even_with_the_functions_service_name(
    outcomes: BatchOutcomes, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "alertrouter")  # as the template sets it
    metrics = BatchOutcomes(dimensionless_metrics(NAMESPACE))
    metrics.add(parse_payload(batch_job_succeeded()).outcomes)
    metrics.publish()
    [doc] = emf_documents(capsys)
    assert "service" not in doc
    assert doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["JobQueue"], ["JobQueue", "JobDefinition"]]


def test_a_500_job_storm_prints_a_bounded_number_of_documents(
    outcomes: BatchOutcomes, capsys: pytest.CaptureFixture[str]
) -> None:
    """500 failures (each a second longer than the last) and 30 successes of one queue and definition, and 7
    failures of another: 6 + 1 documents, not 537. The counts are in the first document of each pair only;
    every duration is in exactly one, at most 100 to a document (EMF's limit per metric)."""
    storm = [JobOutcome("1", "nightly", "render", False, 1_000, 1_000 + (i + 1) * 1_000) for i in range(500)]
    storm += [JobOutcome("1", "nightly", "render", True, 1_000, 61_000)] * 30
    other = [JobOutcome("1", "nightly", "encode", False)] * 7  # never started
    for index in range(0, len(storm), 10):  # ten outcomes a record, as the storm queue's batches
        outcomes.add(storm[index : index + 10])
    outcomes.add(other)
    assert outcomes.publish() == 7
    docs = emf_documents(capsys)
    assert len(docs) == 7
    assert docs[0] == document(
        "nightly",
        "encode",
        {"JobsSucceeded": [0.0], "JobsFailed": [7.0], "JobsFinished": [7.0]},
    )
    render = docs[1:]
    assert {(d["JobQueue"], d["JobDefinition"]) for d in render} == {("nightly", "render")}
    assert render[0]["JobsSucceeded"] == [30.0] and render[0]["JobsFailed"] == [500.0]
    assert render[0]["JobsFinished"] == [530.0]
    assert all("JobsFinished" not in d for d in render[1:])
    durations = [value for d in render for value in d["JobDuration"]]
    assert [len(d["JobDuration"]) for d in render] == [100, 100, 100, 100, 100, 30]
    assert sorted(durations) == sorted([float(i + 1) for i in range(500)] + [60.0] * 30)
    for doc in render[1:]:
        assert doc == document("nightly", "render", {"JobDuration": doc["JobDuration"]})


def test_exactly_100_durations_are_one_document(
    outcomes: BatchOutcomes, capsys: pytest.CaptureFixture[str]
) -> None:
    outcomes.add([JobOutcome("1", "q", "d", True, 0 + 1, 2_001)] * 100)
    assert outcomes.publish() == 1
    [doc] = emf_documents(capsys)
    assert doc["JobsFinished"] == [100.0] and doc["JobDuration"] == [2.0] * 100


def test_nothing_is_printed_when_metrics_are_disabled(
    outcomes: BatchOutcomes, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")  # as the demo runs
    outcomes.add([JobOutcome("1", "q", "d", True, 1, 2_001)] * 250)
    assert outcomes.publish() == 0 and outcomes.pending == 0
    assert emf_documents(capsys) == []


def test_before_powertools_3_25_the_metrics_are_by_queue_alone(capsys: pytest.CaptureFixture[str]) -> None:
    class OldMetrics(EphemeralMetrics):
        add_dimensions = property()  # no such method before Powertools 3.25: reading it raises AttributeError

    old = OldMetrics(namespace=NAMESPACE)
    old.service = ""
    outcomes = BatchOutcomes(old)
    assert not outcomes.two_sets
    outcomes.add(parse_payload(batch_job_succeeded()).outcomes)
    outcomes.publish()
    [doc] = emf_documents(capsys)
    assert doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["JobQueue"]] and "JobDefinition" not in doc

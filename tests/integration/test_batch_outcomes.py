"""Batch job outcome metrics through the real router handler on moto and the Slack stand-in: a SUCCEEDED job
is counted and says nothing in Slack; a FAILED one is both alerted and counted; a record handed back to SQS
is counted once, when its retry succeeds."""

from __future__ import annotations

import json
from typing import Any

import pytest

from alertrouter.sources import batch as batch_source
from support.events import BATCH_OOM_EVENT, batch_job_succeeded, load_event
from support.handlers import load_handler
from support.harness import Harness, LambdaContext, make_harness, sqs_event

pytestmark = pytest.mark.integration

QUEUE, DEFINITION = "calcloud-hst-queue-02g-test", "calcloud-jobdef-02g-test"
OOM_SECONDS = (1636132974807 - 1636132332930) / 1000


@pytest.fixture(autouse=True)
def alerted_statuses(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stack's default BatchAlertStatuses: FAILED."""
    monkeypatch.setattr(batch_source, "ALERTED_STATUSES", frozenset({"FAILED"}))


def succeeded() -> str:
    return json.dumps(batch_job_succeeded())


def failed() -> str:
    return json.dumps(load_event(BATCH_OOM_EVENT))


def emf(capsys: pytest.CaptureFixture[str]) -> dict[str, list[dict[str, Any]]]:
    """The EMF documents printed, by namespace."""
    out: dict[str, list[dict[str, Any]]] = {}
    for line in capsys.readouterr().out.splitlines():
        if '"_aws"' in line:
            doc = json.loads(line)
            out.setdefault(doc["_aws"]["CloudWatchMetrics"][0]["Namespace"], []).append(doc)
    return out


def outcome_values(doc: dict[str, Any]) -> dict[str, Any]:
    [directive] = doc["_aws"]["CloudWatchMetrics"]
    assert directive["Dimensions"] == [["JobQueue"], ["JobQueue", "JobDefinition"]]
    return {m["Name"]: doc[m["Name"]] for m in directive["Metrics"]} | {
        "JobQueue": doc["JobQueue"],
        "JobDefinition": doc["JobDefinition"],
    }


def test_a_succeeded_job_is_counted_and_sends_nothing(
    harness: Harness, app: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    result = app.lambda_handler(sqs_event(succeeded()), LambdaContext())
    assert result == {"batchItemFailures": []}
    assert harness.slack.calls == []  # nothing in Slack
    assert harness.receive_all(harness.stack.dlq_url) == []  # nothing kept in the DLQ
    docs = emf(capsys)
    [doc] = docs["AlertRouter/Batch"]
    assert outcome_values(doc) == {
        "JobsSucceeded": [1.0],
        "JobsFailed": [0.0],
        "JobsFinished": [1.0],
        "JobDuration": [OOM_SECONDS],
        "JobQueue": QUEUE,
        "JobDefinition": DEFINITION,
    }
    # neither malformed nor ignored: the router's own line, if any, counts neither
    for line in docs.get("AlertRouter", []):
        assert "MalformedEvents" not in line and "IgnoredEvents" not in line


def test_a_failed_job_is_alerted_and_counted(
    harness: Harness, app: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    result = app.lambda_handler(sqs_event(failed()), LambdaContext())
    assert result == {"batchItemFailures": []}
    [message] = harness.slack.channel_messages("#team")
    assert "j8hqdfgaq" in message.text and "Out of memory" in message.text
    [doc] = emf(capsys)["AlertRouter/Batch"]
    assert outcome_values(doc) == {
        "JobsSucceeded": [0.0],
        "JobsFailed": [1.0],
        "JobsFinished": [1.0],
        "JobDuration": [OOM_SECONDS],
        "JobQueue": QUEUE,
        "JobDefinition": DEFINITION,
    }


def test_one_invocation_prints_one_document_for_its_jobs_of_a_queue_and_definition(
    harness: Harness, app: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    result = app.lambda_handler(sqs_event(succeeded(), failed(), succeeded()), LambdaContext())
    assert result == {"batchItemFailures": []}
    assert len(harness.slack.channel_messages("#team")) == 1  # the failure alone
    [doc] = emf(capsys)["AlertRouter/Batch"]
    assert (doc["JobsSucceeded"], doc["JobsFailed"], doc["JobsFinished"]) == ([2.0], [1.0], [3.0])
    assert doc["JobDuration"] == [OOM_SECONDS] * 3


def test_a_record_handed_back_to_sqs_is_counted_once_when_its_retry_succeeds(
    harness: Harness, app: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # Slack is down: the failed job's record is handed back; the succeeded job beside it is done and counted
    harness.slack.faults = ["500"] * 6
    result = app.lambda_handler(sqs_event(failed(), succeeded()), LambdaContext())
    assert result == {"batchItemFailures": [{"itemIdentifier": "m-0"}]}
    [doc] = emf(capsys)["AlertRouter/Batch"]
    assert (doc["JobsSucceeded"], doc["JobsFailed"], doc["JobsFinished"]) == ([1.0], [0.0], [1.0])
    # SQS redelivers it when Slack is back: alerted once, counted once
    harness.slack.faults.clear()
    harness.clock.advance(30)
    result = app.lambda_handler(sqs_event(failed()), LambdaContext())
    assert result == {"batchItemFailures": []}
    assert len(harness.slack.channel_messages("#team")) == 1
    [doc] = emf(capsys)["AlertRouter/Batch"]
    assert (doc["JobsSucceeded"], doc["JobsFailed"], doc["JobsFinished"]) == ([0.0], [1.0], [1.0])


def test_a_succeeded_job_of_an_account_not_served_is_ignored_not_kept_in_the_dlq(
    aws: Any, slack: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    h = make_harness(aws, slack, tmp_path, account_id="123456789012")  # the events' scrubbed account is not
    module = load_handler("router")
    monkeypatch.setattr(module, "build_service", lambda: h.service)
    result = module.lambda_handler(sqs_event(succeeded()), LambdaContext())
    assert result == {"batchItemFailures": []}
    assert h.slack.calls == [] and h.receive_all(h.stack.dlq_url) == []
    docs = emf(capsys)
    assert "AlertRouter/Batch" not in docs  # not counted
    [line] = docs["AlertRouter"]
    assert line["IgnoredEvents"] == [1.0] and "RefusedEvents" not in line

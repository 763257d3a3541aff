"""Step Functions executions that failed, timed out or were aborted become one alert each, labelled with the
state machine and a short reason (the execution's error) that a group counts by; running and succeeded
executions are ignored with the reason said."""

from __future__ import annotations

import copy
import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from alertrouter.models.alert import Severity, Status
from alertrouter.models.config import MessageSettings
from alertrouter.models.state import AlertState, Member
from alertrouter.notify.details import facts
from alertrouter.notify.wording import Wording
from alertrouter.sources import MalformedEventError
from alertrouter.sources.stepfunctions import cause_text, state_machine_name
from support.events import load_event, parsed
from support.events import only_alert as one

FAILED = "eventbridge_stepfunctions_execution_status_change_FAILED_awsdocs.json"
TIMED_OUT = "eventbridge_stepfunctions_execution_status_change_TIMED_OUT_awsdocs.json"
ABORTED = "eventbridge_stepfunctions_execution_status_change_ABORTED_awsdocs.json"
RUNNING = "eventbridge_stepfunctions_execution_status_change_RUNNING_awsdocs.json"
SUCCEEDED = "eventbridge_stepfunctions_execution_status_change_SUCCEEDED_awsdocs.json"
EXECUTION = "arn:aws:states:us-east-1:012345678912:execution:state-machine-name:execution-name"
CONSOLE = (
    "https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/"
    + EXECUTION
)


def with_error(name: str, error: str | None, cause: str | None) -> dict[str, Any]:
    """The documentation's event with the `error` and `cause` a failed execution carries (its examples
    predate those fields, which DescribeExecution and the events have today)."""
    doc = copy.deepcopy(load_event(name))
    doc["detail"].update(error=error, cause=cause)
    return doc


@pytest.mark.parametrize(
    ("name", "alertname", "status", "reason", "title", "stopped_ms"),
    [
        (
            FAILED,
            "StepFunctionsExecutionFailed",
            "FAILED",
            "Failed",
            "state-machine: execution execution-name failed",
            1551225151881,
        ),
        (
            TIMED_OUT,
            "StepFunctionsExecutionTimedOut",
            "TIMED_OUT",
            "Timed out",
            "state-machine: execution execution-name timed out",
            1551224927157,
        ),
        (
            ABORTED,
            "StepFunctionsExecutionAborted",
            "ABORTED",
            "Aborted",
            "state-machine: execution execution-name aborted",
            1551225017576,
        ),
    ],
)
def test_the_documentations_ended_executions_are_alerts(
    name: str, alertname: str, status: str, reason: str, title: str, stopped_ms: int
) -> None:
    alert = one(load_event(name))
    assert (alert.source, alert.status, alert.severity, alert.one_shot) == (
        "stepfunctions",
        Status.FIRING,
        Severity.WARNING,
        True,
    )
    assert alert.title == title
    assert alert.labels == {
        "alertname": alertname,
        "source": "stepfunctions",
        "account": "012345678912",
        "region": "us-east-1",
        "severity": "warning",
        "resource": "state-machine",
        "reason": reason,
        "state_machine": "state-machine",
        "status": status,
        "execution": "execution-name",
    }
    assert alert.summary == f"The execution ended {status}"
    assert alert.annotations == {"console": CONSOLE}
    assert alert.timestamp == datetime.fromtimestamp(stopped_ms / 1000, UTC)  # stopDate


@pytest.mark.parametrize("name", [RUNNING, SUCCEEDED])
def test_running_and_succeeded_executions_are_ignored(name: str) -> None:
    result = parsed(load_event(name))
    status = load_event(name)["detail"]["status"]
    assert result.alerts == []
    assert [i.reason for i in result.ignored] == [
        f"execution execution-name is {status}: only FAILED, TIMED_OUT and ABORTED executions are alerted on"
    ]


def test_the_error_is_the_reason_and_a_lambdas_json_cause_is_read() -> None:
    cause = json.dumps(
        {
            "errorMessage": "Payment gateway returned 502",
            "errorType": "GatewayError",
            "stackTrace": ['  File "/var/task/app.py", line 12, in handler'],
        }
    )
    alert = one(with_error(FAILED, "GatewayError", cause))
    assert alert.labels["reason"] == "GatewayError"
    assert alert.title == "state-machine: execution execution-name failed: GatewayError"
    assert alert.summary == "GatewayError — GatewayError: Payment gateway returned 502"


def test_a_timeout_names_its_error() -> None:
    alert = one(with_error(TIMED_OUT, "States.Timeout", None))
    assert (alert.labels["reason"], alert.summary) == ("States.Timeout", "States.Timeout")


def test_a_plain_cause_is_kept_and_a_huge_one_shortened() -> None:
    alert = one(with_error(FAILED, "Lambda.Unknown", "The cause could not be determined. " * 200))
    assert alert.summary.startswith("Lambda.Unknown — The cause could not be determined.")
    assert len(alert.summary) <= 1000 and alert.summary.endswith("…")


@pytest.mark.parametrize(
    ("cause", "text"),
    [
        ('{"errorMessage": "boom"}', "boom"),
        ('{"Error": "x"}', '{"Error": "x"}'),  # JSON without a Lambda's message: as it is
        ("{not json", "{not json"),
        ("[1, 2]", "[1, 2]"),
        ('{"errorMessage": "' + "[" * 5 + '"}', "[[[[["),
    ],
)
def test_cause_text(cause: str, text: str) -> None:
    assert cause_text(cause) == text


@pytest.mark.parametrize(
    ("arn", "name"),
    [
        ("arn:aws:states:us-east-1:012345678912:stateMachine:orders", "orders"),
        ("arn:aws:states:us-east-1:012345678912:stateMachine:orders:3", "orders"),  # a version
        ("arn:aws:states:us-east-1:012345678912:stateMachine:orders:live", "orders"),  # an alias
        ("orders", "orders"),
    ],
)
def test_the_state_machine_is_named_from_its_arn(arn: str, name: str) -> None:
    assert state_machine_name(arn) == name


def test_a_burst_of_failures_of_one_state_machine_is_counted_by_error() -> None:
    """Nine executions fail, six on a Lambda error and three on a timeout: nine alerts (one per execution),
    one state machine, counted by reason."""
    docs = []
    for n in range(9):
        doc = with_error(FAILED, "Lambda.Unknown" if n < 6 else "States.Timeout", None)
        doc["detail"]["executionArn"] = f"{EXECUTION}-{n}"
        doc["detail"]["name"] = f"execution-name-{n}"
        docs.append(doc)
    alerts = [one(doc) for doc in docs]
    assert len({a.fingerprint for a in alerts}) == 9
    assert {a.labels["state_machine"] for a in alerts} == {"state-machine"}
    assert Counter(a.labels["reason"] for a in alerts) == {"Lambda.Unknown": 6, "States.Timeout": 3}


def test_the_message_shows_the_state_machine_execution_and_error() -> None:
    alert = one(with_error(FAILED, "Lambda.Unknown", None))
    member = Member.of(AlertState.first(alert, alert.timestamp_ms))
    assert facts(member, Wording(MessageSettings()), alert.timestamp_ms)[2:] == [
        ("State machine", "state-machine"),
        ("Execution", "execution-name"),
        ("Error", "Lambda.Unknown"),
    ]


def test_a_redriven_execution_that_fails_again_fires_the_same_alert_again() -> None:
    # (a redrive keeps the execution's ARN)
    assert one(load_event(FAILED)).fingerprint == one(with_error(FAILED, "States.Runtime", None)).fingerprint


def test_other_detail_types_are_ignored() -> None:
    doc = copy.deepcopy(load_event(FAILED))
    doc["detail-type"] = "AWS API Call via CloudTrail"
    [notice] = parsed(doc).ignored
    assert notice.reason == "Step Functions event 'AWS API Call via CloudTrail' is not alerted on"


def test_links_are_https_only_and_never_taken_from_the_cause() -> None:
    alert = one(with_error(FAILED, "Err", "see javascript:alert(1) and https://evil.example/runbook"))
    assert alert.annotations == {"console": CONSOLE}


def test_the_account_falls_back_to_the_execution_arn() -> None:
    doc = copy.deepcopy(load_event(FAILED))
    del doc["account"]
    assert one(doc).labels["account"] == "012345678912"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d["detail"].pop("executionArn"), "detail.executionArn: Field required"),
        (lambda d: d["detail"].update(status=None), "detail.status: Input should be a valid string"),
        (lambda d: d["detail"].update(stopDate="soon"), "detail.stopDate: Input should be a valid integer"),
        (lambda d: d["detail"].update(error="E" * 1000), "detail.error: String should have at most 256"),
        (lambda d: d["detail"].update(cause="c" * 40_000), "detail.cause: String should have at most 32768"),
        (lambda d: d["detail"].update(name=""), "detail.name: String should have at least 1 character"),
        (lambda d: d.update(time="26 Feb 2019"), "time: Input should be a valid datetime"),
        (lambda d: d.update(region="us-east-1.evil.example/"), "is no AWS region's name"),
    ],
)
def test_malformed_events_are_refused_naming_the_field(change: Any, problem: str) -> None:
    doc = copy.deepcopy(load_event(FAILED))
    change(doc)
    with pytest.raises(MalformedEventError) as raised:
        parsed(doc)
    assert problem in raised.value.reason
    assert raised.value.reason.startswith("Step Functions Execution Status Change")


def test_no_account_anywhere_is_refused() -> None:
    doc = copy.deepcopy(load_event(FAILED))
    del doc["account"]
    doc["detail"]["executionArn"] = doc["detail"]["stateMachineArn"] = "no-arn"
    with pytest.raises(MalformedEventError, match="no account"):
        parsed(doc)


def test_an_absurd_stop_date_falls_back_to_the_events_time() -> None:
    doc = copy.deepcopy(load_event(FAILED))
    doc["detail"]["stopDate"] = 10**18
    assert one(doc).timestamp == datetime(2019, 2, 26, 19, 42, 21, tzinfo=UTC)

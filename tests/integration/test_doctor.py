"""`alertrouter doctor` against the demo's stack on loopback (moto server, the Slack stand-in): it passes as
deployed, and each broken thing gives its own precise ✗ line and exit 1. Then the scheduled preflight function:
a check that passed yesterday and fails today is one regression, once."""

from __future__ import annotations

import dataclasses
import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alertrouter.aws import Clients
from alertrouter.cli import doctor, main
from alertrouter.config import config_version
from support.local_doctor import LocalDoctor, local_doctor

pytestmark = pytest.mark.integration

SMS_SECRET = "alertrouter-local/sms-numbers"


@pytest.fixture
def local() -> Iterator[LocalDoctor]:
    with local_doctor() as stack:
        yield stack


def run(local: LocalDoctor, capsys: pytest.CaptureFixture[str], target: Any = None) -> tuple[int, list[str]]:
    code = doctor(target or local.target, Clients(local.session), local.slack.url)
    return code, capsys.readouterr().out.splitlines()


def test_the_demo_stack_passes(local: LocalDoctor, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = run(local, capsys)
    assert code == 0, "\n".join(lines)
    assert not [line for line in lines if line.startswith("✗")]
    assert "✓ Slack token: valid, bot alertrouter in workspace Stand-in" in lines
    # the version the router logs with each line: the shipped file's hash
    [routing] = [line for line in lines if line.startswith("✓ routing config: ")]
    assert routing.endswith(f": 7 receivers, version {config_version(local.target.routing_config_path)}")
    assert "✓ Slack channel #oncall: C00000002, the app is a member" in lines
    assert "✓ SMS spend limit: 10 USD a month" in lines
    assert "✓ EventBridge rule alertrouter-local-batch-events: enabled" in lines
    # moto has no GetSMSSandboxAccountStatus: said, never passed
    assert [line for line in lines if "SMS sandbox" in line] == [
        "? SMS sandbox: cannot tell: GetSMSSandboxAccountStatus failed (ResponseParserError)"
    ]
    # the AWS services' rules on by default are checked too (GuardDuty and Security Hub are off)
    for rule in ("aws-health", "xray-insights", "ecs-events", "step-functions", "rds-events"):
        assert f"✓ EventBridge rule alertrouter-local-{rule}: enabled" in lines
    assert not [line for line in lines if "guardduty" in line or "securityhub" in line]
    assert lines[-1] == "checks: 29 ok, 0 failing, 1 could not be checked"


def test_doctor_local_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--local"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("local stack on http://127.0.0.1:") and "0 failing" in out


CHANNELS = {
    "channel_not_found": "✗ Slack channel #payments-alerts: not found (or private without the app in it) — fix: "
    "create it or correct it in routing.yaml; for a private channel, /invite @AlertRouter there",
    "is_archived": "✗ Slack channel #payments-alerts: archived — fix: unarchive #payments-alerts, or route its "
    "receivers to another channel",
    "not_in_channel": "✗ Slack channel #payments-alerts: the app is not a member — fix: /invite @AlertRouter in "
    "#payments-alerts",
}


@pytest.mark.parametrize("state", sorted(CHANNELS))
def test_a_broken_channel(state: str, local: LocalDoctor, capsys: pytest.CaptureFixture[str]) -> None:
    local.slack.broken["#payments-alerts"] = state
    code, lines = run(local, capsys)
    assert code == 1
    assert [line for line in lines if line.startswith("✗")] == [CHANNELS[state]]


@pytest.mark.parametrize("error", ["token_revoked", "invalid_auth"])
def test_a_token_slack_refuses(error: str, local: LocalDoctor, capsys: pytest.CaptureFixture[str]) -> None:
    local.slack.token_error = error
    code, lines = run(local, capsys)
    assert code == 1
    assert [line for line in lines if line.startswith("✗")] == [
        f"✗ Slack token: auth.test answers {error} — fix: reinstall the Slack app and put its new Bot User OAuth "
        "Token in secret alertrouter-local/slack-bot-token"
    ]
    # the channels cannot be checked with it: unknown, not passed
    assert "? Slack channel #oncall: not checked: the Slack token does not work" in lines


def test_a_missing_scope(local: LocalDoctor, capsys: pytest.CaptureFixture[str]) -> None:
    local.slack.scopes.discard("channels:history")
    code, lines = run(local, capsys)
    assert code == 1
    assert [line for line in lines if line.startswith("✗")] == [
        "✗ Slack scopes: the token lacks channels:history — fix: add channels:history to the app's bot scopes "
        "(slack/manifest.yaml), reinstall it and put the new token in secret alertrouter-local/slack-bot-token"
    ]


def test_channels_the_token_may_not_read(local: LocalDoctor, capsys: pytest.CaptureFixture[str]) -> None:
    local.slack.scopes.discard("channels:read")
    code, lines = run(local, capsys)
    assert code == 1
    assert (
        "✗ Slack channel #oncall: the token may not read channels (missing_scope) — fix: add channels:read and "
        "groups:read to the app's bot scopes and reinstall it" in lines
    )


def _sms_secret(local: LocalDoctor, numbers: dict[str, str]) -> None:
    local.session.client("secretsmanager").put_secret_value(
        SecretId=SMS_SECRET, SecretString=json.dumps(numbers)
    )


def test_a_recipient_missing_from_the_secret(local: LocalDoctor, capsys: pytest.CaptureFixture[str]) -> None:
    _sms_secret(local, {"oncall-primary": "+15555550100", "dana": "+15555550102", "erin": "+15555550103"})
    code, lines = run(local, capsys)
    assert code == 1
    assert [line for line in lines if line.startswith("✗")] == [
        f"✗ SMS recipients: not in secret {SMS_SECRET}: oncall-secondary (escalation of route 0.0) — fix: add each "
        f"name with its number to secret {SMS_SECRET}, or remove it from routing.yaml"
    ]


def test_a_number_not_e164(local: LocalDoctor, capsys: pytest.CaptureFixture[str]) -> None:
    _sms_secret(
        local,
        {
            "oncall-primary": "555-555-0100",
            "oncall-secondary": "+15555550101",
            "dana": "+15555550102",
            "erin": "+15555550103",
        },
    )
    code, lines = run(local, capsys)
    assert code == 1
    assert [line for line in lines if line.startswith("✗")] == [
        f"✗ SMS numbers: not E.164 in secret {SMS_SECRET}: oncall-primary (5*********00) — fix: write each as + "
        "country code and number, digits only (E.164)"
    ]


@pytest.mark.parametrize(
    ("limit", "detail"),
    [
        ("0", "MonthlySpendLimit is 0 USD: no SMS can be sent"),
        ("", "MonthlySpendLimit is not set (the account's default quota is 1 USD a month)"),
    ],
)
def test_a_spend_limit_that_sends_nothing(
    limit: str, detail: str, local: LocalDoctor, capsys: pytest.CaptureFixture[str]
) -> None:
    local.session.client("sns").set_sms_attributes(attributes={"MonthlySpendLimit": limit})
    code, lines = run(local, capsys)
    assert code == 1
    assert [line for line in lines if line.startswith("✗")] == [
        f"✗ SMS spend limit: {detail} — fix: set it: aws sns set-sms-attributes --attributes MonthlySpendLimit=<USD> "
        "(above 1 USD, ask AWS Support to raise the SMS spending quota first)"
    ]


def test_the_dlq_deleted(local: LocalDoctor, capsys: pytest.CaptureFixture[str]) -> None:
    local.session.client("sqs").delete_queue(QueueUrl=local.target.dlq_url)
    code, lines = run(local, capsys)
    assert code == 1
    assert [line for line in lines if line.startswith("✗")] == [
        "✗ DLQ alertrouter-local-ingest-dlq: does not exist — fix: deploy the stack again (sam deploy)"
    ]


def test_the_storm_queue_deleted(local: LocalDoctor, capsys: pytest.CaptureFixture[str]) -> None:
    local.session.client("sqs").delete_queue(QueueUrl=local.target.storm_queue_url)
    code, lines = run(local, capsys)
    assert code == 1
    assert [line for line in lines if line.startswith("✗")] == [
        "✗ storm queue alertrouter-local-ingest-storm: does not exist — fix: deploy the stack again (sam deploy)"
    ]


def test_a_stack_from_before_the_storm_queue_is_checked_without_it(
    local: LocalDoctor, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines = run(local, capsys, dataclasses.replace(local.target, storm_queue_url=""))
    assert code == 0 and not [line for line in lines if "storm queue" in line]


def test_the_table_deleted(local: LocalDoctor, capsys: pytest.CaptureFixture[str]) -> None:
    local.session.client("dynamodb").delete_table(TableName=local.target.table_name)
    code, lines = run(local, capsys)
    assert code == 1
    assert [line for line in lines if line.startswith("✗")] == [
        "✗ state table alertrouter-local-state: does not exist — fix: deploy the stack again; if it was deleted by "
        "hand, restore it from its point-in-time backup"
    ]


def test_a_rule_disabled(local: LocalDoctor, capsys: pytest.CaptureFixture[str]) -> None:
    local.session.client("events").disable_rule(Name="alertrouter-local-batch-events")
    code, lines = run(local, capsys)
    assert code == 1
    assert [line for line in lines if line.startswith("✗")] == [
        "✗ EventBridge rule alertrouter-local-batch-events: disabled: its events do not reach the router — fix: "
        "aws events enable-rule --name alertrouter-local-batch-events"
    ]


def test_an_alarm_missing_and_one_muted(local: LocalDoctor, capsys: pytest.CaptureFixture[str]) -> None:
    cloudwatch = local.session.client("cloudwatch")
    cloudwatch.delete_alarms(AlarmNames=["alertrouter-local-ops-router-errors"])
    code, lines = run(local, capsys)
    assert code == 1
    assert [line for line in lines if line.startswith("✗")] == [
        "✗ alarms: missing: alertrouter-local-ops-router-errors — fix: deploy the stack again (sam deploy)"
    ]
    cloudwatch.disable_alarm_actions(AlarmNames=["alertrouter-local-ops-ingest-dlq-not-empty"])
    code, lines = run(
        local,
        capsys,
        dataclasses.replace(
            local.target,
            alarm_names=tuple(n for n in local.target.alarm_names if not n.endswith("router-errors")),
        ),
    )
    assert code == 1
    assert [line for line in lines if line.startswith("✗")] == [
        "✗ alarms: actions disabled: alertrouter-local-ops-ingest-dlq-not-empty — fix: aws cloudwatch "
        "enable-alarm-actions --alarm-names alertrouter-local-ops-ingest-dlq-not-empty"
    ]


def test_an_invalid_routing_file(
    local: LocalDoctor, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    routing = tmp_path / "routing.yaml"
    routing.write_text("route:\n  receiver: nobody\nreceivers: []\n", encoding="utf-8")
    code, lines = run(local, capsys, dataclasses.replace(local.target, routing_config_path=str(routing)))
    assert code == 1
    assert [line for line in lines if line.startswith("✗")] == [
        f"✗ routing config: {routing}: (top level): Value error, route 0 names unknown receiver 'nobody' (version "
        f"{config_version(routing)}) — fix: "
        f"correct it (alertrouter check-config --config {routing}) and deploy again"
    ]


def test_an_invalid_slo_file(local: LocalDoctor, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    slos = tmp_path / "slos.yaml"
    slos.write_text("apiVersion: openslo/v1\nkind: SLO\n", encoding="utf-8")
    code, lines = run(local, capsys, dataclasses.replace(local.target, slo_config_path=str(slos)))
    assert code == 1
    [failed] = [line for line in lines if line.startswith("✗")]
    assert failed.startswith(f"✗ SLO config: {slos}: ")
    assert failed.endswith(f" — fix: correct it (alertrouter slo validate {slos}) and deploy again")


# ---- the scheduled function ----


class Context:
    function_name = "alertrouter-local-preflight"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:alertrouter-local-preflight"
    aws_request_id = "preflight-test"


def _metrics(out: str) -> dict[str, Any]:
    [doc] = [
        d for d in (json.loads(line) for line in out.splitlines() if line.startswith("{")) if "_aws" in d
    ]
    assert doc["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "AlertRouter"
    assert doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Stack"]]
    return {k: (v[0] if isinstance(v, list) else v) for k, v in doc.items() if k.startswith("Preflight")}


def test_the_scheduled_run_alarms_once_on_what_stopped_passing(
    local: LocalDoctor, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    target = local.target
    for name, value in {
        "TABLE_NAME": target.table_name,
        "INGEST_QUEUE_URL": target.ingest_queue_url,
        "STORM_QUEUE_URL": target.storm_queue_url,
        "DLQ_URL": target.dlq_url,
        "SLACK_TOKEN_SECRET": target.slack_token_secret,
        "SMS_NUMBERS_SECRET": target.sms_numbers_secret,
        "SLACK_API_URL": local.slack.url,
        "ROUTING_CONFIG_PATH": target.routing_config_path,
        "SLO_CONFIG_PATH": target.slo_config_path,
        "ACCOUNT_LABEL": "demo",
        "DEFAULT_SLACK_CHANNEL": "#alerts",
        "RULE_NAMES": ",".join(target.rule_names),
        "ALARM_NAMES": ",".join(target.alarm_names),
        "STACK_LABEL": "alertrouter-local",
        "POWERTOOLS_METRICS_NAMESPACE": "AlertRouter",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    app = importlib.import_module("preflight.app")
    app.settings.cache_clear()

    first = app.lambda_handler({}, Context())
    assert first["failed"] == [] and first["regressions"] == []
    assert _metrics(capsys.readouterr().out) == {"PreflightFailures": 0, "PreflightRegressions": 0}

    local.slack.broken["#oncall"] = "not_in_channel"
    second = app.lambda_handler({}, Context())
    assert second["failed"] == [
        "✗ Slack channel #oncall: the app is not a member — fix: /invite @AlertRouter in #oncall"
    ]
    assert second["regressions"] == ["Slack channel #oncall"]
    assert _metrics(capsys.readouterr().out) == {"PreflightFailures": 1, "PreflightRegressions": 1}

    third = app.lambda_handler({}, Context())  # still failing: known since the last run, no new alarm
    assert third["failed"] == second["failed"] and third["regressions"] == []
    assert _metrics(capsys.readouterr().out) == {"PreflightFailures": 1, "PreflightRegressions": 0}

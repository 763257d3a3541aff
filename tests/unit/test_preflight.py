"""Preflight checks without a network: the lines they print, what counts as a regression, the scopes asked of
the token, the SMS sandbox (which moto lacks: its real response shapes, answered here), and how `doctor --stack`
reads a deployed stack (CloudFormation on moto)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws

from alertrouter.cli import stack_target
from alertrouter.preflight import (
    REQUIRED_SCOPES,
    Check,
    previous_results,
    regressions,
    slack_scopes_check,
    sms_sandbox_check,
    summary,
)
from support.paths import ROOT

NUMBERS = {"oncall-primary": "+15555550100", "oncall-secondary": "+15555550101"}


def test_lines_say_pass_fail_with_the_fix_or_unknown_with_why() -> None:
    assert Check("x", True, "fine", "unused").line() == "✓ x: fine"
    assert Check("x", False, "broken", "mend it").line() == "✗ x: broken — fix: mend it"
    assert Check("x", None, "cannot tell (AccessDenied)").line() == "? x: cannot tell (AccessDenied)"
    checks = [Check("a", True, ""), Check("b", False, ""), Check("c", None, "")]
    assert summary(checks) == "checks: 1 ok, 1 failing, 1 could not be checked"


def test_a_regression_is_a_check_that_passed_last_time_and_fails_now() -> None:
    now = [
        Check("kept failing", False, ""),
        Check("broke", False, ""),
        Check("new and failing", False, ""),
        Check("unknown before", False, ""),
        Check("fine", True, ""),
    ]
    previous = {"kept failing": False, "broke": True, "unknown before": None, "fine": True}
    assert [c.name for c in regressions(previous, now)] == ["broke"]
    assert regressions({}, now) == []  # the first run has nothing to regress from


def test_results_round_trip_through_the_item() -> None:
    results = json.dumps({"a": True, "b": False, "c": None})
    assert previous_results({"results": {"S": results}}) == {"a": True, "b": False, "c": None}
    assert previous_results(None) == {}


def test_the_scopes_asked_for_are_the_manifests() -> None:
    manifest = yaml.safe_load((ROOT / "slack" / "manifest.yaml").read_text(encoding="utf-8"))
    granted = set(manifest["oauth_config"]["scopes"]["bot"])
    assert set(REQUIRED_SCOPES) | {"usergroups:read"} <= granted
    assert slack_scopes_check(frozenset(granted), "s").ok is True
    without = slack_scopes_check(frozenset(granted - {"usergroups:read"}), "s", usergroups=True)
    assert without.line().startswith(
        "✗ Slack scopes: the token lacks usergroups:read — fix: add usergroups:read"
    )


class SandboxSns:
    """SNS's GetSMSSandboxAccountStatus / ListSMSSandboxPhoneNumbers answers (moto has neither), paged."""

    def __init__(self, in_sandbox: bool, pages: list[list[dict[str, str]]]) -> None:
        self.in_sandbox, self.pages = in_sandbox, pages
        self.tokens: list[str] = []

    def get_sms_sandbox_account_status(self) -> dict[str, Any]:
        return {"IsInSandbox": self.in_sandbox}

    def list_sms_sandbox_phone_numbers(self, NextToken: str = "") -> dict[str, Any]:  # noqa: N803 - the API's name
        self.tokens.append(NextToken)
        index = int(NextToken or 0)
        more = {"NextToken": str(index + 1)} if index + 1 < len(self.pages) else {}
        return {"PhoneNumbers": self.pages[index], **more}


def test_in_the_sandbox_an_unverified_recipient_fails() -> None:
    sns = SandboxSns(
        True,
        [
            [{"PhoneNumber": "+15555550100", "Status": "Verified"}],
            [{"PhoneNumber": "+15555550101", "Status": "Pending"}],
        ],
    )
    check = sms_sandbox_check(sns, NUMBERS)
    assert check.line() == (
        "✗ SMS sandbox: in the sandbox; not verified destinations: oncall-secondary (+*********01) — fix: verify "
        "them (SNS console, Text messaging, Sandbox destination phone numbers) or request production access to "
        "leave the sandbox"
    )
    assert sns.tokens == ["", "1"]  # every page read


def test_in_the_sandbox_with_every_recipient_verified_or_out_of_it_passes() -> None:
    verified = [[{"PhoneNumber": n, "Status": "Verified"} for n in NUMBERS.values()]]
    assert sms_sandbox_check(SandboxSns(True, verified), NUMBERS).line() == (
        "✓ SMS sandbox: in the sandbox, every recipient (2) verified"
    )
    assert sms_sandbox_check(SandboxSns(False, []), NUMBERS).ok is True


STACK = {
    "Parameters": {
        "AccountLabel": {"Type": "String"},
        "SlackTokenSecretName": {"Type": "String"},
        "SmsNumbersSecretName": {"Type": "String"},
        "DefaultSlackChannel": {"Type": "String"},
        "AllowedSlackUserGroupIds": {"Type": "String"},
    },
    # (moto's CloudFormation makes no AWS::CloudWatch::Alarm: the alarms' names are read the rules' way)
    "Resources": {
        "StateTable": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "TableName": "prod-state",
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            },
        },
        "IngestDLQ": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "prod-ingest-dlq"}},
        "IngestQueue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "prod-ingest"}},
        "StormQueue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "prod-ingest-storm"}},
        "CloudWatchAlarmRule": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "Name": "prod-cloudwatch-alarms",
                "State": "ENABLED",
                "EventPattern": {"source": ["aws.cloudwatch"]},
            },
        },
    },
}


@pytest.mark.slow
@mock_aws
def test_doctor_reads_a_deployed_stacks_resources_and_parameters() -> None:
    cloudformation = boto3.client("cloudformation", region_name="us-east-1")
    parameters = {
        "AccountLabel": "prod",
        "SlackTokenSecretName": "alertrouter/slack-bot-token",
        "SmsNumbersSecretName": "alertrouter/sms-numbers",
        "DefaultSlackChannel": "#alerts-prod",
        "AllowedSlackUserGroupIds": "S0ONCALL1",
    }
    cloudformation.create_stack(
        StackName="alertrouter",
        TemplateBody=json.dumps(STACK),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
    )
    target = stack_target(cloudformation, "alertrouter", "config/routing.yaml", "config/slos.yaml")
    assert target.table_name == "prod-state"
    assert target.ingest_queue_url.endswith("/prod-ingest") and target.dlq_url.endswith("/prod-ingest-dlq")
    assert target.storm_queue_url.endswith("/prod-ingest-storm")
    assert target.rule_names == ("prod-cloudwatch-alarms",)
    assert (target.slack_token_secret, target.sms_numbers_secret) == (
        "alertrouter/slack-bot-token",
        "alertrouter/sms-numbers",
    )
    assert target.placeholders == {"DEFAULT_SLACK_CHANNEL": "#alerts-prod", "ACCOUNT_LABEL": "prod"}
    assert target.uses_usergroups


def test_the_names_checked_against_the_numbers_secret_are_the_people_texted_or_called() -> None:
    from alertrouter.config import parse_config
    from alertrouter.preflight import sms_recipients

    config = parse_config(
        """
route:
  receiver: pager
  routes:
    - matchers: ['severity="critical"']
      receiver: pager
      escalation: {after: 5m, steps: [["call:alice", "schedule:payments"], ["call:schedule:payments", bob]]}
receivers:
  - name: pager
    slack: [{channel: "#oncall"}]
    sms: [alice]
schedules:
  - name: payments
    layers: [{name: primary, rotation: daily, start: 2024-01-01T09:00, members: [carol, dana]}]
"""
    )
    # alice once (texted and called: one number), bob, and each member of the paged schedule
    assert sorted(sms_recipients(config)) == ["alice", "bob", "carol", "dana"]


def test_a_schedule_that_keeps_a_user_group_needs_usergroups_write_and_its_channel_is_checked() -> None:
    from alertrouter.config import parse_config
    from alertrouter.preflight import slack_channels

    config = parse_config(
        """
route: {receiver: team}
receivers: [{name: team, slack: [{channel: "#team"}]}]
schedules:
  - name: payments
    handoff_channel: "#payments-oncall"
    slack_usergroup: S0PAYONCALL
    layers: [{name: primary, rotation: weekly, start: 2026-01-05T09:00, members: [alice]}]
"""
    )
    assert slack_channels(config, {}) == ["#team", "#payments-oncall"]
    manifest = yaml.safe_load((ROOT / "slack" / "manifest.yaml").read_text(encoding="utf-8"))
    granted = frozenset(manifest["oauth_config"]["scopes"]["bot"])
    assert slack_scopes_check(granted, "s", usergroup_updates=True).ok is True
    without = slack_scopes_check(granted - {"usergroups:write"}, "s", usergroup_updates=True)
    assert without.line().startswith(
        "✗ Slack scopes: the token lacks usergroups:write — fix: add usergroups:write"
    )


def test_with_graphs_the_token_needs_files_write_which_the_manifest_asks_for() -> None:
    manifest = yaml.safe_load((ROOT / "slack" / "manifest.yaml").read_text(encoding="utf-8"))
    granted = frozenset(manifest["oauth_config"]["scopes"]["bot"])
    assert slack_scopes_check(granted, "s", graphs=True).ok is True
    without = slack_scopes_check(granted - {"files:write"}, "s", graphs=True)
    assert without.line().startswith("✗ Slack scopes: the token lacks files:write — fix: add files:write")
    assert slack_scopes_check(granted - {"files:write"}, "s").ok is True  # graphs off: not needed


def test_an_app_without_its_slash_commands_is_told_to_add_them() -> None:
    manifest = yaml.safe_load((ROOT / "slack" / "manifest.yaml").read_text(encoding="utf-8"))
    granted = frozenset(manifest["oauth_config"]["scopes"]["bot"])
    assert "commands" in granted and {c["command"] for c in manifest["features"]["slash_commands"]} == {
        "/alerts",
        "/ack",
        "/oncall",
        "/silence",
    }
    without = slack_scopes_check(granted - {"commands"}, "s")
    assert without.line().startswith("✗ Slack scopes: the token lacks commands — fix: add commands")

"""template.yaml's three modes (parameter Mode): standalone is the stack as it was; a hub adds the bus its
spokes forward to, the rules from it to the router's lanes and the OAM sink; a spoke keeps only what forwards
and measures. Each mode is resolved as CloudFormation would make it (deploy/resolve.py) and linted with its
parameters set (cfn-lint and sam validate --lint)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from support.deploy_tools import deploy_module
from support.lint_tools import run_cfn_lint, run_sam_validate
from support.local_aws import template_with_defaults
from support.paths import ROOT

resolve_module = deploy_module("resolve")
RAW = resolve_module.load(ROOT / "template.yaml")
HUB_BUS_ARN = "arn:aws:events:us-east-1:111122223333:event-bus/alertrouter-hub"
SINK_ARN = "arn:aws:oam:us-east-1:111122223333:sink/0123abcd-0123-4567-89ab-0123456789ab"
ORG = "o-abcde12345"
LISTS = {"OpenSearchDomainNames": ["logs-prod"], "StuckQueueNames": ["high-priority"], "OpsSmsNumbers": []}


def made(mode: str, **fixed: Any) -> dict[str, Any]:
    """The stack a mode makes: the template resolved with Mode and the list parameters fixed."""
    template: dict[str, Any] = resolve_module.resolve(RAW, {"Mode": mode, **LISTS, **fixed})
    return template


STANDALONE = made("standalone")
HUB = made("hub", OrganizationId=ORG, AllowedSourceAccountIds=["444455556666"])
SPOKE = made("spoke")
SPOKE_LINKED = made("spoke", HubSinkArn=SINK_ARN)


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {n: r for n, r in template["Resources"].items() if r["Type"] == kind}


def test_mode_is_a_parameter_that_defaults_to_standalone() -> None:
    mode = RAW["Parameters"]["Mode"]
    assert (mode["Default"], mode["AllowedValues"]) == ("standalone", ["standalone", "spoke", "hub"])
    conditions = RAW["Conditions"]
    assert conditions["IsSpoke"] == {"Fn::Equals": [{"Ref": "Mode"}, "spoke"]}
    assert conditions["IsHub"] == {"Fn::Equals": [{"Ref": "Mode"}, "hub"]}
    assert conditions["RoutesAlerts"] == {"Fn::Not": [{"Condition": "IsSpoke"}]}


def test_the_organization_and_hub_parameters_take_only_what_they_name() -> None:
    parameters = RAW["Parameters"]
    organization = re.compile(parameters["OrganizationId"]["AllowedPattern"])
    assert all(organization.fullmatch(o) for o in ["", ORG, "o-" + "a1" * 16])
    assert not any(
        organization.fullmatch(o) for o in ["o-abc", "O-ABCDE12345", "abcde12345", "o-" + "a" * 33]
    )
    bus = re.compile(parameters["HubEventBusArn"]["AllowedPattern"])
    assert bus.fullmatch(HUB_BUS_ARN) and bus.fullmatch("")
    assert not bus.fullmatch("alertrouter-hub") and not bus.fullmatch(SINK_ARN)
    sink = re.compile(parameters["HubSinkArn"]["AllowedPattern"])
    assert sink.fullmatch(SINK_ARN) and sink.fullmatch("") and not sink.fullmatch(HUB_BUS_ARN)


def test_standalone_makes_the_stack_as_it_was_and_nothing_of_a_hub_or_a_spoke() -> None:
    names = set(STANDALONE["Resources"])
    assert {
        "StateTable",
        "IngestQueue",
        "StormQueue",
        "RouterFunction",
        "OpsTopic",
        "CloudWatchAlarmRule",
    } <= names
    assert not {n for n in names if n.startswith(("Hub", "Spoke"))}
    assert not {"HubEventBusArn", "HubSinkArn"} & set(STANDALONE["Outputs"])
    env = STANDALONE["Resources"]["RouterFunction"]["Properties"]["Environment"]["Variables"]
    assert (env["MODE"], env["ORGANIZATION_ID"]) == ("standalone", "")
    assert "DescribeOrganizationAccounts" not in json.dumps(STANDALONE["Resources"]["RouterFunction"])


# ---- the spoke ----

SPOKE_TYPES = {
    "AWS::Events::Rule",
    "AWS::IAM::Role",
    "AWS::Scheduler::Schedule",
    "AWS::Oam::Link",
    "AWS::Serverless::Function",  # the Batch queue-metrics function
    "AWS::Serverless::LayerVersion",  # the core layer it imports
    "AWS::Logs::LogGroup",
    "AWS::CloudWatch::Alarm",
    "AWS::CloudWatch::Dashboard",  # SloDashboard, whose mode the dashboards' owner decides
}


def test_a_spoke_has_no_table_queue_topic_secret_or_router() -> None:
    resources = SPOKE_LINKED["Resources"]
    assert {r["Type"] for r in resources.values()} <= SPOKE_TYPES
    assert list(of_type(SPOKE_LINKED, "AWS::Serverless::Function")) == ["BatchQueueMetricsFunction"]
    text = json.dumps(SPOKE_LINKED)
    for absent in (
        "secretsmanager",
        "SlackTokenSecretName",
        "SmsNumbersSecretName",
        "OpsTopic",
        "AlarmTopic",
    ):
        assert absent not in text, absent
    assert not {"DefaultSlackChannel", "OrganizationId", "AllowedSourceAccountIds"} & set(SPOKE["Parameters"])
    assert not {n for n in resources if n.startswith("Hub")}


def test_a_spoke_keeps_the_batch_metrics_and_the_alarm_sets_and_they_notify_nothing_there() -> None:
    alarms = of_type(SPOKE, "AWS::CloudWatch::Alarm")
    assert {"BatchStuckQueuehighpriorityAlarm", "OpenSearchlogsprodClusterStatusRedAlarm"} <= set(alarms)
    assert {"BatchQueueMetricsErrorsAlarm", "BatchQueueMetricsSilentAlarm"} <= set(alarms)
    for name, alarm in alarms.items():
        # their state changes reach the hub through the forwarding rule, which leaves no alarm out
        assert "AlarmActions" not in alarm["Properties"] and "OKActions" not in alarm["Properties"], name
    forwarded = SPOKE["Resources"]["SpokeAlarmsForwardRule"]["Properties"]["EventPattern"]
    assert "detail" not in forwarded


def test_a_spoke_without_batch_metrics_runs_no_code() -> None:
    spoke = made("spoke", EnableBatchQueueMetrics="false")
    assert not {n for n, r in spoke["Resources"].items() if r["Type"].startswith("AWS::Serverless::")}
    assert "CoreLayer" in SPOKE["Resources"] and "CoreLayer" in made("hub", OrganizationId=ORG)["Resources"]


DEFAULT_BUS_TWINS = {
    # a spoke's forwarding rule and a hub's rule on its bus, and the default bus's rule they take after
    "SpokeBatchEventsForwardRule": "BatchEventsRule",
    "SpokeBatchQueueBlockedForwardRule": "BatchQueueBlockedRule",
    "SpokeOpenSearchForwardRule": "OpenSearchEventsRule",
    "HubBatchEventsRule": "BatchEventsRule",
    "HubBatchQueueBlockedRule": "BatchQueueBlockedRule",
    "HubOpenSearchEventsRule": "OpenSearchEventsRule",
}
ALARM_SOURCES = {
    "source": ["aws.cloudwatch"],
    "detail-type": ["CloudWatch Alarm State Change", "CloudWatch Alarm Contributor State Change"],
}


@pytest.mark.parametrize("name", sorted(DEFAULT_BUS_TWINS))
def test_forwarded_and_received_events_are_those_the_default_bus_rules_take(name: str) -> None:
    resources = RAW["Resources"]
    twin = DEFAULT_BUS_TWINS[name]
    assert resources[name]["Properties"]["EventPattern"] == resources[twin]["Properties"]["EventPattern"]


def test_every_alarm_is_forwarded_and_received_the_stacks_own_ops_alarms_too() -> None:
    for name in ("SpokeAlarmsForwardRule", "HubAlarmsRule"):
        assert RAW["Resources"][name]["Properties"]["EventPattern"] == ALARM_SOURCES, name
    default_bus = RAW["Resources"]["CloudWatchAlarmRule"]["Properties"]["EventPattern"]
    assert {k: v for k, v in default_bus.items() if k != "detail"} == ALARM_SOURCES


def test_the_spokes_rules_put_their_events_on_the_hubs_bus_with_a_role_allowed_just_that() -> None:
    rules = of_type(SPOKE, "AWS::Events::Rule")
    assert set(rules) == {
        "SpokeAlarmsForwardRule",
        "SpokeBatchEventsForwardRule",
        "SpokeBatchQueueBlockedForwardRule",
        "SpokeOpenSearchForwardRule",
        "SpokeHeartbeatForwardRule",
        # the AWS services' events, each while its Watch* parameter is on (test_signal_rules.py)
        "SpokeAwsHealthForwardRule",
        "SpokeXRayInsightsForwardRule",
        "SpokeEcsEventsForwardRule",
        "SpokeStepFunctionsForwardRule",
        "SpokeRdsEventsForwardRule",
        "SpokeGuardDutyForwardRule",
        "SpokeSecurityHubForwardRule",
    }
    for name, rule in rules.items():
        assert "EventBusName" not in rule["Properties"], name  # the account's default bus
        [target] = rule["Properties"]["Targets"]
        assert target["Arn"] == {"Ref": "HubEventBusArn"}, name
        # an organization-wide bus policy accepts cross-account events put with a role only
        assert target["RoleArn"] == {"Fn::GetAtt": ["SpokeForwardRole", "Arn"]}, name
        assert re.fullmatch(
            r"\$\{AWS::StackName\}-\$\{AccountLabel\}-forward-[a-z-]+", rule["Properties"]["Name"]["Fn::Sub"]
        )
    default_bus = "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"
    for role_name, service, bus in (
        ("SpokeForwardRole", "events", "${HubEventBusArn}"),
        ("SpokeHeartbeatRole", "scheduler", default_bus),  # the schedule's, to this account's default bus
    ):
        role = SPOKE["Resources"][role_name]["Properties"]
        [trust] = role["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"] == {"Service": f"{service}.amazonaws.com"}, role_name
        assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
        [policy] = role["Policies"]
        [grant] = policy["PolicyDocument"]["Statement"]
        assert (grant["Effect"], grant["Action"]) == ("Allow", "events:PutEvents"), role_name
        assert grant["Resource"] == {"Fn::Sub": bus}, role_name


def test_the_spoke_heartbeat_is_the_agreed_event_every_5_minutes() -> None:
    schedule = SPOKE["Resources"]["SpokeHeartbeatSchedule"]["Properties"]
    assert schedule["ScheduleExpression"] == "rate(5 minutes)"
    target = schedule["Target"]
    # on the account's default bus, from where the heartbeat rule forwards it to the hub like any event
    assert (target["Arn"], target["RoleArn"]) == (
        {"Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"},
        {"Fn::GetAtt": ["SpokeHeartbeatRole", "Arn"]},
    )
    assert target["EventBridgeParameters"] == {
        "Source": "alertrouter.spoke",
        "DetailType": "AlertRouter Spoke Heartbeat",
    }
    detail = json.loads(
        target["Input"]["Fn::Sub"]
        .replace("${AWS::StackName}", "alertrouter-spoke")
        .replace("${AccountLabel}", "sandbox")
    )
    assert detail == {"stack": "alertrouter-spoke", "account_label": "sandbox", "every_minutes": 5}
    # the spoke forwards it, the hub takes it to the router's main lane
    heartbeat = {
        "source": [target["EventBridgeParameters"]["Source"]],
        "detail-type": [target["EventBridgeParameters"]["DetailType"]],
    }
    assert SPOKE["Resources"]["SpokeHeartbeatForwardRule"]["Properties"]["EventPattern"] == heartbeat
    assert HUB["Resources"]["HubSpokeHeartbeatsRule"]["Properties"]["EventPattern"] == heartbeat


def test_a_spoke_links_its_metrics_and_log_groups_to_the_hubs_sink_when_given_one() -> None:
    assert SPOKE["Resources"]["SpokeObservabilityLink"]["Condition"] == "LinksToHubSink"
    assert not of_type(made("spoke", HubSinkArn=""), "AWS::Oam::Link")  # HubSinkArn empty: no link
    [link] = of_type(SPOKE_LINKED, "AWS::Oam::Link").values()
    props = link["Properties"]
    assert props["SinkIdentifier"] == SINK_ARN
    assert props["ResourceTypes"] == ["AWS::CloudWatch::Metric", "AWS::Logs::LogGroup"]


def test_a_spoke_without_the_hubs_bus_is_refused_before_anything_is_made() -> None:
    [assertion] = RAW["Rules"]["SpokeNeedsTheHubsBus"]["Assertions"]
    assert RAW["Rules"]["SpokeNeedsTheHubsBus"]["RuleCondition"] == {"Fn::Equals": [{"Ref": "Mode"}, "spoke"]}
    assert "HubEventBusArn" in assertion["AssertDescription"]
    with pytest.raises(resolve_module.ResolveError, match="set HubEventBusArn"):
        made("spoke", HubEventBusArn="")
    made("spoke", HubEventBusArn=HUB_BUS_ARN)  # given, it resolves
    # and a standalone or hub stack still needs its Slack token
    with pytest.raises(resolve_module.ResolveError, match="SlackTokenSecretName"):
        made("hub", SlackTokenSecretName="", OrganizationId=ORG)


# ---- the hub ----


def test_the_hub_has_a_bus_the_organization_and_listed_accounts_may_put_events_on() -> None:
    bus = HUB["Resources"]["HubEventBus"]["Properties"]
    assert bus["Name"] == {"Fn::Sub": "${AWS::StackName}-hub"}
    own_bus = "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/${AWS::StackName}-hub"
    organization, accounts = bus["Policy"]["Statement"]
    assert (organization["Effect"], organization["Principal"], organization["Action"]) == (
        "Allow",
        "*",
        "events:PutEvents",
    )
    assert organization["Resource"] == {"Fn::Sub": own_bus}
    assert organization["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": ORG}}
    assert accounts["Principal"] == {"AWS": ["444455556666"]} and accounts["Resource"] == {"Fn::Sub": own_bus}
    # only the organization, or only the accounts
    [only_org] = made("hub", OrganizationId=ORG, AllowedSourceAccountIds=[""])["Resources"]["HubEventBus"][
        "Properties"
    ]["Policy"]["Statement"]
    assert only_org["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": ORG}}
    with pytest.raises(resolve_module.ResolveError, match="OrganizationId"):
        made("hub", OrganizationId="", AllowedSourceAccountIds=[""])  # nobody could send: refused
    assert HUB["Outputs"]["HubEventBusArn"]["Value"] == {"Fn::GetAtt": ["HubEventBus", "Arn"]}


def test_the_hubs_rules_take_the_spokes_events_to_the_routers_lanes() -> None:
    rules = {n: r["Properties"] for n, r in of_type(HUB, "AWS::Events::Rule").items() if n.startswith("Hub")}
    assert set(rules) == {
        "HubAlarmsRule",
        "HubBatchEventsRule",
        "HubBatchQueueBlockedRule",
        "HubOpenSearchEventsRule",
        "HubSpokeHeartbeatsRule",
        # the AWS services' events, each while its Watch* parameter is on (test_signal_rules.py)
        "HubAwsHealthRule",
        "HubXRayInsightsRule",
        "HubEcsEventsRule",
        "HubStepFunctionsRule",
        "HubRdsEventsRule",
        "HubGuardDutyRule",
        "HubSecurityHubRule",
    }
    for name, rule in rules.items():
        assert rule["EventBusName"] == {"Ref": "HubEventBus"}, name
        [target] = rule["Targets"]
        lane = "StormQueue" if name in {"HubBatchEventsRule", "HubEcsEventsRule"} else "IngestQueue"
        assert target["Arn"] == {"Fn::GetAtt": [lane, "Arn"]}, name
        assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["IngestDLQ", "Arn"]}}, name
        # the queue policies let it send (by the ARN its name gives: rule/<bus>/<rule>)
        arn = (
            "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/${AWS::StackName}-hub/"
            + rule["Name"]["Fn::Sub"]
        )
        for policy in (f"{lane}Policy", "IngestDLQPolicy"):
            statements = HUB["Resources"][policy]["Properties"]["PolicyDocument"]["Statement"]
            sources = [s["Condition"]["ArnEquals"]["aws:SourceArn"] for s in statements]
            # a rule a Watch* parameter turns on: its ARN while it exists
            named = [{"Fn::Sub": arn}]
            if "Condition" in HUB["Resources"][name]:
                condition = HUB["Resources"][name]["Condition"]
                named.append({"Fn::If": [condition, {"Fn::Sub": arn}, {"Ref": "AWS::NoValue"}]})
            assert any(isinstance(s, list) and any(n in s for n in named) for s in sources), (name, policy)
    # none of them in a standalone stack's policies
    assert "-hub/" not in json.dumps(STANDALONE["Resources"]["IngestQueuePolicy"])


def test_the_hubs_sink_lets_the_same_senders_link_metrics_and_log_groups() -> None:
    sink = HUB["Resources"]["HubSink"]["Properties"]
    organization, accounts = sink["Policy"]["Statement"]
    for statement in (organization, accounts):
        assert statement["Action"] == ["oam:CreateLink", "oam:UpdateLink"]
        assert statement["Condition"]["ForAllValues:StringEquals"] == {
            "oam:ResourceTypes": ["AWS::CloudWatch::Metric", "AWS::Logs::LogGroup"]
        }
    assert organization["Principal"] == "*"
    assert organization["Condition"]["StringEquals"] == {"aws:PrincipalOrgID": ORG}
    assert accounts["Principal"] == {"AWS": ["444455556666"]}
    assert HUB["Outputs"]["HubSinkArn"]["Value"] == {"Fn::GetAtt": ["HubSink", "Arn"]}


def test_the_hubs_router_and_escalator_know_the_mode_and_the_organization() -> None:
    for function in ("RouterFunction", "EscalatorFunction"):
        env = HUB["Resources"][function]["Properties"]["Environment"]["Variables"]
        assert (env["MODE"], env["ORGANIZATION_ID"]) == ("hub", ORG), function
    grants = HUB["Resources"]["RouterFunction"]["Properties"]["Policies"][0]["Statement"]
    [describe] = [s for s in grants if s.get("Sid") == "DescribeOrganizationAccounts"]
    assert describe["Action"] == "organizations:DescribeAccount"
    # any management account (not known here), this organization's accounts only
    assert describe["Resource"] == {"Fn::Sub": f"arn:${{AWS::Partition}}:organizations::*:account/{ORG}/*"}
    without_organization = made("hub", OrganizationId="", AllowedSourceAccountIds=["444455556666"])
    assert "DescribeOrganizationAccounts" not in json.dumps(
        without_organization["Resources"]["RouterFunction"]
    )


def test_a_hub_is_a_standalone_stack_plus_the_hubs_resources() -> None:
    added = set(HUB["Resources"]) - set(STANDALONE["Resources"])
    # the hub's receiving end, and the one view of every account's SLOs
    assert added == {n for n in RAW["Resources"] if n.startswith("Hub")} | {"OrgSloDashboard"}
    assert set(STANDALONE["Resources"]) <= set(HUB["Resources"])


# ---- every mode lints ----

MODES = {
    "spoke": {
        "Mode": "spoke",
        "HubEventBusArn": HUB_BUS_ARN,
        "HubSinkArn": SINK_ARN,
        "StuckQueueNames": "high-priority",
        "OpenSearchDomainNames": "logs-prod",
    },
    "spoke-unlinked": {"Mode": "spoke", "HubEventBusArn": HUB_BUS_ARN},
    "hub": {"Mode": "hub", "OrganizationId": ORG, "SlackTokenSecretName": "alertrouter/slack-bot-token"},
    "hub-listed-accounts": {
        "Mode": "hub",
        "AllowedSourceAccountIds": "111122223333,444455556666",
        "SlackTokenSecretName": "alertrouter/slack-bot-token",
        "SmsNumbersSecretName": "alertrouter/sms-numbers",
        "OpsEmail": "oncall@example.com",
    },
}


@pytest.fixture(params=sorted(MODES))
def mode_variant(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(template_with_defaults(MODES[request.param]), encoding="utf-8")
    return path


@pytest.mark.slow
def test_each_mode_passes_cfn_lint(mode_variant: Path) -> None:
    result = run_cfn_lint(mode_variant)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_each_mode_passes_sam_validate_lint(mode_variant: Path) -> None:
    result = run_sam_validate(mode_variant)
    assert result.returncode == 0, result.stdout + result.stderr

"""The AWS services' EventBridge rules (issue 20: AWS Health, X-Ray Insights, ECS, Step Functions, RDS, GuardDuty,
Security Hub), each behind its Watch* parameter: a rule on the default bus where the stack routes alerts, its twin
on the hub's bus in a hub, a forwarding rule in a spoke, all three with one pattern; the queue policies let
exactly the rules that exist send; and the patterns, run by moto's EventBridge (a matcher that is not ours), take
the services' documented events that can alert and leave routine ones at the source."""

from __future__ import annotations

import copy
import itertools
import json
import os
import re
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from support.deploy_tools import deploy_module
from support.lint_tools import cfn_lint, sam_cli
from support.local_aws import template_with_defaults, use_fake_aws_environment
from support.paths import ROOT

resolve_module = deploy_module("resolve")
RAW = resolve_module.load(ROOT / "template.yaml")
LISTS = {"OpenSearchDomainNames": [], "StuckQueueNames": [], "OpsSmsNumbers": []}
NO_VALUE = {"Ref": "AWS::NoValue"}

# Watch* parameter -> (the default bus's rule, its twin on the hub's bus, the spoke's forwarding rule, the lane).
SIGNAL_RULES = {
    "WatchAwsHealth": ("AwsHealthRule", "HubAwsHealthRule", "SpokeAwsHealthForwardRule", "IngestQueue"),
    "WatchXRayInsights": (
        "XRayInsightsRule",
        "HubXRayInsightsRule",
        "SpokeXRayInsightsForwardRule",
        "IngestQueue",
    ),
    # a cluster-wide failure stops tasks by the thousand: the storm lane
    "WatchEcsTasks": ("EcsEventsRule", "HubEcsEventsRule", "SpokeEcsEventsForwardRule", "StormQueue"),
    "WatchStepFunctions": (
        "StepFunctionsRule",
        "HubStepFunctionsRule",
        "SpokeStepFunctionsForwardRule",
        "IngestQueue",
    ),
    "WatchRdsEvents": ("RdsEventsRule", "HubRdsEventsRule", "SpokeRdsEventsForwardRule", "IngestQueue"),
    "WatchGuardDuty": ("GuardDutyRule", "HubGuardDutyRule", "SpokeGuardDutyForwardRule", "IngestQueue"),
    "WatchSecurityHub": (
        "SecurityHubRule",
        "HubSecurityHubRule",
        "SpokeSecurityHubForwardRule",
        "IngestQueue",
    ),
}
ON_BY_DEFAULT = {
    "WatchAwsHealth",
    "WatchXRayInsights",
    "WatchEcsTasks",
    "WatchStepFunctions",
    "WatchRdsEvents",
}
RDS_DEFAULT = ["availability", "failover", "failure", "global failover", "low storage", "recovery"]
ALL_SIGNAL_RULES = {name for rules in SIGNAL_RULES.values() for name in rules[:3]}
MODES = ("standalone", "hub", "spoke")


def watching(on: set[str]) -> dict[str, str]:
    return {parameter: "true" if parameter in on else "false" for parameter in SIGNAL_RULES}


def made(mode: str, on: set[str]) -> dict[str, Any]:
    """The stack a mode makes with the Watch* parameters of `on` on and the others off."""
    fixed = {"Mode": mode, **LISTS, **watching(on), "RdsAlertCategories": RDS_DEFAULT}
    template: dict[str, Any] = resolve_module.resolve(RAW, fixed)
    return template


def expected_rules(mode: str, parameter: str) -> set[str]:
    default_bus, hub, spoke, _ = SIGNAL_RULES[parameter]
    return {"standalone": {default_bus}, "hub": {default_bus, hub}, "spoke": {spoke}}[mode]


# ---- the parameters ----


def test_the_watch_parameters_are_switches_on_by_default_but_the_security_findings() -> None:
    parameters = RAW["Parameters"]
    for name in SIGNAL_RULES:
        spec = parameters[name]
        assert (spec["Type"], spec["AllowedValues"]) == ("String", ["true", "false"]), name
        assert spec["Default"] == ("true" if name in ON_BY_DEFAULT else "false"), name


def test_rds_alert_categories_default_to_the_ones_that_can_take_a_database_down_and_reach_the_router() -> (
    None
):
    spec = RAW["Parameters"]["RdsAlertCategories"]
    assert spec["Type"] == "CommaDelimitedList" and spec["Default"].split(",") == RDS_DEFAULT
    allowed = re.compile(spec["AllowedPattern"])
    assert all(allowed.fullmatch(c) for c in [*RDS_DEFAULT, "global-failover", "configuration change"])
    assert not any(allowed.fullmatch(c) for c in ["", "Failover", " failover", "low  storage", "failover,"])
    env = made("standalone", set())["Resources"]["RouterFunction"]["Properties"]["Environment"]["Variables"]
    assert env["RDS_ALERT_CATEGORIES"] == {"Fn::Join": [",", RDS_DEFAULT]}
    # the rules forward the categories the router alerts on, and the ends of matters whatever their category
    for name in SIGNAL_RULES["WatchRdsEvents"][:3]:
        categories, ends = RAW["Resources"][name]["Properties"]["EventPattern"]["detail"]["$or"]
        assert categories == {"EventCategories": {"Ref": "RdsAlertCategories"}}, name
        assert set(ends) == {"EventID"} and all(e.startswith("RDS-EVENT-") for e in ends["EventID"]), name


# ---- each switch, in each mode ----


@pytest.mark.parametrize(("mode", "parameter"), list(itertools.product(MODES, sorted(SIGNAL_RULES))))
def test_a_watch_parameter_makes_its_rules_in_each_mode_and_nothing_else(mode: str, parameter: str) -> None:
    on = set(made(mode, {parameter})["Resources"]) & ALL_SIGNAL_RULES
    assert on == expected_rules(mode, parameter)
    others = set(SIGNAL_RULES) - {parameter}
    off = set(made(mode, others)["Resources"]) & ALL_SIGNAL_RULES
    assert off == set().union(*(expected_rules(mode, p) for p in others))


def test_all_off_leaves_the_stack_as_it_was() -> None:
    for mode in MODES:
        stack = made(mode, set())
        assert not set(stack["Resources"]) & ALL_SIGNAL_RULES, mode
        assert "Watches" not in json.dumps(stack["Resources"]), mode  # no condition on a Watch* parameter


@pytest.mark.parametrize("parameter", sorted(SIGNAL_RULES))
def test_the_hub_and_the_spoke_take_the_same_events_as_the_default_bus(parameter: str) -> None:
    default_bus, hub, spoke, lane = SIGNAL_RULES[parameter]
    resources = RAW["Resources"]
    pattern = resources[default_bus]["Properties"]["EventPattern"]
    assert resources[hub]["Properties"]["EventPattern"] == pattern
    assert resources[spoke]["Properties"]["EventPattern"] == pattern
    assert resources[hub]["Properties"]["EventBusName"] == {"Ref": "HubEventBus"}
    for name in (default_bus, hub):
        [target] = resources[name]["Properties"]["Targets"]
        assert target["Arn"] == {"Fn::GetAtt": [lane, "Arn"]}, name
        assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["IngestDLQ", "Arn"]}}, name
        # made once the queue policies let it send (they name it by its ARN: EventBridge does not retry a refusal)
        assert set(resources[name]["DependsOn"]) == {f"{lane}Policy", "IngestDLQPolicy"}, name
    [target] = resources[spoke]["Properties"]["Targets"]
    assert target["Arn"] == {"Ref": "HubEventBusArn"}
    assert target["RoleArn"] == {"Fn::GetAtt": ["SpokeForwardRole", "Arn"]}


# ---- the queue policies ----


def rule_arns(stack: Mapping[str, Any]) -> dict[str, str]:
    """Each way a queue policy may name a rule of the stack (GetAtt, or the ARN its name gives) -> the rule."""
    out = {}
    for name, resource in stack["Resources"].items():
        if resource["Type"] != "AWS::Events::Rule":
            continue
        bus = "${AWS::StackName}-hub/" if "EventBusName" in resource["Properties"] else ""
        by_name = (
            "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/"
            + bus
            + resource["Properties"]["Name"]["Fn::Sub"]
        )
        out[json.dumps({"Fn::GetAtt": [name, "Arn"]})] = name
        out[json.dumps({"Fn::Sub": by_name})] = name
    return out


def senders(stack: Mapping[str, Any], policy: str) -> list[str]:
    [statement] = [
        s
        for s in stack["Resources"][policy]["Properties"]["PolicyDocument"]["Statement"]
        if s["Principal"] == {"Service": "events.amazonaws.com"}
    ]
    names = rule_arns(stack)
    return [names[json.dumps(arn)] for arn in statement["Condition"]["ArnEquals"]["aws:SourceArn"]]


def delivering_to(stack: Mapping[str, Any], queue: str) -> set[str]:
    out = set()
    for name, resource in stack["Resources"].items():
        if resource["Type"] == "AWS::Events::Rule":
            [target] = resource["Properties"]["Targets"]
            if target["Arn"] == {"Fn::GetAtt": [queue, "Arn"]} or (
                queue == "IngestDLQ" and "DeadLetterConfig" in target
            ):
                out.add(name)
    return out


SWITCHES = [set(), set(SIGNAL_RULES), *({p} for p in sorted(SIGNAL_RULES))]


@pytest.mark.parametrize(("mode", "on"), list(itertools.product(("standalone", "hub"), SWITCHES)))
def test_the_queue_policies_let_exactly_the_rules_that_exist_send(mode: str, on: set[str]) -> None:
    stack = made(mode, on)
    for queue, policy in (
        ("IngestQueue", "IngestQueuePolicy"),
        ("StormQueue", "StormQueuePolicy"),
        ("IngestDLQ", "IngestDLQPolicy"),
    ):
        named = senders(stack, policy)  # raises KeyError on an ARN of no rule of this stack
        assert len(named) == len(set(named)), policy
        assert set(named) == delivering_to(stack, queue), (policy, on)


def test_the_preflight_checks_the_rules_that_exist_and_may_read_just_those() -> None:
    for on in (set(), set(SIGNAL_RULES)):
        preflight = made("standalone", on)["Resources"]["PreflightFunction"]["Properties"]
        _, names = preflight["Environment"]["Variables"]["RULE_NAMES"]["Fn::Join"]
        checked = {n["Ref"] for n in names if isinstance(n, dict) and "Ref" in n}
        expected = {SIGNAL_RULES[p][0] for p in on}
        assert checked & ALL_SIGNAL_RULES == expected
        [grant] = [s for s in preflight["Policies"][0]["Statement"] if s.get("Sid") == "StackRules"]
        readable = {r["Fn::GetAtt"][0] for r in grant["Resource"] if "Fn::GetAtt" in r}
        assert readable & ALL_SIGNAL_RULES == expected


# ---- the patterns, run by moto's EventBridge ----
# Examples of the AWS documentation, as the parser helpers copied them into events/ (the file named beside each;
# the lead points this test at those files after the merge). Their account ids are the docs' own fakes.

# https://docs.aws.amazon.com/health/latest/ug/aws-health-events-eventbridge-schema.html
# (events/eventbridge_health_ec2_operational_issue_PUBLIC_open_awsdocs.json)
HEALTH_PUBLIC_ISSUE = {
    "detail-type": "AWS Health Event",
    "source": "aws.health",
    "resources": [],
    "detail": {
        "eventArn": "arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE",
        "service": "EC2",
        "eventTypeCode": "AWS_EC2_OPERATIONAL_ISSUE",
        "eventTypeCategory": "issue",
        "eventScopeCode": "PUBLIC",
        "communicationId": "01b0993207d81a09dcd552ebd1e633e36cf1f09a-1",
        "startTime": "Wed, 15 Feb 2023 22:07:07 GMT",
        "lastUpdatedTime": "Wed, 15 Feb 2023 22:07:07 GMT",
        "statusCode": "open",
        "eventRegion": "us-east-1",
        "eventDescription": [
            {
                "latestDescription": "We are investigating increased API Error rates and Latencies for Amazon "
                "Elastic Compute Cloud in the US-EAST-1 Region.",
                "language": "en_US",
            }
        ],
        "page": "1",
        "totalPages": "1",
        "affectedAccount": "123456789012",
    },
}
# the same page (events/eventbridge_health_abuse_dos_report_awsdocs.json), its detail trimmed to the first entity
HEALTH_ABUSE = {
    "detail-type": "AWS Health Abuse Event",
    "source": "aws.health",
    "resources": ["arn:ec2-1-101002929"],
    "detail": {
        "eventArn": "arn:aws:health:global::event/AWS_ABUSE_DOS_REPORT_92387492375_4498_2018_08_01_02_33_00",
        "service": "ABUSE",
        "eventTypeCode": "AWS_ABUSE_DOS_REPORT",
        "eventTypeCategory": "issue",
        "eventScopeCode": "ACCOUNT_SPECIFIC",
        "statusCode": "open",
        "eventRegion": "us-west-2",
        "affectedEntities": [
            {
                "entityValue": "arn:ec2-1-101002929",
                "lastUpdatedTime": "Thu, 26 Jan 2023 19:01:55 GMT",
                "status": "IMPAIRED",
            }
        ],
        "affectedAccount": "123456789012",
    },
}
# Not a copy: no documented example was at hand. The source and detail-type are those of
# https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-xray.html; the detail's fields are the ones that
# page's schema names (the pattern reads none of them).
XRAY_INSIGHT = {
    "detail-type": "AWS X-Ray Insight Update",
    "source": "aws.xray",
    "resources": [],
    "detail": {
        "InsightId": "7df6b9a5-0000-4000-8000-000000000000",
        "State": "ACTIVE",
        "Categories": ["FAULT"],
    },
}
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html
# (events/eventbridge_ecs_task_state_change_RUNNING_awsdocs.json), detail trimmed to the task's own fields
ECS_TASK_RUNNING = {
    "detail-type": "ECS Task State Change",
    "source": "aws.ecs",
    "resources": ["arn:aws:ecs:us-west-2:111122223333:task/FargateCluster/c13b4cb40f1f4fe4a2971f76ae5a47ad"],
    "detail": {
        "availabilityZone": "us-west-2c",
        "clusterArn": "arn:aws:ecs:us-west-2:111122223333:cluster/FargateCluster",
        "containers": [
            {
                "containerArn": "arn:aws:ecs:us-west-2:111122223333:container/cf159fd6-3e3f-4a9e-84f9-66cbe726af01",
                "lastStatus": "RUNNING",
                "name": "FargateApp",
                "taskArn": "arn:aws:ecs:us-west-2:111122223333:task/FargateCluster/c13b4cb40f1f4fe4a2971f76ae5a47ad",
            }
        ],
        "createdAt": "2020-01-23T17:57:34.402Z",
        "launchType": "FARGATE",
        "desiredStatus": "RUNNING",
        "group": "family:sample-fargate",
        "lastStatus": "RUNNING",
        "startedAt": "2020-01-23T17:57:58.103Z",
        "taskArn": "arn:aws:ecs:us-west-2:111122223333:task/FargateCluster/c13b4cb40f1f4fe4a2971f76ae5a47ad",
        "taskDefinitionArn": "arn:aws:ecs:us-west-2:111122223333:task-definition/sample-fargate:1",
        "version": 4,
    },
}


def ecs_task_stopped() -> dict[str, Any]:
    """The documented task, stopped as an essential container's crash stops it (a mutation: no stopped task of
    the docs was at hand; the fields as the same page describes them)."""
    event = copy.deepcopy(ECS_TASK_RUNNING)
    detail = event["detail"]
    detail.update(desiredStatus="STOPPED", lastStatus="STOPPED", stopCode="EssentialContainerExited")
    detail["stoppedReason"] = "Essential container in task exited"
    detail["containers"][0].update(lastStatus="STOPPED", exitCode=1)
    return event


# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service_events.html
# (events/eventbridge_ecs_service_action_SERVICE_TASK_PLACEMENT_FAILURE_awsdocs.json)
ECS_PLACEMENT_FAILURE = {
    "detail-type": "ECS Service Action",
    "source": "aws.ecs",
    "resources": ["arn:aws:ecs:us-west-2:111122223333:service/default/servicetest"],
    "detail": {
        "eventType": "ERROR",
        "eventName": "SERVICE_TASK_PLACEMENT_FAILURE",
        "clusterArn": "arn:aws:ecs:us-west-2:111122223333:cluster/default",
        "capacityProviderArns": ["arn:aws:ecs:us-west-2:111122223333:capacity-provider/FARGATE_SPOT"],
        "reason": "RESOURCE:FARGATE",
        "createdAt": "2019-11-06T19:09:33.087Z",
    },
}
# the same page (events/eventbridge_ecs_service_action_SERVICE_STEADY_STATE_awsdocs.json)
ECS_STEADY_STATE = {
    "detail-type": "ECS Service Action",
    "source": "aws.ecs",
    "resources": ["arn:aws:ecs:us-west-2:111122223333:service/default/servicetest"],
    "detail": {
        "eventType": "INFO",
        "eventName": "SERVICE_STEADY_STATE",
        "clusterArn": "arn:aws:ecs:us-west-2:111122223333:cluster/default",
        "createdAt": "2019-11-19T19:27:22.695Z",
    },
}
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service_deployment_events.html
# (events/eventbridge_ecs_deployment_state_change_SERVICE_DEPLOYMENT_FAILED_awsdocs.json)
ECS_DEPLOYMENT_FAILED = {
    "detail-type": "ECS Deployment State Change",
    "source": "aws.ecs",
    "resources": ["arn:aws:ecs:us-west-2:111122223333:service/default/servicetest"],
    "detail": {
        "eventType": "ERROR",
        "eventName": "SERVICE_DEPLOYMENT_FAILED",
        "deploymentId": "ecs-svc/123",
        "updatedAt": "2020-05-23T11:11:11Z",
        "reason": "ECS deployment circuit breaker: task failed to start.",
    },
}


def ecs_deployment(event_name: str) -> dict[str, Any]:
    """The documented failed deployment as the same page's IN_PROGRESS and COMPLETED examples name theirs."""
    event = copy.deepcopy(ECS_DEPLOYMENT_FAILED)
    event["detail"].update(eventType="INFO", eventName=event_name)
    return event


# https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html
# (events/eventbridge_stepfunctions_execution_status_change_FAILED_awsdocs.json); the page's other examples
# differ in status (and stopDate / output)
def step_functions(status: str) -> dict[str, Any]:
    return {
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "resources": ["arn:aws:states:us-east-1:012345678912:execution:state-machine-name:execution-name"],
        "detail": {
            "executionArn": "arn:aws:states:us-east-1:012345678912:execution:state-machine-name:execution-name",
            "stateMachineArn": "arn:aws:states:us-east-1:012345678912:stateMachine:state-machine",
            "name": "execution-name",
            "status": status,
            "startDate": 1551225146847,
            "stopDate": 1551225151881,
            "input": "{}",
            "output": None,
        },
    }


# https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-cloudwatch-events.sample.html
# (events/eventbridge_rds_db_instance_failover_completed_awsdocs.json)
RDS_FAILOVER_COMPLETED = {
    "detail-type": "RDS DB Instance Event",
    "source": "aws.rds",
    "resources": ["arn:aws:rds:us-east-1:123456789012:db:my-db-instance"],
    "detail": {
        "EventCategories": ["failover"],
        "SourceType": "DB_INSTANCE",
        "SourceArn": "arn:aws:rds:us-east-1:123456789012:db:my-db-instance",
        "Date": "2018-09-27T22:36:43.292Z",
        "Message": "A Multi-AZ failover has completed.",
        "SourceIdentifier": "rds:my-db-instance",
        "EventID": "RDS-EVENT-0049",
    },
}
# the same page (events/eventbridge_rds_db_parameter_group_configuration_change_awsdocs.json)
RDS_PARAMETER_GROUP_CHANGE = {
    "detail-type": "RDS DB Parameter Group Event",
    "source": "aws.rds",
    "resources": ["arn:aws:rds:us-east-1:123456789012:pg:my-db-param-group"],
    "detail": {
        "EventCategories": ["configuration change"],
        "SourceType": "DB_PARAM",
        "SourceArn": "arn:aws:rds:us-east-1:123456789012:pg:my-db-param-group",
        "Date": "2018-10-06T12:26:13.882Z",
        "Message": "Updated parameter time_zone to UTC with apply method immediate",
        "SourceIdentifier": "rds:my-db-param-group",
        "EventID": "RDS-EVENT-0037",
    },
}


# https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-cloudwatch-events.sample.html
# (events/eventbridge_rds_db_cluster_notification_patched_awsdocs.json)
RDS_CLUSTER_PATCHED = {
    "detail-type": "RDS DB Cluster Event",
    "source": "aws.rds",
    "resources": ["arn:aws:rds:us-east-1:123456789012:cluster:my-db-cluster"],
    "detail": {
        "EventCategories": ["notification"],
        "SourceType": "CLUSTER",
        "SourceArn": "arn:aws:rds:us-east-1:123456789012:cluster:my-db-cluster",
        "Date": "2018-10-06T12:26:13.882Z",
        "Message": "Database cluster has been patched",
        "SourceIdentifier": "rds:my-db-cluster",
        "EventID": "RDS-EVENT-0173",
    },
}


def rds_event(base: Mapping[str, Any], categories: list[str], event_id: str | None = None) -> dict[str, Any]:
    """A documented RDS event with other categories (and event id): a mutation, the values as the RDS user
    guide's event categories and messages list them."""
    event = copy.deepcopy(dict(base))
    event["detail"]["EventCategories"] = categories
    if event_id:
        event["detail"]["EventID"] = event_id
    return event


# A real finding a public AWS sample published (events/eventbridge_guardduty_finding_ec2_outbound_connection_
# real_awssamples.json), its detail trimmed to a few fields: the pattern reads none
GUARDDUTY_FINDING = {
    "detail-type": "GuardDuty Finding",
    "source": "aws.guardduty",
    "resources": [],
    "detail": {
        "schemaVersion": "2.0",
        "accountId": "123456789012",
        "region": "us-east-1",
        "type": "Canary:EC2/Stateless.IntegTest",
        "severity": 5,
        "service": {"archived": False, "count": 1},
    },
}
# A real Security Hub finding published by AWS's Automated Security Response solution
# (events/eventbridge_securityhub_findings_imported_cis_1_4_MEDIUM_real_asr.json), the finding trimmed to the
# fields the pattern reads and its identity. Format: https://docs.aws.amazon.com/securityhub/latest/userguide/
# securityhub-cwe-event-formats.html (one finding per event)
SECURITYHUB_MEDIUM = {
    "detail-type": "Security Hub Findings - Imported",
    "source": "aws.securityhub",
    "resources": [],
    "detail": {
        "findings": [
            {
                "Id": "arn:aws:securityhub:us-east-1:111111111111:subscription/cis-aws-foundations-benchmark/v/"
                "1.2.0/1.4/finding/e7d83ca8-6afd-428e-8ab0-e5b5b3b2239f",
                "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/securityhub",
                "Severity": {"Normalized": 40, "Label": "MEDIUM", "Product": 40, "Original": "MEDIUM"},
                "RecordState": "ACTIVE",
                "Workflow": {"Status": "NEW"},
                "Compliance": {"Status": "WARNING"},
            }
        ]
    },
}
# (events/eventbridge_securityhub_findings_imported_fsbp_ec2_7_INFORMATIONAL_real_asr.json), trimmed the same way
SECURITYHUB_INFORMATIONAL_FAILED = {
    "detail-type": "Security Hub Findings - Imported",
    "source": "aws.securityhub",
    "resources": [],
    "detail": {
        "findings": [
            {
                "Id": "arn:aws:securityhub:us-east-1:111111111111:subscription/aws-foundational-security-best-"
                "practices/v/1.0.0/EC2.7/finding/0003b335-cf3f-4f93-a025-6b1a7baced06",
                "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/securityhub",
                "Severity": {
                    "Product": 0,
                    "Label": "INFORMATIONAL",
                    "Normalized": 0,
                    "Original": "INFORMATIONAL",
                },
                "RecordState": "ACTIVE",
                "Workflow": {"Status": "NEW"},
                "Compliance": {"Status": "FAILED"},
            }
        ]
    },
}


def securityhub(base: Mapping[str, Any], **finding: Any) -> dict[str, Any]:
    """A documented finding with some of its fields set otherwise (a mutation)."""
    event = copy.deepcopy(dict(base))
    event["detail"]["findings"][0].update(finding)
    return event


# (Watch* parameter, what, event, whether it reaches the router)
CASES = [
    ("WatchAwsHealth", "public EC2 issue", HEALTH_PUBLIC_ISSUE, True),
    ("WatchAwsHealth", "abuse report", HEALTH_ABUSE, True),
    ("WatchXRayInsights", "insight update", XRAY_INSIGHT, True),
    ("WatchEcsTasks", "task stopped by a crash", ecs_task_stopped(), True),
    ("WatchEcsTasks", "task placement failure", ECS_PLACEMENT_FAILURE, True),
    ("WatchEcsTasks", "deployment failed", ECS_DEPLOYMENT_FAILED, True),
    (
        "WatchEcsTasks",
        "deployment completed (resolves a failed one)",
        ecs_deployment("SERVICE_DEPLOYMENT_COMPLETED"),
        True,
    ),
    ("WatchEcsTasks", "task RUNNING", ECS_TASK_RUNNING, False),
    ("WatchEcsTasks", "service steady state", ECS_STEADY_STATE, False),
    ("WatchEcsTasks", "deployment in progress", ecs_deployment("SERVICE_DEPLOYMENT_IN_PROGRESS"), False),
    *(
        ("WatchStepFunctions", f"execution {s}", step_functions(s), True)
        for s in ("FAILED", "TIMED_OUT", "ABORTED")
    ),
    *(("WatchStepFunctions", f"execution {s}", step_functions(s), False) for s in ("SUCCEEDED", "RUNNING")),
    ("WatchRdsEvents", "instance failover completed", RDS_FAILOVER_COMPLETED, True),
    (
        "WatchRdsEvents",
        "instance low storage",
        rds_event(RDS_FAILOVER_COMPLETED, ["low storage"], "RDS-EVENT-0089"),
        True,
    ),
    (
        "WatchRdsEvents",
        "cluster failure",
        rds_event(RDS_CLUSTER_PATCHED, ["failure"], "RDS-EVENT-0354"),
        True,
    ),
    # RDS-EVENT-0017, storage changed, ends a low-storage alert: a configuration change
    (
        "WatchRdsEvents",
        "instance storage changed",
        rds_event(RDS_FAILOVER_COMPLETED, ["configuration change"], "RDS-EVENT-0017"),
        True,
    ),
    ("WatchRdsEvents", "cluster patched (notification)", RDS_CLUSTER_PATCHED, False),
    (
        "WatchRdsEvents",
        "instance backup",
        rds_event(RDS_FAILOVER_COMPLETED, ["backup"], "RDS-EVENT-0001"),
        False,
    ),
    ("WatchRdsEvents", "parameter group change", RDS_PARAMETER_GROUP_CHANGE, False),
    ("WatchGuardDuty", "finding", GUARDDUTY_FINDING, True),
    ("WatchSecurityHub", "MEDIUM ACTIVE finding", SECURITYHUB_MEDIUM, True),
    (
        "WatchSecurityHub",
        "CRITICAL finding",
        securityhub(SECURITYHUB_MEDIUM, Severity={"Label": "CRITICAL"}),
        True,
    ),
    (
        "WatchSecurityHub",
        "LOW ACTIVE finding",
        securityhub(SECURITYHUB_MEDIUM, Severity={"Label": "LOW"}),
        False,
    ),
    ("WatchSecurityHub", "INFORMATIONAL FAILED finding", SECURITYHUB_INFORMATIONAL_FAILED, False),
    # what resolves a finding arrives whatever its severity
    (
        "WatchSecurityHub",
        "finding PASSED",
        securityhub(SECURITYHUB_INFORMATIONAL_FAILED, Compliance={"Status": "PASSED"}),
        True,
    ),
    (
        "WatchSecurityHub",
        "finding ARCHIVED",
        securityhub(SECURITYHUB_INFORMATIONAL_FAILED, RecordState="ARCHIVED"),
        True,
    ),
    (
        "WatchSecurityHub",
        "finding RESOLVED",
        securityhub(SECURITYHUB_INFORMATIONAL_FAILED, Workflow={"Status": "RESOLVED"}),
        True,
    ),
    (
        "WatchSecurityHub",
        "finding SUPPRESSED",
        securityhub(SECURITYHUB_INFORMATIONAL_FAILED, Workflow={"Status": "SUPPRESSED"}),
        True,
    ),
]


def as_moto_sees_it(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event as moto's matcher can read it. Moto does not look into arrays of objects (Security Hub's
    `findings`), which EventBridge matches when any element does: each event carries one finding (the format
    page above), so that finding in the array's place matches as the array would."""
    out = copy.deepcopy(dict(event))
    findings = out["detail"].get("findings")
    if isinstance(findings, list):
        [out["detail"]["findings"]] = findings
    return out


@pytest.fixture(scope="module")
def moto_eventbridge() -> Iterator[tuple[Any, Any]]:
    with pytest.MonkeyPatch.context() as patch, mock_aws():
        use_fake_aws_environment(patch)
        yield boto3.client("events", region_name="us-east-1"), boto3.client("sqs", region_name="us-east-1")


def delivered(
    clients: tuple[Any, Any], name: str, pattern: Mapping[str, Any], event: Mapping[str, Any]
) -> bool:
    """Whether moto's EventBridge delivers `event`, put on the default bus, to a queue through a rule of `pattern`."""
    events, sqs = clients
    queue = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=name, EventPattern=json.dumps(pattern), State="ENABLED")
    events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": arn}])
    try:
        seen = as_moto_sees_it(event)
        [entry] = events.put_events(
            Entries=[
                {
                    "Source": seen["source"],
                    "DetailType": seen["detail-type"],
                    "Detail": json.dumps(seen["detail"]),
                    "Resources": seen["resources"],
                }
            ]
        )["Entries"]
        assert "EventId" in entry, entry
        return bool(sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages"))
    finally:
        events.remove_targets(Rule=name, Ids=["queue"])
        events.delete_rule(Name=name)
        sqs.delete_queue(QueueUrl=queue)


ALL_ON = made("standalone", set(SIGNAL_RULES))


@pytest.mark.parametrize(
    ("parameter", "event", "reaches"),
    [pytest.param(p, e, r, id=f"{p}-{what}") for p, what, e, r in CASES],
)
def test_the_pattern_takes_what_can_alert_and_leaves_routine_events_at_the_source(
    moto_eventbridge: tuple[Any, Any], parameter: str, event: Mapping[str, Any], reaches: bool
) -> None:
    rule = SIGNAL_RULES[parameter][0]
    pattern = ALL_ON["Resources"][rule]["Properties"]["EventPattern"]
    assert delivered(moto_eventbridge, rule, pattern, event) is reaches
    # and no other service's rule takes it
    for other, (name, *_) in SIGNAL_RULES.items():
        if other != parameter:
            other_pattern = ALL_ON["Resources"][name]["Properties"]["EventPattern"]
            assert not delivered(moto_eventbridge, name, other_pattern, event), name


def test_every_detail_type_a_rule_names_has_an_example() -> None:
    def detail_types(pattern: Mapping[str, Any]) -> set[str]:
        found = set(pattern.get("detail-type", []))
        for branch in pattern.get("$or", []):
            found |= detail_types(branch)
        return found

    examples = {(p, e["detail-type"]) for p, _, e, reaches in CASES if reaches}
    for parameter, (rule, *_) in SIGNAL_RULES.items():
        for detail_type in detail_types(ALL_ON["Resources"][rule]["Properties"]["EventPattern"]):
            assert (parameter, detail_type) in examples, (parameter, detail_type)


# ---- lint: every mode, all on and all off ----

LINT_VARIANTS = {
    f"{mode}-{'on' if on else 'off'}": {
        **watching(set(SIGNAL_RULES) if on else set()),
        **{
            "standalone": {"SlackTokenSecretName": "alertrouter/slack-bot-token"},
            "hub": {
                "Mode": "hub",
                "OrganizationId": "o-abcde12345",
                "SlackTokenSecretName": "alertrouter/slack",
            },
            "spoke": {
                "Mode": "spoke",
                "HubEventBusArn": "arn:aws:events:us-east-1:111122223333:event-bus/x-hub",
            },
        }[mode],
    }
    for mode, on in itertools.product(MODES, (True, False))
}


@pytest.fixture(params=sorted(LINT_VARIANTS))
def lint_variant(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(template_with_defaults(LINT_VARIANTS[request.param]), encoding="utf-8")
    return path


@pytest.mark.slow
def test_each_variant_passes_cfn_lint(lint_variant: Path) -> None:
    result = subprocess.run(
        [cfn_lint(), str(lint_variant)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_each_variant_passes_sam_validate_lint(lint_variant: Path) -> None:
    result = subprocess.run(
        [sam_cli(), "validate", "--lint", "--language-extensions", "--region", "us-east-1"]
        + ["--template-file", str(lint_variant)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=lint_variant.parent,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0"},
    )
    assert result.returncode == 0, result.stdout + result.stderr

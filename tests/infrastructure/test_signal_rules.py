"""The AWS services' EventBridge rules (issue 20: AWS Health, X-Ray Insights, ECS, Step Functions, RDS, GuardDuty,
Security Hub), each behind its Watch* parameter: a rule on the default bus where the stack routes alerts, its twin
on the hub's bus in a hub, a forwarding rule in a spoke, all three with one pattern; the queue policies let
exactly the rules that exist send; and the patterns, run by moto's EventBridge (a matcher that is not ours), take
the services' documented events that can alert and leave routine ones at the source."""

from __future__ import annotations

import copy
import itertools
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from alertrouter.sources import rds
from support.deploy_tools import deploy_module
from support.events import load_event
from support.lint_tools import run_cfn_lint, run_sam_validate
from support.local_aws import template_with_defaults, use_fake_aws_environment
from support.paths import ROOT
from support.signal_events import CRASHED, insight_update, stopped_task

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
        # exactly the events the parser ends a matter with (sources/rds.py), whatever their category
        assert sorted(ends["EventID"]) == sorted(rds._ENDS), name
    # and the parser's default is the parameter's
    assert rds.DEFAULT_CATEGORIES.split(",") == RDS_DEFAULT


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


# The real sample events of events/ (the AWS documentation's, and findings AWS samples published), and those
# derived from them where AWS publishes no example (support/signal_events.py): what the parsers are tested on.
HEALTH_PUBLIC_ISSUE = load_event("eventbridge_health_ec2_operational_issue_PUBLIC_open_awsdocs.json")
HEALTH_ABUSE = load_event("eventbridge_health_abuse_dos_report_awsdocs.json")
XRAY_INSIGHT = insight_update()
ECS_TASK_RUNNING = load_event("eventbridge_ecs_task_state_change_RUNNING_awsdocs.json")
ECS_PLACEMENT_FAILURE = load_event(
    "eventbridge_ecs_service_action_SERVICE_TASK_PLACEMENT_FAILURE_awsdocs.json"
)
ECS_STEADY_STATE = load_event("eventbridge_ecs_service_action_SERVICE_STEADY_STATE_awsdocs.json")
ECS_DEPLOYMENT_FAILED = load_event(
    "eventbridge_ecs_deployment_state_change_SERVICE_DEPLOYMENT_FAILED_awsdocs.json"
)
RDS_FAILOVER_COMPLETED = load_event("eventbridge_rds_db_instance_failover_completed_awsdocs.json")
RDS_PARAMETER_GROUP_CHANGE = load_event(
    "eventbridge_rds_db_parameter_group_configuration_change_awsdocs.json"
)
RDS_CLUSTER_PATCHED = load_event("eventbridge_rds_db_cluster_notification_patched_awsdocs.json")
GUARDDUTY_FINDING = load_event("eventbridge_guardduty_finding_ec2_outbound_connection_real_awssamples.json")
SECURITYHUB_MEDIUM = load_event("eventbridge_securityhub_findings_imported_cis_1_4_MEDIUM_real_asr.json")
SECURITYHUB_INFORMATIONAL_FAILED = load_event(
    "eventbridge_securityhub_findings_imported_fsbp_ec2_7_INFORMATIONAL_real_asr.json"
)


def ecs_task_stopped() -> dict[str, Any]:
    """The documented task, stopped as an essential container's crash stops it (derived: AWS publishes no
    stopped task)."""
    return stopped_task(**CRASHED, exit_code=1)


def ecs_deployment(event_name: str) -> dict[str, Any]:
    """The documented deployment state change with another event name (the repository has IN_PROGRESS and
    COMPLETED as files too)."""
    event = copy.deepcopy(ECS_DEPLOYMENT_FAILED)
    event["detail"].update(eventType="INFO", eventName=event_name)
    return event


def step_functions(status: str) -> dict[str, Any]:
    """The Step Functions developer guide's execution status change of that status."""
    return load_event(f"eventbridge_stepfunctions_execution_status_change_{status}_awsdocs.json")


def rds_event(base: Mapping[str, Any], categories: list[str], event_id: str | None = None) -> dict[str, Any]:
    """A documented RDS event with other categories (and event id): a mutation, the values as the RDS user
    guide's event categories and messages list them."""
    event = copy.deepcopy(dict(base))
    event["detail"]["EventCategories"] = categories
    if event_id:
        event["detail"]["EventID"] = event_id
    return event


def securityhub(base: Mapping[str, Any], **finding: Any) -> dict[str, Any]:
    """A real finding with some of its fields set otherwise (a mutation)."""
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
    result = run_cfn_lint(lint_variant)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_each_variant_passes_sam_validate_lint(lint_variant: Path) -> None:
    result = run_sam_validate(lint_variant)
    assert result.returncode == 0, result.stdout + result.stderr

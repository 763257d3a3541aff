"""template.yaml keeps its promises: least-privilege roles, state that survives, dead letters that are kept,
the runtime the layers are built for, and names and tags that say which stack owns what."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from local_aws import load_template

TEMPLATE = load_template()
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]
GLOBALS = TEMPLATE["Globals"]["Function"]
NO_VALUE = {"Ref": "AWS::NoValue"}

# Types CloudFormation cannot tag; every other resource in the template must carry the tags.
NOT_TAGGABLE = {"AWS::Serverless::LayerVersion", "AWS::SNS::Subscription", "AWS::SQS::QueuePolicy",
                "AWS::Lambda::Permission", "AWS::CloudWatch::Dashboard"}
# The property that gives a resource of each type its own name.
NAME_PROPERTY = {"AWS::DynamoDB::Table": "TableName", "AWS::SQS::Queue": "QueueName", "AWS::SNS::Topic": "TopicName",
                 "AWS::Events::Rule": "Name", "AWS::Logs::LogGroup": "LogGroupName",
                 "AWS::Serverless::Function": "FunctionName", "AWS::Serverless::LayerVersion": "LayerName",
                 "AWS::CloudWatch::Alarm": "AlarmName"}


def of_type(kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in RESOURCES.items() if r["Type"] == kind}


def statements(function: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str | None]]:
    """Each IAM statement of a function's inline policies, with the condition it is granted under."""
    for policy in function["Properties"].get("Policies", []):
        assert isinstance(policy, dict) and "Statement" in policy, f"not an inline policy document: {policy!r}"
        for statement in policy["Statement"]:
            if "If" in statement:
                condition, when_true, when_false = statement["If"]
                for branch in (when_true, when_false):
                    if branch != NO_VALUE:
                        yield branch, condition
            else:
                yield statement, None


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def tags_of(resource: dict[str, Any]) -> dict[str, Any]:
    tags = resource["Properties"].get("Tags", {})
    if isinstance(tags, list):
        tags = {t["Key"]: t["Value"] for t in tags}
    if resource["Type"] == "AWS::Serverless::Function":
        tags = {**GLOBALS.get("Tags", {}), **tags}  # SAM merges the Globals map into the function's
    return dict(tags)


# ---- IAM ----

FUNCTIONS = of_type("AWS::Serverless::Function")


def test_there_is_a_router_function_with_inline_policies() -> None:
    assert "RouterFunction" in FUNCTIONS
    assert list(statements(FUNCTIONS["RouterFunction"]))


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_function_policies_name_actions_and_resources_exactly(name: str) -> None:
    for statement, condition in statements(FUNCTIONS[name]):
        sid = statement.get("Sid")
        assert statement["Effect"] == "Allow", sid
        assert "NotAction" not in statement and "NotResource" not in statement, sid
        assert all("*" not in action for action in as_list(statement["Action"])), sid
        resources = as_list(statement["Resource"])
        if "*" in resources:
            # The documented exceptions, actions that support no resource-level permission:
            # SMS to a phone number has no ARN to scope sns:Publish to (granted only when SMS is configured);
            # cloudwatch:GetMetricData reads metrics, which have no ARNs.
            assert (sid, as_list(statement["Action"]), resources, condition) in (
                ("SmsPublish", ["sns:Publish"], ["*"], "HasSmsNumbers"),
                ("ReadSloMetrics", ["cloudwatch:GetMetricData"], ["*"], None))
        else:
            for resource in resources:
                text = resource.get("Sub", "") if isinstance(resource, dict) else resource
                assert "*" not in text, sid


def test_sms_permissions_depend_on_an_sms_secret_being_configured() -> None:
    assert TEMPLATE["Conditions"]["HasSmsNumbers"] == {"Not": [{"Equals": [{"Ref": "SmsNumbersSecretName"}, ""]}]}
    conditional = {s["Sid"] for s, condition in statements(FUNCTIONS["RouterFunction"]) if condition}
    assert conditional == {"SmsNumbers", "SmsPublish"}


def test_secret_permissions_are_scoped_to_the_named_secrets() -> None:
    secrets = {s["Sid"]: s["Resource"]["Sub"] for s, _ in statements(FUNCTIONS["RouterFunction"])
               if s["Action"] == "secretsmanager:GetSecretValue"}
    prefix = "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:"
    assert secrets == {"SlackToken": prefix + "${SlackTokenSecretName}-??????",
                       "SmsNumbers": prefix + "${SmsNumbersSecretName}-??????"}


def test_queue_policies_let_only_this_stacks_topic_and_rule_send() -> None:
    for policy in of_type("AWS::SQS::QueuePolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            assert statement["Action"] == "sqs:SendMessage"
            assert set(statement["Principal"]) == {"Service"}
            source = statement["Condition"]["ArnEquals"]["aws:SourceArn"]
            assert all(s in ({"Ref": "AlarmTopic"}, {"GetAtt": "CloudWatchAlarmRule.Arn"}) for s in as_list(source))


# ---- state ----

def test_state_table_is_kept_recoverable_and_expires_items() -> None:
    table = RESOURCES["StateTable"]
    assert table["Type"] == "AWS::DynamoDB::Table"
    assert table["DeletionPolicy"] == "Retain" and table["UpdateReplacePolicy"] == "Retain"
    props = table["Properties"]
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                                  {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert props["AttributeDefinitions"] == [{"AttributeName": "pk", "AttributeType": "S"},
                                             {"AttributeName": "sk", "AttributeType": "S"}]
    assert props["BillingMode"] == "PAY_PER_REQUEST"


# ---- ingest ----

def test_ingest_queue_redrives_to_a_dlq_that_keeps_messages_longest() -> None:
    queue, dlq = RESOURCES["IngestQueue"]["Properties"], RESOURCES["IngestDLQ"]["Properties"]
    assert queue["RedrivePolicy"] == {"deadLetterTargetArn": {"GetAtt": "IngestDLQ.Arn"}, "maxReceiveCount": 15}
    assert dlq["MessageRetentionPeriod"] == 14 * 86400
    # a message keeps its first enqueue time in the DLQ, so the DLQ must keep messages longer
    assert queue["MessageRetentionPeriod"] < dlq["MessageRetentionPeriod"]


def test_queue_visibility_covers_six_function_timeouts() -> None:
    router = RESOURCES["RouterFunction"]["Properties"]
    timeout = router.get("Timeout", GLOBALS["Timeout"])
    assert RESOURCES["IngestQueue"]["Properties"]["VisibilityTimeout"] >= 6 * timeout


def test_eventbridge_rule_leaves_out_the_stacks_own_ops_alarms() -> None:
    rule = RESOURCES["CloudWatchAlarmRule"]["Properties"]
    [excluded] = rule["EventPattern"]["detail"]["alarmName"]
    prefix = excluded["anything-but"]["prefix"]["Sub"]
    assert prefix == "${AWS::StackName}-ops-"
    alarms = of_type("AWS::CloudWatch::Alarm")
    assert alarms and all(a["Properties"]["AlarmName"]["Sub"].startswith(prefix) for a in alarms.values())
    assert all(a["Properties"]["AlarmActions"] == [{"Ref": "OpsTopic"}] for a in alarms.values())
    assert [t["Arn"] for t in rule["Targets"]] == [{"GetAtt": "IngestQueue.Arn"}]


# ---- the router ----

def test_router_runs_python313_on_arm64_like_its_layers() -> None:
    router = RESOURCES["RouterFunction"]["Properties"]
    runtime = router.get("Runtime", GLOBALS["Runtime"])
    architectures = router.get("Architectures", GLOBALS["Architectures"])
    assert (runtime, architectures) == ("python3.13", ["arm64"])
    for name in ("CoreLayer", "ConfigLayer"):
        layer = RESOURCES[name]["Properties"]
        assert runtime in layer["CompatibleRuntimes"] and "arm64" in layer["CompatibleArchitectures"], name
    assert RESOURCES["CoreLayer"]["Metadata"] == {"BuildMethod": runtime, "BuildArchitecture": "arm64"}
    assert router["Layers"] == [{"Ref": "CoreLayer"}, {"Ref": "ConfigLayer"}]


def test_router_reports_batch_item_failures_from_the_ingest_queue() -> None:
    [event] = RESOURCES["RouterFunction"]["Properties"]["Events"].values()
    assert event["Type"] == "SQS"
    assert event["Properties"]["Queue"] == {"GetAtt": "IngestQueue.Arn"}
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_router_environment_points_at_this_stacks_resources() -> None:
    env = RESOURCES["RouterFunction"]["Properties"]["Environment"]["Variables"]
    assert env["TABLE_NAME"] == {"Ref": "StateTable"}
    assert env["INGEST_QUEUE_URL"] == {"Ref": "IngestQueue"} and env["DLQ_URL"] == {"Ref": "IngestDLQ"}
    assert env["ROUTING_CONFIG_PATH"] == "/opt/routing.yaml"  # where ConfigLayer's config/ lands
    assert RESOURCES["ConfigLayer"]["Properties"]["ContentUri"] == "config/"


# ---- names and tags ----

@pytest.mark.parametrize("name", sorted(n for n, r in RESOURCES.items() if r["Type"] not in NOT_TAGGABLE))
def test_taggable_resources_say_stack_owner_and_purpose(name: str) -> None:
    tags = tags_of(RESOURCES[name])
    assert {"stack", "owner", "purpose"} <= tags.keys(), name
    assert tags["stack"] == {"Ref": "AWS::StackName"} and tags["owner"] == {"Ref": "Owner"}
    assert isinstance(tags["purpose"], str) and tags["purpose"]


def test_resources_left_untagged_are_only_types_that_cannot_be_tagged() -> None:
    untagged = {r["Type"] for r in RESOURCES.values() if not tags_of(r)}
    assert untagged <= NOT_TAGGABLE


NAMED = sorted(n for n, r in RESOURCES.items() if NAME_PROPERTY.get(r["Type"]) in r.get("Properties", {}))


def test_the_stacks_resources_are_named() -> None:
    assert {"StateTable", "IngestQueue", "IngestDLQ", "AlarmTopic", "RouterFunction", "RouterLogGroup"} <= set(NAMED)


@pytest.mark.parametrize("name", NAMED)
def test_named_resources_carry_the_stack_name(name: str) -> None:
    resource = RESOURCES[name]
    value = resource["Properties"][NAME_PROPERTY[resource["Type"]]]
    # two stacks (accounts, or a test stack next to prod) can then never collide on a name
    assert isinstance(value, dict) and "${AWS::StackName}" in value.get("Sub", "")


def test_router_logs_where_lambda_would_put_them() -> None:
    function_name = RESOURCES["RouterFunction"]["Properties"]["FunctionName"]["Sub"]
    assert RESOURCES["RouterLogGroup"]["Properties"]["LogGroupName"] == {"Sub": f"/aws/lambda/{function_name}"}
    assert RESOURCES["RouterFunction"]["Properties"]["LoggingConfig"] == {"LogGroup": {"Ref": "RouterLogGroup"}}

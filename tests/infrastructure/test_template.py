"""template.yaml keeps its promises: least-privilege roles, state that survives, dead letters that are kept,
the runtime the layers are built for, and names and tags that say which stack owns what. The resources a
`Fn::ForEach` loop makes (OpenSearch and stuck-queue alarms, ops SMS subscriptions) are expanded for
sample lists and held to the same checks."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from support.lint_tools import run_cfn_lint, run_sam_validate
from support.local_aws import expand_for_each, load_template, template_with_defaults
from support.paths import ROOT

RAW = load_template()
# Obvious fakes: 555-01xx numbers are reserved for fiction.
SAMPLE_LISTS = {
    "OpenSearchDomainNames": ["logs-prod", "search"],
    "StuckQueueNames": ["high-priority", "default_queue"],
    "OpsSmsNumbers": ["+15555550100", "+15555550101"],
}
TEMPLATE = expand_for_each(RAW, SAMPLE_LISTS)
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]
PARAMETERS: dict[str, dict[str, Any]] = RAW["Parameters"]
GLOBALS = TEMPLATE["Globals"]["Function"]
NO_VALUE = {"Ref": "AWS::NoValue"}
OPS_PREFIX = "${AWS::StackName}-${AccountLabel}-ops-"

# Types CloudFormation cannot tag; every other resource in the template must carry the tags.
NOT_TAGGABLE = {
    "AWS::Serverless::LayerVersion",
    "AWS::SNS::Subscription",
    "AWS::SQS::QueuePolicy",
    "AWS::SNS::TopicPolicy",
    "AWS::Lambda::Permission",
    "AWS::CloudWatch::Dashboard",
    "AWS::Scheduler::Schedule",
}
# The property that gives a resource of each type its own name.
NAME_PROPERTY = {
    "AWS::DynamoDB::Table": "TableName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::Events::Rule": "Name",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::Serverless::Function": "FunctionName",
    "AWS::Serverless::LayerVersion": "LayerName",
    "AWS::CloudWatch::Alarm": "AlarmName",
}


def of_type(kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in RESOURCES.items() if r["Type"] == kind}


def statements(function: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str | None]]:
    """Each IAM statement of a function's inline policies, with the condition it is granted under."""
    for policy in function["Properties"].get("Policies", []):
        assert isinstance(policy, dict) and "Statement" in policy, (
            f"not an inline policy document: {policy!r}"
        )
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


def notified(props: Mapping[str, Any], key: str = "AlarmActions") -> Any:
    """The topics an alarm notifies where the router runs. An alarm a spoke keeps names them under RoutesAlerts
    (a spoke has no topic: its alarms reach the hub through its forwarding rule)."""
    actions = props[key]
    if isinstance(actions, dict) and "If" in actions:
        condition, where_routed, in_a_spoke = actions["If"]
        assert (condition, in_a_spoke) == ("RoutesAlerts", NO_VALUE), actions
        return where_routed
    return actions


def sub(value: Any) -> str:
    assert isinstance(value, dict) and set(value) == {"Sub"}, value
    return str(value["Sub"])


def parameter_values(lists: Mapping[str, list[str]] | None = None, **strings: str) -> dict[str, Any]:
    """Every parameter's value as CloudFormation sees it: defaults, a CommaDelimitedList as a list
    ("" is [""])."""
    values: dict[str, Any] = {}
    for name, spec in PARAMETERS.items():
        value = strings.get(name, str(spec.get("Default", "")))
        values[name] = value.split(",") if spec["Type"] == "CommaDelimitedList" else value
    values.update(lists or {})
    return values


def holds(condition: str, values: Mapping[str, Any]) -> bool:
    """Evaluates one of the template's conditions (the functions it uses) for the given parameter values."""

    def ev(node: Any) -> Any:
        if isinstance(node, dict):
            [(fn, arg)] = node.items()
            if fn == "Ref":
                return values[arg]
            if fn == "Condition":
                return holds(arg, values)
            if fn == "Not":
                return not ev(arg[0])
            if fn == "And":
                return all(ev(a) for a in arg)
            if fn == "Or":
                return any(ev(a) for a in arg)
            if fn == "Equals":
                return ev(arg[0]) == ev(arg[1])
            if fn == "Join":
                return arg[0].join(ev(arg[1]))
            if fn == "Split":
                return ev(arg[1]).split(arg[0])
            if fn == "Select":
                return ev(arg[1])[int(arg[0])]
            raise AssertionError(f"unexpected function in a condition: {fn}")
        return node

    return bool(ev(RAW["Conditions"][condition]))


# ---- the template's shape ----


def test_language_extensions_come_before_the_sam_transform() -> None:
    assert RAW["Transform"] == ["AWS::LanguageExtensions", "AWS::Serverless-2016-10-31"]


LOOPS = {
    "Fn::ForEach::StuckQueueAlarms": ("QueueName", "StuckQueueNames", "CreateStuckQueueAlarms"),
    "Fn::ForEach::OpenSearchDomainAlarms": ("Domain", "OpenSearchDomainNames", "HasOpenSearchDomains"),
    "Fn::ForEach::OpsSmsSubscriptions": ("PhoneNumber", "OpsSmsNumbers", "HasOpsSmsNumbers"),
}
# The loops over keys of the FunctionAlarms mapping (the functions' self-monitoring alarms), and the
# condition their alarms are made under.
FUNCTION_ALARM_LOOPS = {
    "Fn::ForEach::FunctionAlarms": "RoutesAlerts",
    "Fn::ForEach::BatchQueueMetricsFunctionAlarms": "BatchQueueMetricsEnabled",
}
FUNCTION_ALARMS = {f"{key}Alarm" for name in FUNCTION_ALARM_LOOPS for key in RAW["Resources"][name][1]}
LOG_GROUP_LOOP = "Fn::ForEach::FunctionLogGroups"  # over the keys of the FunctionLogGroups mapping


def test_loops_iterate_over_list_parameters_that_default_to_empty() -> None:
    loops = {
        k: v
        for k, v in RAW["Resources"].items()
        if k.startswith("Fn::ForEach::") and k not in {*FUNCTION_ALARM_LOOPS, LOG_GROUP_LOOP}
    }
    assert set(loops) == set(LOOPS)
    for name, (identifier, parameter, condition) in LOOPS.items():
        loop_identifier, collection, fragment = loops[name]
        assert (loop_identifier, collection) == (identifier, {"Ref": parameter}), name
        assert (
            PARAMETERS[parameter]["Type"] == "CommaDelimitedList" and PARAMETERS[parameter]["Default"] == ""
        )
        for key, resource in fragment.items():
            assert "&{" + identifier + "}" in key, key  # a logical id per item, non-alphanumerics dropped
            assert resource["Condition"] == condition, key


@pytest.mark.parametrize("name", sorted(LOOPS))
def test_an_empty_list_creates_nothing_and_a_list_creates_one_set_per_item(name: str) -> None:
    identifier, parameter, condition = LOOPS[name]
    # The default "" is the list [""]: its resources exist in the expanded template, under a false condition.
    assert not holds(condition, parameter_values())
    assert holds(condition, parameter_values(SAMPLE_LISTS))
    fragment = RAW["Resources"][name][2]
    for item in SAMPLE_LISTS[parameter]:
        for key in fragment:
            assert key.replace("&{" + identifier + "}", re.sub(r"[^A-Za-z0-9]", "", item)) in RESOURCES


def test_function_alarm_loops_make_one_alarm_per_mapping_entry_all_alike() -> None:
    entries = RAW["Mappings"]["FunctionAlarms"]
    keys = [key for name in FUNCTION_ALARM_LOOPS for key in RAW["Resources"][name][1]]
    assert sorted(keys) == sorted(entries)  # every entry in one loop, once
    alarms = []
    for name, condition in FUNCTION_ALARM_LOOPS.items():
        identifier, collection, fragment = RAW["Resources"][name]
        [(key, alarm)] = fragment.items()
        assert key == "${" + identifier + "}Alarm" and alarm.get("Condition") == condition, name
        for item in collection:  # the function it watches exists under the same condition
            assert RESOURCES[entries[item]["Function"]].get("Condition") == condition, item
        props = alarm["Properties"]
        alarms.append(
            {
                **{k: v for k, v in alarm.items() if k != "Condition"},
                "Properties": {**props, **{k: notified(props, k) for k in ("AlarmActions", "OKActions")}},
            }
        )
    # one way to make them: the loops differ only in the Condition their alarms share (and the Batch
    # queue-metrics function's, kept in a spoke, notify the ops topic only where there is one)
    assert all(alarm == alarms[0] for alarm in alarms)
    assert set(RAW["Mappings"]["FunctionAlarmMetrics"]) == {e["MetricName"] for e in entries.values()}
    assert FUNCTION_ALARMS.issubset(OPS_ALARMS)


def test_stuck_queue_alarms_need_the_queue_metrics_function() -> None:
    queues = {"StuckQueueNames": SAMPLE_LISTS["StuckQueueNames"]}
    assert holds("CreateStuckQueueAlarms", parameter_values(queues))
    assert not holds("CreateStuckQueueAlarms", parameter_values(queues, EnableBatchQueueMetrics="false"))


# ---- IAM ----

FUNCTIONS = of_type("AWS::Serverless::Function")

# Actions that support no resource-level permission, with the reason and the condition they are granted under.
RESOURCE_STAR_EXCEPTIONS = {
    # cloudwatch:GetMetricData reads metrics, which have no ARNs.
    ("ReadSloMetrics", ("cloudwatch:GetMetricData",), None),
    (
        "HeartbeatMetrics",
        ("cloudwatch:GetMetricData",),
        None,
    ),  # the heartbeat checks of kind metric, log_group
    # batch:DescribeJobQueues and batch:ListJobs have no resource type in the Service Authorization Reference.
    ("ReadBatchQueues", ("batch:DescribeJobQueues", "batch:ListJobs"), None),
    # the account's SMS settings (spend limit, sandbox) have no resource type.
    (
        "SmsAccountState",
        ("sns:GetSMSAttributes", "sns:GetSMSSandboxAccountStatus", "sns:ListSMSSandboxPhoneNumbers"),
        "HasSmsNumbers",
    ),
    # read-only, by the names in ALARM_NAMES: "*" rather than every alarm's ARN a second time.
    ("StackAlarms", ("cloudwatch:DescribeAlarms",), None),
    # a list of mute rules names no resource (only GetAlarmMuteRule is scoped, to alarm-mute-rule:*)
    ("ListMuteRules", ("cloudwatch:ListAlarmMuteRules",), "LookUpMuteRules"),
    # the graph in the message (SlackGraphs): an alarm's definition by name and a metric widget's image, which
    # names metrics, not resources
    ("DrawGraphs", ("cloudwatch:DescribeAlarms", "cloudwatch:GetMetricWidgetImage"), "DrawsGraphs"),
}


SECRET_ARN = "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:"
# Grants to every resource under a name prefix, with why: the names are not known to the template.
PREFIX_GRANTS = {
    # the webhook secrets a routing config names (url_secret, credentials_secret): any number of them, each
    # under this prefix (models/webhook.py refuses any other name), read-only
    ("WebhookSecrets", SECRET_ARN + "alertrouter/webhook/*"),
    # the mute rules of this account and region, whichever an alarm's ListAlarmMuteRules names; read-only
    (
        "ReadMuteRules",
        "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm-mute-rule:*",
    ),
    # a hub's senders, any account of its organization (the management account in the ARN is not known here)
    (
        "DescribeOrganizationAccounts",
        "arn:${AWS::Partition}:organizations::*:account/${OrganizationId}/*",
    ),
}


def test_there_is_a_router_function_with_inline_policies() -> None:
    assert "RouterFunction" in FUNCTIONS
    assert list(statements(FUNCTIONS["RouterFunction"]))


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_function_policies_name_actions_and_resources_exactly(name: str) -> None:
    for statement, condition in statements(FUNCTIONS[name]):
        sid = statement.get("Sid")
        assert statement["Effect"] == "Allow", sid
        assert "NotAction" not in statement, sid
        assert all("*" not in action for action in as_list(statement["Action"])), sid
        if "NotResource" in statement:
            assert (sid, statement["Action"], condition) == ("SmsPublish", "sns:Publish", "HasSmsNumbers")
            continue
        resources = as_list(statement["Resource"])
        if "*" in resources:
            assert resources == ["*"], sid
            assert (sid, tuple(as_list(statement["Action"])), condition) in RESOURCE_STAR_EXCEPTIONS
        else:
            for resource in resources:
                text = resource.get("Sub", "") if isinstance(resource, dict) else resource
                assert "*" not in text or (sid, text) in PREFIX_GRANTS, sid


def test_sms_permissions_depend_on_an_sms_secret_being_configured() -> None:
    assert RAW["Conditions"]["HasSmsNumbers"] == {
        "And": [{"Condition": "RoutesAlerts"}, {"Not": [{"Equals": [{"Ref": "SmsNumbersSecretName"}, ""]}]}]
    }
    conditional = {s["Sid"] for s, condition in statements(FUNCTIONS["RouterFunction"]) if condition}
    assert conditional == {
        "SmsNumbers",
        "SmsPublish",
        "ListMuteRules",
        "ReadMuteRules",
        "DescribeOrganizationAccounts",
        "DrawGraphs",
    }
    assert {
        s["Sid"] for s, condition in statements(FUNCTIONS["RouterFunction"]) if condition == "HasSmsNumbers"
    } == {"SmsNumbers", "SmsPublish"}


def test_mute_rule_lookups_are_opt_in_read_only_and_scoped() -> None:
    """MuteRulesForSnsAlarms ("false" by default) turns the lookup on in the router and grants exactly its two
    read actions, GetAlarmMuteRule on this account's and region's mute rules only."""
    parameter = PARAMETERS["MuteRulesForSnsAlarms"]
    assert (parameter["Default"], parameter["AllowedValues"]) == ("false", ["true", "false"])
    assert not holds("LookUpMuteRules", parameter_values())
    assert holds("LookUpMuteRules", parameter_values(MuteRulesForSnsAlarms="true"))
    router = FUNCTIONS["RouterFunction"]["Properties"]
    assert router["Environment"]["Variables"]["MUTE_RULES_FOR_SNS_ALARMS"] == {"Ref": "MuteRulesForSnsAlarms"}
    granted = {
        s["Sid"]: (s["Action"], s["Resource"])
        for s, condition in statements(FUNCTIONS["RouterFunction"])
        if condition == "LookUpMuteRules"
    }
    assert granted == {
        "ListMuteRules": ("cloudwatch:ListAlarmMuteRules", "*"),
        "ReadMuteRules": (
            "cloudwatch:GetAlarmMuteRule",
            {"Sub": "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm-mute-rule:*"},
        ),
    }
    for name, function in FUNCTIONS.items():
        if name != "RouterFunction":
            actions = {a for s, _ in statements(function) for a in as_list(s.get("Action", []))}
            assert not {a for a in actions if "AlarmMuteRule" in a}, name


def test_graphs_are_on_by_default_and_grant_only_their_two_reads() -> None:
    """SlackGraphs ("true" by default) turns graphs on in the router and grants DescribeAlarms and
    GetMetricWidgetImage; "false" grants nothing."""
    parameter = PARAMETERS["SlackGraphs"]
    assert (parameter["Default"], parameter["AllowedValues"]) == ("true", ["true", "false"])
    assert holds("DrawsGraphs", parameter_values())
    assert not holds("DrawsGraphs", parameter_values(SlackGraphs="false"))
    router = FUNCTIONS["RouterFunction"]["Properties"]
    assert router["Environment"]["Variables"]["SLACK_GRAPHS"] == {"Ref": "SlackGraphs"}
    granted = {
        s["Sid"]: (tuple(as_list(s["Action"])), s["Resource"])
        for s, condition in statements(FUNCTIONS["RouterFunction"])
        if condition == "DrawsGraphs"
    }
    assert granted == {"DrawGraphs": (("cloudwatch:DescribeAlarms", "cloudwatch:GetMetricWidgetImage"), "*")}


def test_secret_permissions_are_scoped_to_the_named_secrets() -> None:
    secrets = {
        s["Sid"]: s["Resource"]["Sub"]
        for s, _ in statements(FUNCTIONS["RouterFunction"])
        if s["Action"] == "secretsmanager:GetSecretValue"
    }
    prefix = SECRET_ARN
    assert secrets == {
        "SlackToken": prefix + "${SlackTokenSecretName}-??????",
        "SmsNumbers": prefix + "${SmsNumbersSecretName}-??????",
        "WebhookSecrets": prefix + "alertrouter/webhook/*",
    }


SMS_FUNCTIONS = ["EscalatorFunction", "RouterFunction"]


@pytest.mark.parametrize("name", SMS_FUNCTIONS)
def test_sms_publish_reaches_phone_numbers_only_never_a_topic(name: str) -> None:
    [publish] = [
        s for s, _ in statements(FUNCTIONS[name]) if s["Action"] == "sns:Publish" and s["Sid"] == "SmsPublish"
    ]
    # an SMS has no resource ARN; every topic ARN is left out, so the role can text but not publish to a topic
    assert "Resource" not in publish
    assert publish["NotResource"] == {"Sub": "arn:${AWS::Partition}:sns:*:*:*"}


def test_the_router_may_publish_to_the_ops_topic_only_and_knows_it() -> None:
    topics = [
        s
        for s, condition in statements(FUNCTIONS["RouterFunction"])
        if s["Action"] == "sns:Publish" and "Resource" in s
    ]
    assert [(s["Sid"], s["Resource"]) for s in topics] == [("OpsPage", {"Ref": "OpsTopic"})]
    env = FUNCTIONS["RouterFunction"]["Properties"]["Environment"]["Variables"]
    assert env["OPS_TOPIC_ARN"] == {"Ref": "OpsTopic"}


def test_slack_channel_failures_page_the_ops_topic_and_stay_in_alarm_between_retries() -> None:
    props = RESOURCES["SlackChannelFailuresAlarm"]["Properties"]
    # the metric the router publishes (service.py: Powertools Metrics, namespace AlertRouter, service dimension)
    assert (props["Namespace"], props["MetricName"], props["Statistic"]) == (
        "AlertRouter",
        "SlackChannelFailures",
        "Sum",
    )
    assert props["Dimensions"] == [{"Name": "service", "Value": "alertrouter"}]
    assert (props["Threshold"], props["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    # refused channels are tried again at most every 15 minutes: the periods in between are not an all-clear
    assert props["TreatMissingData"] == "ignore"
    assert props["AlarmActions"] == props["OKActions"] == [{"Ref": "OpsTopic"}]
    assert sub(props["AlarmName"]) == OPS_PREFIX + "slack-channel-failures"


def test_a_routing_config_the_router_cannot_load_pages_the_ops_topic() -> None:
    props = RESOURCES["RoutingConfigInvalidAlarm"]["Properties"]
    # the metric service.py publishes at every invocation while it routes fail-safe
    assert (props["Namespace"], props["MetricName"], props["Statistic"]) == (
        "AlertRouter",
        "RoutingConfigInvalid",
        "Maximum",
    )
    assert props["Dimensions"] == [{"Name": "service", "Value": "alertrouter"}]
    assert (props["Threshold"], props["ComparisonOperator"], props["TreatMissingData"]) == (
        0,
        "GreaterThanThreshold",
        "notBreaching",
    )
    assert props["AlarmActions"] == props["OKActions"] == [{"Ref": "OpsTopic"}]
    assert sub(props["AlarmName"]) == OPS_PREFIX + "routing-config-invalid"


def test_only_the_sms_functions_may_publish_to_sns() -> None:
    publishers = sorted(
        n
        for n, f in FUNCTIONS.items()
        if any(a == "sns:Publish" for s, _ in statements(f) for a in as_list(s["Action"]))
    )
    assert publishers == SMS_FUNCTIONS


def leading_keys(function: str, sid: str) -> list[str]:
    [statement] = [s for s, _ in statements(FUNCTIONS[function]) if s["Sid"] == sid]
    condition = statement["Condition"]
    # ForAllValues also holds when a request carries no key (a Scan): the Null test requires one
    assert condition["Null"] == {"dynamodb:LeadingKeys": "false"}
    assert set(condition) == {"ForAllValues:StringLike", "Null"}
    assert not {"dynamodb:Scan", "dynamodb:PartiQLSelect"} & set(as_list(statement["Action"]))
    return list(condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"])


def test_the_internet_facing_interactions_function_touches_only_the_items_a_click_needs() -> None:
    # the partition key prefixes of store/dynamodb/codec.py; test_iam_grants derives them from the code
    assert leading_keys("SlackInteractionsFunction", "StateTable") == [
        "GROUP#*",
        "HISTORY#*",
        "REQUEST#*",
        "SILENCE",
        "OVERRIDE#*",
    ]
    # /alerts, App Home and the Silence modal's preview read the open-group index and the alerts' states (the
    # groups through StateTable's GROUP#), and write neither; the open-alert index (a hub's gauge) is not theirs
    assert leading_keys("SlackInteractionsFunction", "OpenAlertsRead") == ["OPENGROUP#*", "ALERT#*"]
    [read] = [
        s for s, _ in statements(FUNCTIONS["SlackInteractionsFunction"]) if s["Sid"] == "OpenAlertsRead"
    ]
    assert sorted(as_list(read["Action"])) == ["dynamodb:BatchGetItem", "dynamodb:Query"]


def test_the_slo_evaluator_touches_only_its_own_items() -> None:
    assert leading_keys("SloEvaluatorFunction", "SloState") == ["SLO#*"]


def test_interactions_function_concurrency_is_capped_unless_the_account_cannot_reserve() -> None:
    props = FUNCTIONS["SlackInteractionsFunction"]["Properties"]
    assert props["FunctionUrlConfig"] == {"AuthType": "NONE"}
    assert props["ReservedConcurrentExecutions"] == {
        "If": [
            "ReserveSlackInteractionsConcurrency",
            {"Ref": "SlackInteractionsReservedConcurrency"},
            NO_VALUE,
        ]
    }
    parameter = PARAMETERS["SlackInteractionsReservedConcurrency"]
    assert parameter["Type"] == "Number" and 1 <= parameter["Default"] <= 10 and parameter["MinValue"] == 0
    assert holds("ReserveSlackInteractionsConcurrency", parameter_values())
    # 0 would throttle every request: it means "no reservation" instead
    assert not holds(
        "ReserveSlackInteractionsConcurrency", parameter_values(SlackInteractionsReservedConcurrency="0")
    )
    assert all(
        f["Properties"].get("FunctionUrlConfig") is None
        for n, f in FUNCTIONS.items()
        if n not in ("SlackInteractionsFunction", "HeartbeatPingFunction")
    )


def test_the_internet_facing_heartbeat_ping_function_touches_only_heartbeat_items_and_is_capped() -> None:
    assert leading_keys("HeartbeatPingFunction", "HeartbeatItems") == ["HEARTBEAT"]
    props = FUNCTIONS["HeartbeatPingFunction"]["Properties"]
    assert props["FunctionUrlConfig"] == {"AuthType": "NONE"}
    assert props["ReservedConcurrentExecutions"] == {
        "If": ["ReserveHeartbeatPingConcurrency", {"Ref": "HeartbeatPingReservedConcurrency"}, NO_VALUE]
    }
    assert holds("ReserveHeartbeatPingConcurrency", parameter_values())
    assert not holds(
        "ReserveHeartbeatPingConcurrency", parameter_values(HeartbeatPingReservedConcurrency="0")
    )
    patterns = {name: e["Properties"]["Pattern"] for name, e in props["Events"].items()}
    assert patterns == {
        "JobPings": {"source": ["alertrouter.heartbeat.ping"]},
        "BatchSucceeded": {
            "source": ["aws.batch"],
            "detail-type": ["Batch Job State Change"],
            "detail": {"status": ["SUCCEEDED"]},
        },
    }


def test_only_this_accounts_alarms_may_invoke_the_router_directly() -> None:
    [permission] = of_type("AWS::Lambda::Permission").values()
    props = permission["Properties"]
    assert props["Principal"] == "lambda.alarms.cloudwatch.amazonaws.com"
    assert props["SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert props["SourceArn"] == {
        "Sub": "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*"
    }


def test_only_cloudwatch_alarms_of_this_or_an_allowed_account_may_publish_to_the_alarm_topic() -> None:
    [policy] = of_type("AWS::SNS::TopicPolicy").values()
    assert policy["Properties"]["Topics"] == [{"Ref": "AlarmTopic"}]
    [statement, deny] = policy["Properties"]["PolicyDocument"]["Statement"]
    assert (statement["Effect"], statement["Principal"], statement["Action"], statement["Resource"]) == (
        "Allow",
        {"Service": "cloudwatch.amazonaws.com"},
        "sns:Publish",
        {"Ref": "AlarmTopic"},
    )
    # and no IAM user or role, whatever its own policies grant: only AWS services (CloudWatch) publish
    assert (deny["Effect"], deny["Principal"], deny["Action"], deny["Resource"], deny["Condition"]) == (
        "Deny",
        {"AWS": "*"},
        "sns:Publish",
        {"Ref": "AlarmTopic"},
        {"Bool": {"aws:PrincipalIsAWSService": "false"}},
    )
    condition = statement["Condition"]
    allowed = {
        "Split": [
            ",",
            {"Join": [",", [{"Ref": "AWS::AccountId"}, {"Join": [",", {"Ref": "AllowedSourceAccountIds"}]}]]},
        ]
    }
    # an empty list parameter must not reach the condition: "" would be an account id
    assert condition["StringEquals"]["aws:SourceAccount"] == {
        "If": ["HasAllowedSourceAccounts", allowed, {"Ref": "AWS::AccountId"}]
    }
    assert condition["ArnLike"]["aws:SourceArn"] == {
        "If": [
            "HasAllowedSourceAccounts",
            {"Sub": "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:*:alarm:*"},
            {"Sub": "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*"},
        ]
    }
    assert not holds("HasAllowedSourceAccounts", parameter_values())
    assert holds("HasAllowedSourceAccounts", parameter_values({"AllowedSourceAccountIds": ["111122223333"]}))
    # nothing else may need to publish: no function role is granted it, no rule targets the topic
    assert all(
        target["Arn"] != {"Ref": "AlarmTopic"}
        for rule in of_type("AWS::Events::Rule").values()
        for target in rule["Properties"]["Targets"]
    )
    assert all(
        {"Ref": "AlarmTopic"} not in as_list(s.get("Resource"))
        for f in FUNCTIONS.values()
        for s, _ in statements(f)
    )


def test_allowed_source_accounts_reach_the_router_and_default_to_none() -> None:
    parameter = PARAMETERS["AllowedSourceAccountIds"]
    assert parameter["Type"] == "CommaDelimitedList" and parameter["Default"] == ""
    pattern = re.compile(parameter["AllowedPattern"])
    assert pattern.fullmatch("") and pattern.fullmatch("111122223333")
    assert not pattern.fullmatch("11112222333") and not pattern.fullmatch("arn:aws:iam::111122223333:root")
    env = RESOURCES["RouterFunction"]["Properties"]["Environment"]["Variables"]
    assert env["ALLOWED_SOURCE_ACCOUNT_IDS"] == {"Join": [",", {"Ref": "AllowedSourceAccountIds"}]}
    assert env["ACCOUNT_ID"] == {"Ref": "AWS::AccountId"}  # its own account, always served


# The rules that deliver to the router's queues: the default bus's, and the hub's on its bus (the spoke's
# forwarding rules, to the hub's bus, are tested in test_modes.py).
RULES = {
    n: r
    for n, r in of_type("AWS::Events::Rule").items()
    if r["Properties"]["Targets"][0]["Arn"] != {"Ref": "HubEventBusArn"}
}
HUB_BUS = "${AWS::StackName}-hub"  # HubEventBus's name


def rule_named(source: Any) -> str | None:
    """The stack's rule a policy's aws:SourceArn names: by GetAtt, or by the ARN its name gives (a policy that
    must exist before its rule, which then DependsOn it; rule/<bus>/<name> on the hub's bus); None for
    anything else."""
    for name, rule in RULES.items():
        bus = HUB_BUS + "/" if rule["Properties"].get("EventBusName") == {"Ref": "HubEventBus"} else ""
        by_name = "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/" + bus
        if source in ({"GetAtt": f"{name}.Arn"}, {"Sub": by_name + sub(rule["Properties"]["Name"])}):
            return name
    return None


def source_arns(statement: Mapping[str, Any]) -> list[Any]:
    """A queue policy statement's aws:SourceArn values; a conditional rule's (the hub's, a Watch* parameter's)
    under the rule's own condition (it exists only then)."""
    out = []
    for source in as_list(statement["Condition"]["ArnEquals"]["aws:SourceArn"]):
        if isinstance(source, dict) and "If" in source:
            condition, arn, otherwise = source["If"]
            assert otherwise == NO_VALUE, source
            assert RESOURCES[str(rule_named(arn))]["Condition"] == condition, arn
            source = arn
        out.append(source)
    return out


def test_queue_policies_let_only_this_stacks_topic_and_rules_send() -> None:
    for policy in of_type("AWS::SQS::QueuePolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            assert statement["Action"] == "sqs:SendMessage"
            assert set(statement["Principal"]) == {"Service"}
            assert all(s == {"Ref": "AlarmTopic"} or rule_named(s) for s in source_arns(statement))


def test_a_rule_a_policy_names_by_its_arn_is_made_after_that_policy() -> None:
    # a stack updated in place: a rule sending before the queue lets it would be refused, and EventBridge does
    # not retry a refused delivery
    for name, policy in of_type("AWS::SQS::QueuePolicy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            for source in source_arns(statement):
                if "Sub" in source:
                    assert name in as_list(RESOURCES[str(rule_named(source))]["DependsOn"]), (name, source)


# The router's two lanes (queues it consumes) and the policy that lets EventBridge send to each.
LANE_POLICIES = {"IngestQueue": "IngestQueuePolicy", "StormQueue": "StormQueuePolicy"}


@pytest.mark.parametrize("name", sorted(RULES))
def test_every_rule_delivers_to_a_routers_queue_and_may_send_there_and_to_the_dlq(name: str) -> None:
    [target] = RULES[name]["Properties"]["Targets"]
    queue = target["Arn"]["GetAtt"].removesuffix(".Arn")
    assert queue in LANE_POLICIES
    assert target["DeadLetterConfig"] == {"Arn": {"GetAtt": "IngestDLQ.Arn"}}
    for policy in (LANE_POLICIES[queue], "IngestDLQPolicy"):
        [events] = [
            s
            for s in RESOURCES[policy]["Properties"]["PolicyDocument"]["Statement"]
            if s["Principal"] == {"Service": "events.amazonaws.com"}
        ]
        assert name in map(rule_named, source_arns(events)), policy


def test_only_batch_job_state_changes_and_ecs_events_take_the_storm_lane() -> None:
    lanes = {name: rule["Properties"]["Targets"][0]["Arn"]["GetAtt"] for name, rule in RULES.items()}
    assert lanes == {
        "CloudWatchAlarmRule": "IngestQueue.Arn",
        "BatchEventsRule": "StormQueue.Arn",
        "BatchQueueBlockedRule": "IngestQueue.Arn",
        "OpenSearchEventsRule": "IngestQueue.Arn",
        "VoiceEventsRule": "IngestQueue.Arn",
        # the AWS services' events (Watch* parameters): a cluster-wide ECS failure stops tasks by the thousand
        "AwsHealthRule": "IngestQueue.Arn",
        "XRayInsightsRule": "IngestQueue.Arn",
        "EcsEventsRule": "StormQueue.Arn",
        "StepFunctionsRule": "IngestQueue.Arn",
        "RdsEventsRule": "IngestQueue.Arn",
        "GuardDutyRule": "IngestQueue.Arn",
        "SecurityHubRule": "IngestQueue.Arn",
        # the spokes' events on the hub's bus, to the same lanes
        "HubAlarmsRule": "IngestQueue.Arn",
        "HubBatchEventsRule": "StormQueue.Arn",
        "HubBatchQueueBlockedRule": "IngestQueue.Arn",
        "HubOpenSearchEventsRule": "IngestQueue.Arn",
        "HubSpokeHeartbeatsRule": "IngestQueue.Arn",
        "HubAwsHealthRule": "IngestQueue.Arn",
        "HubXRayInsightsRule": "IngestQueue.Arn",
        "HubEcsEventsRule": "StormQueue.Arn",
        "HubStepFunctionsRule": "IngestQueue.Arn",
        "HubRdsEventsRule": "IngestQueue.Arn",
        "HubGuardDutyRule": "IngestQueue.Arn",
        "HubSecurityHubRule": "IngestQueue.Arn",
    }
    # the queue policies let each rule send to its own lane only (and the alarm topic to the main one)
    for queue, policy in LANE_POLICIES.items():
        sources = [
            rule_named(source) or str(source)
            for s in RESOURCES[policy]["Properties"]["PolicyDocument"]["Statement"]
            for source in source_arns(s)
        ]
        expected = [n for n, lane in lanes.items() if lane == f"{queue}.Arn"]
        assert sorted(sources) == sorted(expected + [str({"Ref": "AlarmTopic"})] * (queue == "IngestQueue"))


# ---- state ----


def test_state_table_is_kept_recoverable_and_expires_items() -> None:
    table = RESOURCES["StateTable"]
    assert table["Type"] == "AWS::DynamoDB::Table"
    assert table["DeletionPolicy"] == "Retain" and table["UpdateReplacePolicy"] == "Retain"
    props = table["Properties"]
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert props["AttributeDefinitions"] == [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "S"},
    ]
    assert props["BillingMode"] == "PAY_PER_REQUEST"


# ---- ingest ----


@pytest.mark.parametrize("lane", sorted(LANE_POLICIES))
def test_ingest_queue_redrives_to_a_dlq_that_keeps_messages_longest(lane: str) -> None:
    queue, dlq = RESOURCES[lane]["Properties"], RESOURCES["IngestDLQ"]["Properties"]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"GetAtt": "IngestDLQ.Arn"},
        "maxReceiveCount": 15,
    }
    assert dlq["MessageRetentionPeriod"] == 14 * 86400
    # a message keeps its first enqueue time in the DLQ, so the DLQ must keep messages longer
    assert queue["MessageRetentionPeriod"] < dlq["MessageRetentionPeriod"]


@pytest.mark.parametrize("lane", sorted(LANE_POLICIES))
def test_queue_visibility_covers_six_function_timeouts(lane: str) -> None:
    router = RESOURCES["RouterFunction"]["Properties"]
    timeout = router.get("Timeout", GLOBALS["Timeout"])
    assert RESOURCES[lane]["Properties"]["VisibilityTimeout"] >= 6 * timeout


def test_the_storm_lane_falling_behind_pages_the_ops_topic() -> None:
    props = RESOURCES["StormQueueBacklogAlarm"]["Properties"]
    assert (props["Namespace"], props["MetricName"]) == ("AWS/SQS", "ApproximateAgeOfOldestMessage")
    assert props["Dimensions"] == [{"Name": "QueueName", "Value": {"GetAtt": "StormQueue.QueueName"}}]
    # longer than a record handed back once waits (the visibility timeout), and than a flush the lane's own
    # records scheduled is delayed (SQS's longest delay, 15 minutes): a lane that no longer keeps up
    assert props["Threshold"] > RESOURCES["StormQueue"]["Properties"]["VisibilityTimeout"]
    assert props["Threshold"] > 900
    assert props["AlarmActions"] == props["OKActions"] == [{"Ref": "OpsTopic"}]
    assert sub(props["AlarmName"]) == OPS_PREFIX + "storm-queue-backlog"


ALARMS = of_type("AWS::CloudWatch::Alarm")
OPS_ALARMS = {n: a for n, a in ALARMS.items() if notified(a["Properties"]) == [{"Ref": "OpsTopic"}]}
ROUTED_ALARMS = {n: a for n, a in ALARMS.items() if notified(a["Properties"]) == [{"Ref": "AlarmTopic"}]}


def test_eventbridge_rule_leaves_out_the_stacks_own_ops_alarms_only() -> None:
    rule = RESOURCES["CloudWatchAlarmRule"]["Properties"]
    [excluded] = rule["EventPattern"]["detail"]["alarmName"]
    assert sub(excluded["anything-but"]["prefix"]) == OPS_PREFIX
    assert OPS_ALARMS and ROUTED_ALARMS and set(OPS_ALARMS) | set(ROUTED_ALARMS) == set(ALARMS)
    for name, alarm in ALARMS.items():
        props = alarm["Properties"]
        assert props["OKActions"] == props["AlarmActions"], name
        # self-monitoring never depends on the router it watches; the stuck-queue and OpenSearch alarms are for it
        assert sub(props["AlarmName"]).startswith(OPS_PREFIX) == (name in OPS_ALARMS), name
    assert [t["Arn"] for t in rule["Targets"]] == [{"GetAtt": "IngestQueue.Arn"}]


def test_alarms_made_by_the_list_parameters_loops_go_to_the_router() -> None:
    looped = {k for k in RESOURCES if k not in RAW["Resources"]} - FUNCTION_ALARMS
    alarms = {k for k in looped if RESOURCES[k]["Type"] == "AWS::CloudWatch::Alarm"}
    assert alarms and alarms <= set(ROUTED_ALARMS)


# ---- AWS Batch ----


def test_batch_rules_forward_finished_jobs_the_configured_job_states_and_blocked_queues() -> None:
    pattern = RESOURCES["BatchEventsRule"]["Properties"]["EventPattern"]
    # SUCCEEDED and FAILED always (the outcome metrics count them), or any status BatchAlertStatuses lists
    assert pattern == {
        "source": ["aws.batch"],
        "detail-type": ["Batch Job State Change"],
        "detail": {"$or": [{"status": ["SUCCEEDED", "FAILED"]}, {"status": {"Ref": "BatchAlertStatuses"}}]},
    }
    blocked = RESOURCES["BatchQueueBlockedRule"]["Properties"]["EventPattern"]
    assert blocked == {"source": ["aws.batch"], "detail-type": ["Batch Job Queue Blocked"]}
    statuses = PARAMETERS["BatchAlertStatuses"]
    assert statuses["Type"] == "CommaDelimitedList" and statuses["Default"] == "FAILED"
    allowed = re.compile(statuses["AllowedPattern"])
    job_states = ["SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED"]
    assert all(allowed.fullmatch(s) for s in job_states)
    assert not allowed.fullmatch("") and not allowed.fullmatch("failed")


def test_router_gets_the_same_batch_statuses() -> None:
    env = RESOURCES["RouterFunction"]["Properties"]["Environment"]["Variables"]
    assert env["BATCH_ALERT_STATUSES"] == {"Join": [",", {"Ref": "BatchAlertStatuses"}]}


def test_opensearch_rule_forwards_every_event_of_the_service() -> None:
    assert RESOURCES["OpenSearchEventsRule"]["Properties"]["EventPattern"] == {"source": ["aws.es"]}


BATCH_METRICS = RESOURCES["BatchQueueMetricsFunction"]


def test_batch_queue_metrics_function_runs_on_its_schedule_and_can_be_turned_off() -> None:
    props = BATCH_METRICS["Properties"]
    assert BATCH_METRICS["Condition"] == "BatchQueueMetricsEnabled"
    assert RESOURCES["BatchQueueMetricsLogGroup"]["Condition"] == "BatchQueueMetricsEnabled"
    assert holds("BatchQueueMetricsEnabled", parameter_values())
    assert not holds("BatchQueueMetricsEnabled", parameter_values(EnableBatchQueueMetrics="false"))
    assert (props["CodeUri"], props["Handler"]) == ("functions/batch_queue_metrics/", "app.lambda_handler")
    assert "Runtime" not in props and "Architectures" not in props  # python3.13 on arm64, from Globals
    assert props["Layers"] == [{"Ref": "CoreLayer"}]
    assert props["LoggingConfig"] == {"LogGroup": {"Ref": "BatchQueueMetricsLogGroup"}}
    assert RESOURCES["BatchQueueMetricsLogGroup"]["Properties"]["LogGroupName"] == {
        "Sub": "/aws/lambda/" + sub(props["FunctionName"])
    }
    [event] = props["Events"].values()
    assert event["Type"] == "ScheduleV2"
    assert event["Properties"]["ScheduleExpression"] == {"Ref": "BatchQueueMetricsSchedule"}
    assert event["Properties"]["RetryPolicy"] == {"MaximumRetryAttempts": 0}
    schedule = PARAMETERS["BatchQueueMetricsSchedule"]
    assert schedule["Default"] == "rate(1 minute)"
    assert 0 < props["Timeout"] < 60  # a run ends before the next one starts


def test_batch_queue_metrics_environment() -> None:
    env = BATCH_METRICS["Properties"]["Environment"]["Variables"]
    assert (
        env["BATCH_JOB_QUEUES"] == {"Ref": "BatchJobQueues"} and PARAMETERS["BatchJobQueues"]["Default"] == ""
    )
    assert env["BATCH_METRICS_NAMESPACE"] == "AlertRouter/Batch"
    assert env["BATCH_METRICS_CONCURRENCY"] == "8"


def test_batch_queue_metrics_may_only_read_queues_and_list_jobs() -> None:
    assert [(s["Sid"], s["Action"], s["Resource"]) for s, _ in statements(BATCH_METRICS)] == [
        ("ReadBatchQueues", ["batch:DescribeJobQueues", "batch:ListJobs"], "*")
    ]


def test_stuck_queue_minutes_map_to_seconds() -> None:
    minutes = PARAMETERS["StuckQueueMinutes"]
    seconds = RAW["Mappings"]["StuckQueueSeconds"]
    assert minutes["Default"] == "30" and minutes["Default"] in minutes["AllowedValues"]
    assert set(seconds) == set(minutes["AllowedValues"])
    assert all(seconds[m] == {"Threshold": int(m) * 60} for m in seconds)


@pytest.mark.parametrize("queue", SAMPLE_LISTS["StuckQueueNames"])
def test_a_stuck_queue_alarm_per_queue(queue: str) -> None:
    alarm = RESOURCES["BatchStuckQueue" + re.sub(r"[^A-Za-z0-9]", "", queue) + "Alarm"]
    props = alarm["Properties"]
    assert alarm["Condition"] == "CreateStuckQueueAlarms"
    assert (props["Namespace"], props["MetricName"], props["Statistic"]) == (
        "AlertRouter/Batch",
        "OldestRunnableAgeSeconds",
        "Maximum",
    )
    assert props["Dimensions"] == [{"Name": "JobQueue", "Value": queue}]
    assert props["Threshold"] == {
        "FindInMap": ["StuckQueueSeconds", {"Ref": "StuckQueueMinutes"}, "Threshold"]
    }
    assert props["ComparisonOperator"] == "GreaterThanThreshold"
    assert props["TreatMissingData"] == "notBreaching"
    # the function may run only every 5 minutes: any one of the last 5 minutes counts
    assert props["Period"] * props["EvaluationPeriods"] >= 300 and props["DatapointsToAlarm"] == 1
    assert notified(props) == notified(props, "OKActions") == [{"Ref": "AlarmTopic"}]
    name = sub(props["AlarmName"])
    assert name.startswith("${AWS::StackName}-${AccountLabel}-") and name.endswith(queue)
    description = sub(props["AlarmDescription"])
    assert "severity: warning" in description and "service: batch" in description
    assert re.search(r"runbook: https://docs\.aws\.amazon\.com/batch/\S+", description)


# ---- OpenSearch: AWS's recommended alarms ----
# https://docs.aws.amazon.com/opensearch-service/latest/developerguide/cloudwatch-alarms.html
# metric: (statistic, period, evaluation periods, comparison, threshold or its parameter, severity)
OPENSEARCH = {
    "ClusterStatus.red": ("Maximum", 60, 1, ">=", 1, "critical"),
    "ClusterStatus.yellow": ("Maximum", 60, 5, ">=", 1, "warning"),
    "ClusterIndexWritesBlocked": ("Maximum", 300, 1, ">=", 1, "critical"),
    "FreeStorageSpace": ("Minimum", 60, 1, "<=", "OpenSearchMinFreeStorageMB", "warning"),
    "JVMMemoryPressure": ("Maximum", 60, 3, ">=", "OpenSearchJvmMemoryPressurePercent", "warning"),
    "CPUUtilization": ("Maximum", 900, 3, ">=", "OpenSearchCpuUtilizationPercent", "warning"),
    "MasterCPUUtilization": ("Maximum", 900, 3, ">=", "OpenSearchMasterCpuUtilizationPercent", "warning"),
    "MasterJVMMemoryPressure": ("Maximum", 60, 3, ">=", "OpenSearchJvmMemoryPressurePercent", "warning"),
    "MasterReachableFromNode": ("Maximum", 86400, 1, "<", 1, "critical"),
    "AutomatedSnapshotFailure": ("Maximum", 60, 1, ">=", 1, "warning"),
    "KMSKeyError": ("Maximum", 60, 1, ">=", 1, "critical"),
    "KMSKeyInaccessible": ("Maximum", 60, 1, ">=", 1, "critical"),
}
AWS_DEFAULTS = {
    "OpenSearchMinFreeStorageMB": 20480,
    "OpenSearchJvmMemoryPressurePercent": 95,
    "OpenSearchCpuUtilizationPercent": 80,
    "OpenSearchMasterCpuUtilizationPercent": 50,
}
COMPARISON = {
    ">=": "GreaterThanOrEqualToThreshold",
    "<=": "LessThanOrEqualToThreshold",
    "<": "LessThanThreshold",
}


def opensearch_alarms(domain: str) -> dict[str, dict[str, Any]]:
    return {
        a["Properties"]["MetricName"]: a
        for a in ROUTED_ALARMS.values()
        if a["Properties"].get("Namespace") == "AWS/ES"
        and {"Name": "DomainName", "Value": domain} in a["Properties"]["Dimensions"]
    }


def test_opensearch_thresholds_default_to_aws_recommendations() -> None:
    assert {name: PARAMETERS[name]["Default"] for name in AWS_DEFAULTS} == AWS_DEFAULTS


@pytest.mark.parametrize("domain", SAMPLE_LISTS["OpenSearchDomainNames"])
def test_each_domain_gets_the_recommended_alarms(domain: str) -> None:
    alarms = opensearch_alarms(domain)
    assert set(alarms) == set(OPENSEARCH)
    for metric, (statistic, period, evaluations, comparison, threshold, severity) in OPENSEARCH.items():
        alarm = alarms[metric]
        props = alarm["Properties"]
        assert alarm["Condition"] == "HasOpenSearchDomains"
        assert props["Dimensions"] == [
            {"Name": "DomainName", "Value": domain},
            {"Name": "ClientId", "Value": {"Ref": "AWS::AccountId"}},
        ], metric
        assert (
            props["Statistic"],
            props["Period"],
            props["EvaluationPeriods"],
            props["ComparisonOperator"],
        ) == (statistic, period, evaluations, COMPARISON[comparison]), metric
        assert props["Threshold"] == (threshold if isinstance(threshold, int) else {"Ref": threshold}), metric
        assert (
            sub(props["AlarmName"]) == f"${{AWS::StackName}}-${{AccountLabel}}-opensearch-{domain}-{metric}"
        )
        assert notified(props) == notified(props, "OKActions") == [{"Ref": "AlarmTopic"}]
        description = sub(props["AlarmDescription"])
        first_line, *rest = description.splitlines()
        assert domain in first_line and ":" not in first_line.split(" ", 1)[0], (
            metric
        )  # a sentence, not a label
        assert f"severity: {severity}" in rest and "service: opensearch" in rest, metric
        assert re.fullmatch(
            r"runbook: https://docs\.aws\.amazon\.com/opensearch-service/latest/developerguide/\S+", rest[-1]
        ), metric
        assert len(description) <= 1024


def test_metrics_that_only_exist_on_trouble_do_not_alarm_when_missing() -> None:
    [domain] = SAMPLE_LISTS["OpenSearchDomainNames"][:1]
    alarms = opensearch_alarms(domain)
    for metric in ("KMSKeyError", "KMSKeyInaccessible", "MasterCPUUtilization", "MasterJVMMemoryPressure"):
        assert alarms[metric]["Properties"]["TreatMissingData"] == "notBreaching", metric


# ---- self-monitoring: every function, through the ops topic only ----


def lambda_alarms(function: str, metric: str) -> list[dict[str, Any]]:
    return [
        a
        for a in OPS_ALARMS.values()
        if a["Properties"].get("Namespace") == "AWS/Lambda"
        and a["Properties"]["MetricName"] == metric
        and a["Properties"]["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": function}}]
    ]


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_every_function_has_errors_and_throttles_alarms(function: str, metric: str) -> None:
    [alarm] = lambda_alarms(function, metric)
    props = alarm["Properties"]
    assert alarm.get("Condition") == FUNCTIONS[function].get("Condition")
    assert (props["Statistic"], props["Threshold"], props["ComparisonOperator"]) == (
        "Sum",
        0,
        "GreaterThanThreshold",
    )
    assert props["TreatMissingData"] == "notBreaching"


SCHEDULED = sorted(
    n
    for n, f in FUNCTIONS.items()
    if any(e["Type"] in ("Schedule", "ScheduleV2") for e in f["Properties"].get("Events", {}).values())
)


def test_the_scheduled_functions() -> None:
    assert SCHEDULED == [
        "BatchQueueMetricsFunction",
        "EscalatorFunction",
        "PreflightFunction",
        "SloEvaluatorFunction",
    ]


@pytest.mark.parametrize("function", SCHEDULED)
def test_every_scheduled_function_has_a_heartbeat(function: str) -> None:
    [alarm] = lambda_alarms(function, "Invocations")
    props = alarm["Properties"]
    assert alarm.get("Condition") == FUNCTIONS[function].get("Condition")
    assert (props["Statistic"], props["Threshold"], props["ComparisonOperator"]) == (
        "Sum",
        1,
        "LessThanThreshold",
    )
    assert props["TreatMissingData"] == "breaching"  # silence is the failure
    [event] = FUNCTIONS[function]["Properties"]["Events"].values()
    expression = event["Properties"]["ScheduleExpression"]
    schedules = (
        PARAMETERS[expression["Ref"]]["AllowedValues"] if isinstance(expression, dict) else [expression]
    )
    unit_s = {"minute": 60, "hour": 3600, "day": 86400}
    for schedule in schedules:
        every, unit = re.fullmatch(r"rate\((\d+) (minute|hour|day)s?\)", schedule).groups()  # type: ignore[union-attr]
        # at least two runs in every window the alarm looks at
        assert props["Period"] * props["EvaluationPeriods"] >= 2 * unit_s[unit] * int(every), schedule
        assert props.get("DatapointsToAlarm", props["EvaluationPeriods"]) == props["EvaluationPeriods"]


PREFLIGHT = RESOURCES["PreflightFunction"]["Properties"]


def test_preflight_runs_daily_and_knows_every_other_ops_alarm_and_rule() -> None:
    [event] = PREFLIGHT["Events"].values()
    assert (event["Type"], event["Properties"]["ScheduleExpression"]) == ("ScheduleV2", "rate(1 day)")
    env = PREFLIGHT["Environment"]["Variables"]
    assert env["ROUTING_CONFIG_PATH"] == "/opt/routing.yaml" and env["SLO_CONFIG_PATH"] == "/opt/slos.yaml"
    assert {"Ref": "ConfigLayer"} in PREFLIGHT["Layers"]  # the files it validates are the ones shipped
    separator, [*plain, sms, batch] = env["ALARM_NAMES"]["Join"]
    assert separator == "," and batch["If"][0] == "BatchQueueMetricsEnabled" and batch["If"][2] == ""
    assert sms["If"][0] == "HasSmsNumbers" and sms["If"][2] == ""
    named = {r["Ref"] for r in plain} | {r["Ref"] for part in (sms, batch) for r in part["If"][1]["Join"][1]}
    own = {
        n
        for n, a in OPS_ALARMS.items()
        if {"Name": "FunctionName", "Value": {"Ref": "PreflightFunction"}}
        in a["Properties"].get("Dimensions", [])
    }
    assert own and named == set(OPS_ALARMS) - own  # its own would be a cycle (they refer to the function)
    # every rule of the default bus, a conditional one when it exists (DescribeRule by name looks there: the
    # hub's rules on its bus are not checked yet)
    default_bus = {n: r for n, r in RULES.items() if "EventBusName" not in r["Properties"]}
    conditional = {n: r["Condition"] for n, r in default_bus.items() if r["Condition"] != "RoutesAlerts"}
    assert env["RULE_NAMES"] == {
        "Join": [
            ",",
            [
                {"If": [conditional[n], {"Ref": n}, ""]} if n in conditional else {"Ref": n}
                for n in default_bus
            ],
        ]
    }


def test_an_slo_the_evaluator_cannot_use_pages_the_ops_topic() -> None:
    props = RESOURCES["SloBrokenAlarm"]["Properties"]
    # the metric slo/service.py publishes (Powertools Metrics: its namespace and service dimension)
    assert (props["Namespace"], props["MetricName"]) == ("AlertRouter/SLO", "BrokenSlos")
    assert props["Dimensions"] == [{"Name": "service", "Value": "alertrouter-slo"}]
    assert (
        RESOURCES["SloEvaluatorFunction"]["Properties"]["Environment"]["Variables"][
            "POWERTOOLS_METRICS_NAMESPACE"
        ]
        == "AlertRouter/SLO"
    )
    assert (props["Threshold"], props["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert props["AlarmActions"] == props["OKActions"] == [{"Ref": "OpsTopic"}]
    assert sub(props["AlarmName"]) == OPS_PREFIX + "slo-broken"


def test_preflight_regressions_page_the_ops_topic() -> None:
    props = RESOURCES["PreflightRegressionsAlarm"]["Properties"]
    assert (props["Namespace"], props["MetricName"]) == ("AlertRouter", "PreflightRegressions")
    assert props["Dimensions"] == [{"Name": "Stack", "Value": {"Sub": "${AWS::StackName}-${AccountLabel}"}}]
    assert PREFLIGHT["Environment"]["Variables"]["STACK_LABEL"] == props["Dimensions"][0]["Value"]
    assert (props["Threshold"], props["ComparisonOperator"], props["TreatMissingData"]) == (
        0,
        "GreaterThanThreshold",
        "notBreaching",
    )
    assert props["AlarmActions"] == [{"Ref": "OpsTopic"}]


def test_preflight_touches_only_its_own_item() -> None:
    assert leading_keys("PreflightFunction", "PreflightState") == ["PREFLIGHT"]


def test_ops_topic_reaches_people_by_email_and_sms_never_the_router() -> None:
    subscriptions = [
        r["Properties"]
        for r in of_type("AWS::SNS::Subscription").values()
        if r["Properties"]["TopicArn"] == {"Ref": "OpsTopic"}
    ]
    assert {s["Protocol"] for s in subscriptions} == {"email", "sms"}
    assert (
        sorted(s["Endpoint"] for s in subscriptions if s["Protocol"] == "sms")
        == SAMPLE_LISTS["OpsSmsNumbers"]
    )
    assert all(
        s["Endpoint"] not in ({"GetAtt": f"{lane}.Arn"} for lane in LANE_POLICIES) for s in subscriptions
    )


def test_ops_sms_numbers_must_be_e164() -> None:
    pattern = re.compile(PARAMETERS["OpsSmsNumbers"]["AllowedPattern"])
    assert all(pattern.fullmatch(n) for n in ["", *SAMPLE_LISTS["OpsSmsNumbers"]])
    assert not any(pattern.fullmatch(n) for n in ["5555550100", "+0555550100", "+1 555 555 0100", "+1555"])


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


def test_router_reports_batch_item_failures_from_the_ingest_and_storm_queues() -> None:
    events = RESOURCES["RouterFunction"]["Properties"]["Events"]
    assert {e["Properties"]["Queue"]["GetAtt"] for e in events.values()} == {
        f"{q}.Arn" for q in LANE_POLICIES
    }
    for event in events.values():
        assert event["Type"] == "SQS"
        assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_each_lane_has_its_own_concurrency_cap_and_a_reservation_would_cover_both() -> None:
    router = RESOURCES["RouterFunction"]["Properties"]
    caps = {
        e["Properties"]["Queue"]["GetAtt"]: e["Properties"]["ScalingConfig"]["MaximumConcurrency"]
        for e in router["Events"].values()
    }
    # the main lane keeps its two batches whatever the storm lane does; the storm lane drains 5,000 jobs a minute
    assert caps == {"IngestQueue.Arn": 2, "StormQueue.Arn": 5}
    reserved = router.get("ReservedConcurrentExecutions")
    assert reserved is None or reserved >= sum(caps.values())


def test_router_environment_points_at_this_stacks_resources() -> None:
    env = RESOURCES["RouterFunction"]["Properties"]["Environment"]["Variables"]
    assert env["TABLE_NAME"] == {"Ref": "StateTable"}
    assert env["INGEST_QUEUE_URL"] == {"Ref": "IngestQueue"} and env["DLQ_URL"] == {"Ref": "IngestDLQ"}
    # its records' visibility is changed there, and their flushes wait there
    assert env["STORM_QUEUE_URL"] == {"Ref": "StormQueue"}
    assert env["ROUTING_CONFIG_PATH"] == "/opt/routing.yaml"  # where ConfigLayer's config/ lands
    assert RESOURCES["ConfigLayer"]["Properties"]["ContentUri"] == "config/"


def test_the_escalator_hands_expiries_to_the_storm_lane_only() -> None:
    """A storm's thousands of expiries an hour later wait behind each other on the storm queue, not in front
    of the alarms on the ingest queue: the escalator is given the storm queue for them. Its heartbeat sweep's
    few alerts go to the ingest queue, under their own name, and it may send nowhere else."""
    props = RESOURCES["EscalatorFunction"]["Properties"]
    env = props["Environment"]["Variables"]
    assert env["STORM_QUEUE_URL"] == {"Ref": "StormQueue"} and "INGEST_QUEUE_URL" not in env
    assert env["HEARTBEAT_QUEUE_URL"] == {"Ref": "IngestQueue"}
    sends = [
        s["Resource"]
        for p in props["Policies"]
        for s in p["Statement"]
        if isinstance(s, dict)
        and "Action" in s  # (not an Fn::If)
        and "sqs:SendMessage" in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    assert sends == [{"GetAtt": "StormQueue.Arn"}, {"GetAtt": "IngestQueue.Arn"}]


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
    assert {
        "StateTable",
        "IngestQueue",
        "StormQueue",
        "IngestDLQ",
        "AlarmTopic",
        "RouterFunction",
        "RouterLogGroup",
    } <= set(NAMED)


@pytest.mark.parametrize("name", NAMED)
def test_named_resources_carry_the_stack_name_and_the_account_label(name: str) -> None:
    resource = RESOURCES[name]
    value = resource["Properties"][NAME_PROPERTY[resource["Type"]]]
    # two stacks (accounts, or a test stack next to prod) can then never collide on a name, and the account
    # label says at a glance which account's resource it is
    assert isinstance(value, dict) and "${AWS::StackName}-${AccountLabel}-" in value.get("Sub", "")


def test_every_function_logs_to_a_log_group_of_its_own_where_lambda_would_put_them() -> None:
    assert sorted(RAW["Resources"][LOG_GROUP_LOOP][1]) == sorted(RAW["Mappings"]["FunctionLogGroups"])
    log_groups = set()
    for name, function in FUNCTIONS.items():
        props = function["Properties"]
        [log_group] = props["LoggingConfig"]["LogGroup"].values()  # {"Ref": its logical id}
        group = RESOURCES[log_group]
        assert group.get("Condition") == function.get("Condition"), name
        assert group["Properties"]["LogGroupName"] == {"Sub": "/aws/lambda/" + sub(props["FunctionName"])}
        assert group["Properties"]["RetentionInDays"] == 30, name
        log_groups.add(log_group)
    assert log_groups == set(of_type("AWS::Logs::LogGroup"))


def test_router_logs_where_lambda_would_put_them() -> None:
    function_name = RESOURCES["RouterFunction"]["Properties"]["FunctionName"]["Sub"]
    assert RESOURCES["RouterLogGroup"]["Properties"]["LogGroupName"] == {
        "Sub": f"/aws/lambda/{function_name}"
    }
    assert RESOURCES["RouterFunction"]["Properties"]["LoggingConfig"] == {
        "LogGroup": {"Ref": "RouterLogGroup"}
    }


# ---- paging: page calls, the SMS spend, failed escalation texts ----

VOICE_NUMBER_ARN = (
    "arn:aws:sms-voice:us-east-1:123456789012:phone-number/phone-0123456789abcdef0123456789abcdef"
)
ESCALATOR_ENV = FUNCTIONS["EscalatorFunction"]["Properties"]["Environment"]["Variables"]


def test_page_call_parameters_default_to_calls_off_and_aws_default_spend_limit() -> None:
    assert PARAMETERS["VoiceOriginationIdentity"]["Default"] == ""
    assert PARAMETERS["VoiceId"]["Default"] == "Joanna"
    assert PARAMETERS["SmsMonthlySpendLimitUSD"]["Default"] == 1  # AWS's default limit for a new account
    assert not holds("CallsEnabled", parameter_values())
    # an identity without the numbers secret calls nobody: nothing is granted, the escalator is told none
    assert not holds("CallsEnabled", parameter_values(VoiceOriginationIdentity="+15555550199"))
    assert holds(
        "CallsEnabled",
        parameter_values(VoiceOriginationIdentity="+15555550199", SmsNumbersSecretName="alertrouter/sms"),
    )


def test_unanswered_page_calls_reach_the_router_when_calls_are_on() -> None:
    rule = RESOURCES["VoiceEventsRule"]
    assert rule["Condition"] == "CallsEnabled"
    # the final outcomes of a call nobody picked up (sources/voice.py), nothing else of the service
    from alertrouter.sources.voice import DETAIL_TYPE, EVENT_SOURCE, UNANSWERED

    assert rule["Properties"]["EventPattern"] == {
        "source": [EVENT_SOURCE],
        "detail-type": [DETAIL_TYPE],
        "detail": {"eventType": list(UNANSWERED)},
    }
    # the preflight looks at it (and may read it) when it exists
    preflight = RESOURCES["PreflightFunction"]["Properties"]
    [names] = [v for v in preflight["Environment"]["Variables"]["RULE_NAMES"]["Join"][1:]]
    assert {"If": ["CallsEnabled", {"Ref": "VoiceEventsRule"}, ""]} in names
    [rules] = [s for s, _ in statements(RESOURCES["PreflightFunction"]) if s.get("Sid") == "StackRules"]
    assert {"If": ["CallsEnabled", {"GetAtt": "VoiceEventsRule.Arn"}, {"Ref": "AWS::NoValue"}]} in rules[
        "Resource"
    ]


def test_the_escalator_is_given_the_voice_settings_it_reads() -> None:
    from alertrouter.models.settings import EscalatorSettings

    assert ESCALATOR_ENV["VOICE_ORIGINATION_IDENTITY"] == {
        "If": ["CallsEnabled", {"Ref": "VoiceOriginationIdentity"}, ""]
    }
    assert ESCALATOR_ENV["VOICE_ID"] == {"Ref": "VoiceId"}
    assert {"voice_origination_identity", "voice_id"} <= set(EscalatorSettings.model_fields)
    assert (
        EscalatorSettings.model_validate({"table_name": "state", "voice_id": "Joanna"}).voice_id == "Joanna"
    )


@pytest.mark.parametrize(
    ("identity", "is_arn"), [(VOICE_NUMBER_ARN, True), ("+15555550199", False), ("pool-0123abcd", False)]
)
def test_page_calls_are_granted_on_the_configured_identity_only(identity: str, is_arn: bool) -> None:
    [(grant, condition)] = [
        (s, c) for s, c in statements(FUNCTIONS["EscalatorFunction"]) if s.get("Sid") == "PageCalls"
    ]
    assert (condition, grant["Action"]) == ("CallsEnabled", "sms-voice:SendVoiceMessage")
    values = parameter_values(VoiceOriginationIdentity=identity, SmsNumbersSecretName="alertrouter/sms")
    assert holds("VoiceIdentityIsArn", values) is is_arn
    which, arn, otherwise = grant["Resource"]["If"]
    assert (which, arn) == ("VoiceIdentityIsArn", {"Ref": "VoiceOriginationIdentity"})
    # a number or an id: this account's and region's phone numbers and pools, nothing else
    assert otherwise == [
        {"Sub": "arn:${AWS::Partition}:sms-voice:${AWS::Region}:${AWS::AccountId}:phone-number/*"},
        {"Sub": "arn:${AWS::Partition}:sms-voice:${AWS::Region}:${AWS::AccountId}:pool/*"},
    ]
    # no other function may call
    assert not [
        s
        for name, f in FUNCTIONS.items()
        if name != "EscalatorFunction"
        for s, _ in statements(f)
        if "sms-voice" in str(s.get("Action"))
    ]


def test_the_sms_spend_alarm_fires_at_80_percent_of_the_limit_to_the_ops_topic() -> None:
    alarm = RESOURCES["SmsSpendAlarm"]
    props = alarm["Properties"]
    assert alarm["Condition"] == "HasSmsNumbers"
    assert props["AlarmName"]["Sub"].startswith(OPS_PREFIX)
    spent, share = props["Metrics"]
    assert spent["MetricStat"]["Metric"] == {"Namespace": "AWS/SNS", "MetricName": "SMSMonthToDateSpentUSD"}
    assert (spent["MetricStat"]["Stat"], spent["ReturnData"]) == ("Maximum", False)
    assert share["Expression"] == {"Sub": "100 * spent / ${SmsMonthlySpendLimitUSD}"} and share["ReturnData"]
    assert (props["Threshold"], props["ComparisonOperator"]) == (80, "GreaterThanOrEqualToThreshold")
    assert props["AlarmActions"] == props["OKActions"] == [{"Ref": "OpsTopic"}]


def test_failed_escalation_texts_alarm_on_the_escalators_metric() -> None:
    from alertrouter.observability import ESCALATOR, NAMESPACES

    alarm = RESOURCES["EscalationSmsFailedAlarm"]
    props = alarm["Properties"]
    assert alarm["Condition"] == "HasSmsNumbers"
    assert (props["Namespace"], props["MetricName"]) == (NAMESPACES[ESCALATOR], "EscalationSmsFailed")
    assert props["Dimensions"] == [{"Name": "service", "Value": ESCALATOR}]
    assert (props["Statistic"], props["Threshold"], props["ComparisonOperator"]) == (
        "Sum",
        0,
        "GreaterThanThreshold",
    )
    assert props["AlarmActions"] == props["OKActions"] == [{"Ref": "OpsTopic"}]
    app = (ROOT / "functions" / "escalator" / "app.py").read_text(encoding="utf-8")
    assert '"EscalationSmsFailed"' in app  # the metric the alarm watches is the one published


# ---- the optional resources switched on still lint ----
# template.yaml itself is linted by `make cfn`; these variants give the list parameters non-empty defaults,
# so cfn-lint and the SAM CLI expand the loops and check what they make.

ON = {
    "OpenSearchDomainNames": ",".join(SAMPLE_LISTS["OpenSearchDomainNames"]),
    "StuckQueueNames": ",".join(SAMPLE_LISTS["StuckQueueNames"]),
    "OpsSmsNumbers": ",".join(SAMPLE_LISTS["OpsSmsNumbers"]),
    "OpsEmail": "oncall@example.com",
    "SmsNumbersSecretName": "alertrouter/sms-numbers",
    "BatchAlertStatuses": "FAILED,RUNNABLE,SUCCEEDED",
    "BatchJobQueues": "high-priority,default_queue",
    "StuckQueueMinutes": "60",
    "BatchQueueMetricsSchedule": "rate(5 minutes)",
    "AllowedSourceAccountIds": "111122223333,444455556666",
    "SlackInteractionsReservedConcurrency": "0",
    "MuteRulesForSnsAlarms": "true",
    "VoiceOriginationIdentity": VOICE_NUMBER_ARN,
    "SmsMonthlySpendLimitUSD": "50",
}
VARIANTS = {
    "all-on": ON,
    "batch-metrics-off": {**ON, "EnableBatchQueueMetrics": "false"},
    "calls-from-a-number": {**ON, "VoiceOriginationIdentity": "+15555550199"},
}


@pytest.fixture(params=sorted(VARIANTS))
def variant(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(template_with_defaults(VARIANTS[request.param]), encoding="utf-8")
    return path


def test_variant_changes_only_defaults(variant: Path) -> None:
    expanded = expand_for_each(load_template(variant))
    assert {k for k in expanded["Resources"] if k not in RESOURCES} == set()
    assert len(expanded["Resources"]) == len(RESOURCES)


@pytest.mark.slow
def test_variant_passes_cfn_lint(variant: Path) -> None:
    result = run_cfn_lint(variant)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_variant_passes_sam_validate_lint(variant: Path) -> None:
    result = run_sam_validate(variant)
    assert result.returncode == 0, result.stdout + result.stderr

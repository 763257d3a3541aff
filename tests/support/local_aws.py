"""Create the stack's stateful resources (table, queues, topic, secrets) on a local AWS endpoint,
from `template.yaml` itself, so the demo and the tests cannot drift from what `sam deploy` makes."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import re
import socket
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from support.paths import ROOT

TEMPLATE = ROOT / "template.yaml"
FAKE_SLACK_TOKEN = (
    "xoxb-0000-fake-token-for-local-use"  # an obvious fake: the stand-in only checks the prefix
)
FAKE_SIGNING_SECRET = "fake-signing-secret-for-local-use"  # noqa: S105 - an obvious fake
FAKE_SMS_NUMBERS = {  # 555-01xx: fiction
    "oncall-primary": "+15555550100",
    "oncall-secondary": "+15555550101",
    "dana": "+15555550102",
    "erin": "+15555550103",
}


# What moto answers to: fake credentials and a region, and no endpoint override (a setting left in the
# environment would send the clients elsewhere).
FAKE_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def use_fake_aws_environment(monkeypatch: Any) -> None:
    """Set FAKE_AWS_ENVIRONMENT and drop AWS_ENDPOINT_URL, through a pytest MonkeyPatch (undone after)."""
    for name, value in FAKE_AWS_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation short-form tags (!Ref, !Sub, !GetAtt...) as plain {tag: value} data."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {suffix: value}


_CfnLoader.add_multi_constructor("!", _tag)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """template.yaml as data, short-form tags read as {tag: value} (`!Ref X` is {"Ref": "X"}). The
    `Fn::ForEach::Name` entries stay as they are: see `expand_for_each`."""
    with path.open(encoding="utf-8") as fh:
        return dict(yaml.load(fh, Loader=_CfnLoader))  # noqa: S506 - a SafeLoader subclass


_FOR_EACH = "Fn::ForEach::"


def expand_for_each(  # noqa: C901 - one branch per intrinsic function the expander resolves
    template: Mapping[str, Any], lists: Mapping[str, list[str]] | None = None
) -> dict[str, Any]:
    """A copy of `template` with the `Fn::ForEach` loops of Resources, Conditions and Outputs expanded as the
    AWS::LanguageExtensions transform does: `${Id}` becomes the item, `&{Id}` the item without its
    non-alphanumeric characters, `Ref: Id` the item, and then its mapping look-ups are resolved
    (`_resolve_lookups`). A collection that is a `Ref` to a CommaDelimitedList parameter takes its value from
    `lists`, else from the parameter's default ("" is the list [""])."""
    parameters = template.get("Parameters", {})
    mappings = template.get("Mappings", {})

    def collection(value: Any) -> list[str]:
        if isinstance(value, list):
            return [str(v) for v in value]
        name = value["Ref"]
        if lists is not None and name in lists:
            return list(lists[name])
        return str(parameters[name].get("Default", "")).split(",")

    def substitute(value: Any, identifier: str, item: str) -> Any:
        if isinstance(value, str):
            return value.replace("${" + identifier + "}", item).replace(
                "&{" + identifier + "}", _alphanumeric(item)
            )
        if isinstance(value, list):
            return [substitute(v, identifier, item) for v in value]
        if isinstance(value, dict):
            if value == {"Ref": identifier}:
                return item
            return {
                substitute(k, identifier, item): substitute(v, identifier, item) for k, v in value.items()
            }
        return value

    def expand(section: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in section.items():
            if not key.startswith(_FOR_EACH):
                out[key] = value
                continue
            identifier, items, fragment = value
            for item in collection(items):
                resolved = _resolve_lookups(substitute(fragment, identifier, item), mappings)
                for expanded_key, expanded_value in expand(resolved).items():
                    if expanded_key in out:
                        raise ValueError(f"{key} makes {expanded_key} twice")
                    out[expanded_key] = expanded_value
        return out

    expanded = dict(template)
    for name in ("Resources", "Conditions", "Outputs"):
        if name in template:
            expanded[name] = expand(template[name])
    return expanded


def _resolve_lookups(value: Any, mappings: Mapping[str, Any]) -> Any:
    """A loop's fragment for one item as the transform renders it: each `Fn::FindInMap` whose keys are
    strings becomes the mapping's value, then each `Fn::Sub` whose variables are all strings becomes the one
    string CloudFormation makes of it (`{"Sub": ["...${Name}...", {"Name": "x"}]}` is `{"Sub": "...x..."}`)."""
    if isinstance(value, list):
        return [_resolve_lookups(v, mappings) for v in value]
    if not isinstance(value, dict):
        return value
    value = {k: _resolve_lookups(v, mappings) for k, v in value.items()}
    if len(value) != 1:
        return value
    [(function, args)] = value.items()
    if (
        function in ("FindInMap", "Fn::FindInMap")
        and len(args) == 3
        and all(isinstance(a, str) for a in args)
    ):
        name, key, second_key = args
        return mappings[name][key][second_key]
    if function in ("Sub", "Fn::Sub") and isinstance(args, list):
        text, variables = args
        if all(isinstance(v, str) for v in variables.values()):
            for variable, text_value in variables.items():
                text = text.replace("${" + variable + "}", text_value)
            return {function: text}
    return value


# The conditions of the resources a standalone stack (Mode standalone, the default) does not make: the hub's bus
# and its rules, the spoke's forwarding rules, schedule and link; and the hub's and spoke's rules of the AWS
# services' events (HubWatches*, SpokeWatches*: a Watch* parameter and the mode).
OTHER_MODES = frozenset({"IsSpoke", "IsHub", "HubAllowsOrganization", "HubAllowsAccounts", "LinksToHubSink"})
OTHER_MODES_WATCHING = ("HubWatches", "SpokeWatches")


def in_standalone_stack(resource: Mapping[str, Any]) -> bool:
    """Whether a standalone stack (the local one) makes this resource, as far as its Mode decides."""
    condition = resource.get("Condition")
    return condition not in OTHER_MODES and not str(condition).startswith(OTHER_MODES_WATCHING)


def _alphanumeric(item: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", item)


def template_with_defaults(defaults: Mapping[str, str], path: Path = TEMPLATE) -> str:
    """The text of template.yaml with other `Default:` values for the given parameters, everything else
    byte for byte (a variant to lint with optional resources switched on)."""
    text = path.read_text(encoding="utf-8")
    for name, value in defaults.items():
        block = re.search(
            rf"^  {re.escape(name)}:\n(?:(?:    .*|\s*)\n)*?    Default: .*$", text, re.MULTILINE
        )
        if block is None:
            raise KeyError(f"no parameter {name} with a Default in {path}")
        start, end = block.span()
        head, _, _ = block.group(0).rpartition("    Default: ")
        text = text[:start] + head + "    Default: " + json.dumps(value) + text[end:]
    return text


@dataclass
class LocalStack:
    table_name: str
    queue_url: str
    dlq_url: str
    topic_arn: str
    slack_secret: str
    sms_secret: str
    signing_secret: str
    storm_queue_url: str = ""  # the storm lane: AWS Batch job state changes


def _table_spec(template: dict[str, Any]) -> dict[str, Any]:
    props = template["Resources"]["StateTable"]["Properties"]
    return {
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props["BillingMode"],
        "ttl": props["TimeToLiveSpecification"]["AttributeName"],
    }


@functools.lru_cache(maxsize=2)
def _template_read_only(path: Path, mtime_ns: int) -> dict[str, Any]:
    """load_template, parsed once per version of the file: deploy only reads it (the test suite deploys
    a few hundred times, and parsing the template is a tenth of a second)."""
    return load_template(path)


def deploy(session: Any, prefix: str = "alertrouter-local") -> LocalStack:
    """Create the table, the ingest and storm queues with their DLQ and redrive, the alarm topic, the
    EventBridge rules to the queues they target, and fake secrets."""
    template = _template_read_only(TEMPLATE, TEMPLATE.stat().st_mtime_ns)
    spec = _table_spec(template)
    dynamodb, sqs = session.client("dynamodb"), session.client("sqs")
    table = f"{prefix}-state"
    dynamodb.create_table(
        TableName=table,
        AttributeDefinitions=spec["AttributeDefinitions"],
        KeySchema=spec["KeySchema"],
        BillingMode=spec["BillingMode"],
    )
    dynamodb.update_time_to_live(
        TableName=table, TimeToLiveSpecification={"AttributeName": spec["ttl"], "Enabled": True}
    )
    dlq_url = sqs.create_queue(QueueName=f"{prefix}-ingest-dlq")["QueueUrl"]
    dlq_arn = _queue_arn(sqs, dlq_url)
    # the two lanes (the router's consumes both), named as the template names them after the stack's label
    lanes = {
        logical: _lane_queue(sqs, template, logical, prefix, dlq_arn)
        for logical in ("IngestQueue", "StormQueue")
    }
    queue_url, storm_url = lanes["IngestQueue"][0], lanes["StormQueue"][0]
    sns = session.client("sns")
    topic_arn = sns.create_topic(Name=f"{prefix}-alarms")["TopicArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=lanes["IngestQueue"][1])
    _put_rules(session.client("events"), template, prefix, {name: arn for name, (_, arn) in lanes.items()})
    secrets = session.client("secretsmanager")
    slack_secret = f"{prefix}/slack-bot-token"
    sms_secret = f"{prefix}/sms-numbers"
    secrets.create_secret(Name=slack_secret, SecretString=FAKE_SLACK_TOKEN)
    secrets.create_secret(Name=sms_secret, SecretString=json.dumps(FAKE_SMS_NUMBERS))
    signing_secret = f"{prefix}/slack-signing-secret"
    secrets.create_secret(Name=signing_secret, SecretString=FAKE_SIGNING_SECRET)
    return LocalStack(
        table, queue_url, dlq_url, topic_arn, slack_secret, sms_secret, signing_secret, storm_url
    )


def _queue_arn(sqs: Any, url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def _lane_queue(
    sqs: Any, template: dict[str, Any], logical: str, prefix: str, dlq_arn: str
) -> tuple[str, str]:
    """One of the router's queues as the template makes it (its name after the stack's label, visibility,
    redrive to the DLQ): its URL and ARN."""
    props = template["Resources"][logical]["Properties"]
    name = props["QueueName"]["Sub"].replace("${AWS::StackName}-${AccountLabel}", prefix)
    url = sqs.create_queue(
        QueueName=name,
        Attributes={
            "VisibilityTimeout": str(props["VisibilityTimeout"]),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": props["RedrivePolicy"]["maxReceiveCount"]}
            ),
        },
    )["QueueUrl"]
    return url, _queue_arn(sqs, url)


def event_pattern(template: dict[str, Any], rule: dict[str, Any], prefix: str) -> dict[str, Any]:
    """A rule's EventPattern as a stack named `prefix` has it: the list parameters at their defaults
    (BatchAlertStatuses: FAILED) and the ops alarms' prefix filled in."""
    text = json.dumps(rule["EventPattern"]).replace(
        json.dumps({"Sub": "${AWS::StackName}-${AccountLabel}-ops-"}), json.dumps(f"{prefix}-ops-")
    )
    for name, spec in template["Parameters"].items():
        if spec["Type"] == "CommaDelimitedList" and json.dumps({"Ref": name}) in text:
            text = text.replace(json.dumps({"Ref": name}), json.dumps(str(spec["Default"]).split(",")))
    pattern: dict[str, Any] = json.loads(text)
    return pattern


def _put_rules(events: Any, template: dict[str, Any], prefix: str, queue_arns: Mapping[str, str]) -> None:
    """Every EventBridge rule of the template (its event_pattern), to the queue it targets."""
    for resource in template["Resources"].values():
        if not isinstance(resource, dict) or resource["Type"] != "AWS::Events::Rule":
            continue  # (a Fn::ForEach loop: none makes a rule)
        if not in_standalone_stack(resource):
            continue
        props = resource["Properties"]
        name = props["Name"]["Sub"].replace("${AWS::StackName}-${AccountLabel}", prefix)
        events.put_rule(
            Name=name, EventPattern=json.dumps(event_pattern(template, props, prefix)), State="ENABLED"
        )
        [target] = props["Targets"]
        queue = target["Arn"]["GetAtt"].removesuffix(".Arn")
        events.put_targets(Rule=name, Targets=[{"Id": target["Id"], "Arn": queue_arns[queue]}])


def free_port() -> int:
    """A free loopback port for a local server (moto, the Slack stand-in)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """Start a moto server on loopback, yield its endpoint URL, stop it."""
    from moto.server import ThreadedMotoServer

    from support.moto_partitions import query_reads_one_partition

    query_reads_one_partition()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto server's request log
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@contextlib.contextmanager
def moto_in_process() -> Iterator[Any]:
    """moto in this process with its fake credentials (Query reading one partition, as DynamoDB does): a boto3
    session on it, for the benches."""
    import boto3
    import pytest
    from moto import mock_aws

    from support.moto_partitions import query_reads_one_partition

    query_reads_one_partition()
    with pytest.MonkeyPatch.context() as patch:
        use_fake_aws_environment(patch)
        with mock_aws():
            yield boto3.session.Session(region_name="us-east-1")

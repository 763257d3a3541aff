"""`alertrouter doctor --local`: the demo's stack on loopback (moto server, the Slack stand-in), set up as an
operator would set up an account, for the preflight checks to run against.

Beyond `local_aws.deploy` (table, queues, topic, rules, secrets) it makes the template's ops alarms, sets the
SMS spend limit (docs/deploy.md's step) and gives the stand-in's workspace the channels demo/routing.yaml names.
"""

from __future__ import annotations

import contextlib
import logging
import os
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from unittest import mock

from alertrouter.config import load_config
from alertrouter.preflight import Target, slack_channels
from support.local_aws import deploy, expand_for_each, free_port, load_template
from support.paths import ROOT
from support.slack_standin import SlackStandIn

PREFIX = "alertrouter-local"
PLACEHOLDERS = {"DEFAULT_SLACK_CHANNEL": "#alerts", "ACCOUNT_LABEL": "demo"}
OPS_NAME = "${AWS::StackName}-${AccountLabel}-ops-"
REGION = "us-east-1"


@dataclass
class LocalDoctor:
    target: Target
    session: Any  # a boto3 Session on the local endpoint
    slack: SlackStandIn
    endpoint: str


def ops_alarm_names(prefix: str = PREFIX) -> list[str]:
    """The ops alarms template.yaml makes at its defaults, named for the local stack."""
    return [name for name, _ in _ops_alarms(prefix)]


def _ops_alarms(prefix: str) -> list[tuple[str, dict[str, Any]]]:
    template = expand_for_each(load_template())
    # the conditions that hold at the parameters' defaults (Mode standalone)
    enabled = {None, "RoutesAlerts", "BatchQueueMetricsEnabled"}
    return [
        (props["AlarmName"]["Sub"].replace("${AWS::StackName}-${AccountLabel}", prefix), props)
        for r in template["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Alarm" and r.get("Condition") in enabled
        for props in [r["Properties"]]
        if props["AlarmName"]["Sub"].startswith(OPS_NAME)
    ]


def _value(value: Any, prefix: str) -> str:
    """A dimension value of the template as the local stack would have it (a resource's name)."""
    if isinstance(value, dict) and "Ref" in value:
        return f"{prefix}-{value['Ref']}"
    if isinstance(value, dict) and "Sub" in value:
        return str(value["Sub"]).replace("${AWS::StackName}-${AccountLabel}", prefix)
    if isinstance(value, dict) and "GetAtt" in value:
        return f"{prefix}-{str(value['GetAtt']).split('.')[0]}"
    return str(value)


def deploy_ops_alarms(session: Any, prefix: str = PREFIX) -> str:
    """The template's ops alarms, acting on a local ops topic; returns the topic's ARN."""
    topic: str = session.client("sns").create_topic(Name=f"{prefix}-ops")["TopicArn"]
    cloudwatch = session.client("cloudwatch")
    for name, props in _ops_alarms(prefix):
        optional = {k: props[k] for k in ("TreatMissingData", "DatapointsToAlarm") if k in props}
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            Namespace=props["Namespace"],
            MetricName=props["MetricName"],
            Dimensions=[
                {"Name": d["Name"], "Value": _value(d["Value"], prefix)} for d in props["Dimensions"]
            ],
            Statistic=props["Statistic"],
            Period=props["Period"],
            EvaluationPeriods=props["EvaluationPeriods"],
            Threshold=float(props["Threshold"]),
            ComparisonOperator=props["ComparisonOperator"],
            AlarmActions=[topic],
            OKActions=[topic],
            **optional,
        )
    return topic


@contextlib.contextmanager
def local_doctor() -> Iterator[LocalDoctor]:
    """Start moto server and the Slack stand-in, deploy the demo's stack, and yield what to check."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)  # moto's traceback for an API it lacks
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    endpoint = f"http://127.0.0.1:{port}"
    # moto's servers in one process share their state: start from an empty account
    urllib.request.urlopen(
        urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10
    ).close()
    environment = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }
    try:
        with SlackStandIn() as slack, mock.patch.dict(os.environ, environment):
            import boto3

            session = boto3.session.Session(region_name=REGION)
            stack = deploy(session, PREFIX)
            deploy_ops_alarms(session, PREFIX)
            session.client("sns").set_sms_attributes(attributes={"MonthlySpendLimit": "10"})
            routing = ROOT / "demo" / "routing.yaml"
            for channel in slack_channels(load_config(routing, PLACEHOLDERS), PLACEHOLDERS):
                slack.channel_id(channel)  # the workspace has the channels the routing names
            rules = [r["Name"] for r in session.client("events").list_rules(NamePrefix=PREFIX)["Rules"]]
            target = Target(
                table_name=stack.table_name,
                ingest_queue_url=stack.queue_url,
                storm_queue_url=stack.storm_queue_url,
                dlq_url=stack.dlq_url,
                slack_token_secret=stack.slack_secret,
                sms_numbers_secret=stack.sms_secret,
                routing_config_path=str(routing),
                slo_config_path=str(ROOT / "demo" / "slos.yaml"),
                placeholders=PLACEHOLDERS,
                rule_names=tuple(rules),
                alarm_names=tuple(ops_alarm_names()),
            )
            yield LocalDoctor(target, session, slack, endpoint)
    finally:
        moto.stop()

"""An AWS organisation on moto: the hub's account (moto's default, 123456789012, the management account),
spoke accounts created in it, a session acting as each account (STS AssumeRole: moto answers a request in
the account its credentials came from), the hub's custom event bus with its rule to the router's ingest
queue, and a spoke's default-bus rule whose target is the hub's bus, as org-design.md lays them out.

moto forwards an event to a cross-account bus target, but as a new PutEvents in the hub: the envelope it
delivers has no `account`, empty `resources` and a new `id` and `time`. EventBridge keeps the sender's
envelope (the hub's rules and the router see the spoke's account): `as_eventbridge_forwards` restores it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import boto3

from support.local_aws import TEMPLATE, LocalStack, event_pattern, load_template

HUB_ACCOUNT = "123456789012"
REGION = "us-east-1"


@dataclass
class Organisation:
    id: str  # o-...
    accounts: dict[str, str] = field(default_factory=dict)  # name -> account id


def make_organisation(session: Any, *names: str) -> Organisation:
    """An organisation managed by the hub's account, with one created account per name."""
    organizations = session.client("organizations")
    org = Organisation(organizations.create_organization(FeatureSet="ALL")["Organization"]["Id"])
    for name in names:
        status = organizations.create_account(AccountName=name, Email=f"{name}@example.com")
        org.accounts[name] = status["CreateAccountStatus"]["AccountId"]
    return org


def acting_as(session: Any, account_id: str) -> Any:
    """A boto3 session whose requests moto answers in `account_id` (an assumed role's credentials)."""
    credentials = session.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/alertrouter-test", RoleSessionName="alertrouter-test"
    )["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=REGION,
    )


def alarm_pattern() -> dict[str, Any]:
    """The pattern of the stack's alarm rule (CloudWatchAlarmRule), as a hub's bus rule and a spoke's use."""
    template = load_template(TEMPLATE)
    return event_pattern(template, template["Resources"]["CloudWatchAlarmRule"]["Properties"], "hub")


def hub_bus(session: Any, stack: LocalStack, name: str = "alertrouter-hub") -> str:
    """The hub's custom event bus (its ARN), open to the organisation, with a rule sending alarm state
    changes to the router's ingest queue."""
    events, sqs = session.client("events"), session.client("sqs")
    arn = str(events.create_event_bus(Name=name)["EventBusArn"])
    queue_arn = sqs.get_queue_attributes(QueueUrl=stack.queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(Name=f"{name}-alarms", EventBusName=name, EventPattern=json.dumps(alarm_pattern()))
    events.put_targets(Rule=f"{name}-alarms", EventBusName=name, Targets=[{"Id": "ingest", "Arn": queue_arn}])
    return arn


def spoke_rule(spoke: Any, hub_bus_arn: str) -> None:
    """A spoke's rule on its default bus: its alarm state changes to the hub's bus (with the role that may
    put events on it)."""
    events = spoke.client("events")
    account = spoke.client("sts").get_caller_identity()["Account"]
    events.put_rule(Name="alertrouter-spoke-alarms", EventPattern=json.dumps(alarm_pattern()))
    events.put_targets(
        Rule="alertrouter-spoke-alarms",
        Targets=[
            {
                "Id": "hub",
                "Arn": hub_bus_arn,
                "RoleArn": f"arn:aws:iam::{account}:role/alertrouter-spoke-forward",
            }
        ],
    )


def put_alarm_event(spoke: Any, event: dict[str, Any]) -> None:
    """An alarm state change on the spoke's default bus, as CloudWatch puts it there."""
    spoke.client("events").put_events(
        Entries=[
            {
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": json.dumps(event["detail"]),
                "Resources": event["resources"],
            }
        ]
    )


def as_eventbridge_forwards(delivered: str, sent: dict[str, Any]) -> str:
    """The body moto delivered to the hub's queue, with the envelope EventBridge keeps when it forwards an
    event across accounts (the sender's account, region, time and resources); the detail is moto's."""
    event = json.loads(delivered)
    event.update({k: sent[k] for k in ("account", "region", "time", "resources")})
    return json.dumps(event)

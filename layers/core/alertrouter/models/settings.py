"""The Lambda environment, validated once at the handler's edge."""

from __future__ import annotations

import os
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, HttpUrl


def _from_env(model: type[BaseModel]) -> dict[str, str]:
    return {k.lower(): v for k, v in os.environ.items() if k.lower() in model.model_fields}


class _FromEnv(BaseModel):
    # Each function validates only its own settings: the others' schemas are not built at its cold start.
    model_config = ConfigDict(defer_build=True)

    @classmethod
    def from_env(cls) -> Self:
        return cls.model_validate(_from_env(cls))


class _StateTable(_FromEnv):
    """The stack's state table."""

    table_name: str = Field(min_length=3)


class _RouterQueue(_FromEnv):
    """The router's queue, where a function hands it work."""

    ingest_queue_url: str = Field(min_length=1)


class _StormQueue(_FromEnv):
    """The router's second lane, AWS Batch job state changes (empty: a stack or a local run without one)."""

    storm_queue_url: str = ""


class _Slack(_FromEnv):
    """Slack's Web API and the Secrets Manager secret holding the bot token (empty: none configured)."""

    slack_token_secret: str = ""
    slack_api_url: HttpUrl = Field(default="https://slack.com/api/", validate_default=True)


class _Paging(_Slack):
    """Slack, and the secret of the SMS numbers (empty: no SMS)."""

    sms_numbers_secret: str = ""


class _RoutingConfig(_FromEnv):
    """The routing config file and what `${...}` in it is filled with, where a function loads it."""

    routing_config_path: str = "/opt/routing.yaml"
    account_label: str = ""
    default_slack_channel: str = "#alerts"

    def placeholders(self) -> dict[str, str]:
        return {"DEFAULT_SLACK_CHANNEL": self.default_slack_channel, "ACCOUNT_LABEL": self.account_label}


class Settings(_StateTable, _RouterQueue, _StormQueue, _Paging, _RoutingConfig):
    """The router function's environment."""

    dlq_url: str = ""
    account_id: str = (
        ""  # the stack's own account: its alarms are always routed (empty: any account, local runs)
    )
    allowed_source_account_ids: str = (
        ""  # comma-separated accounts routed beside it (AllowedSourceAccountIds)
    )
    ops_topic_arn: str = ""  # the stack's ops topic: paged when Slack refuses the token (empty: logged only)
    aws_region: str = ""  # the stack's region (Lambda sets AWS_REGION)
    # look up the CloudWatch alarm mute rules of alarms delivered by SNS or an alarm action (MuteRulesForSnsAlarms)
    mute_rules_for_sns_alarms: bool = False
    # graphs of CloudWatch metric alarms and SLO alerts in their Slack messages (SlackGraphs)
    slack_graphs: bool = False
    # the stack's Mode: a hub also names accounts from AWS Organizations and, with ORGANIZATION_ID, lets its
    # members' events in (a spoke has no router; "spoke" is accepted so one schema serves every mode)
    mode: Literal["standalone", "spoke", "hub"] = "standalone"
    organization_id: str = Field(default="", pattern=r"^(o-[a-z0-9]{10,32})?$")  # OrganizationId ("": none)

    @property
    def source_accounts(self) -> frozenset[str]:
        return _ids(self.allowed_source_account_ids)


class EscalatorSettings(_StateTable, _Paging, _RoutingConfig):
    """The escalator function's environment (the routing config: its on-call schedules and people)."""

    routing_config_path: str = ""  # empty: no schedules (a `schedule:` step reaches nobody and moves on)
    # the router's storm queue, where it resolves one-shot alerts that expired (a storm's thousands of them
    # stay off the ingest queue and its alarms); the ingest queue where a stack has no storm queue
    storm_queue_url: str = ""
    ingest_queue_url: str = ""
    # page calls (AWS End User Messaging SMS and Voice): the phone number, its id or ARN, or a pool's id or ARN
    # calls are placed from (VoiceOriginationIdentity; empty: no calls, a `call:` step is a failure that
    # moves on), and the Amazon Polly voice that reads them (VoiceId)
    voice_origination_identity: str = Field(default="", max_length=256, pattern=r"^[A-Za-z0-9_:/+-]*$")
    voice_id: str = Field(default="JOANNA", pattern=r"^[A-Za-z]{2,20}$")
    # the router's ingest queue, where the heartbeat sweep raises its alerts ("": no sweep)
    heartbeat_queue_url: str = ""
    account_id: str = ""  # the stack's account and region, which a heartbeat's alert says it is in
    # a hub's escalator publishes the OpenAlerts gauge (its router keeps the index the gauge counts)
    mode: Literal["standalone", "spoke", "hub"] = "standalone"
    aws_region: str = ""


class SloSettings(_StateTable, _RouterQueue):
    """The SLO evaluator's environment."""

    slo_config_path: str = "/opt/slos.yaml"
    account_id: str = ""
    aws_region: str = ""
    dashboard_url: str = ""

    @property
    def region(self) -> str:
        return self.aws_region


class HeartbeatPingSettings(_StateTable, _RouterQueue):
    """The heartbeat ping function's environment."""

    heartbeat_min_ping_gap_s: int = Field(default=10, ge=0, le=3600)  # one recorded ping per check per gap
    account_id: str = ""  # the stack's account and region, which a heartbeat's alert says it is in
    aws_region: str = ""


class InteractionSettings(_StateTable, _Slack, _RoutingConfig):
    """The Slack interactions function's environment."""

    slack_token_secret: str = Field(min_length=1)
    slack_signing_secret: str = Field(min_length=1)  # the Secrets Manager secret holding the signing secret
    allowed_team_ids: str = ""  # comma-separated Slack team ids; empty: any team the app is installed in
    allowed_user_ids: str = ""  # comma-separated Slack user ids (with the groups below: the allowlist)
    allowed_usergroup_ids: str = ""  # comma-separated Slack user group ids (S...) whose members may act
    ingest_queue_url: str = ""  # the router's queue, which applies a Resolve
    # its `messages:` settings and Slack templates draw a redrawn message as the router does ("": the defaults)
    routing_config_path: str = ""

    @property
    def teams(self) -> frozenset[str]:
        return _ids(self.allowed_team_ids)

    @property
    def users(self) -> frozenset[str]:
        return _ids(self.allowed_user_ids)

    @property
    def usergroups(self) -> frozenset[str]:
        return _ids(self.allowed_usergroup_ids)


def _ids(text: str) -> frozenset[str]:
    return frozenset(t.strip() for t in text.split(",") if t.strip())


class BatchMetricsSettings(_FromEnv):
    """The Batch queue-metrics function's environment."""

    batch_job_queues: str = ""  # comma-separated job queue names or ARNs; empty: every queue in the region
    batch_metrics_namespace: str = Field(default="AlertRouter/Batch", min_length=1)
    batch_metrics_concurrency: int = Field(default=8, ge=1, le=32)  # queues read at once

    @property
    def job_queues(self) -> tuple[str, ...]:
        """The configured queues in the order given, each once; empty: every queue in the region."""
        return tuple(dict.fromkeys(t.strip() for t in self.batch_job_queues.split(",") if t.strip()))


class PreflightSettings(_StateTable, _RouterQueue, _StormQueue, _Paging, _RoutingConfig):
    """The scheduled preflight function's environment: the stack's own resources, by name."""

    dlq_url: str = Field(min_length=1)
    slack_token_secret: str = Field(min_length=1)
    slo_config_path: str = "/opt/slos.yaml"
    allowed_usergroup_ids: str = ""  # with any, the token needs usergroups:read
    slack_graphs: bool = False  # with graphs in the messages, the token needs files:write
    rule_names: str = ""  # comma-separated EventBridge rule names
    alarm_names: str = ""  # comma-separated alarm names
    stack_label: str = ""  # "<stack>-<AccountLabel>": the metrics' Stack dimension

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(sorted(_ids(self.rule_names)))

    @property
    def alarms(self) -> tuple[str, ...]:
        return tuple(sorted(_ids(self.alarm_names)))

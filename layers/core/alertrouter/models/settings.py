"""The Lambda environment, validated once at the handler's edge."""

from __future__ import annotations

import os

from pydantic import BaseModel, Field


def _from_env(model: type[BaseModel]) -> dict[str, str]:
    return {k.lower(): v for k, v in os.environ.items() if k.lower() in model.model_fields}


class Settings(BaseModel):
    table_name: str = Field(min_length=3)
    ingest_queue_url: str = Field(min_length=1)
    dlq_url: str = ""
    slack_token_secret: str = ""
    sms_numbers_secret: str = ""
    routing_config_path: str = "/opt/routing.yaml"
    account_label: str = ""
    default_slack_channel: str = "#alerts"
    slack_api_url: str = "https://slack.com/api/"

    @classmethod
    def from_env(cls) -> Settings:
        return cls.model_validate(_from_env(cls))

    def placeholders(self) -> dict[str, str]:
        return {"DEFAULT_SLACK_CHANNEL": self.default_slack_channel, "ACCOUNT_LABEL": self.account_label}


class InteractionSettings(BaseModel):
    """The Slack interactions function's environment."""

    table_name: str = Field(min_length=3)
    slack_token_secret: str = Field(min_length=1)
    slack_signing_secret: str = Field(min_length=1)  # the Secrets Manager secret holding the signing secret
    slack_api_url: str = "https://slack.com/api/"
    allowed_team_ids: str = ""  # comma-separated Slack team ids; empty: any team the app is installed in

    @classmethod
    def from_env(cls) -> InteractionSettings:
        return cls.model_validate(_from_env(cls))

    @property
    def teams(self) -> frozenset[str]:
        return frozenset(t.strip() for t in self.allowed_team_ids.split(",") if t.strip())

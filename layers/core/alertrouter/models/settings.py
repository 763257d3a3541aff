"""The Lambda environment, validated once at the handler's edge."""

from __future__ import annotations

import os

from pydantic import BaseModel, Field


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
        env = {k.lower(): v for k, v in os.environ.items() if k.lower() in cls.model_fields}
        return cls.model_validate(env)

    def placeholders(self) -> dict[str, str]:
        return {"DEFAULT_SLACK_CHANNEL": self.default_slack_channel, "ACCOUNT_LABEL": self.account_label}

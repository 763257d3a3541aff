"""The preflight function's object graph: made for each run, so the checks see the token as it is now."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from alertrouter.aws import Clients, SecretCache
from alertrouter.models.settings import PreflightSettings
from alertrouter.notify.slack import SlackClient
from alertrouter.preflight import Target


@lru_cache(maxsize=1)
def settings() -> PreflightSettings:
    return PreflightSettings.from_env()


@dataclass(frozen=True)
class PreflightRun:
    """What one run checks (the stack's resources) and checks them with."""

    settings: PreflightSettings
    target: Target
    clients: Clients
    secrets: SecretCache

    def token(self) -> str:
        return self.secrets.get(self.settings.slack_token_secret)

    def slack(self) -> SlackClient:
        return SlackClient(self.token, str(self.settings.slack_api_url))


def build_run() -> PreflightRun:
    """A run's graph: new clients and secret cache each run (the token is read as it is now)."""
    s = settings()
    clients = Clients()
    return PreflightRun(s, target(s), clients, SecretCache(lambda: clients.secretsmanager))


def target(s: PreflightSettings) -> Target:
    return Target(
        table_name=s.table_name,
        ingest_queue_url=s.ingest_queue_url,
        storm_queue_url=s.storm_queue_url,
        dlq_url=s.dlq_url,
        slack_token_secret=s.slack_token_secret,
        sms_numbers_secret=s.sms_numbers_secret,
        routing_config_path=s.routing_config_path,
        slo_config_path=s.slo_config_path,
        placeholders=s.placeholders(),
        rule_names=s.rules,
        alarm_names=s.alarms,
        uses_usergroups=bool(s.allowed_usergroup_ids.strip()),
        draws_graphs=s.slack_graphs,
    )

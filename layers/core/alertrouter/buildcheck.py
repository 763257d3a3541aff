"""What a build can say about a valid routing config beyond its validity: the names it uses that the stack's
deploy settings (samconfig.toml) do not know. Warnings only: the deployed preflight (`doctor`) knows more."""

from __future__ import annotations

import shlex
import tomllib
from pathlib import Path

from alertrouter.models.config import RoutingConfig
from alertrouter.preflight import slack_channels, sms_recipients

TEMPLATE_DEFAULT_CHANNEL = "#alerts"  # template.yaml's DefaultSlackChannel default


def stack_parameters(samconfig: Path, env: str) -> dict[str, str]:
    """The parameter overrides `sam deploy --config-env ENV` passes ({} if the file or env has none)."""
    try:
        data = tomllib.loads(samconfig.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    overrides = data.get(env, {}).get("deploy", {}).get("parameters", {}).get("parameter_overrides", "")
    items = overrides if isinstance(overrides, list) else shlex.split(str(overrides))
    return dict(str(item).split("=", 1) for item in items if "=" in str(item))


def placeholders(parameters: dict[str, str]) -> dict[str, str]:
    """The values the Lambda fills `${...}` with, as that deploy sets them."""
    return {
        "DEFAULT_SLACK_CHANNEL": parameters.get("DefaultSlackChannel", TEMPLATE_DEFAULT_CHANNEL),
        "ACCOUNT_LABEL": parameters.get("AccountLabel", ""),
    }


def warnings(config: RoutingConfig, parameters: dict[str, str], env: str) -> list[str]:
    """Channels other than the stack's default one (a build cannot ask Slack whether they exist and the app
    is in them), and SMS recipients a deploy without an SMS numbers secret can never text."""
    found = []
    default = placeholders(parameters)["DEFAULT_SLACK_CHANNEL"]
    others = [c for c in slack_channels(config, {"DEFAULT_SLACK_CHANNEL": default}) if c != default]
    if others:
        found.append(
            f"Slack channels not known to the stack (it knows DefaultSlackChannel {default}): "
            f"{', '.join(others)}; whether each exists and the app is in it is checked by "
            "`alertrouter doctor` after deploy"
        )
    named = sms_recipients(config)
    if named and not parameters.get("SmsNumbersSecretName"):
        found.append(
            f"SMS recipients {', '.join(named)} are named, but [{env}] sets no SmsNumbersSecretName: "
            "nobody will be texted"
        )
    elif named:
        found.append(
            f"SMS recipients {', '.join(named)}: whether the secret {parameters['SmsNumbersSecretName']} "
            "holds each is checked by `alertrouter doctor` after deploy"
        )
    return found

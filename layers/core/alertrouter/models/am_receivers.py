"""Alertmanager's receiver integrations in a routing config: `slack_configs` become this router's Slack targets
(their channel: the bot token posts there; their `title` and `text` templates, when given, make the message's
headline and body, the rest of the message is this router's own, with its buttons);
`webhook_configs` are read as they are (models/webhook.py); an integration this router does not deliver to is
refused by name, never left out quietly."""

from __future__ import annotations

from typing import Any

UNSUPPORTED = (
    "email_configs",
    "pagerduty_configs",
    "opsgenie_configs",
    "victorops_configs",
    "pushover_configs",
    "sns_configs",
    "telegram_configs",
    "wechat_configs",
    "discord_configs",
    "msteams_configs",
    "msteamsv2_configs",
    "webex_configs",
    "jira_configs",
    "rocketchat_configs",
    "incidentio_configs",
)
# The templates of a `slack_configs` entry that this router renders (notify/templates.py)
SLACK_TEMPLATES = ("title", "text")
# What a `slack_configs` entry may say beyond its channel and templates: how Alertmanager's own message looks and
# how it is sent (a webhook there, a bot token here). Accepted; check-config names them as not used.
SLACK_LOOKS = (
    "api_url",
    "api_url_file",
    "http_config",
    "username",
    "color",
    "title_link",
    "pretext",
    "fields",
    "short_fields",
    "footer",
    "fallback",
    "callback_id",
    "icon_emoji",
    "icon_url",
    "image_url",
    "thumb_url",
    "link_names",
    "mrkdwn_in",
    "actions",
)


# Alertmanager's `global` settings that configure its integrations (not used here: named by check-config)
ALERTMANAGER_GLOBALS = (
    "http_config",
    "smtp_from",
    "smtp_hello",
    "smtp_smarthost",
    "smtp_auth_username",
    "smtp_auth_password",
    "smtp_auth_password_file",
    "smtp_auth_secret",
    "smtp_auth_identity",
    "smtp_require_tls",
    "slack_api_url",
    "slack_api_url_file",
    "victorops_api_key",
    "victorops_api_key_file",
    "victorops_api_url",
    "pagerduty_url",
    "opsgenie_api_key",
    "opsgenie_api_key_file",
    "opsgenie_api_url",
    "wechat_api_url",
    "wechat_api_secret",
    "wechat_api_corp_id",
    "telegram_api_url",
    "webex_api_url",
)


def from_alertmanager(data: Any) -> Any:
    """A receiver mapping with Alertmanager's `slack_configs` turned into `slack` targets."""
    if not isinstance(data, dict):
        return data
    unsupported = [key for key in UNSUPPORTED if key in data]
    if unsupported:
        raise ValueError(
            f"{', '.join(unsupported)}: not delivered by this router (Slack, SMS and webhooks); remove them, or keep "
            "this receiver in Alertmanager"
        )
    if "slack_configs" not in data:
        return data
    data = dict(data)
    configs = data.pop("slack_configs") or []
    targets = list(data.get("slack") or [])
    for index, entry in enumerate(configs if isinstance(configs, list) else [configs]):
        if not isinstance(entry, dict) or not entry.get("channel"):
            raise ValueError(f"slack_configs.{index}: needs its channel (the bot token posts there)")
        if entry.get("send_resolved") is False:
            raise ValueError(
                f"slack_configs.{index}: send_resolved: false is not supported (the message is edited to "
                "resolved)"
            )
        unknown = sorted(set(entry) - {"channel", "send_resolved", *SLACK_TEMPLATES, *SLACK_LOOKS})
        if unknown:
            raise ValueError(f"slack_configs.{index}: unknown keys {', '.join(unknown)}")
        templates = {key: entry[key] for key in SLACK_TEMPLATES if entry.get(key) is not None}
        targets.append({"channel": entry["channel"], **templates})
    data["slack"] = targets
    return data


def unused_slack_keys(data: Any) -> list[str]:
    """Where a config's `slack_configs` say things this router does not use (for check-config's warnings)."""
    found: list[str] = []
    settings = data.get("global") if isinstance(data, dict) else None
    unused = sorted(set(settings) & set(ALERTMANAGER_GLOBALS)) if isinstance(settings, dict) else []
    if unused:
        found.append(f"global: {', '.join(unused)} not used (Alertmanager's integration settings)")
    receivers = data.get("receivers") if isinstance(data, dict) else None
    for r, receiver in enumerate(receivers if isinstance(receivers, list) else []):
        configs = receiver.get("slack_configs") if isinstance(receiver, dict) else None
        for c, entry in enumerate(configs if isinstance(configs, list) else []):
            keys = sorted(set(entry) & set(SLACK_LOOKS)) if isinstance(entry, dict) else []
            if keys:
                found.append(
                    f"receivers.{r}.slack_configs.{c}: {', '.join(keys)} not used (this router posts its own "
                    "message with its bot token)"
                )
    return found


def slack_templates(data: Any) -> list[tuple[str, str]]:
    """Each Slack `title` / `text` template of a config, with where it is (`receivers.<name>.slack_configs.0.title`,
    or `.slack.0.title` for this router's own form)."""
    found: list[tuple[str, str]] = []
    receivers = data.get("receivers") if isinstance(data, dict) else None
    for r, receiver in enumerate(receivers if isinstance(receivers, list) else []):
        if not isinstance(receiver, dict):
            continue
        name = receiver.get("name") if isinstance(receiver.get("name"), str) and receiver.get("name") else r
        for form in ("slack_configs", "slack"):
            entries = receiver.get(form)
            for e, entry in enumerate(entries if isinstance(entries, list) else []):
                for key in SLACK_TEMPLATES:
                    value = entry.get(key) if isinstance(entry, dict) else None
                    if isinstance(value, str):
                        found.append((f"receivers.{name}.{form}.{e}.{key}", value))
    return found

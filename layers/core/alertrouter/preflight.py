"""Preflight: what can be checked before an alarm needs it (the Slack token, its scopes and channels, the SMS
recipients, numbers, sandbox and spend limit, the stack's queues, table, alarms and rules, the config files).

Each check is a small function returning a `Check`; the AWS clients and the Slack client are handed in, so
`alertrouter doctor` (deployed or local) and the scheduled preflight function run the same checks.
A check that cannot be made (an API the endpoint lacks, a permission the caller lacks) says so as unknown
(`ok=None`): it is never reported as passed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from alertrouter.aws import Clients
from alertrouter.models.recipient import parse_recipient
from alertrouter.notify.base import NotifyError
from alertrouter.notify.sms import mask_number

E164 = re.compile(r"\+[1-9]\d{6,14}")
# The bot scopes the router's Slack calls need (slack/manifest.yaml asks for these and more): chat:write to post
# and edit; channels:read/groups:read for conversations.list and .info (a channel name's id); channels:history/
# groups:history for conversations.history (exactly-once posting looks for a message before posting again).
# `commands`: the app's slash commands (/alerts, /ack, /oncall, /silence), which Slack grants with the scope
REQUIRED_SCOPES = (
    "chat:write",
    "channels:read",
    "groups:read",
    "channels:history",
    "groups:history",
    "commands",
)
USERGROUP_SCOPE = "usergroups:read"  # only with AllowedSlackUserGroupIds
USERGROUP_WRITE_SCOPE = "usergroups:write"  # only with a schedule that keeps a slack_usergroup
FILES_SCOPE = "files:write"  # only with SlackGraphs: the graphs are uploaded
TOKEN_ERRORS = frozenset({"token_revoked", "token_expired", "invalid_auth", "not_authed", "account_inactive"})
PREFLIGHT_KEY = {"pk": {"S": "PREFLIGHT"}, "sk": {"S": "LAST"}}  # the scheduled run's last results
INVITE = "/invite @AlertRouter"


@dataclass(frozen=True)
class Check:
    """One check's outcome: ok True (✓), False (✗, with the fix) or None (could not be checked, with why)."""

    name: str
    ok: bool | None
    detail: str
    fix: str = ""

    def line(self) -> str:
        mark = {True: "✓", False: "✗", None: "?"}[self.ok]
        return f"{mark} {self.name}: {self.detail}" + (
            f" — fix: {self.fix}" if self.fix and self.ok is False else ""
        )


@dataclass(frozen=True)
class Target:
    """What one deployment is made of, by name (from a stack's resources, or the function's environment)."""

    table_name: str
    ingest_queue_url: str
    dlq_url: str
    slack_token_secret: str
    sms_numbers_secret: str = ""
    storm_queue_url: str = ""  # empty: a stack made before the storm lane
    routing_config_path: str = "config/routing.yaml"
    slo_config_path: str = "config/slos.yaml"
    placeholders: Mapping[str, str] = field(default_factory=dict)
    rule_names: tuple[str, ...] = ()
    alarm_names: tuple[str, ...] = ()
    uses_usergroups: bool = False
    draws_graphs: bool = False  # SlackGraphs: the router uploads graphs (files:write)


class SlackReader(Protocol):
    """The Slack reads preflight makes (SlackClient)."""

    def auth_test(self) -> tuple[dict[str, Any], frozenset[str]]: ...

    def conversation_info(self, channel: str) -> dict[str, Any]: ...


def aws_error(exc: Exception) -> str:
    """An AWS error's code (botocore ClientError), or the exception's name."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code") or type(exc).__name__)
    return type(exc).__name__


def slack_error(exc: NotifyError) -> str:
    """Slack's error code of a NotifyError (its `code`, or the word after `method: `)."""
    return str(getattr(exc, "code", "") or str(exc).split(": ", 1)[-1].split(" ", 1)[0])


# ---- the config files ----


def routing_check(path: str, placeholders: Mapping[str, str]) -> tuple[Check, Any]:
    """The routing file validates; returns the config for the checks that read it (None if it does not)."""
    from alertrouter.config import ConfigError, config_version, load_config

    version = config_version(path)  # the router logs the same with every line (config_version)
    try:
        config = load_config(path, placeholders)
    except ConfigError as exc:
        return Check(
            "routing config",
            False,
            f"{exc} (version {version})",
            f"correct it (alertrouter check-config --config {path}) and deploy again",
        ), None
    return Check(
        "routing config", True, f"{path}: {len(config.receivers)} receivers, version {version}"
    ), config


def slo_check(path: str) -> Check:
    from alertrouter.slo.loader import SloError, load_slo_file

    try:
        slos = load_slo_file(path)
    except SloError as exc:
        more = len(exc.problems) - 1
        return Check(
            "SLO config",
            False,
            exc.problems[0] + (f" (and {more} more problem{'s' * (more > 1)})" if more else ""),
            f"correct it (alertrouter slo validate {path}) and deploy again",
        )
    return Check("SLO config", True, f"{path}: {len(slos)} SLOs")


def slack_channels(config: Any, placeholders: Mapping[str, str]) -> list[str]:
    """Every channel the routing config can post to, once each, in order (the default channel first)."""
    channels = [placeholders.get("DEFAULT_SLACK_CHANNEL", "")]
    channels += [target.channel for receiver in config.receivers for target in receiver.slack]
    # where a receiver's messages go when its own channels refuse them for good
    channels += [getattr(r, "fallback_channel", None) or "" for r in config.receivers]
    channels.append(getattr(getattr(config, "global_", None), "fallback_channel", None) or "")
    channels += [s.handoff_channel or "" for s in getattr(config, "schedules", ())]  # handoff notices
    return [c for c in dict.fromkeys(channels) if c]


def sms_recipients(config: Any) -> dict[str, str]:
    """person name -> where the routing config names them (a receiver, a route's escalation, or a schedule a
    receiver or an escalation pages: each of its members)."""
    named: dict[str, str] = {}
    for where, refs in config.recipient_refs():
        for ref in refs:
            recipient = parse_recipient(ref)
            if recipient.person is not None:
                named.setdefault(recipient.person, where)
            elif recipient.schedule is not None:
                for person in config.schedule(recipient.schedule).members:
                    named.setdefault(person, f"schedule {recipient.schedule}")
    return named


# ---- Slack ----


def slack_token_check(
    token: Callable[[], str], slack: SlackReader, secret: str
) -> tuple[Check, frozenset[str] | None]:
    """auth.test with the token of the secret; returns the granted scopes when the token works."""
    name = "Slack token"
    try:
        token()
    except Exception as exc:  # noqa: BLE001 - any failure to read the secret is this check's finding
        return Check(
            name,
            False,
            f"secret {secret} cannot be read ({aws_error(exc)})",
            "create it with the Bot User OAuth Token (xoxb-…) of the Slack app (slack/manifest.yaml)",
        ), None
    try:
        body, scopes = slack.auth_test()
    except NotifyError as exc:
        code = slack_error(exc)
        if code in TOKEN_ERRORS:
            return Check(
                name,
                False,
                f"auth.test answers {code}",
                f"reinstall the Slack app and put its new Bot User OAuth Token in secret {secret}",
            ), None
        return Check(name, None, f"auth.test failed: {exc}"), None
    return Check(
        name, True, f"valid, bot {body.get('user', '?')} in workspace {body.get('team', '?')}"
    ), scopes


def slack_scopes_check(
    scopes: frozenset[str],
    secret: str,
    *,
    usergroups: bool = False,
    usergroup_updates: bool = False,
    graphs: bool = False,
) -> Check:
    needed = list(REQUIRED_SCOPES) + ([USERGROUP_SCOPE] if usergroups else [])
    needed += [USERGROUP_WRITE_SCOPE] if usergroup_updates else []
    needed += [FILES_SCOPE] if graphs else []
    missing = [s for s in needed if s not in scopes]
    if missing:
        return Check(
            "Slack scopes",
            False,
            f"the token lacks {', '.join(missing)}",
            f"add {', '.join(missing)} to the app's bot scopes (slack/manifest.yaml), reinstall it and put "
            f"the new token in secret {secret}",
        )
    return Check("Slack scopes", True, ", ".join(needed))


def slack_channel_check(slack: SlackReader, channel: str) -> Check:
    """The channel exists, is not archived, and the app is a member (conversations.history needs it)."""
    name = f"Slack channel {channel}"
    try:
        info = slack.conversation_info(channel)
    except NotifyError as exc:
        code = slack_error(exc)
        if code == "channel_not_found":
            return Check(
                name,
                False,
                "not found (or private without the app in it)",
                f"create it or correct it in routing.yaml; for a private channel, {INVITE} there",
            )
        if code == "missing_scope":
            return Check(
                name,
                False,
                "the token may not read channels (missing_scope)",
                "add channels:read and groups:read to the app's bot scopes and reinstall it",
            )
        return Check(name, None, f"conversations.info failed: {exc}")
    if info.get("is_archived"):
        return Check(
            name, False, "archived", f"unarchive {channel}, or route its receivers to another channel"
        )
    if not info.get("is_member"):
        return Check(name, False, "the app is not a member", f"{INVITE} in {channel}")
    return Check(name, True, f"{info.get('id', '?')}, the app is a member")


def slack_not_checked(channels: Iterable[str]) -> list[Check]:
    return [Check(f"Slack channel {c}", None, "not checked: the Slack token does not work") for c in channels]


# ---- SMS ----


def sms_numbers(secrets: Any, secret: str) -> tuple[Check | None, dict[str, str] | None]:
    """The SMS numbers secret as name -> number; a failing Check when it cannot be used."""
    try:
        numbers = json.loads(secrets.get_secret_value(SecretId=secret)["SecretString"])
    except ValueError:
        return Check(
            "SMS numbers secret",
            False,
            f"secret {secret} is not JSON",
            'write it as {"name": "+<country code><number>", ...}',
        ), None
    except Exception as exc:  # noqa: BLE001 - any failure to read the secret is this check's finding
        return Check(
            "SMS numbers secret",
            False,
            f"secret {secret} cannot be read ({aws_error(exc)})",
            "create it, or deploy with the right SmsNumbersSecretName",
        ), None
    if not isinstance(numbers, dict):
        return Check(
            "SMS numbers secret",
            False,
            f"secret {secret} is not a JSON object",
            'write it as {"name": "+<country code><number>", ...}',
        ), None
    return None, {str(k): str(v) for k, v in numbers.items()}


def sms_recipients_check(named: Mapping[str, str], numbers: Mapping[str, str], secret: str) -> Check:
    missing = [f"{n} ({where})" for n, where in named.items() if n not in numbers]
    if missing:
        return Check(
            "SMS recipients",
            False,
            f"not in secret {secret}: {', '.join(missing)}",
            f"add each name with its number to secret {secret}, or remove it from routing.yaml",
        )
    return Check("SMS recipients", True, f"{len(named)} named in routing.yaml, all in secret {secret}")


def sms_format_check(numbers: Mapping[str, str], secret: str) -> Check:
    bad = [f"{n} ({mask_number(v)})" for n, v in numbers.items() if not E164.fullmatch(v)]
    if bad:
        return Check(
            "SMS numbers",
            False,
            f"not E.164 in secret {secret}: {', '.join(bad)}",
            "write each as + country code and number, digits only (E.164)",
        )
    return Check("SMS numbers", True, f"{len(numbers)} numbers, all E.164")


def sms_spend_check(sns: Any) -> Check:
    name = "SMS spend limit"
    try:
        attributes = sns.get_sms_attributes(attributes=["MonthlySpendLimit"]).get("attributes", {})
    except Exception as exc:  # noqa: BLE001 - reported as unknown, never as passed
        return Check(name, None, f"cannot read it ({aws_error(exc)})")
    limit = str(attributes.get("MonthlySpendLimit") or "")
    fix = (
        "set it: aws sns set-sms-attributes --attributes MonthlySpendLimit=<USD> (above 1 USD, ask AWS Support "
        "to raise the SMS spending quota first)"
    )
    if not limit:
        return Check(
            name, False, "MonthlySpendLimit is not set (the account's default quota is 1 USD a month)", fix
        )
    if float(limit) <= 0:
        return Check(name, False, f"MonthlySpendLimit is {limit} USD: no SMS can be sent", fix)
    return Check(name, True, f"{limit} USD a month")


def sms_sandbox_check(sns: Any, numbers: Mapping[str, str]) -> Check:
    """Out of the SMS sandbox, or in it with every recipient a verified destination."""
    name = "SMS sandbox"
    try:
        in_sandbox = bool(sns.get_sms_sandbox_account_status()["IsInSandbox"])
        verified: set[str] = set()
        if in_sandbox:
            paginator_token = ""
            while True:
                page = sns.list_sms_sandbox_phone_numbers(
                    **({"NextToken": paginator_token} if paginator_token else {})
                )
                verified |= {
                    p["PhoneNumber"] for p in page.get("PhoneNumbers", []) if p.get("Status") == "Verified"
                }
                paginator_token = page.get("NextToken") or ""
                if not paginator_token:
                    break
    except Exception as exc:  # noqa: BLE001 - reported as unknown, never as passed
        return Check(name, None, f"cannot tell: GetSMSSandboxAccountStatus failed ({aws_error(exc)})")
    if not in_sandbox:
        return Check(name, True, "out of the sandbox: any number can be texted")
    unverified = [f"{n} ({mask_number(v)})" for n, v in numbers.items() if v not in verified]
    if unverified:
        return Check(
            name,
            False,
            f"in the sandbox; not verified destinations: {', '.join(unverified)}",
            "verify them (SNS console, Text messaging, Sandbox destination phone numbers) or request "
            "production access to leave the sandbox",
        )
    return Check(name, True, f"in the sandbox, every recipient ({len(numbers)}) verified")


# ---- the stack's resources ----


def _queue_name(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def queue_check(sqs: Any, label: str, url: str, *, redrives_to: str = "") -> Check:
    """The queue exists (and, for the ingest and storm queues, redrives to the DLQ)."""
    name = f"{label} {_queue_name(url)}"
    try:
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn", "RedrivePolicy"])[
            "Attributes"
        ]
    except Exception as exc:  # noqa: BLE001
        code = aws_error(exc)
        if "NonExistentQueue" in code or "QueueDoesNotExist" in code:
            return Check(name, False, "does not exist", "deploy the stack again (sam deploy)")
        return Check(name, None, f"cannot read it ({code})")
    if redrives_to:
        target = json.loads(attributes.get("RedrivePolicy") or "{}").get("deadLetterTargetArn", "")
        if target.rsplit(":", 1)[-1] != _queue_name(redrives_to):
            return Check(
                name,
                False,
                f"does not redrive to the DLQ {_queue_name(redrives_to)}",
                "deploy the stack again (sam deploy): its RedrivePolicy sets it",
            )
        return Check(name, True, f"exists, redrives to {_queue_name(redrives_to)}")
    return Check(name, True, "exists")


def table_check(dynamodb: Any, table: str) -> tuple[Check, dict[str, Any] | None]:
    """The state table answers a read (of the preflight's own item, returned: the last scheduled results)."""
    name = f"state table {table}"
    try:
        item = dynamodb.get_item(TableName=table, Key=PREFLIGHT_KEY, ConsistentRead=True).get("Item")
    except Exception as exc:  # noqa: BLE001
        code = aws_error(exc)
        if code == "ResourceNotFoundException":
            return Check(
                name,
                False,
                "does not exist",
                "deploy the stack again; if it was deleted by hand, restore it from its point-in-time backup",
            ), None
        return Check(name, None, f"cannot read it ({code})"), None
    return Check(name, True, "answers"), item


def alarms_check(cloudwatch: Any, names: Iterable[str]) -> Check:
    wanted = list(dict.fromkeys(names))
    found: dict[str, bool] = {}
    try:
        for first in range(0, len(wanted), 100):
            page = cloudwatch.describe_alarms(AlarmNames=wanted[first : first + 100], MaxRecords=100)
            found |= {
                a["AlarmName"]: bool(a.get("ActionsEnabled", True)) for a in page.get("MetricAlarms", [])
            }
    except Exception as exc:  # noqa: BLE001
        return Check("alarms", None, f"cannot read them ({aws_error(exc)})")
    missing = [n for n in wanted if n not in found]
    if missing:
        return Check("alarms", False, f"missing: {', '.join(missing)}", "deploy the stack again (sam deploy)")
    silent = [n for n in wanted if not found[n]]
    if silent:
        return Check(
            "alarms",
            False,
            f"actions disabled: {', '.join(silent)}",
            f"aws cloudwatch enable-alarm-actions --alarm-names {' '.join(silent)}",
        )
    return Check("alarms", True, f"{len(wanted)} exist, actions enabled")


def rule_check(events: Any, rule: str) -> Check:
    name = f"EventBridge rule {rule}"
    try:
        state = events.describe_rule(Name=rule)["State"]
    except Exception as exc:  # noqa: BLE001
        code = aws_error(exc)
        if code == "ResourceNotFoundException":
            return Check(name, False, "does not exist", "deploy the stack again (sam deploy)")
        return Check(name, None, f"cannot read it ({code})")
    if state != "ENABLED":
        return Check(
            name,
            False,
            f"{state.lower()}: its events do not reach the router",
            f"aws events enable-rule --name {rule}",
        )
    return Check(name, True, "enabled")


# ---- all of them ----


@dataclass
class Results:
    checks: list[Check]
    table_readable: bool  # the state table answered (so the scheduled run can store its results)
    last_item: dict[str, Any] | None  # the preflight item it returned


def run_checks(target: Target, aws: Clients, slack: SlackReader, token: Callable[[], str]) -> Results:
    """Every check, in the order a person would fix them."""
    routing, config = routing_check(target.routing_config_path, target.placeholders)
    checks = [routing, slo_check(target.slo_config_path)]
    channels = slack_channels(config, target.placeholders) if config is not None else []
    token_result, scopes = slack_token_check(token, slack, target.slack_token_secret)
    checks.append(token_result)
    if scopes is None:
        checks += slack_not_checked(channels)
    else:
        checks.append(
            slack_scopes_check(
                scopes,
                target.slack_token_secret,
                usergroups=target.uses_usergroups,
                usergroup_updates=any(s.slack_usergroup for s in getattr(config, "schedules", ())),
                graphs=target.draws_graphs,
            )
        )
        checks += [slack_channel_check(slack, c) for c in channels]
    checks += sms_checks(target, aws, sms_recipients(config) if config is not None else {})
    checks.append(
        queue_check(aws.client("sqs"), "ingest queue", target.ingest_queue_url, redrives_to=target.dlq_url)
    )
    if target.storm_queue_url:
        checks.append(
            queue_check(aws.client("sqs"), "storm queue", target.storm_queue_url, redrives_to=target.dlq_url)
        )
    checks.append(queue_check(aws.client("sqs"), "DLQ", target.dlq_url))
    table, item = table_check(aws.client("dynamodb"), target.table_name)
    checks.append(table)
    if target.alarm_names:
        checks.append(alarms_check(aws.client("cloudwatch"), target.alarm_names))
    checks += [rule_check(aws.client("events"), r) for r in target.rule_names]
    return Results(checks, table.ok is True, item)


def sms_checks(target: Target, aws: Clients, named: Mapping[str, str]) -> list[Check]:
    if not target.sms_numbers_secret:
        if named:
            return [
                Check(
                    "SMS recipients",
                    False,
                    f"routing.yaml pages {', '.join(named)} but SMS is not set up",
                    'deploy with SmsNumbersSecretName naming a secret {"name": "+<number>", ...}',
                )
            ]
        return [Check("SMS", True, "not used (no SMS numbers secret, no sms in routing.yaml)")]
    failed, numbers = sms_numbers(aws.client("secretsmanager"), target.sms_numbers_secret)
    if failed is not None or numbers is None:
        return [failed] if failed else []
    sns = aws.client("sns")
    return [
        sms_recipients_check(named, numbers, target.sms_numbers_secret),
        sms_format_check(numbers, target.sms_numbers_secret),
        sms_sandbox_check(sns, numbers),
        sms_spend_check(sns),
    ]


def regressions(previous: Mapping[str, bool | None], checks: Iterable[Check]) -> list[Check]:
    """The checks that passed last time and fail now (a check failing since its first run is not one)."""
    return [c for c in checks if c.ok is False and previous.get(c.name) is True]


def summary(checks: list[Check]) -> str:
    failed = sum(1 for c in checks if c.ok is False)
    unknown = sum(1 for c in checks if c.ok is None)
    passed = len(checks) - failed - unknown
    # (worded so that no test runner's closing-line reader takes it for a test count)
    return f"checks: {passed} ok, {failed} failing, {unknown} could not be checked"


# ---- the scheduled run's memory: what passed last time ----


def previous_results(item: Mapping[str, Any] | None) -> dict[str, bool | None]:
    """check name -> ok, from the preflight item the table read returned (empty before the first run)."""
    if not item or "results" not in item:
        return {}
    return {str(k): v for k, v in json.loads(item["results"]["S"]).items()}


def save_results(dynamodb: Any, table: str, checks: Iterable[Check], at_s: int) -> None:
    results = json.dumps({c.name: c.ok for c in checks}, sort_keys=True)
    dynamodb.put_item(
        TableName=table, Item={**PREFLIGHT_KEY, "results": {"S": results}, "at": {"N": str(at_s)}}
    )

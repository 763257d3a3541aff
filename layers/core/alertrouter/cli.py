"""`alertrouter`: see, without AWS, what the router would do with an event (like amtool's routes test)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alertrouter import amtool
from alertrouter.cli_dashboards import add_dashboard_command
from alertrouter.cli_heartbeats import add_heartbeat_command
from alertrouter.cli_oncall import add_oncall_parser
from alertrouter.cli_silences import add_silence_actions, epoch_ms, silence_command
from alertrouter.cli_spokes import add_spokes_command
from alertrouter.config import ConfigError, config_version, deprecations, load_config
from alertrouter.models.alert import Status
from alertrouter.models.config import RoutingConfig
from alertrouter.models.state import AlertState, GroupState, Member
from alertrouter.notify.preview import render_text
from alertrouter.notify.render import group_status, render_group, render_sms
from alertrouter.notify.wording import Wording
from alertrouter.routing.tree import group_identity, group_key, match_routes
from alertrouter.sources import MalformedEventError, ParseResult, parse_body

if TYPE_CHECKING:
    from alertrouter.sources.mute_schedule import MuteRule
    from alertrouter.store.base import Stores
    from alertrouter.store.dynamodb import DynamoDBStore

DEFAULT_CONFIG = "config/routing.yaml"


def _placeholders() -> dict[str, str]:
    return {
        "DEFAULT_SLACK_CHANNEL": os.environ.get("DEFAULT_SLACK_CHANNEL", "#alerts"),
        "ACCOUNT_LABEL": os.environ.get("ACCOUNT_LABEL", ""),
    }


def simulate(parsed: ParseResult, config: RoutingConfig) -> dict[str, Any]:
    """Route every alert and build each group's first message, as the router would post it."""
    groups: dict[str, GroupState] = {}
    alerts_out = []
    for alert in parsed.alerts:
        state = AlertState.first(alert, alert.timestamp_ms)
        receivers: list[str] = []
        keys = []
        for route in match_routes(config, alert.labels):
            key, labels = group_identity(route, alert.labels)
            keys.append(key)
            if route.receiver not in receivers:
                receivers.append(route.receiver)
            group = groups.setdefault(
                key, GroupState(key=key, route_id=route.id, receiver=route.receiver, group_labels=labels)
            )
            group.members[alert.fingerprint] = Member.of(state)
        alerts_out.append(
            {
                "fingerprint": alert.fingerprint,
                "source": alert.source,
                "status": alert.status.value,
                "severity": alert.severity.value,
                "title": alert.title,
                "labels": alert.labels,
                "receivers": receivers,
                "groups": keys,
            }
        )
    messages = []
    for group in groups.values():
        receiver = config.receiver(group.receiver)
        entry: dict[str, Any] = {
            "group": group.key,
            "receiver": receiver.name,
            "route": group.route_id,
            "slack": [],
            "sms": [],
        }
        messages.append(entry)
        if group_status(group) == Status.RESOLVED:
            # as the router: a group that was never announced says nothing about a problem that is over
            entry["note"] = "nothing is sent: every alert in this group is resolved and was never announced"
            continue
        message = render_group(group, max(m.ts_ms for m in group.members.values()), Wording(config.messages))
        entry["slack"] = [
            {"channel": t.channel, "text": message.text, "attachments": message.attachments}
            for t in receiver.slack
        ]
        pages = [
            m
            for m in group.members.values()
            if m.status == Status.FIRING and m.severity in receiver.sms_severities
        ]
        if pages:
            text = render_sms(pages, os.environ.get("ACCOUNT_LABEL", ""))
            entry["sms"] = [{"to": name, "text": text} for name in receiver.sms]
    return {
        "alerts": alerts_out,
        "ignored": [{"reason": i.reason} for i in parsed.ignored],
        "messages": messages,
    }


def _print_human(result: dict[str, Any]) -> None:
    colour = sys.stdout.isatty()
    for alert in result["alerts"]:
        print(
            f"● {alert['status'].upper():8} {alert['severity']:8} {alert['title']}  [{alert['fingerprint']}]"
        )
        labels = ", ".join(f"{k}={v}" for k, v in sorted(alert["labels"].items()))
        print(f"    labels: {labels}")
        print(f"    receivers: {', '.join(alert['receivers'])}")
    for ignored in result["ignored"]:
        print(f"○ ignored: {ignored['reason']}")
    for message in result["messages"]:
        if message.get("note"):
            print(f"\n── receiver {message['receiver']}: {message['note']}")
        for slack in message["slack"]:
            print(f"\n── Slack {slack['channel']} (receiver {message['receiver']}, route {message['route']})")
            print(render_text(slack["text"], slack["attachments"], colour=colour, indent="  "))
        for sms in message["sms"]:
            print(f"\n── SMS to {sms['to']} ({len(sms['text'])} chars)\n  {sms['text']}")


def cmd_route(args: argparse.Namespace) -> int:
    path = Path(args.event_file)
    try:
        body = path.read_bytes()
    except OSError as exc:
        print(f"alertrouter: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        config = load_config(args.config, _placeholders())
        parsed = parse_body(body)
    except (ConfigError, MalformedEventError) as exc:
        print(
            f"alertrouter: {path}: {exc}" if isinstance(exc, MalformedEventError) else f"alertrouter: {exc}",
            file=sys.stderr,
        )
        return 2
    result = simulate(parsed, config)
    if args.json:
        json.dump(result, sys.stdout, indent=2, sort_keys=False)
        print()
    else:
        _print_human(result)
    return 0


def cmd_check_config(args: argparse.Namespace) -> int:
    """Validate the file as the Lambda loads it; with --samconfig, with that deploy's placeholder values, and
    warn (on stderr, exit 0) of channels and SMS recipients the deploy does not know."""
    from alertrouter import buildcheck

    if args.file:
        args.config = args.file
    parameters = buildcheck.stack_parameters(Path(args.samconfig), args.config_env) if args.samconfig else {}
    try:
        config = load_config(
            args.config, buildcheck.placeholders(parameters) if args.samconfig else _placeholders()
        )
    except ConfigError as exc:
        print(f"alertrouter: {exc}", file=sys.stderr)
        return 2
    for warning in buildcheck.warnings(config, parameters, args.config_env) if args.samconfig else ():
        print(f"alertrouter: warning: {warning}", file=sys.stderr)
    for deprecated in deprecations(args.config):
        print(f"alertrouter: warning: {deprecated}", file=sys.stderr)
    print(f"{args.config}: OK ({len(config.receivers)} receivers), version {config_version(args.config)}")
    return 0


def cmd_config_routes(args: argparse.Namespace) -> int:
    """`config routes show` / `config routes test`, printing what amtool prints."""
    try:
        config = load_config(args.config, _placeholders())
    except ConfigError as exc:
        print(f"alertrouter: {exc}", file=sys.stderr)
        return 2
    if args.action == "show":
        print(amtool.routes_show(config))
        return 0
    try:
        labels = amtool.parse_labels(args.labels)
    except ValueError as exc:
        print(f"alertrouter: {exc}", file=sys.stderr)
        return 2
    text, code = amtool.routes_test(config, labels, args.verify)
    print(text, end="")
    return code


def _history_line(entry: dict[str, Any]) -> str:
    when = datetime.fromtimestamp(entry["at_ms"] / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    kind = entry.get("kind", "?")
    if kind == "sms":
        what = f"SMS to {entry.get('to')}: {', '.join(entry.get('titles', []))}"
    elif kind in ("ack", "unack", "resolve"):
        verb = {"ack": "acknowledged", "unack": "unacknowledged", "resolve": "resolved by hand"}[kind]
        what = f"{verb} by {entry.get('user')}"
    elif kind == "silence":
        what = f"silenced by {entry.get('user')}: {entry.get('matchers')} (silence {entry.get('silence')})"
    elif kind == "escalation":
        what = f"not acknowledged: SMS to {entry.get('to')} (step {entry.get('step')})"
    elif kind == "muted":
        what = f"{len(entry.get('alerts', []))} alert(s) held back: {'; '.join(entry.get('reasons', []))}"
    elif kind == "unmuted":
        what = f"{len(entry.get('alerts', []))} alert(s) no longer held back"
    elif kind == "sms_queued":
        what = f"SMS to {entry.get('to')} waits for the next minute (paced)"
    elif kind == "reminder":
        what = f"reminder: still firing, acknowledged by {entry.get('ack_by')}"
    elif kind.startswith("webhook"):
        what = _webhook_line(kind, entry)
    elif kind.startswith("graph"):
        what = _graph_line(kind, entry)
    else:
        what = f"{entry.get('channel', '')} {entry.get('text', '')}"
        if entry.get("thread"):
            what += "  ↳ " + " | ".join(entry["thread"])
    return f"{when}  {kind:<12} {what}"


def _graph_line(kind: str, entry: dict[str, Any]) -> str:
    if kind == "graph_failed":
        return f"graph not shown: {entry.get('reason', '?')} {entry.get('detail', '')}".rstrip()
    if kind == "graph_resolved_posted":
        return f"{entry.get('channel', '')} a fresh graph in the thread"
    return f"graph shown in the message (file {entry.get('file', '?')})"


def _webhook_line(kind: str, entry: dict[str, Any]) -> str:
    hook = entry.get("webhook", "?")
    if kind == "webhook":
        cut = f" ({entry['truncated']} more left out)" if entry.get("truncated") else ""
        return f"{hook}: {entry.get('status')}, {entry.get('alerts')} alert(s){cut}"
    verb = {"webhook_failed": "fails", "webhook_healed": "takes messages again after"}.get(kind, kind)
    return f"{hook} {verb} {entry.get('cause', '')}"


def _table_store(args: argparse.Namespace) -> DynamoDBStore | None:
    """The deployed stack's state table (or a local endpoint's); None, said on stderr, without a name."""
    import botocore.session

    from alertrouter.store.dynamodb import DynamoDBStore

    if not args.table:
        print("alertrouter: name the state table with --table (or TABLE_NAME)", file=sys.stderr)
        return None
    client: Any = botocore.session.get_session().create_client(
        "dynamodb", region_name=args.region or None, endpoint_url=args.endpoint_url or None
    )
    return DynamoDBStore(args.table, client)


def _stores(args: argparse.Namespace) -> Stores | None:
    """The state table as its aggregates (see `_table_store`)."""
    table = _table_store(args)
    return None if table is None else table.stores()


def cmd_history(args: argparse.Namespace) -> int:
    """What was sent for a group (or for every group of an alert fingerprint), from the state table."""
    stores = _stores(args)
    if stores is None:
        return 2
    keys = [args.key]
    state = stores.alerts.get_alert(args.key)
    if state is not None:  # a fingerprint: its groups are where its routes put it
        try:
            config = load_config(args.config, _placeholders())
        except ConfigError as exc:
            print(f"alertrouter: {exc}", file=sys.stderr)
            return 2
        keys = [group_key(route, state.labels) for route in match_routes(config, state.labels)]
    entries = [{"group": key, **entry} for key in keys for entry in stores.history.history(key, args.limit)]
    entries.sort(key=lambda e: e["at_ms"])
    if args.json:
        json.dump({"keys": keys, "history": entries}, sys.stdout, indent=2, default=str)
        print()
    elif not entries:
        print(f"no history for {args.key} (a group key, or an alert fingerprint)")
    else:
        for entry in entries:
            print(_history_line(entry))
    return 0


def cmd_silence(args: argparse.Namespace) -> int:
    """`silence add|list|expire` (cli_silences.py), against the state table."""
    table = _table_store(args)
    if table is None:
        return 2
    return silence_command(
        args,
        table.stores(),
        lambda: load_config(args.config, _placeholders()),
        table.held_back,
        _mute_rules(args),
    )


def _mute_rules(args: argparse.Namespace) -> Callable[[], tuple[list[MuteRule], list[str]]]:
    """The account's alarm mute rules, read when `silence list --mute-rules` asks (in --region)."""

    def read() -> tuple[list[MuteRule], list[str]]:
        import botocore.session

        from alertrouter.mute_rules import every_rule

        client: Any = botocore.session.get_session().create_client(
            "cloudwatch",
            region_name=args.region or None,
            endpoint_url=getattr(args, "cloudwatch_endpoint_url", "") or None,
        )
        return every_rule(client)

    return read


def cmd_slo(args: argparse.Namespace) -> int:
    """`slo validate FILE`, `slo evaluate FILE [--at TIME]`, `slo test FILE`."""
    from alertrouter.slo.loader import SloError, load_slo_file

    try:
        if args.action == "test":
            from alertrouter.slo.testing import run_test_file

            outcomes = run_test_file(args.file)
            for outcome in outcomes:
                print(
                    f"{'PASS' if outcome.passed else 'FAIL'}  {outcome.name}"
                    + ("" if outcome.passed else "\n      " + outcome.message.replace("\n", "\n      "))
                )
            failed = sum(1 for o in outcomes if not o.passed)
            print(f"{len(outcomes) - failed} passed, {failed} failed")
            return 1 if failed else 0
        slos = load_slo_file(args.file)
    except SloError as exc:
        for problem in exc.problems:
            print(f"alertrouter: {problem}", file=sys.stderr)
        return 2
    if args.action == "validate":
        for slo in slos:
            rules = ", ".join(f"{r.name} > {float(r.threshold):g}" for r in slo.rules)
            window = f"{slo.time_window.duration} {'rolling' if slo.time_window.rolling else 'calendar'}"
            print(
                f"{slo.name}: {float(slo.target) * 100:g}% over {window}, {slo.budgeting.value}; rules: {rules}"
            )
            print(f"  {_slo_reads(slo)}")
        print(f"{args.file}: OK ({len(slos)} SLOs)")
        return 0
    return _slo_evaluate(args, slos)


def _slo_reads(slo: Any) -> str:
    """What an SLO reads, and what CloudWatch bills per read of it (Metrics Insights: at least)."""
    from alertrouter.slo.compiled import MetricsInsightsQuery

    parts = "; ".join(f"{part}: {metric.describe()}" for part, metric in slo.sli_metrics().items())
    if slo.threshold is not None:
        parts += f", {slo.threshold.describe()} (each data point an event)"
    at_least = any(isinstance(m, MetricsInsightsQuery) for m in slo.sli_metrics().values())
    billed = slo.billed_metrics
    text = (
        f"reads {parts}; {'at least ' if at_least else ''}{billed} metric{'s' * (billed != 1)} billed per run"
    )
    if at_least and slo.nominal_period > MetricsInsightsQuery.max_age:
        text += (
            f"; Metrics Insights reads at most the last {MetricsInsightsQuery.max_age.days} days: a first "
            f"evaluation sees only those of the {slo.time_window.duration} period"
        )
    return text


def _slo_evaluate(args: argparse.Namespace, slos: list[Any]) -> int:
    """Evaluate against the account's CloudWatch (or a local endpoint), reading each SLO's whole period."""
    import botocore.session

    from alertrouter.slo.alerts import describe
    from alertrouter.slo.evaluator import Evaluator
    from alertrouter.slo.rules import format_duration

    try:
        at = epoch_ms(args.at) // 1000 if args.at else int(time.time())
    except ValueError as exc:
        print(f"alertrouter: --at: {exc}", file=sys.stderr)
        return 2
    session = botocore.session.get_session()
    clients: dict[str | None, Any] = {}

    def cloudwatch_in(region: str | None) -> Any:
        """A client per region an SLO names (None: --region, else the configured one)."""
        if region not in clients:
            clients[region] = session.create_client(
                "cloudwatch",
                region_name=region or args.region or None,
                endpoint_url=args.endpoint_url or None,
            )
        return clients[region]

    evaluator = Evaluator(slos, lambda name: None, lambda state: None, cloudwatch_in)
    reports = evaluator.run(at)
    for report in reports:
        left = "no data" if report.remaining is None else f"{float(report.remaining) * 100:.2f}%"
        burns = "  ".join(
            f"{format_duration(w)} {'-' if b is None else f'{float(b):.4g}'}"
            for w, b in sorted(report.burns.items())
        )
        print(f"{report.slo.name}: budget left {left}; burn {burns}")
        for result in report.results:
            state = (
                "FIRING"
                if result.firing
                else ("suppressed" if result.suppressed else (result.reason or "ok"))
            )
            print(f"  {result.rule.name:<22} {state}")
            if result.firing:
                print(f"    {describe(report, result)}")
    print(
        f"GetMetricData calls: {evaluator.calls}, metrics requested: {evaluator.metrics} "
        f"({evaluator.metrics / max(1, len(slos)):.1f} per SLO; a first evaluation reads the whole period)"
    )
    return 0


def stack_target(cloudformation: Any, stack: str, routing: str, slo: str) -> Any:
    """A deployed stack's resources and parameters (CloudFormation's record of them), as preflight's Target."""
    from alertrouter.preflight import Target

    [described] = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    parameters = {
        p["ParameterKey"]: str(p.get("ResolvedValue", p.get("ParameterValue", "")))
        for p in described.get("Parameters", [])
    }
    resources: dict[str, tuple[str, str]] = {}
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack):
        for r in page["StackResourceSummaries"]:
            resources[r["LogicalResourceId"]] = (str(r.get("PhysicalResourceId", "")), r["ResourceType"])

    def physical(logical: str) -> str:
        return resources.get(logical, ("", ""))[0]

    def of_type(kind: str) -> tuple[str, ...]:
        return tuple(sorted(name for name, rtype in resources.values() if rtype == kind and name))

    return Target(
        table_name=physical("StateTable"),
        ingest_queue_url=physical("IngestQueue"),
        storm_queue_url=physical("StormQueue"),
        dlq_url=physical("IngestDLQ"),
        slack_token_secret=parameters.get("SlackTokenSecretName", ""),
        sms_numbers_secret=parameters.get("SmsNumbersSecretName", ""),
        routing_config_path=routing,
        slo_config_path=slo,
        placeholders={
            "DEFAULT_SLACK_CHANNEL": parameters.get("DefaultSlackChannel", "#alerts"),
            "ACCOUNT_LABEL": parameters.get("AccountLabel", ""),
        },
        rule_names=of_type("AWS::Events::Rule"),
        alarm_names=of_type("AWS::CloudWatch::Alarm"),
        uses_usergroups=bool(parameters.get("AllowedSlackUserGroupIds", "").strip()),
        draws_graphs=parameters.get("SlackGraphs", "true").strip() == "true",  # (the template's default)
    )


def doctor(target: Any, clients: Any, slack_api_url: str) -> int:
    """Run every preflight check, one line each, then a summary; 1 if any failed."""
    from alertrouter.aws import SecretCache
    from alertrouter.notify.slack import SlackClient
    from alertrouter.preflight import run_checks, summary

    secrets = SecretCache(lambda: clients.secretsmanager)

    def token() -> str:
        return secrets.get(target.slack_token_secret)

    checks = run_checks(target, clients, SlackClient(token, slack_api_url, min_interval=0), token).checks
    for check in checks:
        print(check.line())
    print(summary(checks))
    return 1 if any(c.ok is False for c in checks) else 0


def cmd_doctor(args: argparse.Namespace) -> int:
    """`doctor --stack NAME` against a deployed stack, or `doctor --local` against the demo's."""
    import botocore.session

    from alertrouter.aws import Clients

    if args.local:
        try:  # the one import of the support package (tests/support): only a checkout's dev install has it
            from support.local_doctor import local_doctor
        except ImportError:
            print(
                "alertrouter: --local needs the project's checkout (tests/support, pip install -e .)",
                file=sys.stderr,
            )
            return 2

        with local_doctor() as local:
            print(f"local stack on {local.endpoint}, Slack stand-in on {local.slack.url}")
            return doctor(local.target, Clients(local.session), local.slack.url)
    if not args.stack:
        print("alertrouter: name the deployed stack with --stack (or use --local)", file=sys.stderr)
        return 2
    session = botocore.session.get_session()
    if args.region:
        session.set_config_variable("region", args.region)
    clients = Clients(session)
    target = stack_target(clients.client("cloudformation"), args.stack, args.routing_config, args.slo_config)
    return doctor(target, clients, args.slack_api_url)


def _table_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--table", default=os.environ.get("TABLE_NAME", ""), help="the stack's StateTableName"
    )
    parser.add_argument(
        "--region", default=os.environ.get("AWS_REGION", os.environ.get("AWS_DEFAULT_REGION", ""))
    )
    parser.add_argument(
        "--endpoint-url",
        default=os.environ.get("AWS_ENDPOINT_URL", ""),
        help="a local endpoint (moto server in the demo)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="alertrouter", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    route = sub.add_parser("route", help="show the alerts in an event file, where they go, and the messages")
    route.add_argument("event_file")
    route.add_argument("--config", default=os.environ.get("ROUTING_CONFIG_PATH", DEFAULT_CONFIG))
    route.add_argument("--json", action="store_true", help="print one JSON object")
    route.set_defaults(func=cmd_route)
    check = sub.add_parser("check-config", help="validate a routing config file (an alertmanager.yml too)")
    check.add_argument("--config", default=os.environ.get("ROUTING_CONFIG_PATH", DEFAULT_CONFIG))
    check.add_argument(
        "file", nargs="?", help="the file, as `amtool check-config FILE` takes it (or --config)"
    )
    check.add_argument(
        "--samconfig",
        help="take the placeholders from this samconfig.toml's deploy parameters "
        "and warn of names that deploy does not know",
    )
    check.add_argument("--config-env", default="default", help="the samconfig environment (default: default)")
    check.set_defaults(func=cmd_check_config)
    config_parser = sub.add_parser("config", help="amtool's `config routes show` and `config routes test`")
    config_sub = config_parser.add_subparsers(dest="what", required=True)
    routes = config_sub.add_parser("routes", help="the route tree, or where labels are routed (as amtool)")
    routes_sub = routes.add_subparsers(dest="action", required=True)
    for name, helptext in (("show", "draw the route tree"), ("test", "the receivers labels are routed to")):
        action = routes_sub.add_parser(name, help=helptext)
        action.add_argument(
            "--config",
            "--config.file",
            dest="config",
            default=os.environ.get("ROUTING_CONFIG_PATH", DEFAULT_CONFIG),
        )
        if name == "test":
            action.add_argument(
                "--verify.receivers", dest="verify", help="exit 1 unless these (a,b) are reached"
            )
            action.add_argument("labels", nargs="*", metavar="LABEL=VALUE")
    routes.set_defaults(func=cmd_config_routes)
    history = sub.add_parser("history", help="what was sent for a group or an alert (from the state table)")
    history.add_argument(
        "key", help="a group key (a Slack button's value before ':') or an alert fingerprint"
    )
    _table_args(history)
    history.add_argument("--config", default=os.environ.get("ROUTING_CONFIG_PATH", DEFAULT_CONFIG))
    history.add_argument("--limit", type=int, default=100)
    history.add_argument("--json", action="store_true")
    history.set_defaults(func=cmd_history)
    silence = sub.add_parser("silence", help="add, list or expire silences (in the state table)")
    actions = silence.add_subparsers(dest="action", required=True)
    add_silence_actions(actions, _table_args)
    silence.set_defaults(func=cmd_silence)
    add_oncall_parser(sub, _placeholders, _table_args, _table_store)
    add_heartbeat_command(sub, _table_args, _table_store)
    add_spokes_command(sub, _table_args, _table_store)
    slo = sub.add_parser("slo", help="validate, evaluate and test SLO definitions (OpenSLO v1)")
    slo_actions = slo.add_subparsers(dest="action", required=True)
    slo_validate = slo_actions.add_parser("validate", help="check an SLO file and show its rules")
    slo_evaluate = slo_actions.add_parser("evaluate", help="burn rates and firing rules now (or --at)")
    slo_evaluate.add_argument("--at", help="ISO 8601 time to evaluate at (default: now)")
    slo_evaluate.add_argument(
        "--region", default=os.environ.get("AWS_REGION", os.environ.get("AWS_DEFAULT_REGION", ""))
    )
    slo_evaluate.add_argument(
        "--endpoint-url",
        default=os.environ.get("AWS_ENDPOINT_URL", ""),
        help="a local endpoint (moto server in the demo)",
    )
    slo_test = slo_actions.add_parser(
        "test", help="run rule tests (counts per window -> expected firing rules)"
    )
    for each in (slo_validate, slo_evaluate, slo_test):
        each.add_argument("file")
    slo.set_defaults(func=cmd_slo)
    doctor_parser = sub.add_parser(
        "doctor", help="check what an alarm will need: Slack, SMS, the stack, the config"
    )
    where = doctor_parser.add_mutually_exclusive_group()
    where.add_argument("--stack", help="the deployed stack's name")
    where.add_argument(
        "--local", action="store_true", help="the demo's stack on loopback (moto, Slack stand-in)"
    )
    doctor_parser.add_argument(
        "--region", default=os.environ.get("AWS_REGION", os.environ.get("AWS_DEFAULT_REGION", ""))
    )
    doctor_parser.add_argument(
        "--routing-config", default=DEFAULT_CONFIG, help="the routing file the stack ships"
    )
    doctor_parser.add_argument(
        "--slo-config", default="config/slos.yaml", help="the SLO file the stack ships"
    )
    doctor_parser.add_argument("--slack-api-url", default="https://slack.com/api/", help=argparse.SUPPRESS)
    doctor_parser.set_defaults(func=cmd_doctor)
    add_dashboard_command(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except BrokenPipeError:  # `alertrouter route x.json | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())

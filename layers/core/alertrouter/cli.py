"""`alertrouter`: see, without AWS, what the router would do with an event (like amtool's routes test)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alertrouter.config import ConfigError, load_config
from alertrouter.models.config import RoutingConfig
from alertrouter.models.state import AlertState, GroupState, Member
from alertrouter.notify.preview import render_text
from alertrouter.notify.render import group_status, render_group, render_sms
from alertrouter.routing.tree import group_identity, group_key, match_routes
from alertrouter.sources import MalformedEventError, ParseResult, parse_body

DEFAULT_CONFIG = "config/routing.yaml"


def _placeholders() -> dict[str, str]:
    return {"DEFAULT_SLACK_CHANNEL": os.environ.get("DEFAULT_SLACK_CHANNEL", "#alerts"),
            "ACCOUNT_LABEL": os.environ.get("ACCOUNT_LABEL", "")}


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
            group = groups.setdefault(key, GroupState(key=key, route_id=route.id, receiver=route.receiver,
                                                      group_labels=labels))
            group.members[alert.fingerprint] = Member.of(state)
        alerts_out.append({
            "fingerprint": alert.fingerprint, "source": alert.source, "status": alert.status.value,
            "severity": alert.severity.value, "title": alert.title, "labels": alert.labels,
            "receivers": receivers, "groups": keys,
        })
    messages = []
    for group in groups.values():
        receiver = config.receiver(group.receiver)
        entry: dict[str, Any] = {"group": group.key, "receiver": receiver.name, "route": group.route_id,
                                 "slack": [], "sms": []}
        messages.append(entry)
        if group_status(group) == "resolved":
            # as the router: a group that was never announced says nothing about a problem that is over
            entry["note"] = "nothing is sent: every alert in this group is resolved and was never announced"
            continue
        message = render_group(group, max(m.ts_ms for m in group.members.values()))
        entry["slack"] = [{"channel": t.channel, "text": message.text, "attachments": message.attachments}
                          for t in receiver.slack]
        pages = [m for m in group.members.values() if m.status == "firing" and m.severity in receiver.sms_severities]
        if pages:
            text = render_sms(pages, os.environ.get("ACCOUNT_LABEL", ""))
            entry["sms"] = [{"to": name, "text": text} for name in receiver.sms]
    return {"alerts": alerts_out, "ignored": [{"reason": i.reason} for i in parsed.ignored], "messages": messages}


def _print_human(result: dict[str, Any]) -> None:
    colour = sys.stdout.isatty()
    for alert in result["alerts"]:
        print(f"● {alert['status'].upper():8} {alert['severity']:8} {alert['title']}  [{alert['fingerprint']}]")
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
        print(f"alertrouter: {path}: {exc}" if isinstance(exc, MalformedEventError) else f"alertrouter: {exc}",
              file=sys.stderr)
        return 2
    result = simulate(parsed, config)
    if args.json:
        json.dump(result, sys.stdout, indent=2, sort_keys=False)
        print()
    else:
        _print_human(result)
    return 0


def cmd_check_config(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config, _placeholders())
    except ConfigError as exc:
        print(f"alertrouter: {exc}", file=sys.stderr)
        return 2
    print(f"{args.config}: OK ({len(config.receivers)} receivers)")
    return 0


def _history_line(entry: dict[str, Any]) -> str:
    when = datetime.fromtimestamp(entry["at_ms"] / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    kind = entry.get("kind", "?")
    if kind == "sms":
        what = f"SMS to {entry.get('to')}: {', '.join(entry.get('titles', []))}"
    elif kind in ("ack", "unack"):
        what = f"{'acknowledged' if kind == 'ack' else 'unacknowledged'} by {entry.get('user')}"
    else:
        what = f"{entry.get('channel', '')} {entry.get('text', '')}"
        if entry.get("thread"):
            what += "  ↳ " + " | ".join(entry["thread"])
    return f"{when}  {kind:<12} {what}"


def cmd_history(args: argparse.Namespace) -> int:
    """What was sent for a group (or for every group of an alert fingerprint), from the state table."""
    import botocore.session

    from alertrouter.store.dynamodb import DynamoDBStore

    if not args.table:
        print("alertrouter: name the state table with --table (or TABLE_NAME)", file=sys.stderr)
        return 2
    client: Any = botocore.session.get_session().create_client(
        "dynamodb", region_name=args.region or None, endpoint_url=args.endpoint_url or None)
    store = DynamoDBStore(args.table, client)
    keys = [args.key]
    state = store.get_alert(args.key)
    if state is not None:  # a fingerprint: its groups are where its routes put it
        try:
            config = load_config(args.config, _placeholders())
        except ConfigError as exc:
            print(f"alertrouter: {exc}", file=sys.stderr)
            return 2
        keys = [group_key(route, state.labels) for route in match_routes(config, state.labels)]
    entries = [{"group": key, **entry} for key in keys for entry in store.history(key, args.limit)]
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="alertrouter", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    route = sub.add_parser("route", help="show the alerts in an event file, where they go, and the messages")
    route.add_argument("event_file")
    route.add_argument("--config", default=os.environ.get("ROUTING_CONFIG_PATH", DEFAULT_CONFIG))
    route.add_argument("--json", action="store_true", help="print one JSON object")
    route.set_defaults(func=cmd_route)
    check = sub.add_parser("check-config", help="validate a routing config file")
    check.add_argument("--config", default=os.environ.get("ROUTING_CONFIG_PATH", DEFAULT_CONFIG))
    check.set_defaults(func=cmd_check_config)
    history = sub.add_parser("history", help="what was sent for a group or an alert (from the state table)")
    history.add_argument("key", help="a group key (a Slack button's value before ':') or an alert fingerprint")
    history.add_argument("--table", default=os.environ.get("TABLE_NAME", ""), help="the stack's StateTableName")
    history.add_argument("--region", default=os.environ.get("AWS_REGION", os.environ.get("AWS_DEFAULT_REGION", "")))
    history.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL", ""),
                         help="a local endpoint (moto server in the demo)")
    history.add_argument("--config", default=os.environ.get("ROUTING_CONFIG_PATH", DEFAULT_CONFIG))
    history.add_argument("--limit", type=int, default=100)
    history.add_argument("--json", action="store_true")
    history.set_defaults(func=cmd_history)
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

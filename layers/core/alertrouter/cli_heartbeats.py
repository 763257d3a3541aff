"""`alertrouter heartbeat add|list|pause|resume|remove|token|apply`: heartbeat checks (dead man's switches) in
the state table. A check's token is printed once, when it is made or rotated; the table keeps its hash only.

Pausing a down check resolves its alert: the event is stored with the check's state and sent by the
escalator's next sweep (within a minute), so the CLI needs no access to the router's queue."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from alertrouter.config import ConfigError, load_config
from alertrouter.heartbeat_ledger import store_transition
from alertrouter.models.heartbeat import CheckKind, HeartbeatCheck, HeartbeatRecord, HeartbeatStatus
from alertrouter.notify.render import utc_text
from alertrouter.oncall.heartbeat import (
    deadline_ms,
    expected_ms,
    expected_text,
    new_token,
    pause,
    resume,
    status_at,
)
from alertrouter.store.base import HeartbeatStore

clock: Callable[[], float] = time.time
StoreOf = Callable[[argparse.Namespace], HeartbeatStore | None]


def add_heartbeat_command(
    sub: Any, table_args: Callable[[argparse.ArgumentParser], None], store_of: StoreOf
) -> None:
    """The `heartbeat` command, its actions and their options."""
    heartbeat = sub.add_parser("heartbeat", help="heartbeat checks (dead man's switches) in the state table")
    actions = heartbeat.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add a check; prints its token (once) and how to ping it")
    add.add_argument("name")
    schedule = add.add_mutually_exclusive_group(required=True)
    schedule.add_argument("--period", help="a ping expected every PERIOD (e.g. 5m, 1h, 1d)")
    schedule.add_argument("--cron", help="a ping expected at each tick, e.g. '0 2 * * *' (in --tz)")
    add.add_argument("--tz", default="UTC", help="the zone --cron is read in (an IANA name; default UTC)")
    add.add_argument("--grace", default="1h", help="how late a ping may be before the check is down (1h)")
    add.add_argument("--label", action="append", default=[], metavar="K=V", help="a label of its alert")
    add.add_argument("--description", default="")
    listing = actions.add_parser("list", help="every check: status, last ping, next deadline")
    listing.add_argument("--json", action="store_true")
    names: dict[str, argparse.ArgumentParser] = {
        "pause": actions.add_parser("pause", help="never alert (a down check's alert resolves)"),
        "resume": actions.add_parser("resume", help="watch a paused check again from its next ping"),
        "remove": actions.add_parser("remove", help="forget a check (pause a down one first)"),
        "token": actions.add_parser("token", help="rotate a check's token; prints the new one (once)"),
    }
    for parser in names.values():
        parser.add_argument("name")
    apply = actions.add_parser(
        "apply", help="upsert the routing config's `heartbeats:` (keeping their state); prints new tokens"
    )
    apply.add_argument("--config", default=os.environ.get("ROUTING_CONFIG_PATH", "config/routing.yaml"))
    for parser in (add, listing, apply, *names.values()):
        table_args(parser)
        parser.add_argument(
            "--ping-url",
            default=os.environ.get("HEARTBEAT_PING_URL", ""),
            help="the stack's HeartbeatPingUrl output (to print the ping command)",
        )
    heartbeat.set_defaults(func=lambda args: heartbeat_command(args, store_of(args)))


def heartbeat_command(args: argparse.Namespace, store: HeartbeatStore | None) -> int:
    if store is None:
        return 2
    now = int(clock() * 1000)
    try:
        if args.action == "add":
            return _add(args, store, now)
        if args.action == "apply":
            return _apply(args, store, now)
        if args.action == "list":
            return _list(args, store, now)
        record = store.heartbeat(args.name)
        if record is None:
            print(f"alertrouter: no heartbeat check {args.name!r}", file=sys.stderr)
            return 1
        return _one(args, store, record, now)
    except (ValueError, ValidationError, ConfigError) as exc:
        errors = exc.errors() if isinstance(exc, ValidationError) else [{"msg": str(exc)}]
        print("alertrouter: " + "; ".join(str(e["msg"]) for e in errors), file=sys.stderr)
        return 2


def _add(args: argparse.Namespace, store: HeartbeatStore, now: int) -> int:
    labels = dict(_label(text) for text in args.label)
    check = HeartbeatCheck.model_validate(
        {
            "name": args.name,
            "description": args.description,
            **({"period": args.period} if args.period else {"cron": args.cron, "tz": args.tz}),
            "grace": args.grace,
            "labels": labels,
        }
    )
    token, token_hash = new_token()
    if not store.add_heartbeat(check, token_hash, now):
        print(f"alertrouter: a heartbeat check {check.name!r} exists (remove it first)", file=sys.stderr)
        return 1
    print(f"added {check.name}: expected {expected_text(check)}, {args.grace} grace")
    _print_token(args, check.name, token)
    return 0


def _apply(args: argparse.Namespace, store: HeartbeatStore, now: int) -> int:
    config = load_config(
        args.config,
        {
            "DEFAULT_SLACK_CHANNEL": os.environ.get("DEFAULT_SLACK_CHANNEL", "#alerts"),
            "ACCOUNT_LABEL": os.environ.get("ACCOUNT_LABEL", ""),
        },
    )
    names = [c.name for c in config.heartbeats]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"{args.config}: heartbeats named twice: {', '.join(twice)}")
    for check in config.heartbeats:
        token, token_hash = new_token()
        if store.put_heartbeat_definition(check, token_hash, now):
            print(f"added {check.name}: expected {expected_text(check)}")
            if check.kind == CheckKind.PING:
                _print_token(args, check.name, token)
        else:
            print(f"updated {check.name}: expected {expected_text(check)} (state and token kept)")
    others = [
        r.check.name
        for r in store.heartbeats()
        if r.check.name not in names and r.check.kind != CheckKind.SPOKE  # (the hub's, `spokes list`)
    ]
    if others:
        print(f"not in {args.config} (kept; `heartbeat remove NAME` to drop): {', '.join(others)}")
    return 0


def _one(args: argparse.Namespace, store: HeartbeatStore, record: HeartbeatRecord, now: int) -> int:
    name = record.check.name
    if args.action == "token":
        token, token_hash = new_token()
        store.set_heartbeat_token(name, token_hash)
        print(f"rotated the token of {name}: the old one is refused from now on")
        _print_token(args, name, token)
        return 0
    if args.action == "remove":
        if record.state.status == HeartbeatStatus.DOWN:
            print(
                f"alertrouter: {name} is down: pause it first (its alert resolves on the next sweep)",
                file=sys.stderr,
            )
            return 1
        store.remove_heartbeat(name)
        print(f"removed {name}")
        return 0
    moved = pause(record.check, record.state, now) if args.action == "pause" else resume(record.state)
    if moved.state == record.state:
        print(f"{name} is {record.state.status.value}: nothing to do")
        return 0
    if store_transition(store, record, moved, now) is None:
        print(f"alertrouter: {name} changed meanwhile: try again", file=sys.stderr)
        return 1
    after = " (its alert resolves on the escalator's next sweep)" if moved.event is not None else ""
    print(f"{name} is {moved.state.status.value}{after}")
    return 0


def _list(args: argparse.Namespace, store: HeartbeatStore, now: int) -> int:
    records = store.heartbeats()
    rows = [_row(record, now) for record in records]
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        print()
        return 0
    if not rows:
        print("no heartbeat checks")
    for row in rows:
        print(
            f"{row['name']}  {row['status']:<8} last ping {row['last_ping'] or 'never'}; "
            f"next deadline {row['deadline'] or '-'}; expected {row['expected']}, {row['grace']} grace"
            + (f"  [{row['kind']}]" if row["kind"] != CheckKind.PING else "")
        )
    return 0


def _row(record: HeartbeatRecord, now: int) -> dict[str, Any]:
    check, state = record.check, record.state
    deadline = deadline_ms(check, state)
    late_from = expected_ms(check, state.last_ping_ms) if state.last_ping_ms is not None else None
    return {
        "name": check.name,
        "kind": check.kind.value,
        "status": status_at(check, state, now).value,
        "last_ping": utc_text(state.last_ping_ms) if state.last_ping_ms is not None else "",
        "expected_next": utc_text(late_from) if late_from is not None else "",
        "deadline": utc_text(deadline) if deadline is not None else "",
        "expected": expected_text(check),
        "grace": check.as_config().get("grace", "1h"),
        "labels": dict(check.labels),
    }


def _print_token(args: argparse.Namespace, name: str, token: str) -> None:
    url = (args.ping_url or "https://<HeartbeatPingUrl>/").rstrip("/")
    print(f"token (shown once, keep it secret): {token}")
    print(f"ping:  curl -fsS -X POST -H 'Authorization: Bearer <token>' {url}/ping/{name}")
    print(f"       ({url}/ping/{name}/start when a run begins, {url}/ping/{name}/fail when it fails)")


def _label(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"--label {text!r}: use KEY=VALUE")
    return key.strip(), value

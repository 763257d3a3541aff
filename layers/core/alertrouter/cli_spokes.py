"""`alertrouter spokes list|forget`: the hub's watches of its spoke accounts (heartbeat checks `spoke-<account
id>` of kind `spoke`, made when a spoke's first heartbeat arrives: alertrouter.spokes).

Forgetting a silent spoke resolves its SpokeSilent first: the watch is paused (the resolve is stored with it
and sent by the escalator's next sweep), and forgotten by the next `spokes forget`. A forgotten spoke that
beats again is watched again: stop its heartbeat schedule (or delete the spoke stack) first."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from typing import Any

from alertrouter.heartbeat_ledger import store_transition
from alertrouter.models.heartbeat import CheckKind, HeartbeatRecord, HeartbeatStatus
from alertrouter.notify.render import utc_text
from alertrouter.oncall.heartbeat import pause, status_at
from alertrouter.sources.spoke import WATCH_PREFIX
from alertrouter.store.base import HeartbeatStore

clock: Callable[[], float] = time.time
StoreOf = Callable[[argparse.Namespace], HeartbeatStore | None]


def add_spokes_command(
    sub: Any, table_args: Callable[[argparse.ArgumentParser], None], store_of: StoreOf
) -> None:
    """The `spokes` command and its actions."""
    spokes = sub.add_parser("spokes", help="the hub's watches of its spoke accounts (their heartbeats)")
    actions = spokes.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="every spoke: account, last heartbeat, state")
    listing.add_argument("--json", action="store_true")
    forget = actions.add_parser(
        "forget", help="stop watching a spoke account (a silent one's alert resolves)"
    )
    forget.add_argument("account", help="the spoke's 12-digit AWS account id")
    for parser in (listing, forget):
        table_args(parser)
    spokes.set_defaults(func=lambda args: spokes_command(args, store_of(args)))


def spokes_command(args: argparse.Namespace, store: HeartbeatStore | None) -> int:
    if store is None:
        return 2
    now = int(clock() * 1000)
    if args.action == "list":
        return _list(args, store, now)
    if not re.fullmatch(r"\d{12}", args.account):
        print(f"alertrouter: {args.account[:40]!r} is not a 12-digit AWS account id", file=sys.stderr)
        return 2
    record = store.heartbeat(f"{WATCH_PREFIX}{args.account}")
    if record is None or record.check.kind != CheckKind.SPOKE:
        print(f"alertrouter: no spoke {args.account} is watched", file=sys.stderr)
        return 1
    return _forget(store, record, now)


def _forget(store: HeartbeatStore, record: HeartbeatRecord, now: int) -> int:
    account = record.check.labels.get("account", record.check.name.removeprefix(WATCH_PREFIX))
    if record.state.outbox is not None:
        print(
            f"alertrouter: spoke {account}'s last change is not sent yet: try again in a minute",
            file=sys.stderr,
        )
        return 1
    if record.state.status == HeartbeatStatus.DOWN:
        if store_transition(store, record, pause(record.check, record.state, now), now) is None:
            print(f"alertrouter: spoke {account} changed meanwhile: try again", file=sys.stderr)
            return 1
        print(
            f"spoke {account} is silent: its SpokeSilent resolves on the escalator's next sweep (within a "
            "minute); run `spokes forget` again then to forget it"
        )
        return 0
    store.remove_heartbeat(record.check.name)
    print(f"forgot spoke {account} (watched again if it sends another heartbeat)")
    return 0


def _list(args: argparse.Namespace, store: HeartbeatStore, now: int) -> int:
    rows = [_row(r, now) for r in store.heartbeats() if r.check.kind == CheckKind.SPOKE]
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        print()
        return 0
    if not rows:
        print("no spokes watched (a spoke is watched from its first heartbeat)")
    for row in rows:
        name = f" ({row['account_name']})" if row["account_name"] else ""
        print(
            f"{row['account']}{name}  {row['state']:<7} last seen {row['last_seen'] or 'never'}; "
            f"stack {row['stack']} in {row['region']}, every {row['every']}"
        )
    return 0


def _row(record: HeartbeatRecord, now: int) -> dict[str, Any]:
    check, state = record.check, record.state
    labels = check.labels
    period = check.period.total_seconds() // 120 if check.period is not None else 0  # 2 x the beat
    return {
        "account": labels.get("account", check.name.removeprefix(WATCH_PREFIX)),
        "account_name": labels.get("account_name", ""),
        "state": _state(status_at(check, state, now).value),
        "last_seen": utc_text(state.last_ping_ms) if state.last_ping_ms is not None else "",
        "stack": labels.get("stack", ""),
        "region": labels.get("region", ""),
        "every": f"{int(period)}m",
    }


def _state(standing: str) -> str:
    """A watch's standing as a spoke's: `up`, `late`, `silent` (down, its alert firing), `paused`."""
    return {"down": "silent", "new": "up"}.get(standing, standing)

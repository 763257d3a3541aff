"""`alertrouter silence add|list|expire`: silences (one-off and recurring) in the state table, and the
maintenance view `list` prints: whatever mutes alerts now and next, and the alerts held back now."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from alertrouter.config import ConfigError
from alertrouter.maintenance import inhibition_quiets, mute_rule_quiets, report_lines, time_interval_quiets
from alertrouter.models.config import RoutingConfig, parse_duration
from alertrouter.models.matcher import Matcher, is_alert_name
from alertrouter.models.recurrence import describe_every, parse_entries, parse_every, zone
from alertrouter.models.silence import DEFAULT_RECURRING_MS, Silence
from alertrouter.models.timeinterval import TimeIntervalSpec
from alertrouter.notify.render import utc_text
from alertrouter.routing.timeintervals import silence_window

if TYPE_CHECKING:
    from alertrouter.sources.mute_schedule import MuteRule
    from alertrouter.store.base import HeldBack, Stores

DEFAULT_CONFIG = "config/routing.yaml"
clock: Callable[[], float] = time.time  # the silence commands' now (the demo runs them on its own clock)


def epoch_ms(text: str) -> int:
    """An ISO 8601 time (UTC if no offset) as epoch milliseconds."""
    at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int((at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp() * 1000)


def silence_line(silence: Silence, now_ms: int) -> str:
    """One line per silence; a recurring one adds a line: its recurrence and its current or next window."""
    window = silence_window(silence, now_ms) if silence.every else None
    if silence.active(now_ms):
        state = "active"
    elif silence.starts_at_ms > now_ms:
        state = "pending"
    else:
        state = "waiting" if window else "expired"  # (a recurring one between its windows)
    until = " (or until its alert resolves)" if silence.group else ""
    line = (
        f"{silence.id}  {state:<8} {utc_text(silence.starts_at_ms)} → {utc_text(silence.ends_at_ms)}{until}  "
        f"by {silence.created_by}  {silence.describe()}"
        + (f"  # {silence.comment}" if silence.comment else "")
    )
    if not silence.every:
        return line
    if window is None:
        return f"{line}\n    {describe_every(silence.every)}; no window left"
    tz = ZoneInfo(silence.every[0].location)
    start, end = (datetime.fromtimestamp(ms / 1000, UTC) for ms in window)
    local = f"{start.astimezone(tz):%Y-%m-%d %H:%M %Z} → {end.astimezone(tz):%Y-%m-%d %H:%M %Z}"
    which = "this window" if silence.active(now_ms) else "next window"
    return (
        f"{line}\n    {describe_every(silence.every)}; {which} {utc_text(window[0])} → {utc_text(window[1])}"
        + ("" if tz.key == "UTC" else f" ({local}, {tz.key})")
    )


def _silence_json(silence: Silence, now_ms: int) -> dict[str, Any]:
    window = silence_window(silence, now_ms) if silence.every else None
    return {
        **silence.model_dump(mode="json"),
        "active": silence.active(now_ms),
        **({"next_window": list(window) if window else None} if silence.every else {}),
    }


def _recurrence(args: argparse.Namespace) -> tuple[TimeIntervalSpec, ...]:
    """`--every` (the short form, or time_intervals entries as YAML or JSON) or `--every-yaml FILE`, in `--tz`."""
    if args.every and args.every_yaml:
        raise ValueError("give --every or --every-yaml, not both")
    if args.tz is not None and not (args.every or args.every_yaml):
        raise ValueError("--tz is the zone of a recurring silence's --every")
    location = zone(args.tz or "UTC")
    if args.every_yaml:
        try:
            text = Path(args.every_yaml).read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"cannot read {args.every_yaml}: {exc.strerror}") from None
        return parse_entries(text, location)
    return parse_every(args.every, location) if args.every else ()


def _until(text: str, location: str) -> int:
    """`--until`: an ISO 8601 time (UTC if no offset), or a date: the end of that day in the silence's zone."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return epoch_ms(text)
    midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), ZoneInfo(location))
    return int(midnight.timestamp() * 1000)


def _new_silence(args: argparse.Namespace, now: int) -> Silence:
    every = _recurrence(args)
    starts = epoch_ms(args.start) if args.start else now
    if args.end and args.until:
        raise ValueError("give --end or --until, not both")
    if args.end or args.until:
        ends = epoch_ms(args.end) if args.end else _until(args.until, every[0].location if every else "UTC")
    elif args.duration or not every:
        ends = starts + int(parse_duration(args.duration or "1h").total_seconds() * 1000)
    else:
        ends = starts + DEFAULT_RECURRING_MS
    silence = Silence(
        matchers=silence_arguments(args.matchers),
        starts_at_ms=starts,
        ends_at_ms=ends,
        created_by=args.by,
        comment=args.comment,
        every=every,
    )
    if every and silence_window(silence, max(starts, now)) is None:
        raise ValueError(
            f"{describe_every(every)} never holds between {utc_text(max(starts, now))} and {utc_text(ends)}"
        )
    return silence


def silence_arguments(arguments: list[str]) -> list[str | Matcher]:
    """`silence add`'s matchers as amtool reads them: one matcher per argument, and a first argument that is
    a bare word (`DiskFull`) is the alert name. (amtool takes any first argument it cannot read as a matcher
    for the alert name; here one with blanks or matcher characters is refused with the reason instead.)"""
    first, *rest = arguments
    if is_alert_name(first):
        return [Matcher.of("alertname", "=", first), *rest]
    return list(arguments)


def silence_command(
    args: argparse.Namespace,
    stores: Stores,
    routing: Callable[[], RoutingConfig],
    held_back: Callable[[], list[HeldBack]],
    mute_rules: Callable[[], tuple[list[MuteRule], list[str]]] | None = None,
) -> int:
    """`silence add MATCHER...`, `silence list`, `silence expire ID`, against the state table."""
    store = stores.silences
    now = int(clock() * 1000)
    if args.action == "add":
        try:
            silence = _new_silence(args, now)
        except (ValueError, ValidationError) as exc:
            errors = exc.errors() if isinstance(exc, ValidationError) else [{"msg": str(exc)}]
            print("alertrouter: " + "; ".join(str(e["msg"]) for e in errors), file=sys.stderr)
            return 2
        store.put_silence(silence)
        print(silence_line(silence, now))
        return 0
    if args.action == "expire":
        ended = store.expire_silence(args.id, now)
        if ended is None:
            print(f"alertrouter: no active or pending silence {args.id}", file=sys.stderr)
            return 1
        print(silence_line(ended, now))
        return 0
    return _list(args, stores, routing, held_back, mute_rules, now)


def _list(
    args: argparse.Namespace,
    stores: Stores,
    routing: Callable[[], RoutingConfig],
    held_back: Callable[[], list[HeldBack]],
    mute_rules: Callable[[], tuple[list[MuteRule], list[str]]] | None,
    now: int,
) -> int:
    """The silences, then what else mutes now and next (the routing config's time intervals, inhibition by
    firing alerts), then with --held the alerts held back now."""
    silences = [s for s in stores.silences.silences() if args.all or s.ends_at_ms > now]
    try:
        config: RoutingConfig | None = routing()
        unread = ""
    except ConfigError as exc:
        config, unread = None, str(exc)
    quiets = []
    if config is not None:
        quiets = time_interval_quiets(config, now) + inhibition_quiets(
            config.inhibit_rules,
            stores.inhibit_sources.inhibit_sources() if config.inhibit_rules else {},
        )
    held = held_back() if args.held else None
    notes: list[str] = []
    if mute_rules is not None and args.mute_rules:
        try:
            rules, notes = mute_rules()
            quiets += mute_rule_quiets(rules, now)
        except Exception as exc:  # noqa: BLE001 - the rest of the view is still shown, with the reason
            notes = [f"CloudWatch alarm mute rules not read: {exc}"]
    if args.json:
        json.dump([_silence_json(s, now) for s in silences], sys.stdout, indent=2)
        print()
        return 0
    if not silences:
        print("no silences" if args.all else "no active or pending silences (--all shows ended ones)")
    for silence in silences:
        print(silence_line(silence, now))
    if config is None:
        print(f"\ntime intervals and inhibition not shown: {unread}")
    for note in notes:
        print(f"\n{note}")
    if quiets or held is not None:  # (with neither, the silences are the whole answer)
        print()
        for line in report_lines(quiets, held, also=True):
            print(line)
    return 0


def add_silence_actions(actions: Any, table_args: Callable[[argparse.ArgumentParser], None]) -> None:
    """The `silence` command's actions and their options."""
    add = actions.add_parser(
        "add",
        help='silence alerts matching all of MATCHER... e.g. alertname="DiskFull" (a bare first word is the '
        "alert name, as in amtool: DiskFull)",
    )
    add.add_argument("matchers", nargs="+", metavar="MATCHER")
    add.add_argument(
        "--duration", help="how long (e.g. 30m, 4h; default 1h, or 90 days with --every); or give --end"
    )
    add.add_argument("--start", help="ISO 8601 start (default: now)")
    add.add_argument("--end", help="ISO 8601 end")
    add.add_argument(
        "--every",
        help='recurring: mute only in these windows, e.g. "sun 02:00-04:00", "mon-fri 22:00-06:00", "mon 1-7 '
        '09:00-10:00" (weekdays, days of the month with -1 the last, months, years, HH:MM-HH:MM), or '
        "Alertmanager time_intervals entries as YAML or JSON",
    )
    add.add_argument("--every-yaml", metavar="FILE", help="recurring: Alertmanager time_intervals entries")
    add.add_argument("--tz", help="the zone --every is read in (an IANA name; default UTC)")
    add.add_argument(
        "--until",
        help="when a recurring silence ends: an ISO 8601 time, or a date (the end of that day in --tz); "
        "default 90 days, at most a year",
    )
    add.add_argument(
        "--by", default=os.environ.get("USER", "") or "cli", help="who is silencing (default: $USER)"
    )
    add.add_argument("--comment", default="")
    listing = actions.add_parser(
        "list",
        help="what mutes alerts now and next: silences (active, pending, recurring), the routing config's time "
        "intervals, inhibition by firing alerts; --held: the alerts held back now",
    )
    listing.add_argument("--all", action="store_true", help="ended silences too (kept 7 days)")
    listing.add_argument("--json", action="store_true")
    listing.add_argument(
        "--config",
        default=os.environ.get("ROUTING_CONFIG_PATH", DEFAULT_CONFIG),
        help="the routing config whose time intervals and inhibit rules are shown",
    )
    listing.add_argument(
        "--held",
        action="store_true",
        help="also every alert held back now and why (a Scan: it reads the whole table)",
    )
    listing.add_argument(
        "--mute-rules",
        action="store_true",
        help="also the account's CloudWatch alarm mute rules muting now or next (ListAlarmMuteRules and "
        "GetAlarmMuteRule in --region, with your credentials)",
    )
    listing.add_argument("--cloudwatch-endpoint-url", default="", help=argparse.SUPPRESS)
    expire = actions.add_parser("expire", help="end a silence now")
    expire.add_argument("id")
    for each in (add, listing, expire):
        table_args(each)

"""`alertrouter oncall now|show|export|override|overrides`: the routing config's on-call schedules, evaluated
without AWS (who is on call now or --at, a schedule's timeline in its own zone, its shifts as an iCalendar file),
and overrides kept in the state table, which the others take into account when given --table."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from alertrouter.config import ConfigError, load_config
from alertrouter.models.config import RoutingConfig
from alertrouter.models.duration import parse_duration
from alertrouter.models.schedule import OVERRIDE, Override, Schedule, person_name
from alertrouter.oncall.ical import to_ical
from alertrouter.oncall.schedule import LOOK_AHEAD_MS, LOOK_BACK_MS, local_instant, on_call, shifts

if TYPE_CHECKING:
    from alertrouter.store.base import OverrideStore

DEFAULT_CONFIG = "config/routing.yaml"
clock: Callable[[], float] = time.time  # the commands' now
MAX_OVERRIDE = timedelta(days=90)
WEEK_MS = 7 * 86_400_000

# The override store of the state table --table names; None (said on stderr) when it names none
TableStore = Callable[[argparse.Namespace], "OverrideStore | None"]


def add_oncall_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    placeholders: Callable[[], Mapping[str, str]] = dict,
    table_args: Callable[[argparse.ArgumentParser], None] | None = None,
    table_store: TableStore | None = None,
) -> None:
    """The `oncall` command and its actions: `placeholders` fill the config's ${NAME}s, as for `route`;
    `table_args` and `table_store` reach the state table (cli.py's), where overrides are kept."""
    oncall = subparsers.add_parser(
        "oncall", help="who is on call (now or --at), a schedule's timeline, its iCalendar file, overrides"
    )
    actions = oncall.add_subparsers(dest="action", required=True)
    now = actions.add_parser("now", help="each schedule: who is on call, since when, until when")
    now.add_argument("--at", help="ISO 8601 time (UTC if no offset; default: now)")
    show = actions.add_parser("show", help="a schedule's shifts, in its own time zone")
    show.add_argument("--weeks", type=_weeks, default=2, help="how many weeks (default 2)")
    export = actions.add_parser(
        "export", help="a schedule's shifts as an iCalendar file (RFC 5545) on stdout: > payments.ics"
    )
    export.add_argument("--weeks", type=_weeks, default=12, help="how many weeks (default 12)")
    override = actions.add_parser(
        "override", help="put someone on call in a schedule for a while, over its layers (in the state table)"
    )
    override.add_argument("--person", required=True, help="who is on call instead (a name in people)")
    length = override.add_mutually_exclusive_group(required=True)
    length.add_argument("--until", help="ISO 8601 end, read in the schedule's zone if it has no offset")
    length.add_argument("--for", dest="duration", help="how long, e.g. 4h, 2d")
    override.add_argument(
        "--by", default=os.environ.get("USER", "") or "cli", help="who made it (default: $USER)"
    )
    listing = actions.add_parser("overrides", help="a schedule's overrides now and ahead (--remove ID)")
    listing.add_argument("--remove", metavar="ID", help="delete the override with this id (as listed)")
    for each in (show, export, override):
        each.add_argument(
            "--from",
            dest="start",
            help="ISO 8601 time or date, read in the schedule's zone if it has no offset (default: now; for "
            "show and export the start of the shift on now, at most a week back)",
        )
    for each in (show, export, override, listing):
        each.add_argument("schedule", help="the schedule's name")
    for each in (now, show, export, override, listing):
        each.add_argument("--config", default=os.environ.get("ROUTING_CONFIG_PATH", DEFAULT_CONFIG))
        if table_args is not None:
            table_args(each)
    oncall.set_defaults(
        func=lambda args: oncall_command(
            args,
            lambda: load_config(args.config, placeholders()),
            lambda: table_store(args) if table_store is not None else _no_table(),
        )
    )


def _no_table() -> None:
    print(
        "alertrouter: overrides are kept in the state table, which this command cannot reach", file=sys.stderr
    )


def _weeks(text: str) -> int:
    weeks = int(text)
    if not 1 <= weeks <= 104:
        raise argparse.ArgumentTypeError("between 1 and 104 weeks")
    return weeks


def oncall_command(
    args: argparse.Namespace,
    routing: Callable[[], RoutingConfig],
    table: Callable[[], OverrideStore | None] = lambda: None,
) -> int:
    """`oncall now`, `show SCHEDULE`, `export SCHEDULE`, `override SCHEDULE`, `overrides SCHEDULE`."""
    try:
        config = routing()
    except ConfigError as exc:
        return _fail(str(exc))
    wants_table = args.action in ("override", "overrides") or bool(getattr(args, "table", ""))
    store = table() if wants_table else None
    if wants_table and store is None:
        return 2  # (the table store said why)
    now = int(clock() * 1000)
    try:
        if args.action == "now":
            return _now(config, _instant(args.at, ZoneInfo("UTC")) if args.at else now, store)
        schedule = _schedule(config, args)
        if store is not None and args.action == "override":
            return _override(config, schedule, args, store, now)
        if store is not None and args.action == "overrides":
            return _overrides(schedule, args, store, now)
        return _timeline(schedule, args, store, now)
    except ValueError as exc:
        return _fail(str(exc))


def _schedule(config: RoutingConfig, args: argparse.Namespace) -> Schedule:
    if not config.schedules:
        raise ValueError(f"{args.config} has no schedules")
    try:
        return config.schedule(args.schedule)
    except KeyError:
        known = ", ".join(s.name for s in config.schedules)
        raise ValueError(f"no schedule {args.schedule!r} in {args.config} (schedules: {known})") from None


def _timeline(schedule: Schedule, args: argparse.Namespace, store: OverrideStore | None, now: int) -> int:
    """`show` (lines in the schedule's zone) or `export` (an iCalendar file) of --weeks from --from."""
    if args.start:
        start = _instant(args.start, schedule.zone)
    else:
        start = _shift_start(
            schedule, now, _stored(store, schedule.name, now - LOOK_BACK_MS, now + LOOK_AHEAD_MS)
        )
    end = _weeks_later(start, args.weeks, schedule.zone)
    found = shifts(schedule, start, end, _stored(store, schedule.name, start, end))
    if args.action == "export":
        sys.stdout.write(to_ical(schedule, found, now))
        return 0
    weeks = f"{args.weeks} week{'s' if args.weeks > 1 else ''}"
    print(f"{schedule.name} ({schedule.time_zone}), {weeks} from {_local(start, schedule.zone)}")
    if not found:
        print("  nobody is on call")
    width = max((len(s.person) for s in found), default=0)
    for shift in found:
        source = "override" if shift.layer == OVERRIDE else f"layer {shift.layer}"
        print(
            f"  {_local(shift.start_ms, schedule.zone)} → {_local(shift.end_ms, schedule.zone)}  "
            f"{shift.person:<{width}}  ({source})"
        )
    return 0


def _stored(store: OverrideStore | None, schedule: str, from_ms: int, to_ms: int) -> list[Override]:
    return store.overrides(schedule, from_ms, to_ms) if store is not None else []


def _override(
    config: RoutingConfig, schedule: Schedule, args: argparse.Namespace, store: OverrideStore, now: int
) -> int:
    """`override SCHEDULE --person P [--from T] --until T | --for D`: stored, and said back."""
    person = person_name(args.person, "--person")
    if config.people and person not in config.people:
        raise ValueError(f"{person} is not in people ({', '.join(config.people)})")
    start = _instant(args.start, schedule.zone) if args.start else now
    if args.until:
        end = _instant(args.until, schedule.zone)
    else:
        end = start + int(parse_duration(args.duration).total_seconds() * 1000)
    if end <= max(start, now):
        raise ValueError("the override would be over before it starts (or before now)")
    if end - start > MAX_OVERRIDE.total_seconds() * 1000:
        raise ValueError("an override lasts at most 90 days (change the schedule's layers for longer)")
    override = Override(schedule.name, person, start, end, by=args.by, created_ms=now)
    store.put_override(override)
    print(_override_line(schedule, override))
    return 0


def _overrides(schedule: Schedule, args: argparse.Namespace, store: OverrideStore, now: int) -> int:
    """`overrides SCHEDULE`: those not over yet, by start; `--remove ID` deletes one."""
    if args.remove:
        start, _, created = args.remove.partition("-")
        if not (start.isdigit() and created.isdigit()):
            raise ValueError(f"override id {args.remove[:40]!r}: expected START-CREATED, as listed")
        removed = store.remove_override(schedule.name, int(start), int(created))
        if removed is None:
            return _fail(f"no override {args.remove} in {schedule.name}")
        print(f"removed: {_override_line(schedule, removed)}")
        return 0
    found = store.overrides(schedule.name, now, now + 10 * 366 * 86_400_000)
    if not found:
        print(f"no overrides in {schedule.name} now or ahead")
    for override in found:
        print(_override_line(schedule, override))
    return 0


def _override_line(schedule: Schedule, override: Override) -> str:
    return (
        f"{override.start_ms}-{override.created_ms}  {schedule.name}: {override.person} on call "
        f"{_local(override.start_ms, schedule.zone)} → {_local(override.end_ms, schedule.zone)}"
        + (f"  by {override.by}" if override.by else "")
    )


def _now(config: RoutingConfig, at: int, store: OverrideStore | None) -> int:
    if not config.schedules:
        print("no schedules in the routing config")
        return 0
    width = max(len(s.name) for s in config.schedules)
    for schedule in config.schedules:
        mine = _stored(store, schedule.name, at - LOOK_BACK_MS, at + LOOK_AHEAD_MS)
        found = on_call(schedule, at, mine)
        if found is None:
            print(f"{schedule.name:<{width}}  nobody is on call")
            continue
        source = "override" if found.layer == OVERRIDE else found.layer
        since = (
            "for over a year"  # (on_call looks no further back)
            if found.since_ms <= at - LOOK_BACK_MS
            else f"since {_local(found.since_ms, schedule.zone)}"
        )
        until = (
            "no change within a year"
            if found.until_ms is None
            else f"until {_local(found.until_ms, schedule.zone)}"
        )
        print(f"{schedule.name:<{width}}  {found.person} ({source})  {since}  {until}")
    return 0


def _weeks_later(start: int, weeks: int, zone: ZoneInfo) -> int:
    """`weeks` after `start` on the local calendar (a week across a change of offset is 167 or 169 hours)."""
    local = datetime.fromtimestamp(start / 1000, UTC).astimezone(zone).replace(tzinfo=None)
    return local_instant(local + timedelta(weeks=weeks), zone)


def _shift_start(schedule: Schedule, now: int, overrides: list[Override]) -> int:
    """The start of the shift on at `now` (so the timeline begins with a whole shift) if it began within the
    last week, else now."""
    found = on_call(schedule, now, overrides)
    return max(found.since_ms, now - WEEK_MS) if found else now


def _instant(text: str, zone: ZoneInfo) -> int:
    """An ISO 8601 time, or a date (its midnight), read in `zone` when it has no offset, as epoch ms."""
    try:
        at = datetime.combine(date.fromisoformat(text), clock_time())
    except ValueError:
        try:
            at = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"{text[:40]!r} is not an ISO 8601 time (2026-01-05T09:00, 2026-01-05)"
            ) from None
    if at.tzinfo is None:
        return local_instant(at, zone)
    return int(at.timestamp() * 1000)


def _local(ms: int, zone: ZoneInfo) -> str:
    return f"{datetime.fromtimestamp(ms / 1000, UTC).astimezone(zone):%a %Y-%m-%d %H:%M %Z}"


def _fail(message: str) -> int:
    print(f"alertrouter: {message}", file=sys.stderr)
    return 2

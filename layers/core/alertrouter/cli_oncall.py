"""`alertrouter oncall now|show|export`: the routing config's on-call schedules, evaluated without AWS: who is on
call now (or --at), a schedule's timeline in its own zone, and its shifts as an iCalendar file."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

from alertrouter.config import ConfigError, load_config
from alertrouter.models.config import RoutingConfig
from alertrouter.models.schedule import OVERRIDE, Override, Schedule
from alertrouter.oncall.ical import to_ical
from alertrouter.oncall.schedule import local_instant, on_call, shifts

DEFAULT_CONFIG = "config/routing.yaml"
clock: Callable[[], float] = time.time  # the commands' now

# The overrides of a schedule (from the state table once overrides are stored; none until then)
Overrides = Callable[[str], list[Override]]


def _no_overrides(_: str) -> list[Override]:
    return []


def add_oncall_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    placeholders: Callable[[], Mapping[str, str]] = dict,
) -> None:
    """The `oncall` command and its actions; `placeholders` fill the config's ${NAME}s, as for `route`."""
    oncall = subparsers.add_parser(
        "oncall", help="who is on call (now or --at), a schedule's timeline, its iCalendar file"
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
    for each in (show, export):
        each.add_argument("schedule", help="the schedule's name")
        each.add_argument(
            "--from",
            dest="start",
            help="ISO 8601 time or date, read in the schedule's zone if it has no offset "
            "(default: the start of the shift on now)",
        )
    for each in (now, show, export):
        each.add_argument("--config", default=os.environ.get("ROUTING_CONFIG_PATH", DEFAULT_CONFIG))
    oncall.set_defaults(
        func=lambda args: oncall_command(args, lambda: load_config(args.config, placeholders()))
    )


def _weeks(text: str) -> int:
    weeks = int(text)
    if not 1 <= weeks <= 104:
        raise argparse.ArgumentTypeError("between 1 and 104 weeks")
    return weeks


def oncall_command(
    args: argparse.Namespace, routing: Callable[[], RoutingConfig], overrides: Overrides = _no_overrides
) -> int:
    """`oncall now`, `oncall show SCHEDULE`, `oncall export SCHEDULE`."""
    try:
        config = routing()
    except ConfigError as exc:
        return _fail(str(exc))
    now = int(clock() * 1000)
    if args.action == "now":
        try:
            at = _instant(args.at, ZoneInfo("UTC")) if args.at else now
        except ValueError as exc:
            return _fail(str(exc))
        return _now(config, at, overrides)
    if not config.schedules:
        return _fail(f"{args.config} has no schedules")
    try:
        schedule = config.schedule(args.schedule)
    except KeyError:
        known = ", ".join(s.name for s in config.schedules)
        return _fail(f"no schedule {args.schedule!r} in {args.config} (schedules: {known})")
    mine = overrides(schedule.name)
    try:
        start = _instant(args.start, schedule.zone) if args.start else _shift_start(schedule, now, mine)
    except ValueError as exc:
        return _fail(str(exc))
    found = shifts(schedule, start, _weeks_later(start, args.weeks, schedule.zone), mine)
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


def _now(config: RoutingConfig, at: int, overrides: Overrides) -> int:
    if not config.schedules:
        print("no schedules in the routing config")
        return 0
    width = max(len(s.name) for s in config.schedules)
    for schedule in config.schedules:
        found = on_call(schedule, at, overrides(schedule.name))
        if found is None:
            print(f"{schedule.name:<{width}}  nobody is on call")
            continue
        source = "override" if found.layer == OVERRIDE else found.layer
        until = (
            "no change ahead" if found.until_ms is None else f"until {_local(found.until_ms, schedule.zone)}"
        )
        print(
            f"{schedule.name:<{width}}  {found.person} ({source})  since {_local(found.since_ms, schedule.zone)}  "
            f"{until}"
        )
    return 0


def _weeks_later(start: int, weeks: int, zone: ZoneInfo) -> int:
    """`weeks` after `start` on the local calendar (a week across a change of offset is 167 or 169 hours)."""
    local = datetime.fromtimestamp(start / 1000, UTC).astimezone(zone).replace(tzinfo=None)
    return local_instant(local + timedelta(weeks=weeks), zone)


def _shift_start(schedule: Schedule, now: int, overrides: list[Override]) -> int:
    """The start of the shift on at `now` (so the timeline begins with a whole shift), else now."""
    found = on_call(schedule, now, overrides)
    return found.since_ms if found else now


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

"""The handoff notice's "Take the pager" button: the person whose Slack id clicked it is put on call in the
schedule by an override (as `alertrouter oncall override` makes them) from now to the end of the current shift.

The shift ends where the schedule, with the overrides already stored, next changes who is on call; when the
one on call is there by an override (someone took the pager before, or an `oncall override`), where that
override ends: taking the pager from a taker hands on what they took, not also the shift of their own that
follows it. With no change in sight the override lasts TAKE_WITHOUT_END_MS. Of overlapping overrides the one made
last wins, so when two people click, the later one has the pager. What is said back is Slack mrkdwn, escaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from alertrouter.models.config import MessageSettings, RoutingConfig
from alertrouter.models.schedule import OVERRIDE, Override, Person, Schedule
from alertrouter.mrkdwn import escape, mention
from alertrouter.notify.wording import Wording
from alertrouter.oncall.schedule import LOOK_AHEAD_MS, LOOK_BACK_MS, next_change_ms, on_call
from alertrouter.store.base import OverrideStore

TAKE_WITHOUT_END_MS = 12 * 3_600_000  # how long a take lasts when the schedule has no change in sight
MAX_TAKE_MS = 90 * 86_400_000  # as long as an override may be (cli_oncall.MAX_OVERRIDE)


@dataclass(frozen=True)
class Taken:
    """The override stored, and the note for the notice's thread."""

    override: Override
    note: str


@dataclass(frozen=True)
class Refused:
    """Why the pager was not handed over (said to the clicker alone); nothing was stored."""

    text: str


def person_of(people: Mapping[str, Person], slack_user: str) -> str | None:
    """The name in `people` whose Slack id is `slack_user` (the first by name if several are); None if none."""
    return next((name for name, p in sorted(people.items()) if p.slack == slack_user), None)


def take_pager(
    config: RoutingConfig | None,
    overrides: OverrideStore,
    schedule_name: str,
    slack_user: str,
    now_ms: int,
) -> Taken | Refused:
    """Put the person clicking (by their Slack id) on call in `schedule_name` until the current shift ends."""
    if config is None:
        return Refused("The routing config could not be read here, so the pager cannot be handed over.")
    person = person_of(config.people, slack_user)
    if person is None:
        return Refused(
            f"You are not in `people` of the routing config with your Slack id (people: NAME: {{slack: "
            f"{escape(slack_user)}}}), so the pager cannot be handed to you."
        )
    try:
        schedule = config.schedule(schedule_name)
    except KeyError:
        return Refused(
            f"There is no schedule *{escape(schedule_name)}* in the routing config (it changed since this "
            "notice was posted), so nothing was changed."
        )
    stored = overrides.overrides(schedule.name, now_ms - LOOK_BACK_MS, now_ms + LOOK_AHEAD_MS)
    wording = Wording(MessageSettings(time_zone=schedule.time_zone))
    current = on_call(schedule, now_ms, stored)
    if current is not None and current.person == person:
        change = next_change_ms(schedule, now_ms, stored)  # their stretch, across layers and overrides
        until = f"until {wording.at(change, now_ms)}" if change is not None else "with no change in sight"
        return Refused(f"You are already on call for *{escape(schedule.name)}* {until}.")
    if current is not None and current.layer == OVERRIDE:
        change = current.until_ms  # taken from a taker (or an override's stand-in): until theirs ends
    else:
        change = next_change_ms(schedule, now_ms, stored)
    end = now_ms + TAKE_WITHOUT_END_MS if change is None else min(change, now_ms + MAX_TAKE_MS)
    override = Override(schedule.name, person, now_ms, end, by=slack_user, created_ms=now_ms)
    overrides.put_override(override)
    return Taken(override, _note(schedule, override, current.person if current else "", wording, now_ms))


def _note(schedule: Schedule, override: Override, previous: str, wording: Wording, now_ms: int) -> str:
    was = escape(previous) if previous else "nobody"
    return (
        f"📟 {mention(override.by)} ({escape(override.person)}) took the pager for *{escape(schedule.name)}* "
        f"until {wording.at(override.end_ms, now_ms)} (was {was}). Whoever takes it last has it."
    )

"""Who is on call now in each schedule of the routing config, and until when (the layers and the overrides kept
in the table), as `/oncall` and App Home say it: Slack mrkdwn, escaped."""

from __future__ import annotations

from alertrouter.models.config import MessageSettings, RoutingConfig
from alertrouter.models.schedule import OVERRIDE
from alertrouter.mrkdwn import escape
from alertrouter.notify.handoff import who
from alertrouter.notify.wording import Wording
from alertrouter.oncall.schedule import LOOK_AHEAD_MS, LOOK_BACK_MS, on_call
from alertrouter.store.base import OverrideStore


def on_call_lines(
    config: RoutingConfig | None, overrides: OverrideStore | None, now_ms: int, only: str = ""
) -> list[str]:
    """One line per schedule (or only the one named): who, from which layer or an override, until when."""
    if config is None:
        return ["The routing config could not be read here, so who is on call is not known."]
    schedules = [s for s in config.schedules if not only or s.name == only]
    if not schedules:
        if only:
            names = ", ".join(escape(s.name) for s in config.schedules) or "none"
            return [f"There is no schedule *{escape(only)}* in the routing config (schedules: {names})."]
        return ["The routing config has no schedules."]
    lines = []
    for schedule in schedules:
        stored = (
            overrides.overrides(schedule.name, now_ms - LOOK_BACK_MS, now_ms + LOOK_AHEAD_MS)
            if overrides is not None
            else []
        )
        found = on_call(schedule, now_ms, stored)
        name = escape(schedule.name)
        if found is None:
            lines.append(f"*{name}*: nobody is on call")
            continue
        person = config.people.get(found.person)
        wording = Wording(MessageSettings(time_zone=schedule.time_zone))
        until = (
            f"until {wording.at(found.until_ms, now_ms)}"
            if found.until_ms is not None
            else "with no change in sight"
        )
        source = "an override" if found.layer == OVERRIDE else f"layer {escape(found.layer)}"
        lines.append(f"*{name}*: {who(found.person, person.slack if person else None)} {until} ({source})")
    return lines

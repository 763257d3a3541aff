"""Handoffs, looked at on each escalator run: when who is on call for a schedule changes, a notice in its
`handoff_channel` and its `slack_usergroup` set to that person.

The change is noted first, conditionally on the note it was computed from (HandoffStore), so one run tells it
once however many runs overlap; what a Slack failure left undone (the notice, the group) is done by the next
run, as long as that person is still the one on call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from alertrouter.models.schedule import Person, Schedule
from alertrouter.models.state import NotedHandoff
from alertrouter.notify.base import NotifyError, SlackApi
from alertrouter.notify.handoff import Handoff, render_handoff
from alertrouter.observability import ESCALATOR, module_logger
from alertrouter.on_call_now import OnCallNow
from alertrouter.oncall.schedule import on_call
from alertrouter.store.base import HandoffStore

logger = module_logger(ESCALATOR, __name__)


class UserGroups(SlackApi, Protocol):
    """The Slack client's user-group call (the escalator's SlackClient has it)."""

    def set_usergroup_members(self, usergroup: str, users: list[str]) -> None: ...


@dataclass
class HandoffOutcome:
    handoffs: int = 0  # changes of who is on call noted by this run
    notices: int = 0
    synced: int = 0
    failures: int = 0  # notices or user groups Slack refused (tried again next run)


class Handoffs:
    def __init__(
        self,
        schedules: Sequence[Schedule],
        people: Mapping[str, Person],
        on_call_now: OnCallNow,
        noted: HandoffStore,
        slack: UserGroups | None,
        *,
        now_ms: Callable[[], int] = lambda: int(time.time() * 1000),
    ) -> None:
        self.schedules = schedules
        self.people = people
        self.on_call_now = on_call_now
        self.noted = noted
        self.slack = slack
        self.now_ms = now_ms

    def run(self) -> HandoffOutcome:
        outcome = HandoffOutcome()
        if not self.schedules:
            return outcome
        now = self.now_ms()
        noted = self.noted.noted_handoffs()
        for schedule in self.schedules:
            current = on_call(schedule, now, self.on_call_now.overrides(schedule.name, now))
            person = current.person if current is not None else ""
            last = noted.get(schedule.name)
            if last is not None and last.person == person:
                if not (last.posted and last.synced):
                    until = current.until_ms if current is not None else None
                    self._tell(schedule, last, None, until, now, outcome)
                continue
            note = NotedHandoff(
                schedule=schedule.name,
                person=person,
                since_ms=current.since_ms if current is not None else now,
                posted=schedule.handoff_channel is None or self.slack is None,
                synced=schedule.slack_usergroup is None or self.slack is None or not person,
            )
            if not self.noted.note_handoff(note, last):
                continue  # another run noted it
            outcome.handoffs += 1
            logger.info("on call changed", extra={"schedule": schedule.name, "person": person or "nobody"})
            previous = last.person if last is not None else None
            self._tell(
                schedule, note, previous, current.until_ms if current is not None else None, now, outcome
            )
        return outcome

    def _tell(
        self,
        schedule: Schedule,
        note: NotedHandoff,
        previous: str | None,
        until_ms: int | None,
        now: int,
        outcome: HandoffOutcome,
    ) -> None:
        """The notice and the user group, each unless done; the note records what was."""
        if self.slack is None:
            return
        posted, synced = note.posted, note.synced
        person = self.people.get(note.person)
        slack_user = person.slack if person is not None else None
        if not posted and schedule.handoff_channel is not None:
            handoff = Handoff(schedule.name, schedule.time_zone, note.person, slack_user, until_ms, previous)
            try:
                self.slack.post(schedule.handoff_channel, render_handoff(handoff, now))
                posted = True
                outcome.notices += 1
            except NotifyError as exc:
                outcome.failures += 1
                logger.warning(
                    "handoff notice not posted", extra={"schedule": schedule.name, "reason": str(exc)}
                )
        if not synced and schedule.slack_usergroup is not None:
            if slack_user is None:
                synced = True  # nobody to set it to: said once, not every minute
                logger.warning(
                    "on-call user group not set: the person has no Slack id (people: NAME: {slack: U…})",
                    extra={"schedule": schedule.name, "person": note.person},
                )
            else:
                try:
                    self.slack.set_usergroup_members(schedule.slack_usergroup, [slack_user])
                    synced = True
                    outcome.synced += 1
                except NotifyError as exc:
                    outcome.failures += 1
                    logger.warning(
                        "on-call user group not set", extra={"schedule": schedule.name, "reason": str(exc)}
                    )
        if (posted, synced) != (note.posted, note.synced):
            self.noted.finish_handoff(note.model_copy(update={"posted": posted, "synced": synced}))

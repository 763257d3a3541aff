"""The one stage contract: a stage takes the flush as the earlier stages left it and moves it on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from alertrouter.flush.outcome import Outcome
from alertrouter.models.config import Receiver, ResolvedRoute
from alertrouter.models.state import GroupState, Member
from alertrouter.store.base import GroupProgress


@dataclass(frozen=True)
class Mutes:
    """Why members are not sent now, and when to look again (0: nothing to wait for)."""

    reasons: dict[str, str]
    held: frozenset[str]  # flapping: shown, but not paged until it settles
    resume_at_ms: int


NO_MUTES = Mutes({}, frozenset(), 0)


@dataclass(slots=True)
class Flush:
    """One flush of a claimed group, as it goes through the stages."""

    group: GroupState  # as the stages left it (pruned, unmuted, its members those the message shows)
    route: ResolvedRoute
    receiver: Receiver
    lease: str
    now: int
    version: int  # the group's version when claimed: what this flush notifies
    outcome: Outcome
    mutes: Mutes = NO_MUTES
    all_resolved: bool = False  # every member resolved (before muting hid any): the episode ends
    shown_changed: bool = False  # what the message shows changed without a new version
    repeat: bool = False  # nothing new, still firing, repeat_interval passed: notified again
    members: dict[str, Member] = field(default_factory=dict)  # those the message shows
    every_member: dict[str, Member] = field(default_factory=dict)  # as claimed, before pruning (for webhooks)
    kept: GroupProgress = field(default_factory=lambda: GroupProgress())  # muting state the release writes
    paged: bool = False  # a page went out (or was queued for pacing)
    unreached: bool = False  # a recipient could not be paged (refused number, nobody on call in a schedule)
    notified: dict[str, Any] = field(default_factory=dict)  # the new `notified` record
    thread_lines: list[str] = field(default_factory=list)  # what the thread is told
    released: GroupState | None = None  # set by the stage that released the group: the flush is over

    @property
    def news(self) -> bool:
        """Whether this flush tells something new (a change, or what the message shows changed)."""
        return self.version > self.group.notified_version or self.shown_changed

    def look_again_at(self, at_ms: int) -> None:
        """Have the group flushed again by at_ms with nothing new (the earliest of every stage's asks)."""
        self.kept["resume_at_ms"] = min(t for t in (self.kept.get("resume_at_ms", 0), at_ms) if t)


class Stage(Protocol):
    """One step of the flush: reads and updates the flush; releasing the group ends it."""

    def run(self, flush: Flush) -> None: ...

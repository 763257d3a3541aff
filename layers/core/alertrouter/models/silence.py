"""Silences: a set of matchers and a time span during which matching alerts are kept but not sent."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_validator,
)

from alertrouter.models.matcher import Matcher, MatchOp
from alertrouter.models.timeinterval import TimeIntervalSpec

MAX_SILENCE_MS = 30 * 86400 * 1000  # a silence longer than a month is a config change, not a silence
# A recurring silence (`every`) mutes only in its windows: it may run for up to a year, and runs this long when
# no end is given (a forgotten one still ends on its own).
MAX_RECURRING_MS = 366 * 86400 * 1000
DEFAULT_RECURRING_MS = 90 * 86400 * 1000
# A later end by less than this (the same choice clicked twice) leaves a silence as it is: ends are shown to
# the minute, and "extended by a second" would only be noise.
SAME_END_MS = 60_000
STORED = "stored"  # validation context: a silence read back from the state table
FINGERPRINT_LABEL = "fingerprint"  # a silence may name alerts by fingerprint (the Slack button does)


class Silence(BaseModel):
    """Alertmanager's silence: every matcher must match. `group`/`episode` make it "until resolved":
    it then also ends when that group's episode ends (the alert resolved and fired again).

    `every` makes it recurring: between `starts_at_ms` and `ends_at_ms` (its span) it mutes only while one of
    these periods holds (Alertmanager's time_intervals, as routes' mute_time_intervals read them)."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)  # built on first use

    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    matchers: tuple[Matcher, ...] = Field(min_length=1)
    starts_at_ms: int
    ends_at_ms: int
    created_by: str
    comment: str = ""
    group: str = ""
    episode: int = 0
    every: tuple[TimeIntervalSpec, ...] = ()  # none: a one-off silence (as every silence stored before it)

    @field_validator("matchers", mode="before")
    @classmethod
    def _matchers(cls, v: Any, info: ValidationInfo) -> Any:
        if isinstance(v, list | tuple):
            if info.context and info.context.get(
                STORED
            ):  # read back as written, by this release or an earlier
                return tuple(Matcher.stored(m) if isinstance(m, str) else Matcher.coerce(m) for m in v)
            # any label name a current Alertmanager's silence API takes (`:`, `.`, UTF-8: not empty)
            return tuple(Matcher.coerce(m) for m in v)
        return v

    @field_serializer("matchers")
    def _dump_matchers(self, matchers: tuple[Matcher, ...]) -> list[str]:
        return [m.stored_text() for m in matchers]

    @model_validator(mode="after")
    def _span(self) -> Silence:
        if self.ends_at_ms <= self.starts_at_ms:
            raise ValueError("a silence must end after it starts")
        if self.ends_at_ms - self.starts_at_ms > self.longest_ms:
            raise ValueError(
                "a recurring silence may run at most a year (366 days)"
                if self.every
                else "a silence may last at most 30 days (a recurring one, at most a year)"
            )
        if not self.created_by.strip():
            raise ValueError("a silence needs its creator")
        if all(m.matches({}) for m in self.matchers):
            # Like amtool: a silence whose matchers all match an alert with no labels would silence everything.
            raise ValueError("these matchers would silence every alert: add one that needs a label value")
        return self

    @property
    def longest_ms(self) -> int:
        """The longest span a silence of its kind may have."""
        return MAX_RECURRING_MS if self.every else MAX_SILENCE_MS

    def active(self, now_ms: int) -> bool:
        if not self.starts_at_ms <= now_ms < self.ends_at_ms:
            return False
        if not self.every:
            return True
        at = datetime.fromtimestamp(now_ms / 1000, UTC)
        return any(spec.contains(at) for spec in self.every)

    def matches(self, fingerprint: str, labels: Mapping[str, str]) -> bool:
        view = {**labels, FINGERPRINT_LABEL: fingerprint}
        return all(m.matches(view) for m in self.matchers)

    def describe(self) -> str:
        return ", ".join(str(m) for m in self.matchers)


def message_silence_id(group: str, episode: int) -> str:
    """The id of the silence clicked in a group's message: the same for every click on that message, so a
    second click finds the first one's silence (see `extended`), even if what the message shows changed."""
    text = "\n".join([group, str(episode)])
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def _merged_matchers(kept: Sequence[Matcher], new: Sequence[Matcher]) -> Sequence[Matcher]:
    """A message's silence covers what every click on it saw: a group without grouping labels is silenced by
    fingerprints, and an alert that joined between two clicks is added to the kept ones."""
    if kept == new:
        return kept
    fingerprints = [m for m in (*kept, *new) if m.name == FINGERPRINT_LABEL and m.op == MatchOp.RE]
    if len(fingerprints) != len(kept) + len(new):
        return new  # (a group's labels do not change: only fingerprint silences differ between clicks)
    union = "|".join(sorted({fp for m in fingerprints for fp in m.value.split("|") if fp}))
    return kept if union == kept[0].value else (Matcher.parse(f'{FINGERPRINT_LABEL}=~"{union}"'),)


def extended(kept: Silence | None, new: Silence) -> Silence:
    """What putting `new` leaves when `kept` has its id: `new` if nothing is kept or the kept one is over when
    `new` starts, or is of another recurrence (`every`); else the kept one (its creator, its start) lasting as
    long as the longer of the two (later by SAME_END_MS at least). "Until resolved" (group/episode) is the
    longest: it is kept, or taken from `new`, with the longest end a silence may have (MAX_SILENCE_MS after
    its start; MAX_RECURRING_MS for a recurring one)."""
    if kept is None or kept.ends_at_ms <= new.starts_at_ms or kept.every != new.every:
        return new
    starts = min(kept.starts_at_ms, new.starts_at_ms)
    latest = starts + kept.longest_ms
    wanted = latest if new.group else min(new.ends_at_ms, latest)
    matchers = _merged_matchers(kept.matchers, new.matchers)
    if (
        starts == kept.starts_at_ms
        and wanted - kept.ends_at_ms < SAME_END_MS
        and (kept.group or not new.group)
        and matchers == kept.matchers
    ):
        return kept
    ends = max(kept.ends_at_ms, wanted)
    until = kept if kept.group else new
    by = "" if new.created_by == kept.created_by else f", extended by {new.created_by}"
    return kept.model_copy(
        update={
            "starts_at_ms": starts,
            "ends_at_ms": ends,
            "comment": new.comment + by,
            "group": until.group,
            "episode": until.episode,
            "matchers": matchers,
        }
    )


def silencing(
    silences: list[Silence],
    fingerprint: str,
    labels: Mapping[str, str],
    now_ms: int,
    episodes: Mapping[str, int],
    mutes_until: Callable[[Silence], int] = lambda s: s.ends_at_ms,
) -> Silence | None:
    """The silence that mutes this alert now (the one that mutes longest: `mutes_until` tells when a silence
    active now stops muting, the end of its current window for a recurring one), or None. `episodes` gives
    the current episode of groups that "until resolved" silences name; a silence of an ended episode is over."""
    found, until = None, 0
    for silence in silences:
        if not silence.active(now_ms) or not silence.matches(fingerprint, labels):
            continue
        if silence.group and episodes.get(silence.group, silence.episode) != silence.episode:
            continue
        ends = mutes_until(silence)
        if found is None or ends > until:
            found, until = silence, ends
    return found


def named_episodes(
    silences: list[Silence], known: Mapping[str, int], episode_of: Callable[[str], int | None]
) -> dict[str, int]:
    """The current episode of every group an "until resolved" silence names (`known` ones given, the others
    looked up; a group that is gone counts as a new episode, so its silence is over)."""
    episodes = dict(known)
    for silence in silences:
        if silence.group and silence.group not in episodes:
            episode = episode_of(silence.group)
            episodes[silence.group] = episode if episode is not None else -1
    return episodes

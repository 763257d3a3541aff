"""Silences: a set of matchers and a time span during which matching alerts are kept but not sent."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping, Sequence
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

MAX_SILENCE_MS = 30 * 86400 * 1000  # a silence longer than a month is a config change, not a silence
# A later end by less than this (the same choice clicked twice) leaves a silence as it is: ends are shown to
# the minute, and "extended by a second" would only be noise.
SAME_END_MS = 60_000
STORED = "stored"  # validation context: a silence read back from the state table
FINGERPRINT_LABEL = "fingerprint"  # a silence may name alerts by fingerprint (the Slack button does)


class Silence(BaseModel):
    """Alertmanager's silence: every matcher must match. `group`/`episode` make it "until resolved":
    it then also ends when that group's episode ends (the alert resolved and fired again)."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)  # built on first use

    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    matchers: tuple[Matcher, ...] = Field(min_length=1)
    starts_at_ms: int
    ends_at_ms: int
    created_by: str
    comment: str = ""
    group: str = ""
    episode: int = 0

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
        if self.ends_at_ms - self.starts_at_ms > MAX_SILENCE_MS:
            raise ValueError("a silence may last at most 30 days")
        if not self.created_by.strip():
            raise ValueError("a silence needs its creator")
        if all(m.matches({}) for m in self.matchers):
            # Like amtool: a silence whose matchers all match an alert with no labels would silence everything.
            raise ValueError("these matchers would silence every alert: add one that needs a label value")
        return self

    def active(self, now_ms: int) -> bool:
        return self.starts_at_ms <= now_ms < self.ends_at_ms

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
    `new` starts; else the kept one (its creator, its start) lasting as long as the longer of the two (later by
    SAME_END_MS at least). "Until resolved" (group/episode) is the longest: it is kept, or taken from `new`,
    with the longest end a silence may have (MAX_SILENCE_MS after its start)."""
    if kept is None or kept.ends_at_ms <= new.starts_at_ms:
        return new
    starts = min(kept.starts_at_ms, new.starts_at_ms)
    latest = starts + MAX_SILENCE_MS
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
) -> Silence | None:
    """The silence that mutes this alert now (the one that ends last), or None. `episodes` gives the
    current episode of groups that "until resolved" silences name; a silence of an ended episode is over."""
    found = None
    for silence in silences:
        if not silence.active(now_ms) or not silence.matches(fingerprint, labels):
            continue
        if silence.group and episodes.get(silence.group, silence.episode) != silence.episode:
            continue
        if found is None or silence.ends_at_ms > found.ends_at_ms:
            found = silence
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

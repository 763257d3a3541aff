"""On-call schedules as configured: people, schedules, their layers and restrictions; overrides as stored.

A schedule is read in its `time_zone`. Each layer is a rotation through its `members`: `members[0]` is on call
from `start` (a local time), the next member from the next handoff, and so on, round and round. Handoffs are
wall-clock times: the k-th is `start + k * length` computed on the local calendar (a day for `daily`, a week
for `weekly`, `shift_length` for `custom`) and only then turned into an instant. So:

- a daily 09:00 handoff stays at 09:00 across a change of the UTC offset (that shift lasts 23 or 25 hours);
- a handoff whose local time falls in the hour skipped when clocks go forward moves to the first instant
  after the gap (02:30 on a Berlin spring-forward night is 03:00 CEST);
- a handoff whose local time happens twice when clocks go back takes the first occurrence (02:30 CEST, not
  02:30 CET).

Layers stack: a later layer wins wherever it has someone on call, and its gaps (before its `start`, outside
its `restrictions`) fall through to the layers before it. An override (a person for a span, made with the
CLI) wins over every layer; of overlapping overrides the one made last wins. oncall/schedule.py evaluates
all of this; nothing here looks at a clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from alertrouter.models.duration import parse_duration
from alertrouter.models.recipient import parse_recipient
from alertrouter.models.timeinterval import TimeIntervalSpec
from alertrouter.models.zone import zone_name

Rotation = Literal["daily", "weekly", "custom"]
OVERRIDE = "override"  # the layer name an override's shift is shown with
ROTATION_LENGTHS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
MIN_SHIFT = timedelta(hours=1)
_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,20}$")
_SLACK_USERGROUP = re.compile(r"^S[A-Z0-9]{2,20}$")


def person_name(value: Any, where: str) -> str:
    """A person's name as recipients name them (`alice`, not `call:alice` or a number), checked."""
    if not isinstance(value, str):
        raise ValueError(f"{where}: a person is a name, got {type(value).__name__}")
    recipient = parse_recipient(value)
    if recipient.person is None or recipient.channel != "sms":
        raise ValueError(
            f"{where}: {value[:60]!r} is not a person's name (write alice, not call:… or schedule:…)"
        )
    return recipient.person


class Person(BaseModel):
    """Someone who can be on call; their number stays in the SMS numbers secret under the same name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    slack: str | None = None  # their Slack user id: mentioned in handoff notices, synced to user groups

    @field_validator("slack")
    @classmethod
    def _slack(cls, v: str | None) -> str | None:
        if v is not None and not _SLACK_USER.fullmatch(v):
            raise ValueError(
                f"slack {v[:30]!r} is not a Slack user id (U0123ABCD: the member id, not a name)"
            )
        return v


class Layer(BaseModel):
    """One rotation: `members` take turns from `start`, each for one shift, inside `restrictions` only."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    rotation: Rotation
    shift_length: timedelta | None = None  # custom rotations only
    start: datetime  # naive: a local time in the schedule's zone
    members: tuple[str, ...]
    restrictions: tuple[TimeIntervalSpec, ...] = ()

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("a layer needs a name")
        if v.strip() == OVERRIDE:
            raise ValueError(f"layer name {OVERRIDE!r} is kept for overrides")
        return v.strip()

    @field_validator("shift_length", mode="before")
    @classmethod
    def _shift_length(cls, v: Any) -> Any:
        return parse_duration(v) if isinstance(v, str | int) and not isinstance(v, bool) else v

    @field_validator("start", mode="before")
    @classmethod
    def _start(cls, v: Any) -> Any:
        expected = "expected a local date and time such as 2026-01-05T09:00"
        if isinstance(v, str):
            try:
                v = datetime.fromisoformat(v.strip())
            except ValueError:
                raise ValueError(f"start {v[:40]!r}: {expected}") from None
        elif isinstance(v, date) and not isinstance(v, datetime):
            v = datetime.combine(v, time())
        if not isinstance(v, datetime):
            raise ValueError(f"start {str(v)[:40]!r}: {expected}")
        if v.tzinfo is not None:
            raise ValueError(
                "start is a local time in the schedule's time_zone: write it without an offset (2026-01-05T09:00)"
            )
        if v.second or v.microsecond:
            raise ValueError(f"start {v.isoformat()}: whole minutes only (handoffs fall on a minute)")
        return v

    @field_validator("members", mode="before")
    @classmethod
    def _members(cls, v: Any) -> Any:
        if not isinstance(v, list | tuple):
            return v
        if not v:
            raise ValueError("a layer needs at least one member")
        return tuple(person_name(m, f"member {i}") for i, m in enumerate(v))

    @model_validator(mode="after")
    def _length(self) -> Layer:
        if self.rotation == "custom":
            if self.shift_length is None:
                raise ValueError(f"layer {self.name}: a custom rotation needs a shift_length (e.g. 12h, 2d)")
            if self.shift_length < MIN_SHIFT:
                raise ValueError(f"layer {self.name}: shift_length must be at least 1h")
            if self.shift_length % timedelta(minutes=1):
                raise ValueError(f"layer {self.name}: shift_length is whole minutes")
        elif self.shift_length is not None:
            raise ValueError(
                f"layer {self.name}: shift_length is for rotation: custom ({self.rotation} shifts last a "
                f"{'day' if self.rotation == 'daily' else 'week'})"
            )
        return self

    @property
    def length(self) -> timedelta:
        """A shift on the local calendar."""
        return self.shift_length if self.shift_length is not None else ROTATION_LENGTHS[self.rotation]


class Schedule(BaseModel):
    """Who is on call for a team, in layers; named by `schedule:NAME` in receivers and escalation steps."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    time_zone: str = "UTC"
    handoff_channel: str | None = None
    slack_usergroup: str | None = None
    layers: tuple[Layer, ...]

    @model_validator(mode="before")
    @classmethod
    def _restrictions_in_zone(cls, data: Any) -> Any:
        """Restrictions are read in the schedule's zone: each entry gets it as its `location`."""
        if not isinstance(data, dict) or not isinstance(data.get("layers"), list | tuple):
            return data
        if not data["layers"]:
            raise ValueError(f"schedule {data.get('name')}: needs at least one layer")
        zone = zone_name(data.get("time_zone", "UTC"), "time_zone")
        layers = []
        for layer in data["layers"]:
            if isinstance(layer, dict) and isinstance(layer.get("restrictions"), list | tuple):
                entries = []
                for entry in layer["restrictions"]:
                    if isinstance(entry, dict):
                        if entry.get("location", zone) != zone:
                            raise ValueError(
                                f"layer {layer.get('name')}: restrictions are read in the schedule's "
                                f"time_zone ({zone}); leave out location"
                            )
                        entry = {**entry, "location": zone}
                    entries.append(entry)
                layer = {**layer, "restrictions": entries}
            layers.append(layer)
        return {**data, "layers": layers}

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        try:
            parse_recipient(f"schedule:{v}")  # a name `schedule:NAME` can name
        except ValueError:
            raise ValueError(
                f"schedule name {v[:60]!r}: letters, digits and _ . @ + - (at most 100), starting with a letter "
                "or digit"
            ) from None
        return v

    @field_validator("handoff_channel")
    @classmethod
    def _channel(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("handoff_channel must not be empty (leave it out for none)")
        return v.strip() if v is not None else None

    @field_validator("slack_usergroup")
    @classmethod
    def _usergroup(cls, v: str | None) -> str | None:
        if v is not None and not _SLACK_USERGROUP.fullmatch(v):
            raise ValueError(f"slack_usergroup {v[:30]!r} is not a Slack user group id (S0123ABCD)")
        return v

    @model_validator(mode="after")
    def _layers(self) -> Schedule:
        names = [layer.name for layer in self.layers]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"schedule {self.name}: layer names must be unique: {', '.join(repeated)}")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def members(self) -> list[str]:
        """Everyone in any layer, each once, in order of appearance."""
        return list(dict.fromkeys(m for layer in self.layers for m in layer.members))


@dataclass(frozen=True)
class Override:
    """`person` is on call in `schedule` for [start_ms, end_ms), whatever the layers say; made by `by` at
    `created_ms` (of overlapping overrides the latest made wins)."""

    schedule: str
    person: str
    start_ms: int
    end_ms: int
    by: str = ""
    created_ms: int = 0

    def __post_init__(self) -> None:
        person_name(self.person, "override")
        if self.end_ms <= self.start_ms:
            raise ValueError("an override ends after it starts")

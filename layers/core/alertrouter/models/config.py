"""The routing configuration: Alertmanager's route tree, receivers and timings, validated."""

from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_MATCHER = re.compile(r'^\s*([A-Za-z_][A-Za-z0-9_:.\-]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$')
ALL_LABELS = "..."


def parse_duration(text: str | int | float) -> timedelta:
    """`30s`, `5m`, `4h`, `1h30m` (Alertmanager style); a bare number is seconds."""
    if isinstance(text, int | float):
        return timedelta(seconds=text)
    found = _DURATION.match(text.strip())
    if not text.strip() or found is None or not any(found.groups()):
        raise ValueError(f"invalid duration {text!r}: use forms like 30s, 5m, 4h, 1h30m")
    hours, minutes, seconds = (int(g or 0) for g in found.groups())
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


class MatchOp(StrEnum):
    EQ = "="
    NE = "!="
    RE = "=~"
    NRE = "!~"


class Matcher(BaseModel):
    """`name=value`, `name!=value`, `name=~regex`, `name!~regex`; regexes are fully anchored."""

    model_config = ConfigDict(frozen=True)

    name: str
    op: MatchOp
    value: str
    pattern: re.Pattern[str] | None = None

    @classmethod
    def parse(cls, text: str) -> Matcher:
        found = _MATCHER.match(text)
        if found is None:
            raise ValueError(f"invalid matcher {text!r}: expected label=value, !=, =~ or !~")
        name, op, value = found.groups()
        if value[:1] in ("\"", "'"):
            if len(value) < 2 or value[-1] != value[0]:
                raise ValueError(f"invalid matcher {text!r}: unbalanced quote")
            value = value[1:-1]
        elif value[:1] in ("=", "~") or value[-1:] in ("\"", "'"):
            raise ValueError(f"invalid matcher {text!r}: quote a value that starts with = or ~")
        pattern = None
        if op in ("=~", "!~"):
            try:
                pattern = re.compile(f"(?:{value})")
            except re.error as exc:
                raise ValueError(f"invalid regex in matcher {text!r}: {exc.msg}") from exc
        return cls(name=name, op=MatchOp(op), value=value, pattern=pattern)

    def matches(self, labels: dict[str, str]) -> bool:
        # A missing label matches as the empty string, as in Alertmanager.
        actual = labels.get(self.name, "")
        if self.op is MatchOp.EQ:
            return actual == self.value
        if self.op is MatchOp.NE:
            return actual != self.value
        assert self.pattern is not None
        hit = self.pattern.fullmatch(actual) is not None
        return hit if self.op is MatchOp.RE else not hit

    def __str__(self) -> str:
        return f'{self.name}{self.op.value}"{self.value}"'


class SlackTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: str

    @field_validator("channel")
    @classmethod
    def _channel(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("Slack channel must not be empty")
        return v.strip()


class Receiver(BaseModel):
    """Where notifications go. SMS entries are names of numbers kept in Secrets Manager."""

    model_config = ConfigDict(extra="forbid")

    name: str
    slack: list[SlackTarget] = Field(default_factory=list)
    sms: list[str] = Field(default_factory=list)
    sms_severities: list[str] = Field(default_factory=lambda: ["critical"])

    @field_validator("sms_severities")
    @classmethod
    def _severities(cls, v: list[str]) -> list[str]:
        unknown = [s for s in v if s not in ("critical", "warning", "info")]
        if unknown:
            raise ValueError(f"unknown severities {unknown}: use critical, warning, info")
        return v

    @field_validator("sms")
    @classmethod
    def _no_numbers(cls, v: list[str]) -> list[str]:
        for entry in v:
            if re.fullmatch(r"\+?[\d\s()\-]{6,}", entry):
                raise ValueError(
                    "sms entries name numbers kept in the SMS numbers secret; do not put numbers in the file"
                )
        return v


class Route(BaseModel):
    """One node of the route tree. Unset timings and receiver are inherited from the parent."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    receiver: str | None = None
    matchers: list[Matcher] = Field(default_factory=list)
    continue_: bool = Field(default=False, alias="continue")
    group_by: list[str] | None = None
    group_wait: timedelta | None = None
    group_interval: timedelta | None = None
    repeat_interval: timedelta | None = None
    routes: list[Route] = Field(default_factory=list)
    # set by RoutingConfig after validation
    id: str = ""

    @field_validator("matchers", mode="before")
    @classmethod
    def _matchers(cls, v: Any) -> Any:
        if isinstance(v, list):
            return [Matcher.parse(m) if isinstance(m, str) else m for m in v]
        return v

    @field_validator("group_wait", "group_interval", "repeat_interval", mode="before")
    @classmethod
    def _duration(cls, v: Any) -> Any:
        return parse_duration(v) if isinstance(v, str | int | float) else v


class ResolvedRoute(BaseModel):
    """A matched route with every inherited setting filled in."""

    model_config = ConfigDict(frozen=True)

    id: str
    receiver: str
    group_by: tuple[str, ...]
    group_wait: timedelta
    group_interval: timedelta
    repeat_interval: timedelta
    matchers: tuple[str, ...] = ()


class RoutingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    route: Route
    receivers: list[Receiver]

    @model_validator(mode="after")
    def _check(self) -> Self:
        names = [r.name for r in self.receivers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"receiver names must be unique: {', '.join(duplicates)}")
        root = self.route
        if root.matchers:
            raise ValueError("the root route must not have matchers: it receives every alert")
        if root.receiver is None:
            raise ValueError("the root route must name a receiver")
        self._number(root, "0", set(names))
        return self

    def _number(self, route: Route, route_id: str, known: set[str]) -> None:
        route.id = route_id
        if route.receiver is not None and route.receiver not in known:
            raise ValueError(f"route {route_id} names unknown receiver {route.receiver!r}")
        for timing in ("group_wait", "group_interval", "repeat_interval"):
            value = getattr(route, timing)
            if value is not None and value.total_seconds() < 0:
                raise ValueError(f"route {route_id}: {timing} must not be negative")
        if route.group_interval is not None and route.group_interval.total_seconds() > 900:
            raise ValueError(f"route {route_id}: group_interval above 15m is not supported (SQS delay limit)")
        if route.group_wait is not None and route.group_wait.total_seconds() > 900:
            raise ValueError(f"route {route_id}: group_wait above 15m is not supported (SQS delay limit)")
        for index, child in enumerate(route.routes):
            self._number(child, f"{route_id}.{index}", known)

    def receiver(self, name: str) -> Receiver:
        for receiver in self.receivers:
            if receiver.name == name:
                return receiver
        raise KeyError(name)

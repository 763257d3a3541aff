"""The routing configuration: Alertmanager's route tree, receivers and timings, validated."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from alertrouter.models.am_receivers import ALERTMANAGER_GLOBALS, from_alertmanager
from alertrouter.models.duration import parse_duration as parse_duration  # (re-exported: its old home)
from alertrouter.models.heartbeat import CheckKind, HeartbeatCheck
from alertrouter.models.inhibit import InhibitRule
from alertrouter.models.matcher import Matcher, from_legacy_keys
from alertrouter.models.matcher_syntax import CLASSIC_NAMES_ONLY, NAME
from alertrouter.models.recipient import CALL, parse_recipient, recipient_ref
from alertrouter.models.schedule import Person, Schedule, person_name
from alertrouter.models.timeinterval import NamedTimeInterval
from alertrouter.models.webhook import WebhookTarget
from alertrouter.models.zone import zone_name

ALL_LABELS = "..."
# When a group's changes after its first notification are sent: on its group_interval ticks, as Alertmanager
# sends them (a burst is one notification), or each as it comes (lower latency, a burst is several edits).
SendChanges = Literal["on_tick", "at_once"]
MAX_TRANSITIONS = 10  # state changes remembered per alert, for flap detection


class SlackTarget(BaseModel):
    """A channel the bot token posts to; `title` and `text` are Alertmanager-style templates of the message's
    headline and body (checked when the config is loaded: alertrouter/config.py), None for this router's own."""

    model_config = ConfigDict(extra="forbid")
    channel: str
    title: str | None = None
    text: str | None = None

    @field_validator("channel")
    @classmethod
    def _channel(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("Slack channel must not be empty")
        return v.strip()


def _fallback_channel(v: str | None) -> str | None:
    if v is not None and not v.strip():
        raise ValueError("fallback_channel must not be empty (leave it out for none)")
    return v.strip() if v is not None else None


class Receiver(BaseModel):
    """Where notifications go. SMS entries are names of numbers kept in Secrets Manager; webhooks get
    Alertmanager's webhook JSON."""

    model_config = ConfigDict(extra="forbid")

    name: str
    slack: list[SlackTarget] = Field(default_factory=list)
    sms: list[str] = Field(default_factory=list)
    sms_severities: list[str] = Field(default_factory=lambda: ["critical"])
    # ours: where the group's message goes when every one of `slack` is refused for good (archived, app removed)
    fallback_channel: str | None = None
    webhook_configs: list[WebhookTarget] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _alertmanager_receivers(cls, data: Any) -> Any:
        return from_alertmanager(data)

    @field_validator("fallback_channel")
    @classmethod
    def _fallback(cls, v: str | None) -> str | None:
        return _fallback_channel(v)

    @field_validator("webhook_configs", mode="before")
    @classmethod
    def _webhook_timeouts(cls, v: Any) -> Any:
        """A webhook's timeout in Prometheus' duration format, as Alertmanager reads it."""
        if not isinstance(v, list):
            return v
        return [
            {**entry, "timeout": _duration_field(entry["timeout"])}
            if isinstance(entry, dict) and entry.get("timeout") is not None
            else entry
            for entry in v
        ]

    @model_validator(mode="after")
    def _fallback_elsewhere(self) -> Self:
        if self.fallback_channel is not None and self.fallback_channel in {t.channel for t in self.slack}:
            raise ValueError(
                f"fallback_channel {self.fallback_channel} is one of the receiver's own channels"
            )
        return self

    @field_validator("sms_severities")
    @classmethod
    def _severities(cls, v: list[str]) -> list[str]:
        unknown = [s for s in v if s not in ("critical", "warning", "info")]
        if unknown:
            raise ValueError(f"unknown severities {unknown}: use critical, warning, info")
        return v

    @field_validator("sms", mode="before")
    @classmethod
    def _recipients(cls, v: Any) -> Any:
        """Recipients texted at once (models/recipient.py): `alice`, `schedule:payments`, or a mapping form;
        calls are escalation steps."""
        if not isinstance(v, list | tuple):
            return v
        refs = [_recipient(entry, "sms entries") for entry in v]
        calls = [ref for ref in refs if ref.startswith(CALL)]
        if calls:
            raise ValueError(
                f"{calls[0]}: a receiver's sms entries are texted at once; put calls in an escalation step "
                "(escalation: {after: 10m, steps: [[" + calls[0] + "]]})"
            )
        return refs


def _recipient(entry: Any, what: str) -> str:
    try:
        return recipient_ref(entry)
    except ValueError as exc:
        if "do not put numbers" in str(exc):
            raise ValueError(
                f"{what} name numbers kept in the SMS numbers secret; do not put numbers in the file"
            ) from None
        raise


def _duration_field(v: Any) -> Any:
    return parse_duration(v) if isinstance(v, str | int | float) else v


class Escalation(BaseModel):
    """If a page is not acknowledged within `after`, page the next step's SMS recipients; after the last
    step start again from the first, `repeat` more times."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    after: timedelta
    steps: tuple[tuple[str, ...], ...] = Field(min_length=1)
    repeat: int = Field(default=0, ge=0, le=10)

    @field_validator("after", mode="before")
    @classmethod
    def _after(cls, v: Any) -> Any:
        return _duration_field(v)

    @field_validator("after")
    @classmethod
    def _positive(cls, v: timedelta) -> timedelta:
        if v.total_seconds() < 60:
            raise ValueError("escalation.after must be at least 1m (the escalator runs every minute)")
        return v

    @field_validator("steps", mode="before")
    @classmethod
    def _recipients(cls, v: Any) -> Any:
        """Each step a list of recipients (models/recipient.py), or one recipient alone."""
        if not isinstance(v, list | tuple):
            return v
        return tuple(
            tuple(_recipient(entry, "escalation steps") for entry in step)
            if isinstance(step, list | tuple)
            else (_recipient(step, "escalation steps"),)
            for step in v
        )

    @field_validator("steps")
    @classmethod
    def _steps(cls, v: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
        if any(not step for step in v):
            raise ValueError("every escalation step names at least one SMS recipient")
        return v


class FlapPolicy(BaseModel):
    """An alert that changes state more than `changes` times within `window` is flapping: its message is
    kept updated, its pages are held until it has kept one state for `settle`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    changes: int = Field(default=4, ge=2, le=MAX_TRANSITIONS - 1)
    window: timedelta = timedelta(minutes=30)
    settle: timedelta = timedelta(minutes=15)

    @field_validator("window", "settle", mode="before")
    @classmethod
    def _durations(cls, v: Any) -> Any:
        return _duration_field(v)


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
    # Alertmanager's: names from `time_intervals`; like Alertmanager, not inherited by child routes
    mute_time_intervals: list[str] = Field(default_factory=list)
    active_time_intervals: list[str] = Field(default_factory=list)
    # ours, inherited: changes sent on group_interval ticks (Alertmanager's clock) or as they come
    send_changes: SendChanges | None = None
    # ours, inherited: paging beyond the first SMS, reminders, flap control
    escalation: Escalation | None = None
    reminder_interval: timedelta | None = None
    resolve_timeout: timedelta | None = None  # one-shot alerts (no resolved event) resolve after this
    flapping: FlapPolicy | None = None
    routes: list[Route] = Field(default_factory=list)
    # set by RoutingConfig after validation
    id: str = ""

    @model_validator(mode="before")
    @classmethod
    def _legacy_match(cls, data: Any) -> Any:
        return from_legacy_keys(data, "matchers")  # Alertmanager's deprecated match / match_re

    @field_validator("receiver", mode="before")
    @classmethod
    def _receiver(cls, v: Any) -> Any:
        return None if v == "" else v  # as in Alertmanager, an empty receiver is the parent's

    @field_validator("matchers", mode="before")
    @classmethod
    def _matchers(cls, v: Any) -> Any:
        if isinstance(v, list):  # an entry may hold several matchers, as in Alertmanager
            return [m for entry in v for m in Matcher.coerce_all(entry)]
        return v

    @field_validator("group_by")
    @classmethod
    def _group_by(cls, v: list[str] | None) -> list[str] | None:
        """Checked as Alertmanager checks it (its own words)."""
        if v is None:
            return v
        if ALL_LABELS in v and len(v) > 1:
            raise ValueError("cannot have wildcard group_by (`...`) and other labels at the same time")
        for name in v:
            if name != ALL_LABELS and not NAME.fullmatch(name):
                raise ValueError(f"invalid label name {name!r} in group_by list: {CLASSIC_NAMES_ONLY}")
            if v.count(name) > 1:
                raise ValueError(f"duplicated label {name!r} in group_by")
        return v

    @field_validator(
        "group_wait",
        "group_interval",
        "repeat_interval",
        "reminder_interval",
        "resolve_timeout",
        mode="before",
    )
    @classmethod
    def _duration(cls, v: Any) -> Any:
        return _duration_field(v)


class ResolvedRoute(BaseModel):
    """A matched route with every inherited setting filled in."""

    model_config = ConfigDict(frozen=True)

    id: str
    receiver: str
    group_by: tuple[str, ...]
    group_wait: timedelta
    group_interval: timedelta
    repeat_interval: timedelta
    send_changes: SendChanges = "on_tick"
    matchers: tuple[str, ...] = ()
    mute_time_intervals: tuple[str, ...] = ()
    active_time_intervals: tuple[str, ...] = ()
    escalation: Escalation | None = None
    reminder_interval: timedelta | None = None
    resolve_timeout: timedelta = timedelta(hours=1)
    flapping: FlapPolicy = FlapPolicy()


class GlobalSettings(BaseModel):
    """Alertmanager's `global` section; ours holds defaults for every receiver."""

    model_config = ConfigDict(extra="forbid")

    # used for a receiver without its own fallback_channel
    fallback_channel: str | None = None
    # Alertmanager's: an alert with no resolved event is resolved this long after its last one (one-shot
    # alerts here); the root route's resolve_timeout when it sets none
    resolve_timeout: timedelta | None = None

    @model_validator(mode="before")
    @classmethod
    def _integration_settings(cls, data: Any) -> Any:
        # Alertmanager's settings of integrations (SMTP, webhook URLs, API keys): nothing here uses them;
        # check-config names them
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if k not in ALERTMANAGER_GLOBALS}
        return data

    @field_validator("fallback_channel")
    @classmethod
    def _fallback(cls, v: str | None) -> str | None:
        return _fallback_channel(v)

    @field_validator("resolve_timeout", mode="before")
    @classmethod
    def _resolve_timeout(cls, v: Any) -> Any:
        return _duration_field(v)


class MessageSettings(BaseModel):
    """How messages read (ours): the accounts' names, and the team's time zone for the times they show."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # account id -> the name people call it ("production"); the id is shown for an account not named here
    account_names: dict[str, str] = Field(default_factory=dict)
    time_zone: str = "UTC"  # an IANA zone (Europe/Berlin); times are shown in it, with UTC beside them

    @field_validator("account_names", mode="before")
    @classmethod
    def _account_ids(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        named: dict[str, str] = {}
        for account, name in v.items():
            account_id = str(account).strip()  # (YAML reads an unquoted id as a number)
            if isinstance(account, int) and not isinstance(account, bool):
                account_id = f"{account:012d}"
            if not re.fullmatch(r"\d{12}", account_id):
                raise ValueError(f"account_names: {str(account)[:40]!r} is not a 12-digit AWS account id")
            if not isinstance(name, str) or not name.strip():
                raise ValueError(f"account_names: account {account_id} needs a name")
            named[account_id] = name.strip()[:60]
        return named

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, v: str) -> str:
        return zone_name(v)


class RoutingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    global_: GlobalSettings = Field(default_factory=GlobalSettings, alias="global")
    messages: MessageSettings = Field(default_factory=MessageSettings)
    route: Route
    receivers: list[Receiver]
    time_intervals: list[NamedTimeInterval] = Field(default_factory=list)
    inhibit_rules: list[InhibitRule] = Field(default_factory=list)
    # ours: on call (models/schedule.py); numbers stay in the SMS numbers secret under these names
    people: dict[str, Person] = Field(default_factory=dict)
    schedules: list[Schedule] = Field(default_factory=list)
    heartbeats: list[HeartbeatCheck] = Field(default_factory=list)  # models/heartbeat.py

    @field_validator("heartbeats")
    @classmethod
    def _no_spoke_watches(cls, v: list[HeartbeatCheck]) -> list[HeartbeatCheck]:
        for check in v:
            if check.kind == CheckKind.SPOKE:
                raise ValueError(
                    f"heartbeat {check.name!r}: kind spoke is the hub's own watch of a spoke account, made when "
                    "the spoke's first heartbeat arrives (alertrouter spokes list)"
                )
        return v

    @field_validator("people", mode="before")
    @classmethod
    def _people(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        return {person_name(name, "people"): {} if about is None else about for name, about in v.items()}

    @model_validator(mode="before")
    @classmethod
    def _alertmanager_top_level(cls, data: Any) -> Any:
        """Alertmanager's `templates` (its message templates: this router draws its own; check-config names
        them) and its older name for time intervals, `mute_time_intervals` (the same named intervals)."""
        if not isinstance(data, dict) or not {"templates", "mute_time_intervals"} & set(data):
            return data
        data = dict(data)
        templates = data.pop("templates", None)
        if templates is not None and not (
            isinstance(templates, list) and all(isinstance(t, str) for t in templates)
        ):
            raise ValueError("templates is a list of file patterns")
        older = data.pop("mute_time_intervals", None) or []
        if older:
            data["time_intervals"] = [*(data.get("time_intervals") or []), *older]
        return data

    @model_validator(mode="after")
    def _check(self) -> Self:
        names = [r.name for r in self.receivers]
        if any(not name.strip() for name in names):
            raise ValueError("missing name in receiver (as in Alertmanager): every receiver needs a name")
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"receiver names must be unique: {', '.join(duplicates)}")
        root = self.route
        if root.matchers:
            raise ValueError("the root route must not have matchers: it receives every alert")
        if root.receiver is None:
            raise ValueError("the root route must name a receiver")
        if root.continue_:
            raise ValueError("cannot have continue in root route (as in Alertmanager)")
        if root.resolve_timeout is None:
            root.resolve_timeout = self.global_.resolve_timeout
        if root.mute_time_intervals or root.active_time_intervals:
            raise ValueError("the root route cannot have mute or active time intervals (as in Alertmanager)")
        intervals = [t.name for t in self.time_intervals]
        repeated = sorted({n for n in intervals if intervals.count(n) > 1})
        if repeated:
            raise ValueError(
                f"time interval names must be unique (time_intervals and mute_time_intervals together): "
                f"{', '.join(repeated)}"
            )
        self._number(root, "0", set(names), set(intervals))
        self._check_schedules()
        return self

    def _check_schedules(self) -> None:
        """Schedule names unique, their members among `people` (when given), `schedule:` refs known."""
        names = [s.name for s in self.schedules]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"schedule names must be unique: {', '.join(repeated)}")
        if self.people:
            for schedule in self.schedules:
                for layer in schedule.layers:
                    unknown = [m for m in layer.members if m not in self.people]
                    if unknown:
                        raise ValueError(
                            f"schedule {schedule.name}, layer {layer.name}: members {', '.join(unknown)} are "
                            "not in people"
                        )
        known = set(names)
        for where, refs in self.recipient_refs():
            for ref in refs:
                named = parse_recipient(ref).schedule
                if named is not None and named not in known:
                    raise ValueError(
                        f"{where} names unknown schedule {named!r}"
                        + (
                            f" (schedules: {', '.join(sorted(known))})"
                            if known
                            else " (no schedules are defined)"
                        )
                    )

    def recipient_refs(self) -> list[tuple[str, tuple[str, ...]]]:
        """(where, recipients) of every receiver's `sms` and every route's escalation step."""
        found: list[tuple[str, tuple[str, ...]]] = [
            (f"receiver {r.name}", tuple(r.sms)) for r in self.receivers
        ]
        todo = [self.route]
        while todo:
            route = todo.pop(0)
            todo += route.routes
            if route.escalation:
                found.append(
                    (
                        f"escalation of route {route.id}",
                        tuple(r for step in route.escalation.steps for r in step),
                    )
                )
        return found

    def schedule(self, name: str) -> Schedule:
        for schedule in self.schedules:
            if schedule.name == name:
                return schedule
        raise KeyError(name)

    def _number(self, route: Route, route_id: str, known: set[str], intervals: set[str]) -> None:
        route.id = route_id
        if route.receiver is not None and route.receiver not in known:
            raise ValueError(f"route {route_id} names unknown receiver {route.receiver!r}")
        unknown = sorted(set(route.mute_time_intervals + route.active_time_intervals) - intervals)
        if unknown:
            raise ValueError(f"route {route_id} names unknown time intervals {unknown}")
        for timing in ("group_wait", "group_interval", "repeat_interval"):
            value = getattr(route, timing)
            if value is not None and value.total_seconds() < 0:
                raise ValueError(f"route {route_id}: {timing} must not be negative")
        if route.group_interval == timedelta(0):
            raise ValueError(
                f"route {route_id}: group_interval cannot be zero (as in Alertmanager); to send each change "
                "as it comes, set send_changes: at_once"
            )
        if route.repeat_interval == timedelta(0):
            raise ValueError(f"route {route_id}: repeat_interval cannot be zero (as in Alertmanager)")
        for index, child in enumerate(route.routes):
            self._number(child, f"{route_id}.{index}", known, intervals)

    def receiver(self, name: str) -> Receiver:
        for receiver in self.receivers:
            if receiver.name == name:
                return receiver
        raise KeyError(name)

    def slack_target(self, receiver: str, channel: str) -> SlackTarget | None:
        """The receiver's Slack target for that channel (its templates); None when the receiver or the channel
        is not, or no longer, in the config."""
        try:
            targets = self.receiver(receiver).slack
        except KeyError:
            return None
        return next((t for t in targets if t.channel == channel), None)

    def fallback_channel(self, receiver: Receiver) -> str | None:
        """The channel a receiver's message goes to when all its channels fail for good (None: none, or it
        would be one of them)."""
        fallback = receiver.fallback_channel or self.global_.fallback_channel
        return fallback if fallback and fallback not in {t.channel for t in receiver.slack} else None

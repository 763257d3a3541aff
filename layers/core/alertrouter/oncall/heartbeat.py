"""Heartbeat checks evaluated: when a check is due, whether it is up, late or down at a given time, what a
ping, a pause or the clock does to it, and the alert that raises or resolves. Pure: the store keeps the
states, the sweep and the ping service send the events (sources/heartbeat.py turns them into alerts).

Semantics as healthchecks.io's: a check is new until its first ping and never alerts then; a success ping
makes it up; the next ping is expected `period` after the last (or at the next `cron` tick after it, in the
check's time zone); from then it is late for `grace`, then down. A /start begins a run that must report
within `grace` (start + grace is due if earlier); a /fail makes it down at once. A paused check never alerts;
a ping resumes it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal
from zoneinfo import ZoneInfo

from cronsim import CronSim

from alertrouter.models.heartbeat import (
    HeartbeatCheck,
    HeartbeatState,
    HeartbeatStatus,
    PingKind,
    duration_text,
)

EVENT_SOURCE = "alertrouter.heartbeat"
DETAIL_TYPE = "AlertRouter Heartbeat"
DownReason = Literal["missed", "failed", "unfinished"]


class Standing(StrEnum):
    """Where a check stands at a moment: its stored status, refined by the clock."""

    NEW = "new"
    UP = "up"
    STARTED = "started"  # a run began, within its grace
    LATE = "late"  # past its expected time, within grace
    DOWN = "down"
    PAUSED = "paused"


@dataclass(frozen=True, slots=True)
class HeartbeatEvent:
    """The alert a check raises (down) or resolves (a ping after down, a pause): the detail of the event the
    router's queue takes (source `alertrouter.heartbeat`)."""

    check: str
    firing: bool
    at_ms: int
    reason: str = ""  # DownReason when firing
    last_ping_ms: int | None = None
    last_start_ms: int | None = None
    expected: str = ""  # "every 1d", "at '0 2 * * *' Europe/Berlin"
    grace: str = ""
    time_zone: str = "UTC"
    description: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    note: str = ""
    kind: str = "ping"  # the check's kind: a spoke's watch raises its own alert (sources/spoke.py)

    def detail(self) -> dict[str, Any]:
        return {
            **({"kind": self.kind} if self.kind != "ping" else {}),
            "check": self.check,
            "state": "firing" if self.firing else "resolved",
            "reason": self.reason,
            "at_ms": self.at_ms,
            "last_ping_ms": self.last_ping_ms,
            "last_start_ms": self.last_start_ms,
            "expected": self.expected,
            "grace": self.grace,
            "time_zone": self.time_zone,
            "description": self.description,
            "labels": dict(self.labels),
            "note": self.note,
        }

    @classmethod
    def from_detail(cls, detail: dict[str, Any]) -> HeartbeatEvent:
        """The event again from its detail (as the state's outbox keeps it)."""
        fields = {k: v for k, v in detail.items() if k in cls.__dataclass_fields__}
        return cls(**fields, firing=detail.get("state") == "firing")

    def eventbridge(self, account: str = "", region: str = "") -> dict[str, Any]:
        """As an EventBridge-shaped event, the form the router's parsers recognise."""
        return {
            "version": "0",
            "id": f"heartbeat-{self.check}-{self.at_ms}",
            "source": EVENT_SOURCE,
            "detail-type": DETAIL_TYPE,
            "account": account,
            "region": region,
            "time": datetime.fromtimestamp(self.at_ms / 1000, UTC).isoformat().replace("+00:00", "Z"),
            "resources": [],
            "detail": self.detail(),
        }


@dataclass(frozen=True, slots=True)
class Transition:
    """A check's next state, and the event to send once that state is stored (None: nothing to tell)."""

    state: HeartbeatState
    event: HeartbeatEvent | None = None


def expected_ms(check: HeartbeatCheck, last_ping_ms: int) -> int:
    """When the ping after one at last_ping_ms is expected: a period later, or the cron schedule's next tick
    after it in the check's time zone (cronsim keeps Debian cron's rules across DST changes)."""
    if check.period is not None:
        return last_ping_ms + _ms(check.period)
    assert check.cron is not None  # the model holds one of the two
    last = datetime.fromtimestamp(last_ping_ms / 1000, check.zone)
    return int(next(CronSim(check.cron, last)).timestamp() * 1000)


def grace_start_ms(check: HeartbeatCheck, state: HeartbeatState) -> int | None:
    """From when an up check is late: its next expected ping, or a started run's start if earlier."""
    if state.status != HeartbeatStatus.UP or state.last_ping_ms is None:
        return None
    start = expected_ms(check, state.last_ping_ms)
    if state.last_start_ms is not None:
        start = min(start, state.last_start_ms)
    return start


def deadline_ms(check: HeartbeatCheck, state: HeartbeatState) -> int | None:
    """When an up check is down unless it is pinged; None for a check that cannot go down by the clock
    (new, paused, or down already)."""
    start = grace_start_ms(check, state)
    return None if start is None else start + _ms(check.grace)


def status_at(check: HeartbeatCheck, state: HeartbeatState, now_ms: int) -> Standing:
    """Where the check stands at now_ms (a stored `up` may be late or down by now)."""
    start = grace_start_ms(check, state)
    if start is None:
        return Standing(state.status.value)
    if now_ms >= start + _ms(check.grace):
        return Standing.DOWN
    if state.last_start_ms is not None:
        return Standing.STARTED  # a run under way, within its grace
    return Standing.LATE if now_ms >= start else Standing.UP


def retry_after_s(
    state: HeartbeatState, now_ms: int, min_gap_s: int, kind: PingKind = PingKind.SUCCESS
) -> int:
    """Seconds until a ping may be recorded (0: now): one ping per min_gap_s per check, but for a run's end
    right after its /start (a short job), so a flood costs at most two writes per min_gap_s."""
    if state.last_event_ms is None or min_gap_s <= 0:
        return 0
    if state.last_event_kind == PingKind.START and kind != PingKind.START:
        return 0
    wait_ms = state.last_event_ms + min_gap_s * 1000 - now_ms
    return 0 if wait_ms <= 0 else -(-wait_ms // 1000)


def apply_ping(
    check: HeartbeatCheck, state: HeartbeatState, kind: PingKind, at_ms: int, note: str = ""
) -> Transition | None:
    """What a ping at at_ms does; None if it changes nothing (older than the last one recorded: a delivery
    that arrived late)."""
    if state.last_event_ms is not None and at_ms < state.last_event_ms:
        return None
    recorded = state.model_copy(
        update={"last_event_ms": at_ms, "last_event_kind": kind, "note": note, "rev": state.rev + 1}
    )
    if kind == PingKind.START:
        return Transition(recorded.model_copy(update={"last_start_ms": at_ms}))
    if kind == PingKind.FAIL:
        down = recorded.model_copy(
            update={
                "status": HeartbeatStatus.DOWN,
                "last_ping_ms": at_ms,
                "last_fail_ms": at_ms,
                "last_start_ms": None,
                "down_reason": "failed",
                "down_since_ms": at_ms,
            }
        )
        already = state.status == HeartbeatStatus.DOWN and state.down_reason == "failed"
        return Transition(down, None if already else event_for(check, down, firing=True, at_ms=at_ms))
    up = recorded.model_copy(
        update={
            "status": HeartbeatStatus.UP,
            "last_ping_ms": at_ms,
            "last_start_ms": None,
            "down_reason": "",
            "down_since_ms": None,
        }
    )
    was_down = state.status == HeartbeatStatus.DOWN
    return Transition(up, event_for(check, state, firing=False, at_ms=at_ms) if was_down else None)


def overdue(check: HeartbeatCheck, state: HeartbeatState, now_ms: int) -> Transition | None:
    """The check marked down if it is past its deadline at now_ms (the sweep's step); None if it is not."""
    deadline = deadline_ms(check, state)
    if deadline is None or now_ms < deadline:
        return None
    assert state.last_ping_ms is not None  # an up check has been pinged
    unfinished = state.last_start_ms is not None and state.last_start_ms <= expected_ms(
        check, state.last_ping_ms
    )
    down = state.model_copy(
        update={
            "status": HeartbeatStatus.DOWN,
            "down_reason": "unfinished" if unfinished else "missed",
            "down_since_ms": now_ms,
            "rev": state.rev + 1,
        }
    )
    return Transition(down, event_for(check, down, firing=True, at_ms=now_ms))


def pause(check: HeartbeatCheck, state: HeartbeatState, at_ms: int) -> Transition:
    """Paused: never alerts; a down check's alert resolves."""
    paused = state.model_copy(
        update={
            "status": HeartbeatStatus.PAUSED,
            "down_reason": "",
            "down_since_ms": None,
            "rev": state.rev + 1,
        }
    )
    was_down = state.status == HeartbeatStatus.DOWN
    return Transition(paused, event_for(check, state, firing=False, at_ms=at_ms) if was_down else None)


def resume(state: HeartbeatState) -> Transition:
    """A paused check resumed waits for its next ping, as a new one does (a ping also resumes it)."""
    if state.status != HeartbeatStatus.PAUSED:
        return Transition(state)
    return Transition(
        state.model_copy(update={"status": HeartbeatStatus.NEW, "last_start_ms": None, "rev": state.rev + 1})
    )


def expected_text(check: HeartbeatCheck) -> str:
    """How the check's schedule is said: "every 1d", "at '0 2 * * *' Europe/Berlin"."""
    if check.period is not None:
        return f"every {duration_text(check.period)}"
    return f"at '{check.cron}' {check.time_zone}"


def clock_text(at_ms: int, time_zone: str, now_ms: int) -> str:
    """A ping's time as a title says it: "02:03 UTC" on the same day as now_ms, else with its date."""
    zone = ZoneInfo(time_zone)
    at = datetime.fromtimestamp(at_ms / 1000, zone)
    now = datetime.fromtimestamp(now_ms / 1000, zone)
    return at.strftime("%H:%M %Z" if at.date() == now.date() else "%Y-%m-%d %H:%M %Z")


def event_for(check: HeartbeatCheck, state: HeartbeatState, *, firing: bool, at_ms: int) -> HeartbeatEvent:
    """The event that says the check is down (firing) or no longer down, as of this state."""
    return HeartbeatEvent(
        check=check.name,
        firing=firing,
        at_ms=at_ms,
        reason=state.down_reason if firing else "",
        last_ping_ms=state.last_ping_ms,
        last_start_ms=state.last_start_ms,
        expected=expected_text(check),
        grace=duration_text(check.grace),
        time_zone=check.time_zone,
        description=check.description,
        labels=dict(check.labels),
        note=state.note,
        kind=check.kind.value,
    )


def new_token() -> tuple[str, str]:
    """A check's ping token and the hash the table keeps (the token is shown once, never stored)."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str, kept_hash: str) -> bool:
    """Constant-time: how much of a guess was right does not show in the time taken."""
    return bool(kept_hash) and hmac.compare_digest(token_hash(token), kept_hash)


def _ms(d: timedelta) -> int:
    return d // timedelta(milliseconds=1)

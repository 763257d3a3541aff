"""The hub's watch of its spokes: each spoke heartbeat (sources/spoke.py) recorded as a ping of the spoke's
heartbeat check `spoke-<account id>` (kind `spoke`), made on the spoke's first heartbeat, so an account that
joins is watched without a config change. The escalator's heartbeat sweep (heartbeats.HeartbeatSweep) lists
these checks with the others (the one Query of the `HEARTBEAT` partition it makes each minute) and marks a
silent spoke down; its event becomes `SpokeSilent` (sources/heartbeat.py -> sources/spoke.py), resolved by
the spoke's next heartbeat.

Timing: a spoke beating every N minutes is late after 2 x N (one heartbeat missed, the next one
overdue) and down, alerting, after a further 2 x N: 20 minutes of silence for the default 5-minute beat,
long enough for a deploy of the spoke or an EventBridge retry, short enough to be noticed within the half
hour."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from alertrouter.heartbeat_ledger import EventSink, HeartbeatLedger
from alertrouter.models.heartbeat import CheckKind, HeartbeatCheck, HeartbeatRecord, PingKind
from alertrouter.oncall.heartbeat import apply_ping
from alertrouter.sources.spoke import SpokeHeartbeat
from alertrouter.store.base import HeartbeatStore

# A spoke beats every few minutes: a heartbeat within this long of the last one recorded is not written
# (a spoke sending more often, or replaying, costs no write).
MIN_GAP_MS = 60_000
_ATTEMPTS = 3  # a heartbeat whose write lost to another writer (the sweep) decides again on what won


@dataclass(frozen=True, slots=True)
class Recorded:
    watch: str
    created: bool  # the spoke's first heartbeat: its watch was made
    written: bool  # False: too soon after the last one (or an older one), nothing written


def spoke_check(heartbeat: SpokeHeartbeat, account_name: str = "") -> HeartbeatCheck:
    """The watch of a spoke as its latest heartbeat describes it."""
    every = timedelta(minutes=heartbeat.every_minutes)
    labels = {
        "account": heartbeat.account,
        "region": heartbeat.region,
        "stack": heartbeat.stack,
        "account_label": heartbeat.account_label,
        "account_name": account_name,
    }
    return HeartbeatCheck(
        name=heartbeat.watch,
        kind=CheckKind.SPOKE,
        description=f"AlertRouter spoke {heartbeat.stack} in {heartbeat.region}",
        period=2 * every,
        grace=2 * every,
        labels={k: v for k, v in labels.items() if v},
    )


class SpokeWatch:
    """Records the spokes' heartbeats on their watches (the router, as they arrive)."""

    def __init__(
        self,
        store: HeartbeatStore,
        enqueue: EventSink,
        now_ms: Callable[[], int],
        account_names: Callable[[str], str] = lambda account: "",
    ) -> None:
        self.store = store
        self.ledger = HeartbeatLedger(store, enqueue, now_ms)
        self.now_ms = now_ms
        self.account_names = account_names

    def record(self, heartbeat: SpokeHeartbeat) -> Recorded:
        """Ping the spoke's watch (made, or its definition brought up to date, first). A heartbeat is dated
        by its own time, never later than now (a spoke's clock cannot push its watch into the future)."""
        now = self.now_ms()
        at_ms = min(heartbeat.at_ms, now)
        wanted = spoke_check(heartbeat, self.account_names(heartbeat.account))
        record = self.store.heartbeat(wanted.name)
        created = record is None
        if record is None or record.check != wanted:
            self.store.put_heartbeat_definition(wanted, "", now)  # no token: never pinged over HTTP
            record = self.store.heartbeat(wanted.name)
        for _ in range(_ATTEMPTS):
            if record is None:  # forgotten meanwhile (`alertrouter spokes forget`)
                break
            if not _due(record, at_ms):
                break
            moved = apply_ping(record.check, record.state, PingKind.SUCCESS, at_ms)
            if moved is None:
                break
            if self.ledger.apply(record, moved) is not None:
                return Recorded(wanted.name, created, True)
            record = self.store.heartbeat(wanted.name)
        return Recorded(wanted.name, created, False)


def _due(record: HeartbeatRecord, at_ms: int) -> bool:
    last = record.state.last_event_ms
    return last is None or at_ms - last >= MIN_GAP_MS or record.state.status.value in ("down", "paused")

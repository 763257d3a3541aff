"""The hub's watch of its spokes: a spoke heartbeat parsed (or refused with its reason), recorded on the
spoke's watch `spoke-<account>` (made at first sight), a silent spoke raised as SpokeSilent by the heartbeat
sweep and resolved by its next heartbeat; the watch is the spokes' own (no ping, no config may make one)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from alertrouter.heartbeat_ping import PING_SOURCE, HeartbeatPings
from alertrouter.heartbeats import HeartbeatSweep
from alertrouter.models.alert import Status
from alertrouter.models.config import RoutingConfig
from alertrouter.models.heartbeat import CheckKind, HeartbeatStatus
from alertrouter.sources import MalformedEventError, parse_body, parse_payload
from alertrouter.sources.spoke import SpokeHeartbeat, parse_event
from alertrouter.spokes import MIN_GAP_MS, SpokeWatch
from support.events import spoke_heartbeat
from support.memory_store import MemoryStore

MIN = 60_000
T0 = int(datetime(2026, 12, 1, 2, 0, tzinfo=UTC).timestamp() * 1000)
ACCOUNT = "111122223333"


def at(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")


class Hub:
    """The hub's store, clock and router queue (the events the watch and the sweep send)."""

    def __init__(self) -> None:
        self.store = MemoryStore()
        self.ms = T0
        self.sent: list[dict[str, Any]] = []
        names = {ACCOUNT: "production"}
        self.watch = SpokeWatch(self.store, self.sent.append, self.now, lambda a: names.get(a, ""))
        self.sweep = HeartbeatSweep(self.store, self.sent.append, self.now)

    def now(self) -> int:
        return self.ms

    def beat(self, account: str = ACCOUNT, **kwargs: Any) -> Any:
        return self.watch.record(parse_event(spoke_heartbeat(account, at(self.ms), **kwargs)))

    def alerts(self) -> list[Any]:
        sent, self.sent[:] = list(self.sent), []
        return [a for event in sent for a in parse_body(json.dumps(event)).alerts]


def test_a_spoke_heartbeat_is_parsed_into_its_spoke_and_time() -> None:
    beat = parse_event(spoke_heartbeat(at="2026-12-01T02:00:00Z"))
    assert beat == SpokeHeartbeat(ACCOUNT, "eu-west-1", "alertrouter-spoke", "prod", 5, T0)
    assert beat.watch == f"spoke-{ACCOUNT}"
    # straight from the router's queue it is a spoke's sign of life, not an alert
    parsed = parse_body(json.dumps(spoke_heartbeat()))
    assert parsed.spokes == [parse_event(spoke_heartbeat())] and parsed.alerts == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"account": "12345"}, "account"),
        ({"account": ""}, "account"),
        ({"region": "not a region"}, "region"),
        ({"detail": {"account_label": "prod", "every_minutes": 5}}, "detail.stack"),
        ({"detail": {"stack": "1bad", "every_minutes": 5}}, "detail.stack"),
        ({"detail": {"stack": "s", "every_minutes": 0}}, "detail.every_minutes"),
        ({"detail": {"stack": "s", "every_minutes": "often"}}, "detail.every_minutes"),
        ({"detail": {"stack": "s", "every_minutes": 5, "account_label": "<!here>"}}, "detail.account_label"),
        ({"detail": "beat"}, "detail"),
        ({"time": "yesterday"}, "time"),
    ],
)
def test_a_malformed_spoke_heartbeat_is_refused_with_the_field_that_is_wrong(
    change: dict[str, Any], reason: str
) -> None:
    event = {**spoke_heartbeat(), **change}
    with pytest.raises(MalformedEventError, match="AlertRouter Spoke Heartbeat") as refused:
        parse_body(json.dumps(event))
    assert reason in refused.value.reason


def test_a_spoke_heartbeat_inside_an_sns_notification_is_refused() -> None:
    wrapped = {"Type": "Notification", "Message": json.dumps(spoke_heartbeat())}
    with pytest.raises(MalformedEventError, match="spoke heartbeat is taken only straight"):
        parse_payload(wrapped)


def test_the_first_heartbeat_makes_the_watch_and_the_next_ones_ping_it() -> None:
    hub = Hub()
    # When a spoke's first heartbeat arrives, Then its watch is made: twice its beat late, twice more down
    assert hub.beat().created
    record = hub.store.heartbeat(f"spoke-{ACCOUNT}")
    assert record is not None and record.check.kind == CheckKind.SPOKE and record.token_hash == ""
    assert record.check.as_config()["period"] == "10m" and record.check.as_config()["grace"] == "10m"
    assert record.check.labels == {
        "account": ACCOUNT,
        "region": "eu-west-1",
        "stack": "alertrouter-spoke",
        "account_label": "prod",
        "account_name": "production",
    }
    assert record.state.status == HeartbeatStatus.UP and record.state.last_ping_ms == T0
    # When it beats again within a minute (a replay), Then nothing is written; five minutes on, it is a ping
    hub.ms += MIN_GAP_MS - 1
    assert not hub.beat().written
    hub.ms += 5 * MIN
    again = hub.beat()
    assert again.written and not again.created
    record = hub.store.heartbeat(f"spoke-{ACCOUNT}")
    assert record is not None and record.state.last_ping_ms == hub.ms
    # a heartbeat dated ahead of the hub's clock counts as now
    hub.ms += 5 * MIN
    hub.watch.record(parse_event(spoke_heartbeat(at=at(hub.ms + 3_600_000))))
    record = hub.store.heartbeat(f"spoke-{ACCOUNT}")
    assert record is not None and record.state.last_ping_ms == hub.ms
    assert hub.sent == []


def test_a_silent_spoke_raises_spoke_silent_once_and_its_next_heartbeat_resolves_it() -> None:
    hub = Hub()
    hub.beat()
    # Given 19 minutes of silence: late, not yet down
    hub.ms += 19 * MIN
    assert hub.sweep.run().down == 0
    # When the 20th minute passes, Then the sweep raises SpokeSilent, once
    hub.ms += MIN
    assert hub.sweep.run().down == 1
    hub.ms += MIN
    assert hub.sweep.run().down == 0
    [silent] = hub.alerts()
    assert silent.status == Status.FIRING and silent.source == "spoke"
    assert silent.labels == {
        "alertname": "SpokeSilent",
        "source": "spoke",
        "severity": "warning",
        "account": ACCOUNT,
        "account_name": "production",
        "region": "eu-west-1",
        "stack": "alertrouter-spoke",
    }
    assert silent.title == (
        f"Spoke production ({ACCOUNT}) is silent: no heartbeat since 2026-12-01 02:00 UTC "
        "(stack alertrouter-spoke in eu-west-1)"
    )
    # When the spoke beats again, Then the alert resolves (same fingerprint)
    hub.ms += 5 * MIN
    hub.beat()
    [heard] = hub.alerts()
    assert heard.status == Status.RESOLVED and heard.fingerprint == silent.fingerprint
    assert (
        heard.title == f"Spoke production ({ACCOUNT}) is heard again (stack alertrouter-spoke in eu-west-1)"
    )


def test_an_unnamed_spoke_is_named_by_its_account_id() -> None:
    hub = Hub()
    hub.beat("444455556666")
    hub.ms += 20 * MIN
    hub.sweep.run()
    [silent] = hub.alerts()
    assert "account_name" not in silent.labels
    assert silent.title.startswith("Spoke account 444455556666 is silent")


def test_a_new_beat_rate_or_name_updates_the_watch_and_keeps_its_state() -> None:
    hub = Hub()
    hub.beat()
    hub.ms += 5 * MIN
    hub.beat(every_minutes=1, stack="spoke-v2")
    record = hub.store.heartbeat(f"spoke-{ACCOUNT}")
    assert record is not None and record.check.as_config()["period"] == "2m"
    assert record.check.labels["stack"] == "spoke-v2" and record.state.last_ping_ms == hub.ms


def test_a_spoke_watch_takes_no_job_ping_and_no_config_makes_one() -> None:
    hub = Hub()
    hub.beat()
    pings = HeartbeatPings(hub.store, hub.sent.append, hub.now)
    [answer] = pings.event({"source": PING_SOURCE, "detail": {"check": f"spoke-{ACCOUNT}"}})
    assert answer.status == 403
    with pytest.raises(ValueError, match="kind spoke is the hub's own watch"):
        RoutingConfig.model_validate(
            {
                "route": {"receiver": "team"},
                "receivers": [{"name": "team"}],
                "heartbeats": [{"name": "spoke-1", "kind": "spoke", "period": "5m"}],
            }
        )

"""Heartbeats end to end on moto: the ping function as Lambda runs it (a Function URL request with the check's
token, a job's EventBridge ping, a succeeded Batch job), the escalator's sweep raising a missed check's alert
on the router's queue, and the router's parser reading what arrives there."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from alertrouter.aws import EventSender
from alertrouter.heartbeat_ledger import HeartbeatLedger
from alertrouter.heartbeats import HeartbeatSweep
from alertrouter.models.alert import Status
from alertrouter.models.heartbeat import HeartbeatCheck, HeartbeatStatus, PingKind
from alertrouter.oncall.heartbeat import apply_ping, new_token
from alertrouter.sources import parse_body
from alertrouter.store.dynamodb import DynamoDBStore
from support.events import load_event
from support.harness import Harness, LambdaContext
from support.local_aws import deploy

pytestmark = pytest.mark.integration

NIGHTLY = HeartbeatCheck.model_validate({"name": "nightly-etl", "period": "1d", "grace": "1h"})
BATCH = HeartbeatCheck.model_validate(
    {"name": "batch-etl", "period": "1d", "kind": "event", "event": {"job_name": "event-*"}}
)


class World:
    def __init__(self, aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        from escalator import app as escalator
        from heartbeat_ping import app as ping

        self.stack = deploy(aws)
        self.sqs = aws.client("sqs")
        self.store = DynamoDBStore(self.stack.table_name, aws.client("dynamodb"))
        for name, value in {
            "TABLE_NAME": self.stack.table_name,
            "INGEST_QUEUE_URL": self.stack.queue_url,
            "HEARTBEAT_QUEUE_URL": self.stack.queue_url,
        }.items():
            monkeypatch.setenv(name, value)
        self.ping_app, self.escalator = ping, escalator
        self.token, token_hash = new_token()
        self.store.add_heartbeat(NIGHTLY, token_hash, 0)
        self.store.add_heartbeat(BATCH, new_token()[1], 0)

    def post(self, path: str, token: str | None = None, body: str = "") -> dict[str, Any]:
        event = load_event("lambda_function_url_POST_request_awsdocs.json")
        event["requestContext"]["http"]["path"] = event["rawPath"] = path
        event.update(headers={"authorization": f"Bearer {token}"} if token else {}, body=body)
        answer: dict[str, Any] = self.ping_app.lambda_handler(event, LambdaContext())
        return answer

    def alerts(self) -> list[Any]:
        got = self.sqs.receive_message(QueueUrl=self.stack.queue_url, MaxNumberOfMessages=10)
        return [a for m in got.get("Messages", []) for a in parse_body(m["Body"]).alerts]

    def status(self, name: str) -> HeartbeatStatus:
        record = self.store.heartbeat(name)
        assert record is not None
        return record.state.status


@pytest.fixture
def world(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    from escalator import app as escalator
    from heartbeat_ping import app as ping

    ping.build_pings.cache_clear()
    escalator.build_heartbeat_sweep.cache_clear()
    yield World(aws, monkeypatch)
    ping.build_pings.cache_clear()
    escalator.build_heartbeat_sweep.cache_clear()


def test_a_ping_needs_the_checks_token_and_changes_nothing_without_it(world: World) -> None:
    assert world.post("/ping/nightly-etl")["statusCode"] == 401
    wrong = world.post("/ping/nightly-etl", token="not-the-token")
    assert (wrong["statusCode"], json.loads(wrong["body"])) == (401, {"error": "missing or wrong token"})
    assert world.post("/ping/unknown", token=world.token)["statusCode"] == 404
    assert world.post("/elsewhere", token=world.token)["statusCode"] == 404
    assert world.status("nightly-etl") == HeartbeatStatus.NEW
    ok = world.post("/ping/nightly-etl", token=world.token, body="rows: 1200")
    assert (ok["statusCode"], json.loads(ok["body"])) == (200, {"ok": True, "status": "up"})
    record = world.store.heartbeat("nightly-etl")
    assert record is not None and record.state.note == "rows: 1200"
    assert record.token_hash != world.token and world.token not in json.dumps(record.model_dump(mode="json"))


def test_a_second_ping_within_the_gap_is_refused_with_retry_after(world: World) -> None:
    assert world.post("/ping/nightly-etl/start", token=world.token)["statusCode"] == 200
    assert world.post("/ping/nightly-etl", token=world.token)["statusCode"] == 200  # a short job's end
    again = world.post("/ping/nightly-etl", token=world.token)
    assert again["statusCode"] == 429 and 1 <= int(again["headers"]["Retry-After"]) <= 10


def test_a_fail_raises_the_alert_on_the_router_queue(world: World) -> None:
    assert world.post("/ping/nightly-etl/fail", token=world.token, body="exit 3")["statusCode"] == 200
    [alert] = world.alerts()
    assert alert.status == Status.FIRING and alert.title == "nightly-etl reported a failure"
    assert alert.labels["alertname"] == "HeartbeatMissing" and alert.annotations["note"] == "exit 3"
    assert world.status("nightly-etl") == HeartbeatStatus.DOWN


def test_the_sweep_raises_a_missed_check_once_and_a_job_event_resolves_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert world.post("/ping/nightly-etl", token=world.token)["statusCode"] == 200
    # a day and an hour later, by the sweep's clock
    sweep = world.escalator.build_heartbeat_sweep()
    assert sweep is not None
    real_now = sweep.now_ms
    monkeypatch.setattr(sweep, "now_ms", lambda: real_now() + 25 * 3_600_000)
    monkeypatch.setattr(sweep.ledger, "now_ms", sweep.now_ms)
    assert (sweep.run().down, sweep.run().down) == (1, 0)
    [firing] = world.alerts()
    assert firing.status == Status.FIRING and firing.title.startswith("nightly-etl: no ping since ")
    pings = world.ping_app.build_pings()
    monkeypatch.setattr(pings, "now_ms", lambda: real_now() + 26 * 3_600_000)
    monkeypatch.setattr(pings.ledger, "now_ms", pings.now_ms)
    pinged = world.ping_app.lambda_handler(
        {
            "source": "alertrouter.heartbeat.ping",
            "detail-type": "Ping",
            "detail": {"check": "nightly-etl"},
        },
        LambdaContext(),
    )
    assert pinged == {"pings": 1, "recorded": 1}
    [resolved] = world.alerts()
    assert resolved.status == Status.RESOLVED and resolved.fingerprint == firing.fingerprint


def test_a_succeeded_batch_job_pings_the_checks_it_matches(world: World) -> None:
    event = load_event("eventbridge_batch_job_state_change_RUNNABLE_awsdocs.json")
    event["detail"]["status"] = "SUCCEEDED"  # jobName "event-test"
    assert world.ping_app.lambda_handler(event, LambdaContext()) == {"pings": 1, "recorded": 1}
    assert world.status("batch-etl") == HeartbeatStatus.UP
    assert world.status("nightly-etl") == HeartbeatStatus.NEW


def test_a_missed_check_pages_through_the_router_and_resolves(harness: Harness) -> None:
    """The sweep's event on the router's queue, taken by the router: a critical alert on the pager route
    (FAST_CONFIG), its message in #oncall with the check's title; the ping's resolve edits it."""
    store = DynamoDBStore(harness.stack.table_name, harness.session.client("dynamodb"))
    store.add_heartbeat(NIGHTLY, new_token()[1], 0)
    now = harness.clock.ms
    send = EventSender(harness.sqs, harness.stack.queue_url).send
    ledger = HeartbeatLedger(store, send, lambda: now - 25 * 3_600_000)
    record = store.heartbeat("nightly-etl")
    assert record is not None
    pinged = apply_ping(NIGHTLY, record.state, PingKind.SUCCESS, now - 25 * 3_600_000)
    assert pinged is not None and ledger.apply(record, pinged) is not None
    assert HeartbeatSweep(store, send, lambda: now).run().down == 1
    for message in harness.receive_all(harness.stack.queue_url):
        harness.service.handle_body(message["Body"])
    [page] = harness.slack.channel_messages("#oncall")
    assert "nightly-etl: no ping since " in page.text and "(expected every 1d, 1h grace)" in page.text
    record = store.heartbeat("nightly-etl")
    assert record is not None
    back = apply_ping(NIGHTLY, record.state, PingKind.SUCCESS, now + 60_000)
    harness.clock.ms = now + 60_000
    assert back is not None
    assert HeartbeatLedger(store, send, harness.clock).apply(record, back) is not None
    for message in harness.receive_all(harness.stack.queue_url):
        harness.service.handle_body(message["Body"])
    harness.clock.advance(600)
    assert harness.slack.channel_messages("#oncall")[0].text.startswith("✅ RESOLVED")

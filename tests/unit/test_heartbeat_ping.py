"""The heartbeat front door without AWS (the memory store): what a request to the ping URL or an EventBridge
event may do. Hostile paths, headers, bodies and events never raise, and change nothing unless they carry the
check's token (or come through the stack's rules)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from alertrouter.heartbeat_ping import HeartbeatPings, request_body
from alertrouter.models.heartbeat import MAX_NOTE_BYTES, HeartbeatCheck, HeartbeatStatus
from alertrouter.oncall.heartbeat import new_token
from support.memory_store import MemoryStore

CHECK = HeartbeatCheck.model_validate({"name": "nightly-etl", "period": "1d"})
TOKEN, TOKEN_HASH = new_token()


class World:
    def __init__(self) -> None:
        self.store = MemoryStore()
        self.store.add_heartbeat(CHECK, TOKEN_HASH, 0)
        self.sent: list[dict[str, Any]] = []
        self.now = 1_796_000_000_000
        self.pings = HeartbeatPings(self.store, self.sent.append, lambda: self.now)

    def state(self) -> Any:
        record = self.store.heartbeat("nightly-etl")
        assert record is not None
        return record.state


PATHS = st.one_of(
    st.sampled_from(
        ["/ping/nightly-etl", "/ping/nightly-etl/start", "/ping/nightly-etl/fail", "/ping/x", "/"]
    ),
    st.text(max_size=80).map(lambda t: "/ping/" + t),
    st.text(max_size=80),
)
HEADERS = st.dictionaries(
    st.sampled_from(["authorization", "Authorization", "x-other"]) | st.text(max_size=20),
    st.one_of(st.just(f"Bearer {TOKEN[:-1]}x"), st.text(max_size=80), st.just("Bearer "), st.just("Basic x")),
    max_size=3,
)


@settings(max_examples=150, deadline=None)
@given(
    method=st.sampled_from(["POST", "GET", "PUT", ""]),
    path=PATHS,
    headers=HEADERS,
    body=st.binary(max_size=64),
)
def test_requests_without_the_token_never_raise_and_change_nothing(
    method: str, path: str, headers: dict[str, str], body: bytes
) -> None:
    world = World()
    answer = world.pings.http(method, path, headers, body)
    assert answer.status in (401, 404, 405)
    assert world.state().status == HeartbeatStatus.NEW and world.state().rev == 0 and world.sent == []


@settings(max_examples=100, deadline=None)
@given(event=st.dictionaries(st.sampled_from(["source", "detail", "detail-type"]) | st.text(max_size=8), st.one_of(
    st.sampled_from(["alertrouter.heartbeat.ping", "aws.batch"]),
    st.dictionaries(st.sampled_from(["check", "kind", "status", "jobName", "note"]), st.text(max_size=20) | st.integers()),
    st.text(max_size=20),
)))  # fmt: skip
def test_hostile_events_never_raise(event: dict[str, Any]) -> None:
    answers = World().pings.event(event)
    assert all(a.status in (200, 400, 404, 429) for a in answers)


def test_the_token_opens_and_the_body_is_kept_as_the_note_up_to_10_kb() -> None:
    world = World()
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    answer = world.pings.http("POST", "/ping/nightly-etl", bearer, b"x" * (MAX_NOTE_BYTES + 5) + b"\xff")
    assert answer.status == 200 and world.state().note == "x" * MAX_NOTE_BYTES
    assert world.pings.http("POST", "/ping/nightly-etl", bearer, b"").status == 429
    world.now += 10_000
    failed = world.pings.http("POST", "/ping/nightly-etl/fail/", bearer, b"<b>exit 3</b>")
    assert failed.status == 200 and world.state().status == HeartbeatStatus.DOWN
    assert [e["detail"]["state"] for e in world.sent] == ["firing"]


def test_a_function_url_body_is_read_as_sent() -> None:
    assert request_body({"body": "aGk=", "isBase64Encoded": True}) == b"hi"
    assert request_body({"body": "not base64!", "isBase64Encoded": True}) == b""
    assert request_body({"body": None}) == b"" and request_body({"body": "é"}) == "é".encode()

"""The heartbeat front door: pings over HTTP (the function's URL, a check's token as a bearer token) and as
EventBridge events (a job's own event with IAM as its authentication; a succeeded AWS Batch job matched to
checks of kind `event`).

`POST /ping/<check>`, `/ping/<check>/start`, `/ping/<check>/fail`; the body (at most 10 KB kept) is the
ping's note. Answers: 200 recorded; 404 an unknown check; 401 a missing or wrong token (compared in constant
time, on hashes); 429 with Retry-After when the check was pinged less than MIN_GAP_S ago. A check's name is not
a secret (it is in its alerts): 404 and 401 are told apart, and an unknown name costs the same hash as a
known one. Nothing changes on any error."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from alertrouter.heartbeat_ledger import EventSink, HeartbeatLedger
from alertrouter.models.heartbeat import CHECK_NAME, MAX_NOTE_BYTES, CheckKind, HeartbeatRecord, PingKind
from alertrouter.oncall.heartbeat import apply_ping, retry_after_s, token_hash, token_matches
from alertrouter.store.base import HeartbeatStore

PING_SOURCE = "alertrouter.heartbeat.ping"  # a job's own EventBridge event: {"check": NAME, "kind": ...}
MIN_GAP_S = 10  # at most one recorded ping (one write) per check in this many seconds
_PATH = re.compile(r"/ping/(?P<name>[^/]+)(?:/(?P<action>start|fail))?/?")
_CHECK_NAME = re.compile(CHECK_NAME)
_UNKNOWN_HASH = token_hash("an unknown check's stand-in")  # compared against, so unknown names cost the same
_ATTEMPTS = 3  # a ping whose write lost to another writer decides again on what it won with


@dataclass(frozen=True, slots=True)
class PingAnswer:
    status: int
    body: dict[str, Any]
    retry_after_s: int = 0


class HeartbeatPings:
    """Records pings: over HTTP with a check's token, or from EventBridge events."""

    def __init__(
        self,
        store: HeartbeatStore,
        enqueue: EventSink,
        now_ms: Callable[[], int],
        min_gap_s: int = MIN_GAP_S,
    ) -> None:
        self.store = store
        self.ledger = HeartbeatLedger(store, enqueue, now_ms)
        self.now_ms = now_ms
        self.min_gap_s = min_gap_s

    def http(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> PingAnswer:
        """A request to the function's URL."""
        found = _PATH.fullmatch(path)
        if found is None or not _CHECK_NAME.match(found["name"]):
            return PingAnswer(404, {"error": "not found: POST /ping/<check>[/start|/fail]"})
        if method.upper() != "POST":
            return PingAnswer(405, {"error": "use POST"})
        token = _bearer(headers)
        record = self.store.heartbeat(found["name"])
        if record is None:
            token_matches(token, _UNKNOWN_HASH)
            return PingAnswer(404, {"error": "unknown check"})
        if not token or not token_matches(token, record.token_hash):
            return PingAnswer(401, {"error": "missing or wrong token"})
        kind = PingKind(found["action"]) if found["action"] else PingKind.SUCCESS
        return self.ping(record, kind, _note(body))

    def event(self, event: Mapping[str, Any]) -> list[PingAnswer]:
        """An EventBridge event the stack's rules deliver: a job's ping, or a Batch job that succeeded."""
        detail = event.get("detail")
        if not isinstance(detail, dict):
            return [PingAnswer(400, {"error": "an event without a detail"})]
        if event.get("source") == PING_SOURCE:
            return [self._event_ping(detail)]
        if event.get("source") == "aws.batch" and detail.get("status") == "SUCCEEDED":
            name, queue = str(detail.get("jobName", "")), str(detail.get("jobQueue", ""))
            return [
                self.ping(record, PingKind.SUCCESS, f"AWS Batch job {name} succeeded")
                for record in self.store.heartbeats()
                if record.check.kind == CheckKind.EVENT
                and record.check.event is not None
                and record.check.event.matches(name, queue)
            ]
        return [PingAnswer(400, {"error": "not a heartbeat ping"})]

    def ping(self, record: HeartbeatRecord, kind: PingKind, note: str = "") -> PingAnswer:
        """Record a ping of a known check (its sender authenticated), unless it comes too soon."""
        for _ in range(_ATTEMPTS):
            now = self.now_ms()
            wait = retry_after_s(record.state, now, self.min_gap_s, kind)
            if wait:
                return PingAnswer(429, {"error": f"pinged less than {self.min_gap_s}s ago"}, wait)
            moved = apply_ping(record.check, record.state, kind, now, note)
            if moved is None:  # our clock went back: the newer ping stands
                return PingAnswer(200, {"ok": True, "status": record.state.status.value})
            saved = self.ledger.apply(record, moved)
            if saved is not None:
                return PingAnswer(200, {"ok": True, "status": saved.status.value})
            again = self.store.heartbeat(record.check.name)
            if again is None:
                return PingAnswer(404, {"error": "unknown check"})
            record = again
        return PingAnswer(429, {"error": "pinged concurrently"}, self.min_gap_s)

    def _event_ping(self, detail: Mapping[str, Any]) -> PingAnswer:
        name = detail.get("check")
        kind = detail.get("kind", PingKind.SUCCESS.value)
        if (
            not isinstance(name, str)
            or not _CHECK_NAME.match(name)
            or kind not in {k.value for k in PingKind}
        ):
            return PingAnswer(400, {"error": 'detail: {"check": NAME, "kind": "success" | "start" | "fail"}'})
        record = self.store.heartbeat(name)
        if record is None:
            return PingAnswer(404, {"error": "unknown check"})
        if record.check.kind == CheckKind.SPOKE:
            return PingAnswer(403, {"error": "a spoke's watch is pinged by the spoke's own heartbeats only"})
        note = detail.get("note", "")
        return self.ping(record, PingKind(kind), _note(str(note).encode("utf-8", "replace")))


def request_body(event: Mapping[str, Any]) -> bytes:
    """A Function URL request's body as bytes (it may come base64-encoded); b"" when there is none."""
    body = event.get("body") or ""
    if not isinstance(body, str):
        return b""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return b""
    return body.encode("utf-8", "replace")


def _bearer(headers: Mapping[str, str]) -> str:
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    scheme, _, token = str(value).partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _note(body: bytes) -> str:
    """The body as the ping's note: its first 10 KB as text (what cannot be decoded replaced)."""
    return body[:MAX_NOTE_BYTES].decode("utf-8", "replace")

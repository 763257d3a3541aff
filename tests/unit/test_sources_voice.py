"""End User Messaging's page-call delivery events (aws.sms-voice): an unanswered final outcome of one of the
escalator's step calls becomes a CallUnanswered; every other event is ignored; a broken one is refused."""

from __future__ import annotations

import json
from typing import Any

import pytest

from alertrouter.sources import MalformedEventError, parse_body, parse_payload
from alertrouter.sources.voice import CallUnanswered
from support.events import VOICE_EVENT, load_event, voice_status_body

CONTEXT = {"group": "pager|DiskFull", "episode": "3", "step": "2", "round": "1", "to": "alice"}


def test_the_reference_event_is_an_unanswered_call() -> None:
    parsed = parse_body(json.dumps(load_event(VOICE_EVENT)))
    assert parsed.alerts == [] and parsed.ignored == []
    [(call, account)] = parsed.calls
    assert account == "123456789012"
    assert (call.step, call.round, call.to, call.outcome) == (1, 0, "oncall-secondary", "VOICE_NO_ANSWER")


@pytest.mark.parametrize(
    ("event_type", "said"),
    [
        ("VOICE_NO_ANSWER", "no answer"),
        ("VOICE_BUSY", "line busy"),
        ("VOICE_FAILED", "call failed"),
        ("VOICE_TTL_EXPIRED", "not placed in time"),
    ],
)
def test_each_unanswered_outcome_becomes_a_call_unanswered(event_type: str, said: str) -> None:
    [(call, _)] = parse_body(voice_status_body("m-1", CONTEXT, event_type)).calls
    assert call == CallUnanswered(
        group="pager|DiskFull",
        episode=3,
        step=2,
        round=1,
        to="alice",
        outcome=event_type,
        message_id="m-1",
        at_ms=load_event(VOICE_EVENT)["detail"]["eventTimestamp"],
    )
    assert call.said == said


@pytest.mark.parametrize(
    ("event_type", "why"),
    [
        ("VOICE_INITIATED", "not a final outcome"),
        ("VOICE_RINGING", "not a final outcome"),
        ("VOICE_ANSWERED", "answered"),
        ("VOICE_COMPLETED", "answered"),
    ],
)
def test_answered_and_passing_statuses_are_ignored(event_type: str, why: str) -> None:
    parsed = parse_body(voice_status_body("m-1", CONTEXT, event_type))
    assert parsed.calls == [] and [i.reason for i in parsed.ignored] == [f"page call {event_type}: {why}"]


def test_an_unanswered_status_not_yet_final_is_ignored() -> None:
    parsed = parse_body(voice_status_body("m-1", CONTEXT, final=False))
    assert parsed.calls == [] and parsed.ignored[0].reason == "page call VOICE_NO_ANSWER: not final yet"


@pytest.mark.parametrize(
    "context",
    [
        {},  # no context at all
        {"account": "bar"},  # another application's call
        {"pages": "2"},  # the escalator's call of several pages at once: no one step to move on
    ],
)
def test_a_call_without_our_step_context_is_ignored(context: dict[str, str]) -> None:
    parsed = parse_body(voice_status_body("m-1", context))
    assert parsed.calls == []
    assert parsed.ignored[0].reason == "page call VOICE_NO_ANSWER: not one of the escalator's step calls"


def test_a_context_without_whom_is_still_a_call() -> None:
    context = {k: v for k, v in CONTEXT.items() if k != "to"}
    [(call, _)] = parse_body(voice_status_body("m-1", context)).calls
    assert call.to == ""


@pytest.mark.parametrize(
    ("context", "reason"),
    [
        ({"group": "g", "episode": "1", "step": "1"}, "context without round"),
        ({**CONTEXT, "episode": "three"}, "context episode 'three' is not a whole number"),
        ({**CONTEXT, "step": "-1"}, "context step '-1' is not a whole number"),
        ({**CONTEXT, "step": "0"}, "context step 0 (steps count from 1)"),
        ({**CONTEXT, "group": " "}, "context group is empty"),
    ],
)
def test_a_broken_context_is_malformed(context: dict[str, str], reason: str) -> None:
    with pytest.raises(MalformedEventError) as raised:
        parse_body(voice_status_body("m-1", context))
    assert raised.value.reason.endswith(reason)


@pytest.mark.parametrize("field", ["eventType", "messageId"])
def test_an_event_without_its_type_or_id_is_malformed(field: str) -> None:
    event: dict[str, Any] = load_event(VOICE_EVENT)
    del event["detail"][field]
    with pytest.raises(MalformedEventError):
        parse_body(json.dumps(event))


def test_a_voice_event_is_taken_only_straight_from_the_queue() -> None:
    with pytest.raises(MalformedEventError, match="only straight from the router's queue"):
        parse_payload(load_event(VOICE_EVENT))

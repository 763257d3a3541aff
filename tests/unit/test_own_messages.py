"""The router's own queue messages: the bodies on queues today decode, and encoding writes them byte for byte."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alertrouter.own_messages import (
    ExpireMessage,
    FlushMessage,
    GraphMessage,
    MalformedOwnMessageError,
    OwnMessage,
    RedrawMessage,
    ResolveMessage,
    decode,
)

# Bodies as the router, the escalator and the interactions function wrote them before the messages were typed
# (json.dumps of a dict, in this key order): messages in flight during a deploy look like this.
TODAYS_BODIES: list[tuple[str, OwnMessage]] = [
    (
        '{"kind": "alertrouter.flush", "group": "3f2a9c0d1e4b5a67", "route": "0.1", "due": 1714557630000}',
        FlushMessage(group="3f2a9c0d1e4b5a67", route="0.1", due=1714557630000),
    ),
    (
        '{"kind": "alertrouter.resolve", "group": "3f2a9c0d1e4b5a67", "episode": 2, "at": 1714557700000, '
        '"fingerprints": ["0a1b2c3d4e5f6789", "aa1b2c3d4e5f6789"]}',
        ResolveMessage(
            group="3f2a9c0d1e4b5a67",
            episode=2,
            at=1714557700000,
            fingerprints=["0a1b2c3d4e5f6789", "aa1b2c3d4e5f6789"],
        ),
    ),
    (
        '{"kind": "alertrouter.expire", "fingerprint": "0a1b2c3d4e5f6789", "ts": 1714557600000}',
        ExpireMessage(fingerprint="0a1b2c3d4e5f6789", ts=1714557600000),
    ),
    (
        '{"kind": "alertrouter.redraw", "group": "3f2a9c0d1e4b5a67", "episode": 1, "clicked": "C0TEAM0001"}',
        RedrawMessage(group="3f2a9c0d1e4b5a67", episode=1, clicked="C0TEAM0001"),
    ),
]


@pytest.mark.parametrize(("body", "message"), TODAYS_BODIES)
def test_todays_bodies_decode_and_are_written_byte_for_byte(body: str, message: OwnMessage) -> None:
    assert decode(body) == message
    assert message.encode() == body


def test_a_resolve_without_fingerprints_and_a_redraw_without_a_channel_decode_as_before() -> None:
    # (optional fields of the wrong type count as absent, as the hand-written decoder read them)
    assert decode('{"kind": "alertrouter.resolve", "group": "g", "episode": 1, "at": 5}') == ResolveMessage(
        group="g", episode=1, at=5, fingerprints=None
    )
    assert decode(
        '{"kind": "alertrouter.resolve", "group": "g", "episode": 1, "at": 5, "fingerprints": "x"}'
    ) == ResolveMessage(group="g", episode=1, at=5)
    assert decode(
        '{"kind": "alertrouter.resolve", "group": "g", "episode": 1, "at": 5, "fingerprints": [1, "a"]}'
    ) == ResolveMessage(group="g", episode=1, at=5, fingerprints=["1", "a"])
    assert decode(
        '{"kind": "alertrouter.redraw", "group": "g", "episode": 1, "clicked": 7}'
    ) == RedrawMessage(group="g", episode=1)
    assert decode('{"kind": "alertrouter.flush", "group": "g", "route": "0", "due": "soon"}') == FlushMessage(
        group="g", route="0", due=None
    )
    assert decode('{"kind": "alertrouter.flush", "group": "g", "route": "0", "extra": 1}') == FlushMessage(
        group="g", route="0"
    )


@pytest.mark.parametrize(
    "body",
    [
        "not json alertrouter.flush",
        '{"source": "alertrouter.slo", "detail-type": "SLO burn"}',  # the SLO evaluator's events are alerts
        '{"kind": 7, "source": "alertrouter.slo"}',
        '{"kind": "other.flush", "group": "alertrouter.x"}',
        '["alertrouter.flush"]',
        '{"detail-type": "CloudWatch Alarm State Change"}',
    ],
)
def test_bodies_that_are_not_own_messages_are_left_to_the_event_parser(body: str) -> None:
    assert decode(body) is None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('{"kind": "alertrouter.page"}', "unknown kind of the router's own message: 'alertrouter.page'"),
        ('{"kind": "alertrouter.flush", "group": 7}', "flush message without group and route"),
        (
            '{"kind": "alertrouter.resolve", "group": "g", "episode": 1.0, "at": 1}',
            "resolve message without group, episode and time",
        ),
        (
            '{"kind": "alertrouter.expire", "fingerprint": "f", "ts": false}',
            "expire message without fingerprint and ts",
        ),
        (
            '{"kind": "alertrouter.redraw", "group": "g", "episode": "1"}',
            "redraw message without group and episode",
        ),
        (
            '{"kind": "alertrouter.graph", "group": "g", "episode": 1, "phase": "later"}',
            "graph message without group, episode and phase",
        ),
    ],
)
def test_an_own_message_that_cannot_be_carried_out_is_refused_with_its_reason(body: str, reason: str) -> None:
    with pytest.raises(MalformedOwnMessageError) as refused:
        decode(body)
    assert refused.value.reason == reason


texts = st.text(max_size=40)
numbers = st.integers(min_value=-(2**63), max_value=2**63)
messages = st.one_of(
    st.builds(FlushMessage, group=texts, route=texts, due=st.none() | numbers),
    st.builds(
        ResolveMessage, group=texts, episode=numbers, at=numbers, fingerprints=st.none() | st.lists(texts)
    ),
    st.builds(ExpireMessage, fingerprint=texts, ts=numbers),
    st.builds(RedrawMessage, group=texts, episode=numbers, clicked=texts),
    st.builds(
        GraphMessage, group=texts, episode=numbers, phase=st.sampled_from(["firing", "resolved", "show"])
    ),
)


@given(messages)
def test_every_message_decodes_to_itself(message: OwnMessage) -> None:
    assert decode(message.encode()) == message


def test_a_graph_request_is_written_kind_first() -> None:
    message = GraphMessage(group="3f2a9c0d1e4b5a67", episode=2, phase="resolved")
    body = '{"kind": "alertrouter.graph", "group": "3f2a9c0d1e4b5a67", "episode": 2, "phase": "resolved"}'
    assert message.encode() == body and decode(body) == message


def test_a_graph_request_may_carry_the_upload_a_busy_group_could_not_take_yet() -> None:
    message = GraphMessage(
        group="3f2a9c0d1e4b5a67", episode=2, phase="show", file_id="F0001", title="CPU", alt_text="CPU graph"
    )
    assert decode(message.encode()) == message
    assert json.loads(message.encode())["file_id"] == "F0001"

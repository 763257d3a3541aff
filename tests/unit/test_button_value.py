"""The value a button of a group's message carries: written by the renderer, read by the interactions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alertrouter.models.state import GroupState, Member
from alertrouter.notify.button_value import ACK, RESOLVE, SILENCE, UNACK, ButtonValue
from alertrouter.notify.render import CUSTOM_SILENCE, SILENCE_CHOICES, render_group

keys = st.text(min_size=1, max_size=60)  # any text: ':' and '|' included
episodes = st.integers(min_value=0, max_value=999_999_999)


@given(keys, episodes)
def test_a_buttons_value_reads_back_as_written(key: str, episode: int) -> None:
    value = ButtonValue(key, episode)
    assert ButtonValue.parse(value.encode()) == value


@given(keys, episodes, st.sampled_from(sorted(SILENCE_CHOICES)))
def test_a_silence_options_value_reads_back_as_written(key: str, episode: int, choice: str) -> None:
    value = ButtonValue(key, episode, choice)
    assert ButtonValue.parse(value.encode(), with_choice=True) == value


def test_the_values_are_written_as_before() -> None:
    assert ButtonValue("3f2a9c0d1e4b5a67", 2).encode() == "3f2a9c0d1e4b5a67:2"
    assert ButtonValue("3f2a9c0d1e4b5a67", 2, "4h").encode() == "4h|3f2a9c0d1e4b5a67:2"


@pytest.mark.parametrize(
    ("value", "with_choice", "parsed"),
    [
        ("3f2a9c0d1e4b5a67", False, ButtonValue("3f2a9c0d1e4b5a67")),  # a button from before episodes
        ("a:b:7", False, ButtonValue("a:b", 7)),
        ("abc:x7", False, ButtonValue("abc")),  # no readable episode after the last ':'
        (":7", False, ButtonValue(":7")),  # no key before it: the whole value is the key
        ("abc:1234567890", False, ButtonValue("abc")),  # more digits than an episode has
        ("abc:٣", False, ButtonValue("abc")),  # only ASCII digits
        ("1h|abc:3", True, ButtonValue("abc", 3, "1h")),
        ("abc:3", True, ButtonValue("", None, "abc:3")),  # a menu option without its choice
        ("", False, ButtonValue("")),
    ],
)
def test_malformed_values_read_as_before(value: str, with_choice: bool, parsed: ButtonValue) -> None:
    assert ButtonValue.parse(value, with_choice=with_choice) == parsed


def test_the_rendered_buttons_carry_the_groups_key_and_episode() -> None:
    firing = Member(status="firing", severity="warning", title="DiskFull", ts_ms=0, starts_at_ms=0)
    group = GroupState(key="k:1|x", route_id="0", receiver="team", episode=4, members={"fp": firing})
    [actions] = [b for b in render_group(group, 0).attachments[0]["blocks"] if b["type"] == "actions"]
    ack, resolve, silence = actions["elements"]
    # (the action ids of the messages already in Slack: a click on them must still be understood)
    assert [ack["action_id"], resolve["action_id"], silence["action_id"]] == [ACK, RESOLVE, SILENCE]
    assert [ACK, UNACK, RESOLVE, SILENCE] == [
        "alertrouter_ack",
        "alertrouter_unack",
        "alertrouter_resolve",
        "alertrouter_silence",
    ]
    assert ButtonValue.parse(ack["value"]) == ButtonValue.parse(resolve["value"]) == ButtonValue("k:1|x", 4)
    assert [ButtonValue.parse(o["value"], with_choice=True) for o in silence["options"]] == [
        ButtonValue("k:1|x", 4, choice) for choice in [*SILENCE_CHOICES, CUSTOM_SILENCE]
    ]

"""Silence clicked twice on one message (two people, or a double click: two signed requests) makes one silence,
as long as the longer choice, named by one id in both thread notes, so one `silence expire` ends it."""

from __future__ import annotations

import time

import pytest

from alertrouter.interactions import SILENCE, InteractionService
from alertrouter.notify.slack import SlackClient
from support.events import alarm_body
from support.harness import Harness
from support.slack_clicks import SIGNING_SECRET, click, group_of

pytestmark = pytest.mark.integration
HOUR_MS = 3_600_000


@pytest.fixture
def interactions(harness: Harness) -> InteractionService:
    harness.clock.ms = int(time.time() * 1000)  # clicks are signed with real time
    slack = SlackClient(lambda: "xoxb-test", harness.slack.url, timeout=(1.0, 1.0), min_interval=0.0)
    return InteractionService(harness.service.router.stores, lambda: SIGNING_SECRET, slack)


def silence_clicks(
    harness: Harness, interactions: InteractionService, *choices: tuple[str, str]
) -> list[str]:
    """Each (user, choice) clicks Silence on the #team message; the thread notes they got."""
    harness.service.handle_body(alarm_body())
    for user, choice in choices:
        assert interactions.handle(*click(harness, SILENCE, user=user, choice=choice)).status == 200
    return [r.text for r in harness.slack.channel_messages("#team")[0].replies if r.text.startswith("🔕")]


def test_a_longer_second_choice_extends_the_one_silence(
    harness: Harness, interactions: InteractionService
) -> None:
    notes = silence_clicks(harness, interactions, ("U0FIRST01", "1h"), ("U0SECOND1", "4h"))
    stores = harness.service.router.stores
    [silence] = stores.silences.silences()
    assert silence.ends_at_ms >= int(time.time() * 1000) + 4 * HOUR_MS - 60_000
    assert notes[0].startswith("🔕 Silenced by <@U0FIRST01>")
    assert notes[1].startswith("🔕 Silence extended by <@U0SECOND1> until")
    assert all(f"alertrouter silence expire {silence.id}`" in note for note in notes)
    # the second click is in the group's history, as an extension of the same silence
    entries = [e for e in stores.history.history(group_of(harness).key) if e["kind"] == "silence"]
    assert [(e["silence"], e["outcome"]) for e in entries] == [(silence.id, "new"), (silence.id, "extended")]
    # Expiring the silence both notes name ends the silencing: nothing else silences the group
    assert stores.silences.expire_silence(silence.id, int(time.time() * 1000)) is not None
    assert not any(s.active(int(time.time() * 1000) + 1) for s in stores.silences.silences())


@pytest.mark.parametrize(("first", "second"), [("4h", "1h"), ("1h", "1h"), ("resolved", "24h")])
def test_a_second_choice_no_longer_changes_nothing_and_says_so(
    harness: Harness, interactions: InteractionService, first: str, second: str
) -> None:
    notes = silence_clicks(harness, interactions, ("U0FIRST01", first), ("U0SECOND1", second))
    [silence] = harness.service.router.stores.silences.silences()
    assert notes[1].startswith("🔕 Already silenced")
    assert f"alertrouter silence expire {silence.id}`" in notes[1]
    assert silence.created_by == "<@U0FIRST01>" and silence.comment.startswith("from Slack")


def test_until_resolved_after_a_timed_choice_makes_the_one_silence_end_with_the_episode(
    harness: Harness, interactions: InteractionService
) -> None:
    notes = silence_clicks(harness, interactions, ("U0FIRST01", "1h"), ("U0SECOND1", "resolved"))
    [silence] = harness.service.router.stores.silences.silences()
    assert (silence.group, silence.episode) == (group_of(harness).key, 1)
    assert notes[1].startswith("🔕 Silence extended by <@U0SECOND1> until it resolves")

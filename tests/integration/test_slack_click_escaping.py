"""A click's thread note on the Slack stand-in shows outside text (an alarm name in a silence's matchers)
escaped: a Silence click on `X <!channel>` must not turn into an @channel ping."""

from __future__ import annotations

import pytest

from alertrouter.interactions import InteractionService
from support.harness import Harness, fire
from support.slack_clicks import click, queueing_interaction_service

pytestmark = pytest.mark.integration


@pytest.fixture
def interactions(harness: Harness) -> InteractionService:
    """As the resolve and silence tests' (test_slack_resolve_silence.py)."""
    return queueing_interaction_service(harness)


def test_a_silence_note_shows_the_alarm_name_escaped(
    harness: Harness, interactions: InteractionService
) -> None:
    fire(harness, name="X <!channel>")
    assert interactions.handle(*click(harness, "alertrouter_silence", choice="1h")).status == 200
    note = harness.slack.channel_messages("#team")[0].replies[-1].text
    assert note.startswith("🔕 Silenced by <@U0ONCALL1> until ")
    assert 'alertname="X &lt;!channel&gt;"' in note
    assert "<!channel>" not in note

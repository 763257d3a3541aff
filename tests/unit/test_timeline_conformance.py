"""Notification counts on a timeline, against the real Alertmanager: the 23 scenarios of
tests/conformance/golden/timeline.json (recorded from Alertmanager 0.25 by record_timeline.py: group_wait 2 s,
group_interval 4 s, a webhook receiver) replayed through this router's grouping clock, flush and webhook
stage. Each webhook message must go out when Alertmanager's did (on the same tick, within the second SQS's
whole-second delays add), with the same status and the same alerts in the same states. The scenarios whose
inputs or outcome differ on purpose are listed with the reason, and their own outcome here is asserted."""

from __future__ import annotations

import json
from typing import Any

import pytest

from alertrouter.models.webhook import WebhookTarget
from support.clock import T0
from support.clock_world import ClockWorld, alert
from support.paths import ROOT

GOLDEN = json.loads((ROOT / "tests" / "conformance" / "golden" / "timeline.json").read_text())
SCENARIOS = {s["name"]: s for s in GOLDEN["scenarios"]}
SETTINGS = GOLDEN["settings"]

CONFIG = """
route:
  receiver: hook
  group_by: [alertname]
  group_wait: {group_wait}
  group_interval: {group_interval}
  repeat_interval: {repeat_interval}
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:9/hook
        send_resolved: {send_resolved}
"""

_NEW_GROUP = (
    "Alertmanager keeps a group that was emptied by its resolve until its dispatcher's maintenance (every 30 s "
    "from its start), so a re-fire within that window is sent on the old group's tick; here a group announced "
    "resolved starts afresh with group_wait, whenever the re-fire comes"
)
_NO_SHORT_WAIT = (
    "Alertmanager flushes a group that has not notified yet at once when an alert that started more than "
    "group_wait ago arrives; here group_wait always runs: an AWS event's time is when its source saw the change, "
    "so an event that comes late (a backlog behind a storm, a redrive from the DLQ) must still be grouped"
)
_ENDS_AT = (
    "Alertmanager resolves an alert at its endsAt (or resolve_timeout) with no event; the sources here send their "
    "resolves (a one-shot alert's resolve_timeout is the escalator's, tested in test_escalation)"
)
_RETRIES = (
    "the webhook client's retries (tests/unit/test_webhook_client.py); here the one message that got through"
)
# scenario -> (why it differs, the seconds of this router's messages)
DIFFERENT_ON_PURPOSE: dict[str, tuple[str, list[float]]] = {
    "episode_restart_soon": (_NEW_GROUP, [2, 6, 9]),
    "episode_restart_before_gc": (_NEW_GROUP, [2, 6, 29]),
    "old_startsat_new_group": (_NO_SHORT_WAIT, [2]),  # (B, at 1 s, joins the first message)
    "group_wait_cut_short": (_NO_SHORT_WAIT, [2, 6]),
    "prometheus_stops": (_ENDS_AT, [2]),
    "resolve_timeout": (_ENDS_AT, [2]),
    "webhook_errors": (_RETRIES, [2]),
}


class RecordingWebhooks:
    """The webhook sender, recording each message with its time on the world's clock."""

    def __init__(self, world: ClockWorld) -> None:
        self.world = world
        self.sent: list[tuple[float, dict[str, Any]]] = []

    def send(self, target: WebhookTarget, message: dict[str, Any]) -> int:
        self.sent.append(((self.world.clock.ms - T0) / 1000, message))
        return 1


def replay(scenario: dict[str, Any]) -> list[tuple[float, dict[str, Any]]]:
    settings = {**SETTINGS, **scenario["config"]}
    config = CONFIG.format(
        group_wait=f"{int(settings['group_wait'])}s",
        group_interval=f"{int(settings['group_interval'])}s",
        repeat_interval=f"{int(settings['repeat_interval'])}s",
        send_resolved=str(settings["send_resolved"]).lower(),
    )
    world = ClockWorld(config, webhooks=RecordingWebhooks)
    steps = []
    for step in scenario["steps"]:
        at_ms = int(step["at"] * 1000)
        for given in step["alerts"]:
            labels = dict(given["labels"])
            name = labels.pop("alertname")
            steps.append((at_ms, alert(name, step["status"], at_ms, **labels)))
    world.run(steps, int(scenario["duration"] * 1000))
    assert isinstance(world.webhooks, RecordingWebhooks)
    return world.webhooks.sent


def shown(alerts: list[dict[str, Any]], names: set[str]) -> list[tuple[tuple[tuple[str, str], ...], str]]:
    """The alerts of a message, by the labels the scenario gave them, with their states."""
    return sorted(
        (tuple(sorted((k, v) for k, v in a["labels"].items() if k in names)), a["status"]) for a in alerts
    )


@pytest.mark.parametrize(
    "name", [s["name"] for s in GOLDEN["scenarios"] if s["name"] not in DIFFERENT_ON_PURPOSE]
)
def test_the_webhook_gets_what_alertmanager_sent_when_it_sent_it(name: str) -> None:
    scenario = SCENARIOS[name]
    ours = replay(scenario)
    theirs = [n for n in scenario["notifications"] if n["http_status"] == 200]
    assert len(ours) == len(theirs), ([round(t, 3) for t, _ in ours], [n["at"] for n in theirs])
    for (at, message), expected in zip(ours, theirs, strict=True):
        # on Alertmanager's tick (its own jitter: tick_tolerance), or within the second after it (SQS)
        assert expected["at"] - SETTINGS["tick_tolerance"] <= at < expected["at"] + 1.0, (at, expected["at"])
        assert message["status"] == expected["status"] and message["groupLabels"] == expected["group"]
        names = {k for a in expected["alerts"] for k in a["labels"]}
        assert shown(message["alerts"], names) == shown(expected["alerts"], names)


@pytest.mark.parametrize("name", sorted(DIFFERENT_ON_PURPOSE))
def test_a_scenario_that_differs_on_purpose_goes_as_documented(name: str) -> None:
    reason, seconds = DIFFERENT_ON_PURPOSE[name]
    ours = [at for at, _ in replay(SCENARIOS[name])]
    theirs = [n["at"] for n in SCENARIOS[name]["notifications"] if n["http_status"] == 200]
    assert len(ours) == len(seconds) and all(
        0 <= at - s < 1.0 for at, s in zip(ours, seconds, strict=True)
    ), ours
    assert [round(t) for t in ours] != [round(t) for t in theirs], reason


def test_every_recorded_scenario_is_replayed_and_the_figures_are_the_documented_ones() -> None:
    assert len(SCENARIOS) == len(GOLDEN["scenarios"]) >= 20 and set(DIFFERENT_ON_PURPOSE) <= set(SCENARIOS)
    alike = len(SCENARIOS) - len(DIFFERENT_ON_PURPOSE) + ("webhook_errors" in DIFFERENT_ON_PURPOSE)
    docs = (ROOT / "docs" / "configuration" / "routing.md").read_text()
    assert f"| {alike} of {len(SCENARIOS)} scenarios" in docs

"""Ordering at scale on moto and the Slack stand-in: ALARM/OK sequences for 100 alarms, shuffled and
partly duplicated: each alarm's stored state and its Slack message end as its latest event says."""

from __future__ import annotations

import random

import pytest

from alertrouter.sources import parse_body
from support.events import alarm_body
from support.harness import Harness

pytestmark = pytest.mark.integration


@pytest.mark.slow(seconds=50)
def test_shuffled_and_duplicated_sequences_end_as_the_latest_event_of_each_alarm(harness: Harness) -> None:
    rng = random.Random(42)
    deliveries, latest = [], {}
    for i in range(100):
        name = f"Alarm{i:03d}"
        states = [rng.choice(["ALARM", "OK"]) for _ in range(rng.randint(1, 4))]
        for minute, state in enumerate(states):
            body = alarm_body(
                name=name, state=state, ts=f"2024-05-01T10:{minute:02d}:00.000+0000", instance=f"i-{i:04d}"
            )
            deliveries.append(body)
            if rng.random() < 0.3:
                deliveries.append(body)  # at-least-once: delivered twice
        latest[name] = states[-1]
    rng.shuffle(deliveries)
    for body in deliveries:
        harness.service.handle_body(body)

    stores = harness.service.router.stores
    by_group = {m.metadata["event_payload"]["group"]: m for m in harness.slack.channel_messages("#team")}
    for i, (name, state) in enumerate(latest.items()):
        body = alarm_body(name=name, instance=f"i-{i:04d}")
        [alert] = parse_body(body).alerts
        stored = stores.alerts.get_alert(alert.fingerprint)
        assert stored is not None and stored.status == ("firing" if state == "ALARM" else "resolved"), name
        groups = [
            g for g in by_group if (grp := stores.groups.get_group(g)) and alert.fingerprint in grp.members
        ]
        if state == "ALARM":
            [key] = groups  # it was posted (once per episode: its latest message is the current one)
            assert not by_group[key].text.startswith("✅"), (name, by_group[key].text)
        else:  # resolved: never shown, or its message says so
            assert all(by_group[k].text.startswith("✅ RESOLVED") for k in groups), name
    # no group has two messages for one episode
    episodes = [
        (m.metadata["event_payload"]["group"], m.metadata["event_payload"]["episode"])
        for m in harness.slack.channel_messages("#team")
    ]
    assert len(episodes) == len(set(episodes))

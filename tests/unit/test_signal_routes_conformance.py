"""The AWS services' sample events (Health, X-Ray, ECS, Step Functions, RDS, GuardDuty, Security Hub) reach the
receivers the real amtool says the shipped config/routing.yaml sends them to: tests/conformance/golden/
signal_routes.json, recorded by tests/conformance/record_signal_routes.py."""

from __future__ import annotations

import json
from typing import Any

import pytest

from alertrouter import amtool
from alertrouter.config import load_config
from support import signal_routes as recorder

GOLDEN = json.loads(recorder.GOLDEN.read_text())
CONFIG = load_config(str(recorder.CONFIG), {"DEFAULT_SLACK_CHANNEL": "#alerts"})


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=lambda c: f"{c['event']}:{c['labels']['alertname']}")
def test_the_router_sends_each_sample_alert_where_amtool_does(case: dict[str, Any]) -> None:
    labels = case["labels"]
    got, _ = amtool.routes_test(CONFIG, labels, None)
    assert got.strip() == case["receivers"]


def test_the_recording_is_of_the_parsers_and_config_as_they_are() -> None:
    recorded: dict[str, list[dict[str, str]]] = {}
    for case in GOLDEN["cases"]:
        recorded.setdefault(case["event"], []).append(case["labels"])
    now = {name: recorder.labels_of(body) for name, body in recorder.sample_events().items()}
    now = {name: labels for name, labels in now.items() if labels}  # (ignored events have no alert)
    assert now == recorded, "a parser's labels or the sample events changed: run record_signal_routes.py"
    # the routes recorded are the shipped ones: a config edit asks for a new recording too
    assert GOLDEN["config_digest"] == recorder.config_digest(recorder.CONFIG.read_text())


def test_every_source_is_recorded_and_reaches_a_receiver_of_its_own_kind() -> None:
    sources = {case["labels"]["source"] for case in GOLDEN["cases"]}
    assert sources == set(recorder.SIGNAL_SOURCES)
    by_source: dict[str, set[str]] = {}
    for case in GOLDEN["cases"]:
        by_source.setdefault(case["labels"]["source"], set()).update(case["receivers"].split(","))
    assert by_source["guardduty"] | by_source["securityhub"] <= {"security", "oncall-page"}
    assert "default" not in by_source["health"] | by_source["rds"]

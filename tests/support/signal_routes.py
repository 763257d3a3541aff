"""The AWS services' sample alerts and the shipped routing as the real amtool reads it: what
tests/conformance/record_signal_routes.py records (golden/signal_routes.json) and
tests/unit/test_signal_routes_conformance.py checks the router against."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import yaml

from support.paths import ROOT

GOLDEN = ROOT / "tests" / "conformance" / "golden" / "signal_routes.json"
CONFIG = ROOT / "config" / "routing.yaml"
SIGNAL_SOURCES = ("health", "xray", "ecs", "stepfunctions", "rds", "guardduty", "securityhub")
# What Alertmanager's route and top level know; the rest is the router's own.
ROUTE_KEYS = {
    "receiver",
    "group_by",
    "continue",
    "matchers",
    "match",
    "match_re",
    "routes",
    "group_wait",
    "group_interval",
    "repeat_interval",
    "mute_time_intervals",
    "active_time_intervals",
}
TOP_KEYS = {
    "global",
    "route",
    "receivers",
    "inhibit_rules",
    "time_intervals",
    "mute_time_intervals",
    "templates",
}


def sample_events() -> dict[str, bytes]:
    """Each source's sample events by name: the real ones of events/, and those derived from them where AWS
    publishes no example (support/signal_events.py: a stopped ECS task, an X-Ray insight, a zone-level
    Health event)."""
    from support.signal_events import derived_events

    files = sorted(p for s in SIGNAL_SOURCES for p in (ROOT / "events").glob(f"eventbridge_{s}_*.json"))
    derived = derived_events()
    return {p.name: p.read_bytes() for p in files} | {
        name: json.dumps(event).encode() for name, event in derived.items()
    }


def alertmanager_config(text: str) -> dict[str, Any]:
    """The shipped config as Alertmanager reads it: its routing, receivers by name only."""
    config = yaml.safe_load(text.replace("${DEFAULT_SLACK_CHANNEL}", "#alerts"))

    def route(node: dict[str, Any]) -> dict[str, Any]:
        kept = {k: v for k, v in node.items() if k in ROUTE_KEYS and k != "routes"}
        if node.get("routes"):
            kept["routes"] = [route(child) for child in node["routes"]]
        return kept

    kept = {k: v for k, v in config.items() if k in TOP_KEYS}
    kept["route"] = route(config["route"])
    kept["receivers"] = [{"name": r["name"]} for r in config["receivers"]]
    return kept


def config_digest(text: str) -> str:
    """A short digest of the config as amtool reads it (a routing edit asks for a new recording)."""
    stripped = json.dumps(alertmanager_config(text), sort_keys=True)
    return hashlib.sha256(stripped.encode()).hexdigest()[:16]


def labels_of(body: bytes) -> list[dict[str, str]]:
    """The labels of each alert the project's parser makes of one sample event (none: an ignored event)."""
    from alertrouter.sources import parse_body

    return [dict(sorted(alert.labels.items())) for alert in parse_body(body).alerts]

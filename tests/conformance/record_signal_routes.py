"""Record where the real `amtool` routes each AWS service's sample event through the shipped config/routing.yaml:
the labels this project's parser gives each events/eventbridge_<source>_*.json (Health, X-Ray, ECS, Step
Functions, RDS, GuardDuty, Security Hub), and the receivers `amtool config routes test` answers for them, into
golden/signal_routes.json.

Run where Alertmanager is installed (`apt-get install prometheus-alertmanager`), from the repository root:

    .venv/bin/python tests/conformance/record_signal_routes.py

amtool reads the config as Alertmanager would: the router's own keys (escalation, reminder_interval,
resolve_timeout, flapping; receivers' Slack channels and SMS names; messages, people, schedules) are left out
first, so that only Alertmanager's routing (matchers, continue, inheritance) decides. tests/unit/
test_signal_routes_conformance.py checks the router's own answer for the same labels against the file, and that
the parsers still give those labels (a parser that changes its labels asks for a re-recording)."""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "layers" / "core"), str(ROOT / "tests")]
GOLDEN = Path(__file__).with_name("golden") / "signal_routes.json"
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
    from support.signal_events import CRASHED, health_zone_event, insight_update, stopped_task

    files = sorted(p for s in SIGNAL_SOURCES for p in (ROOT / "events").glob(f"eventbridge_{s}_*.json"))
    derived = {
        "derived:ecs_task_stopped_exit_1": stopped_task(**CRASHED, exit_code=1),
        "derived:ecs_task_stopped_oom": stopped_task(
            **CRASHED,
            exit_code=137,
            container_reason="OutOfMemoryError: Container killed due to memory usage",
        ),
        "derived:xray_insight_ACTIVE": insight_update("ACTIVE"),
        "derived:xray_insight_ACTIVE_error": insight_update("ACTIVE", Categories=["ERROR"]),
        "derived:health_zone_open": health_zone_event(),
    }
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


def main() -> None:
    from oracle import AMTOOL, run, version

    cases = []
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "alertmanager.yml"
        path.write_text(json.dumps(alertmanager_config(CONFIG.read_text()), indent=1))
        check = run([AMTOOL, "check-config", str(path)])
        if check.returncode != 0:
            raise SystemExit(f"amtool refuses the stripped config:\n{check.stdout}{check.stderr}")
        for name, body in sample_events().items():
            for labels in labels_of(body):
                arguments = [f"{k}={json.dumps(v)}" for k, v in labels.items()]
                done = run([AMTOOL, "config", "routes", "test", f"--config.file={path}", *arguments])
                cases.append({"event": name, "labels": labels, "receivers": done.stdout.strip()})
    GOLDEN.write_text(
        json.dumps(
            {
                "alertmanager_version": version(),
                "config": "config/routing.yaml",
                "config_digest": config_digest(CONFIG.read_text()),
                "cases": cases,
            },
            indent=1,
            ensure_ascii=False,
        )
        + "\n"
    )
    print(f"{GOLDEN}: {len(cases)} alerts from {len(sample_events())} events")


if __name__ == "__main__":
    main()

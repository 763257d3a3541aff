"""Record where the real `amtool` routes each AWS service's sample event through the shipped config/routing.yaml:
the labels this project's parser gives each events/eventbridge_<source>_*.json (Health, X-Ray, ECS, Step
Functions, RDS, GuardDuty, Security Hub), and the receivers `amtool config routes test` answers for them, into
golden/signal_routes.json.

Run where Alertmanager is installed (`apt-get install prometheus-alertmanager`), from the repository root:

    PYTHONPATH=layers/core:tests .venv/bin/python tests/conformance/record_signal_routes.py

amtool reads the config as Alertmanager would: the router's own keys (escalation, reminder_interval,
resolve_timeout, flapping; receivers' Slack channels and SMS names; messages, people, schedules) are left out
first, so that only Alertmanager's routing (matchers, continue, inheritance) decides. tests/unit/
test_signal_routes_conformance.py checks the router's own answer for the same labels against the file, and that
the parsers still give those labels (a parser that changes its labels asks for a re-recording)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from oracle import AMTOOL, run, version

from support.signal_routes import CONFIG, GOLDEN, alertmanager_config, config_digest, labels_of, sample_events


def main() -> None:
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

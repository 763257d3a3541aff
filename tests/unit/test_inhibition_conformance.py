"""Inhibition against the real Alertmanager (0.25): tests/conformance/golden/inhibition.json, recorded by
tests/conformance/record_inhibition.py (a loopback Alertmanager per scenario, alerts posted through
/api/v2/alerts and read back with their status). Each scenario's inhibit_rules are read with parse_config and
every alert Alertmanager lists is evaluated with routing/inhibit.py, the firing alerts as sources: suppressed
exactly where Alertmanager suppressed it, and by a source Alertmanager named."""

from __future__ import annotations

import json
from typing import Any

import pytest

from alertrouter.config import parse_config
from alertrouter.routing.inhibit import inhibited_by, source_rules
from support.paths import ROOT

GOLDEN = json.loads((ROOT / "tests" / "conformance" / "golden" / "inhibition.json").read_text())


def firing(scenario: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The scenario's firing alerts (name -> labels): the sources; a resolved alert mutes nothing."""
    return {a["name"]: a["labels"] for a in scenario["alerts"] if not a["resolved"]}


@pytest.mark.parametrize("scenario", GOLDEN["scenarios"], ids=lambda s: s["id"])
def test_an_alert_is_inhibited_where_alertmanager_inhibits_it(scenario: dict[str, Any]) -> None:
    rules = parse_config(scenario["config"]).inhibit_rules
    sources = firing(scenario)
    got, want = {}, {}
    for name, labels in sources.items():
        muted = inhibited_by(rules, name, labels, sources)
        got[name] = "suppressed" if muted is not None else "active"
        want[name] = scenario["verdicts"][name]["state"]
        # the source Alertmanager names mutes it here too, alone, and is a source of some rule
        for source in scenario["verdicts"][name]["inhibited_by"]:
            assert inhibited_by(rules, name, labels, {source: sources[source]}) is not None
            assert source_rules(rules, sources[source])
    assert got == want
    # Alertmanager does not list resolved alerts
    assert all(scenario["verdicts"][a["name"]] is None for a in scenario["alerts"] if a["resolved"])


def test_the_golden_data_is_what_the_figures_say() -> None:
    verdicts = [v for s in GOLDEN["scenarios"] for v in s["verdicts"].values() if v is not None]
    assert GOLDEN["alertmanager_version"].startswith("0.25")
    assert (len(GOLDEN["scenarios"]), len(verdicts)) == (12, 62)
    assert sum(v["state"] == "suppressed" for v in verdicts) == 21
    row = "| inhibition (12 scenarios of `inhibit_rules` in a loopback Alertmanager: 62 alerts"
    docs = (ROOT / "docs" / "configuration" / "routing.md").read_text()
    assert row in docs and "| 62 of 62 |" in docs.split(row, 1)[1].splitlines()[0]

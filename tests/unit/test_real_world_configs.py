"""Configs of real-world shape (tests/conformance/configs/, written here: kube-prometheus's default, a large team
tree with regex routes, continue, nesting, the deprecated match keys, time intervals and inhibit rules) check
clean here as in amtool, and draw and route as `amtool config routes show` / `test` (Alertmanager 0.25) say:
tests/conformance/golden/real_world.json, recorded by tests/conformance/record_routes.py."""

from __future__ import annotations

import json
from typing import Any

import pytest

from alertrouter import amtool
from alertrouter.config import load_config
from support.paths import ROOT

CONFORMANCE = ROOT / "tests" / "conformance"
GOLDEN = json.loads((CONFORMANCE / "golden" / "real_world.json").read_text())


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=lambda c: c["config"])
def test_a_real_world_config_checks_draws_and_routes_as_amtool_says(case: dict[str, Any]) -> None:
    assert case["accepted"]  # amtool check-config: SUCCESS
    config = load_config(CONFORMANCE / "configs" / case["config"])
    assert amtool.routes_show(config) + "\n" == case["show"]
    got = [
        amtool.routes_test(config, amtool.parse_labels(t["labels"]), None)[0].strip() for t in case["tests"]
    ]
    assert got == [t["receivers"] for t in case["tests"]]


def test_every_config_of_the_folder_is_in_the_golden_data() -> None:
    assert sorted(c["config"] for c in GOLDEN["cases"]) == sorted(
        p.name for p in (CONFORMANCE / "configs").glob("*.yml")
    )


def test_check_config_takes_the_file_as_amtool_does(capsys: pytest.CaptureFixture[str]) -> None:
    from alertrouter.cli import main

    path = CONFORMANCE / "configs" / "kube-prometheus.yml"
    assert main(["check-config", str(path)]) == 0  # `amtool check-config FILE`
    assert f"{path}: OK (4 receivers)" in capsys.readouterr().out

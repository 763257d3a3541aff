"""`alertrouter config routes show` and `config routes test` against what the real amtool (Alertmanager 0.25)
printed for 30 random route trees and 360 label sets: tests/conformance/golden/routes.json, recorded by
tests/conformance/record_routes.py (`=`, `!=`, `=~`, `!~`, several matchers a route, `continue`, nesting,
inherited receivers, missing labels)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from alertrouter import amtool
from alertrouter.config import parse_config
from support.paths import ROOT

CHECKED_IN = json.loads((ROOT / "tests" / "conformance" / "golden" / "routes.json").read_text())
# ROUTES_GOLDEN: a file recorded afresh with another seed (make conformance, where amtool is installed)
GOLDEN = (
    json.loads(Path(os.environ["ROUTES_GOLDEN"]).read_text())
    if os.environ.get("ROUTES_GOLDEN")
    else CHECKED_IN
)


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=lambda c: str(GOLDEN["cases"].index(c)))
def test_routes_show_and_test_print_what_amtool_prints(case: dict[str, Any]) -> None:
    config = parse_config(case["config"])
    assert amtool.routes_show(config) + "\n" == case["show"]  # (the CLI prints it with a final newline)
    got = [
        amtool.routes_test(config, amtool.parse_labels(t["labels"]), None)[0].strip() for t in case["tests"]
    ]
    assert got == [t["receivers"] for t in case["tests"]]


def test_the_golden_data_is_what_the_figures_say() -> None:
    assert CHECKED_IN["alertmanager_version"].startswith("0.25")
    assert len(CHECKED_IN["cases"]) == 30 and sum(len(c["tests"]) for c in CHECKED_IN["cases"]) == 360
    # the trees exercise continue, inheritance and multi-receiver answers, not only the root's receiver
    answers = [t["receivers"] for c in CHECKED_IN["cases"] for t in c["tests"]]
    assert sum("," in a for a in answers) >= 10 and sum(a == "default" for a in answers) < 200


def test_verify_receivers_exits_1_with_amtools_warning() -> None:
    config = parse_config(GOLDEN["cases"][0]["config"])
    labels = amtool.parse_labels(GOLDEN["cases"][0]["tests"][0]["labels"])
    reached = GOLDEN["cases"][0]["tests"][0]["receivers"]
    assert amtool.routes_test(config, labels, reached) == (reached + "\n", 0)
    assert amtool.routes_test(config, labels, "nobody") == (reached + "\n" + amtool.MISMATCH + "\n", 1)

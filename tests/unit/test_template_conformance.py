"""Slack title/text templates against Alertmanager 0.33.1's amtool: tests/unit/golden/templates.json, recorded by
tests/conformance/record_templates.py. Each case renders here as amtool rendered it, or fails in both (when read
or when rendered); the templates refused here on purpose are ones amtool renders; OPEN_DIFFERENCES lists what
still differs, and the test fails when one appears or goes away."""

from __future__ import annotations

import json
from typing import Any

import pytest

from alertrouter.notify.template_data import from_alertmanager_json
from alertrouter.notify.templates import RenderError, TemplateSyntaxError, compile_template
from support.paths import ROOT

GOLDEN = json.loads((ROOT / "tests" / "unit" / "golden" / "templates.json").read_text(encoding="utf-8"))
DATA = {name: from_alertmanager_json(data) for name, data in GOLDEN["data"].items()}
CASES = GOLDEN["cases"]
# (template, data) -> what this router gives instead of amtool's answer
OPEN_DIFFERENCES: dict[tuple[str, str], str] = {}
DOCS = ROOT / "docs" / "configuration" / "from-alertmanager.md"


def ours(template: str, data: str) -> dict[str, Any]:
    try:
        return {"ok": True, "output": compile_template(template).render(DATA[data])}
    except (TemplateSyntaxError, RenderError) as exc:
        return {"ok": False, "error": str(exc)}


def agrees(case: dict[str, Any]) -> bool:
    mine = ours(case["template"], case["data"])
    if not case["ok"]:
        return not mine["ok"]
    return mine == {"ok": True, "output": case["output"]}


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['data']}:{c['template'][:50]}")
def test_a_template_renders_as_alertmanager_renders_it(case: dict[str, Any]) -> None:
    key = (case["template"], case["data"])
    if key in OPEN_DIFFERENCES:
        assert not agrees(case), f"no longer differs: {key}"
        return
    mine = ours(case["template"], case["data"])
    if case["ok"]:
        assert mine == {"ok": True, "output": case["output"]}
    else:
        assert not mine["ok"], case["error"]


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if not c["ok"] and "executing" not in c["error"]],
    ids=lambda c: c["template"][:50],
)
def test_a_template_alertmanager_cannot_read_is_refused_when_the_config_is_loaded(
    case: dict[str, Any],
) -> None:
    with pytest.raises(TemplateSyntaxError):
        compile_template(case["template"])


@pytest.mark.parametrize("case", GOLDEN["refused_on_purpose"], ids=lambda c: c["template"][:50])
def test_a_template_refused_here_on_purpose_is_one_alertmanager_renders(case: dict[str, Any]) -> None:
    assert case["ok"]
    with pytest.raises(TemplateSyntaxError, match=case["refused_for"]):
        compile_template(case["template"])


def test_the_agreement_figure_is_what_the_docs_say() -> None:
    agreeing = sum(1 for case in CASES if agrees(case))
    assert agreeing == len(CASES) - len(OPEN_DIFFERENCES)
    assert f"{agreeing}/{len(CASES)} cases" in DOCS.read_text(encoding="utf-8")


def test_the_golden_data_is_amtools_example_data_with_fixed_times() -> None:
    default = DATA["amtool_default"]
    assert (default.receiver, default.status, default.external_url) == (
        "receiver",
        "alertstatus",
        "https://example.com",
    )
    assert [a.fingerprint for a in default.alerts] == ["fingerprint1", "fingerprint2"]

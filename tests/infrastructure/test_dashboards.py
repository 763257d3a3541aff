"""The org-wide views as code: the hub's CloudWatch dashboard in template.yaml is the body
alertrouter/dashboards/cloudwatch.py builds, and the checked-in Grafana dashboard is what
alertrouter/dashboards/grafana.py builds. Re-record the Grafana copy after a deliberate change:

    .venv/bin/pytest tests/infrastructure/test_dashboards.py --record-golden
    (or: alertrouter dashboard grafana --out docs/dashboards/org-slos.grafana.json)

Whether every metric these dashboards query is one the code publishes: tests/integration/test_dashboard_metrics.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from alertrouter.dashboards.cloudwatch import body_json, org_slo_dashboard
from support.local_aws import load_template
from support.paths import ROOT

TEMPLATE = load_template()
GRAFANA_COPY = ROOT / "docs" / "dashboards" / "org-slos.grafana.json"


def substituted(text: str, **values: str) -> str:
    """A Fn::Sub string with its ${Name} variables replaced and its ${!Literal} escapes undone."""
    for name, value in values.items():
        text = text.replace(f"${{{name}}}", value)
    assert "${" not in text.replace("${!", ""), "a variable left unsubstituted"
    return text.replace("${!", "${")


def test_the_hubs_dashboard_in_the_template_is_the_body_the_code_builds() -> None:
    resource = TEMPLATE["Resources"]["OrgSloDashboard"]
    assert resource["Condition"] == "IsHub"
    assert TEMPLATE["Conditions"]["IsHub"] == {"Equals": [{"Ref": "Mode"}, "hub"]}
    props = resource["Properties"]
    assert props["DashboardName"] == {"Sub": "${AWS::StackName}-${AccountLabel}-org-slos"}
    body = json.loads(substituted(props["DashboardBody"]["Sub"], **{"AWS::Region": "eu-west-1"}))
    assert body == org_slo_dashboard("eu-west-1")
    assert json.loads(body_json("eu-west-1")) == body


def test_the_hubs_dashboard_shows_every_slo_worst_first_and_every_accounts_alerts_and_queues() -> None:
    widgets = org_slo_dashboard("us-east-1")["widgets"]
    expressions = {w["properties"]["title"]: w["properties"]["metrics"][0][0]["expression"] for w in widgets}
    worst = expressions["Error budget left (%), worst first"]
    assert worst.startswith("SORT(SEARCH('{AlertRouter/SLO,") and worst.endswith(", MIN, ASC)")
    assert "OpenAlerts" in expressions["Open alerts by account and severity"]
    assert any("AlertRouter/Batch" in e for e in expressions.values())
    # every widget fits the 24-column grid, and none overlaps another
    cells = [
        (w["x"] + dx, w["y"] + dy) for w in widgets for dx in range(w["width"]) for dy in range(w["height"])
    ]
    assert len(cells) == len(set(cells)) and all(0 <= x < 24 for x, _ in cells)


def grafana_json() -> str:
    from alertrouter.dashboards.grafana import dashboard_json  # grafana-foundation-sdk: a dev dependency

    return dashboard_json()


def test_the_checked_in_grafana_dashboard_is_the_one_the_code_builds(request: pytest.FixtureRequest) -> None:
    if request.config.getoption("--record-golden", default=False):
        GRAFANA_COPY.parent.mkdir(parents=True, exist_ok=True)
        GRAFANA_COPY.write_text(grafana_json(), encoding="utf-8")
        pytest.skip(f"recorded {GRAFANA_COPY.relative_to(ROOT)}")
    assert GRAFANA_COPY.read_text(encoding="utf-8") == grafana_json(), (
        "docs/dashboards/org-slos.grafana.json is stale: re-record it (see this module's docstring)"
    )


def variables(board: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["name"]: v for v in board["templating"]["list"]}


def test_the_grafana_dashboard_has_a_cloudwatch_datasource_and_account_service_slo_variables() -> None:
    board = json.loads(grafana_json())
    found = variables(board)
    assert found["datasource"]["type"] == "datasource" and found["datasource"]["query"] == "cloudwatch"
    for name, dimension in (("account", "account"), ("service", "slo_service"), ("slo", "slo")):
        query = found[name]["query"]
        assert query["namespace"] == "AlertRouter/SLO" and query["dimensionKey"] == dimension
        assert found[name]["includeAll"] and found[name]["multi"]
        assert found[name]["datasource"]["uid"] == "${datasource}"


def test_the_cli_prints_the_cloudwatch_body_and_writes_the_grafana_dashboard(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from alertrouter.cli import main

    assert main(["dashboard", "cloudwatch", "--region", "eu-west-1"]) == 0
    assert json.loads(capsys.readouterr().out) == org_slo_dashboard("eu-west-1")
    out = tmp_path / "org-slos.json"
    assert main(["dashboard", "grafana", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == grafana_json()


def test_the_grafana_router_health_row_names_the_stacks_own_functions_and_dlq() -> None:
    # the panels name them "$stack-<name>", $stack being "<StackName>-<AccountLabel>"
    names = set()
    for resource in TEMPLATE["Resources"].values():
        props = resource.get("Properties", {}) if isinstance(resource, dict) else {}
        for key in ("FunctionName", "QueueName"):
            if isinstance(props.get(key), dict) and "Sub" in props[key]:
                names.add(props[key]["Sub"])
    board = json.loads(grafana_json())
    named = {
        value.replace("$stack-", "${AWS::StackName}-${AccountLabel}-")
        for panel in board["panels"]
        for target in panel.get("targets", [])
        for key, value in target["dimensions"].items()
        if key in ("FunctionName", "QueueName")
    }
    assert len(named) == 4 and named <= names, sorted(named - names)

"""Every metric a dashboard panel queries (the hub's CloudWatch dashboard and the Grafana dashboard) is one the
code really publishes: its namespace, its name and its exact dimension set.

What the code publishes is read from the EMF lines its publishers print when they run for real, on moto and
the Slack stand-in: the SLO evaluator evaluating an SLO of a spoke's account (slo/service.publish), the Batch
queue-metrics function reading a job queue (batch_metrics.publish), and the router's Lambda handler taking an
alarm to a healthy and a refused Slack channel and a record it cannot read (RouterService.publish_metrics),
and the hub's escalator counting the open alerts the router indexed (OpenAlertsGauge.publish).
AWS's own metrics (AWS/Lambda, AWS/SQS) are those the stack's ops alarms watch in template.yaml.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from alertrouter.batch_metrics import QueueMetricsReader, batch_client_config
from alertrouter.batch_metrics import publish as publish_batch
from alertrouter.composition.slo_evaluator import compose
from alertrouter.dashboards.cloudwatch import org_slo_dashboard
from alertrouter.models.settings import BatchMetricsSettings, SloSettings
from alertrouter.observability import dimensionless_metrics
from alertrouter.open_alerts import OpenAlertsGauge
from alertrouter.slo.service import publish as publish_slos
from support.batch_fakes import build_world
from support.checkout_slo import NOW, SLOS, put_hours, put_minutes
from support.events import alarm_body
from support.harness import Harness, RouterStack, make_harness
from support.local_aws import expand_for_each, load_template
from support.paths import ROOT
from support.slack_standin import SlackStandIn

pytestmark = pytest.mark.integration

Metric = tuple[str, str, frozenset[str]]  # namespace, metric name, dimension names
SPOKE = "210987654321"
ROUTER_CONFIG = """
route:
  receiver: team
  group_by: [alertname]
  group_wait: 0s
receivers:
  - name: team
    slack: [{channel: "#broken"}, {channel: "#healthy"}]
"""


def emf_metrics(out: str) -> set[Metric]:
    """Every (namespace, metric, dimension set) the EMF lines in `out` publish."""
    found: set[Metric] = set()
    for line in out.splitlines():
        if '"_aws"' not in line:
            continue
        for directive in json.loads(line)["_aws"]["CloudWatchMetrics"]:
            for dimensions in directive["Dimensions"]:
                for metric in directive["Metrics"]:
                    found.add((directive["Namespace"], metric["Name"], frozenset(dimensions)))
    return found


# ---- what the panels query ----

_SEARCH = re.compile(r"SEARCH\('\{(?P<schema>[^}]*)\} MetricName=(?P<names>\([^)]*\)|\"[^\"]*\")")


def cloudwatch_queries(body: dict[str, Any]) -> set[Metric]:
    """The metrics the hub's CloudWatch dashboard searches for: each SEARCH's schema and metric names."""
    found: set[Metric] = set()
    for widget in body["widgets"]:
        for row in widget["properties"]["metrics"]:
            for match in _SEARCH.finditer(row[0]["expression"]):
                namespace, *dimensions = match["schema"].split(",")
                for name in re.findall(r'"([^"]+)"', match["names"]):
                    found.add((namespace, name, frozenset(dimensions)))
    return found


def grafana_queries(board: dict[str, Any]) -> set[Metric]:
    """The metrics the Grafana dashboard's panels query (each with exactly its dimensions: matchExact)."""
    found: set[Metric] = set()
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            assert target["matchExact"] is True, panel["title"]
            found.add((target["namespace"], target["metricName"], frozenset(target["dimensions"])))
    return found


def alarm_metrics() -> set[Metric]:
    """The AWS metrics the stack's alarms watch (every loop expanded)."""
    resources = expand_for_each(
        load_template(), {"OpenSearchDomainNames": ["logs"], "StuckQueueNames": ["q"]}
    )
    return {
        (p["Namespace"], p["MetricName"], frozenset(d["Name"] for d in p.get("Dimensions", [])))
        for r in resources["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Alarm" and "Namespace" in (p := r["Properties"])
    }


# ---- what the code publishes, its publishers run ----


def publish_a_spokes_slo(harness: Harness, tmp_path: Path) -> None:
    """The hub's evaluator evaluates a spoke's SLO with every window's data, and publishes it."""
    path = tmp_path / "slos.yaml"
    path.write_text(SLOS.replace("stat: Sum}", f'stat: Sum, accountId: "{SPOKE}"}}'))
    settings = SloSettings(
        table_name=harness.stack.table_name,
        ingest_queue_url=harness.stack.queue_url,
        slo_config_path=str(path),
        account_id="123456789012",
        aws_region="us-east-1",
    )
    cloudwatch = harness.session.client("cloudwatch")
    put_hours(cloudwatch, NOW - 4 * 86400, NOW - 8 * 3600, 60_000)
    put_minutes(cloudwatch, NOW - 8 * 3600, NOW, 1000, 1)
    reports = compose(settings, harness.service.clients).run(NOW)
    assert all(burn is not None for report in reports for burn in report.burns.values())
    publish_slos(reports, settings.account_id)


def publish_a_job_queue(harness: Harness) -> None:
    """The queue-metrics function reads a job queue and publishes it (in its configured namespace)."""
    build_world(harness.session.client, {"high-priority": {"RUNNABLE": [NOW - 120]}})
    reader = QueueMetricsReader(harness.session.client("batch", config=batch_client_config(2)))
    publish_batch(reader.run(), dimensionless_metrics(BatchMetricsSettings().batch_metrics_namespace))


def route_an_alarm_and_a_bad_record(stack: RouterStack, slack: SlackStandIn) -> None:
    """The router's handler takes an alarm (one channel refused) and a record it cannot read."""
    slack.broken = {"#broken": "not_in_channel"}
    assert stack.send(alarm_body(), "not an event") == {"batchItemFailures": []}


@pytest.fixture
def published(
    aws: Any,
    slack: SlackStandIn,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> set[Metric]:
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    harness = make_harness(aws, slack, tmp_path, ROUTER_CONFIG, mode="hub")  # (a hub keeps the open alerts)
    stack = RouterStack(harness, monkeypatch)
    capsys.readouterr()
    publish_a_spokes_slo(harness, tmp_path)
    publish_a_job_queue(harness)
    route_an_alarm_and_a_bad_record(stack, slack)
    count_the_open_alerts(harness)
    return emf_metrics(capsys.readouterr().out)


def count_the_open_alerts(harness: Harness) -> None:
    """The hub's escalator counts the open alerts the router indexed (the alarm just routed) and publishes the
    OpenAlerts gauge."""
    store = harness.service.router.stores
    gauge = OpenAlertsGauge(store.open_alerts, store.alerts, harness.clock)
    counted = gauge.measure()
    assert counted.counts.total() == 1, counted
    gauge.publish(counted)


def by_the_code(published: set[Metric]) -> set[Metric]:
    """What the code publishes."""
    return published


def test_every_metric_the_hubs_cloudwatch_dashboard_queries_is_published(published: set[Metric]) -> None:
    queried = cloudwatch_queries(org_slo_dashboard("us-east-1"))
    assert queried and queried <= by_the_code(published), sorted(queried - by_the_code(published))
    # each kind of panel is there: SLOs (every window of the default rules), open alerts, Batch queues
    assert {n for n, _, _ in queried} == {"AlertRouter/SLO", "AlertRouter", "AlertRouter/Batch"}


def test_every_metric_the_grafana_dashboard_queries_is_published_or_alarmed(published: set[Metric]) -> None:
    board = json.loads((ROOT / "docs" / "dashboards" / "org-slos.grafana.json").read_text(encoding="utf-8"))
    queried = grafana_queries(board)
    ours = {q for q in queried if not q[0].startswith("AWS/")}
    assert ours <= by_the_code(published), sorted(ours - by_the_code(published))
    aws_own = queried - ours
    assert aws_own and aws_own <= alarm_metrics(), sorted(aws_own - alarm_metrics())
    assert {n for n, _, _ in queried} == {
        "AlertRouter/SLO", "AlertRouter", "AlertRouter/Batch", "AWS/Lambda", "AWS/SQS"
    }  # fmt: skip


def test_a_panel_naming_a_dimension_the_code_does_not_publish_is_caught(published: set[Metric]) -> None:
    # (the check itself: a schema with one dimension too many matches nothing the code publishes)
    wrong = {"widgets": [{"properties": {"metrics": [[{"expression": (
        "SEARCH('{AlertRouter/SLO,account,region,service,slo,slo_service} MetricName=\"FiringRules\"', 'Maximum', 60)"
    )}]]}}]}  # fmt: skip
    assert not cloudwatch_queries(wrong) <= by_the_code(published)

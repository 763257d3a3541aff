"""The hub's SLO evaluator reads a spoke's SLO in the spoke's account: the GetMetricData request botocore
serialises carries the spoke's AccountId on every metric (CloudWatch cross-account observability answers it
from the hub's monitoring account), and the SLO's metrics are published under the spoke's account."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from alertrouter.composition.slo_evaluator import compose
from alertrouter.models.settings import SloSettings
from alertrouter.slo.service import publish
from support.checkout_slo import NOW, SLOS, put_minutes
from support.harness import Harness, emf_lines

pytestmark = pytest.mark.integration

HUB, SPOKE = "123456789012", "210987654321"
SPOKE_SLOS = SLOS.replace("stat: Sum}", f'stat: Sum, accountId: "{SPOKE}"}}')


def evaluate(harness: Harness, tmp_path: Path, slos: str) -> tuple[list[Any], list[dict[str, Any]]]:
    """One run of the hub's evaluator over `slos`: its reports and the GetMetricData requests it sent, as
    botocore serialised them (the request bodies on the wire)."""
    path = tmp_path / "slos.yaml"
    path.write_text(slos)
    settings = SloSettings(
        table_name=harness.stack.table_name,
        ingest_queue_url=harness.stack.queue_url,
        slo_config_path=str(path),
        account_id=HUB,
        aws_region="us-east-1",
    )
    clients = harness.service.clients
    service = compose(settings, clients)
    sent: list[dict[str, Any]] = []

    def on_send(request: Any, **_: Any) -> None:  # observes only: moto still answers
        sent.append(json.loads(request.body))

    clients.client("cloudwatch").meta.events.register("before-send.cloudwatch.GetMetricData", on_send)
    put_minutes(harness.session.client("cloudwatch"), NOW - 3600, NOW, 1000, 0)
    return service.run(NOW), sent


def test_a_spokes_slo_is_read_with_the_spokes_account_id(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    # Given the hub's evaluator with an SLO whose metrics live in a spoke's account (accountId in its spec)
    # When it evaluates
    reports, sent = evaluate(harness, tmp_path, SPOKE_SLOS)
    # Then every metric it asks CloudWatch for names the spoke's account, on the wire
    queries = [q for body in sent for q in body["MetricDataQueries"]]
    assert queries and all(q["AccountId"] == SPOKE for q in queries if "MetricStat" in q)
    assert {q["MetricStat"]["Metric"]["MetricName"] for q in queries} == {"Errors", "Requests"}
    # and its metrics are published under the spoke's account, its OpenSLO service and its name
    capsys.readouterr()
    publish(reports, HUB)
    [line] = emf_lines(capsys)
    assert (line["account"], line["slo_service"], line["slo"]) == (SPOKE, "checkout", "checkout-availability")
    [directive] = line["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "AlertRouter/SLO"
    assert sorted(directive["Dimensions"][0]) == ["account", "service", "slo", "slo_service"]


def test_an_slo_of_the_hubs_own_account_is_read_without_an_account_id(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    reports, sent = evaluate(harness, tmp_path, SLOS)
    queries = [q for body in sent for q in body["MetricDataQueries"]]
    assert queries and not any("AccountId" in q for q in queries)
    capsys.readouterr()
    publish(reports, HUB)
    [line] = emf_lines(capsys)
    assert line["account"] == HUB  # the evaluator's own

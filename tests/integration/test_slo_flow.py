"""The SLO evaluator on moto's CloudWatch: metrics written, evaluations run minute after minute, the page
reaches the Slack stand-in through the router, and what CloudWatch bills (calls, metrics) is counted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alertrouter.composition.slo_evaluator import compose
from alertrouter.models.settings import SloSettings
from alertrouter.slo.service import SloService
from support.checkout_slo import NOW, SLOS, put_hours, put_minutes
from support.harness import Harness

pytestmark = pytest.mark.integration


@pytest.fixture
def slo_service(harness: Harness, tmp_path: Path) -> SloService:
    path = tmp_path / "slos.yaml"
    path.write_text(SLOS)
    settings = SloSettings(
        table_name=harness.stack.table_name,
        ingest_queue_url=harness.stack.queue_url,
        slo_config_path=str(path),
        account_id="123456789012",
        aws_region="us-east-1",
        dashboard_url="https://console.example/dashboards/slos",
    )
    return compose(settings, harness.service.clients)


@pytest.mark.slow
def test_a_fast_burn_pages_with_its_budget_figures_and_resolves(
    harness: Harness, slo_service: SloService
) -> None:
    cloudwatch = harness.session.client("cloudwatch")
    # Given 8 quiet hours (1000 requests a minute, none failing) and then 20 minutes failing 3% of requests
    put_minutes(cloudwatch, NOW - 8 * 3600, NOW - 1200, 1000, 0)
    put_hours(cloudwatch, NOW - 86400 - 8 * 3600, NOW - 8 * 3600, 60_000)  # and a quiet day before
    put_minutes(cloudwatch, NOW - 1200, NOW, 1000, 30)
    # When the evaluator runs (its first run reads the period so far)
    reports = slo_service.run(NOW)
    [report] = reports
    # Then: 1h burn = 600 bad / 60000 / 0.001 = 10 (no page yet: above 6 but 6h is low); 5m burn 30;
    # the 3d window holds 32 hours: 600 / 1920000 / 0.001 = 0.3125, no ticket
    burns = {str(w): float(b) for w, b in report.burns.items() if b is not None}
    assert burns["0:05:00"] == pytest.approx(30) and burns["1:00:00"] == pytest.approx(10)
    assert report.firing == []
    assert float(report.remaining) == pytest.approx(1 - 600 / 1920)  # the period so far: 1,920,000 requests
    first_calls, first_metrics = slo_service.evaluator.calls, slo_service.evaluator.metrics
    assert first_calls == 2 and first_metrics == 4  # backfill: hourly + per-minute, for errors and requests
    # When the incident goes on for 25 more minutes, evaluated minute by minute
    for minute in range(1, 26):
        put_minutes(cloudwatch, NOW + (minute - 1) * 60, NOW + minute * 60, 1000, 30)
        [report] = slo_service.run(NOW + minute * 60)
        # each later run asks CloudWatch for 2 metrics only, in one call (the floor); once an hour, 2 more
        # in a second call: the minutes of the hour the 3d window starts in (here, the first minute)
        expected = (2, 4, 4) if minute == 1 else (1, 2, 2)
        assert (
            slo_service.evaluator.calls,
            slo_service.evaluator.metrics,
            report.metrics_requested,
        ) == expected
    # Then the 1h window burns above 14.4 with the 5m one: the page fires (and suppresses the ticket)
    assert [r.rule.name for r in report.firing] == ["page-1h-5m"]
    assert all(not r.firing for r in report.results if r.rule.severity == "ticket")
    queued = harness.receive_all(harness.stack.queue_url)
    events = [json.loads(m["Body"]) for m in queued]
    assert events and all(e["source"] == "alertrouter.slo" for e in events)
    harness.clock.ms = (
        NOW + 25 * 60
    ) * 1000  # the router's clock at the evaluation (it refuses later events)
    for message in queued:  # the router takes them from its queue
        harness.service.handle_body(message["Body"])
    [page] = harness.slack.channel_messages("#oncall")  # severity page -> critical -> the pager route
    text = json.dumps(page.attachments, ensure_ascii=False)
    assert "Checkout availability: error budget burn (page-1h-5m)" in page.text
    assert "Error budget of 30d:" in text and "% left" in text and "Burn rate 1h" in text
    assert "At this rate the budget is gone in" in text
    # When the errors stop, the 5m window recovers within minutes: the page resolves
    for minute in range(26, 36):
        put_minutes(cloudwatch, NOW + (minute - 1) * 60, NOW + minute * 60, 1000, 0)
        [report] = slo_service.run(NOW + minute * 60)
        harness.clock.ms = (NOW + minute * 60) * 1000
        for message in harness.receive_all(harness.stack.queue_url):
            harness.service.handle_body(message["Body"])
    assert "page-1h-5m" not in [r.rule.name for r in report.firing]
    harness.clock.advance(600)
    assert harness.slack.channel_messages("#oncall")[0].text.startswith("✅ RESOLVED")


def test_late_data_is_read_again_and_state_survives_a_new_process(
    harness: Harness, slo_service: SloService, tmp_path: Path
) -> None:
    cloudwatch = harness.session.client("cloudwatch")
    put_minutes(cloudwatch, NOW - 3600, NOW - 120, 100, 0)
    slo_service.run(NOW)
    # a datapoint for two minutes ago arrives late, after that run
    put_minutes(cloudwatch, NOW - 120, NOW, 100, 50)
    again = compose(slo_service.settings, harness.service.clients)  # a cold start: state from the table
    [report] = again.run(NOW + 60)
    five = next(c for w, c in report.windows.items() if w.total_seconds() == 300)
    assert float(five.bad) == 100 and float(five.total) == 400  # the two late minutes were read again
    assert again.evaluator.metrics == 4  # 2, and the 3d window's first hour (read once an hour)


def test_cli_evaluate_reads_the_period_and_shows_the_firing_page(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from alertrouter.cli import main

    cloudwatch = harness.session.client("cloudwatch")
    put_hours(cloudwatch, NOW - 86400, NOW - 8 * 3600, 60_000)
    put_minutes(cloudwatch, NOW - 8 * 3600, NOW - 3600, 1000, 0)
    put_minutes(cloudwatch, NOW - 3600, NOW, 1000, 20)  # 2% errors for an hour: burn 20
    path = tmp_path / "slos.yaml"
    path.write_text(SLOS)
    assert main(["slo", "evaluate", str(path), "--at", "2026-11-23T03:00:00Z", "--region", "us-east-1"]) == 0
    out = capsys.readouterr().out
    assert "checkout-availability: budget left" in out and "1h 20" in out and "5m 20" in out
    assert "page-1h-5m             FIRING" in out and "Burn rate 1h 20× / 5m 20× (page above 14.4×)" in out
    assert "GetMetricData calls: 2, metrics requested: 4" in out


def test_a_resolve_that_could_not_be_queued_is_sent_by_the_next_run(
    harness: Harness, slo_service: SloService, monkeypatch: pytest.MonkeyPatch
) -> None:
    cloudwatch = harness.session.client("cloudwatch")
    put_hours(cloudwatch, NOW - 86400, NOW - 8 * 3600, 60_000)
    put_minutes(cloudwatch, NOW - 8 * 3600, NOW - 3600, 1000, 0)
    put_minutes(cloudwatch, NOW - 3600, NOW, 1000, 20)  # burn 20: the page fires
    assert slo_service.run(NOW)[0].firing
    harness.receive_all(harness.stack.queue_url)
    put_minutes(cloudwatch, NOW, NOW + 3600, 1000, 0)  # it stops; the 5m window recovers
    sqs = slo_service.clients.sqs
    real = sqs.send_message_batch
    monkeypatch.setattr(
        sqs, "send_message_batch", lambda **kw: (_ for _ in ()).throw(RuntimeError("SQS down"))
    )
    with pytest.raises(RuntimeError, match="SQS down"):
        slo_service.run(NOW + 600)
    monkeypatch.setattr(sqs, "send_message_batch", real)
    [report] = slo_service.run(NOW + 660)  # the failed run's state was not saved: it resolves again
    assert report.resolved == ["page-1h-5m"]
    events = [json.loads(m["Body"]) for m in harness.receive_all(harness.stack.queue_url)]
    assert [(e["detail"]["rule"], e["detail"]["state"]) for e in events] == [("page-1h-5m", "resolved")]

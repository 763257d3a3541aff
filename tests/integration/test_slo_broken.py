"""One broken SLO among three: the evaluator reports it (its reason logged, metric BrokenSlos) and evaluates
the other two; a deploy-time check (`alertrouter slo validate`) refuses the same file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alertrouter.cli import main
from alertrouter.composition.slo_evaluator import compose
from alertrouter.models.settings import SloSettings
from support.checkout_slo import NOW, SLOS, put_minutes
from support.harness import Harness

pytestmark = pytest.mark.integration

BROKEN = SLOS.replace("name: checkout-availability", "name: checkout-latency").replace(
    "target: 0.999", "target: 1.5"
)  # a target above 1: invalid
SECOND = SLOS.replace("name: checkout-availability", "name: checkout-availability-7d").replace(
    "duration: 30d", "duration: 7d"
)


def _write(tmp_path: Path) -> Path:
    path = tmp_path / "slos.yaml"
    path.write_text("---".join([SLOS, BROKEN, SECOND]))
    return path


def test_one_broken_slo_is_reported_and_the_others_are_evaluated(
    harness: Harness,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given an SLO file whose second document is invalid, deployed as it is (a hand-edited layer)
    path = _write(tmp_path)
    put_minutes(harness.session.client("cloudwatch"), NOW - 3600, NOW, 1000, 30)  # 3% errors: both burn
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "AlertRouter/SLO")
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    settings = SloSettings(
        table_name=harness.stack.table_name,
        ingest_queue_url=harness.stack.queue_url,
        slo_config_path=str(path),
        account_id="123456789012",
        aws_region="us-east-1",
    )
    # When the evaluator starts and runs
    service = compose(settings, harness.service.clients)
    broken = service.report_problems()
    reports = service.run(NOW)
    # Then the two valid SLOs are evaluated and page, and the broken one is named with its reason
    assert sorted(r.slo.name for r in reports) == ["checkout-availability", "checkout-availability-7d"]
    assert all(r.firing for r in reports)
    [problem] = broken
    assert "document 2 (checkout-latency)" in str(problem) and "target" in str(problem)
    out = capsys.readouterr().out
    emf = [json.loads(line) for line in out.splitlines() if '"_aws"' in line]
    assert [line["BrokenSlos"] for line in emf if "BrokenSlos" in line] == [[1.0]]
    [error] = [r for r in caplog.records if r.getMessage().startswith("SLO not evaluated")]
    assert error.levelname == "ERROR" and "checkout-latency" in error.__dict__["reason"]
    queued = [json.loads(m["Body"]) for m in harness.receive_all(harness.stack.queue_url)]
    assert {e["detail"]["slo"] for e in queued} == {"checkout-availability", "checkout-availability-7d"}


def test_the_same_file_is_refused_before_deploy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["slo", "validate", str(_write(tmp_path))]) != 0
    assert "document 2 (checkout-latency)" in capsys.readouterr().err


def test_an_slo_file_that_cannot_be_read_is_one_problem_and_no_slo(harness: Harness, tmp_path: Path) -> None:
    settings = SloSettings(
        table_name=harness.stack.table_name,
        ingest_queue_url=harness.stack.queue_url,
        slo_config_path=str(tmp_path / "missing.yaml"),
    )
    service = compose(settings, harness.service.clients)
    [problem] = service.report_problems()
    assert "cannot read SLO file" in str(problem)
    assert service.run(NOW) == []

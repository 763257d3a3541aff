"""`alertrouter slo validate|test` without AWS, and the SLO evaluator's events as the router reads them."""

from __future__ import annotations

import json

import pytest

from alertrouter.cli import main
from alertrouter.models.alert import Severity, Status
from alertrouter.sources import MalformedEventError, parse_body
from support.paths import ROOT


def test_validate_lists_each_slo_and_its_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["slo", "validate", str(ROOT / "config" / "slos.yaml")]) == 0
    out = capsys.readouterr().out
    assert (
        "checkout-availability: 99.9% over 30d rolling, Occurrences; rules: page-1h-5m > 14.4, page-6h-30m > 6, "
        "ticket-3d-6h > 1" in out
    )
    assert "checkout-latency: 99% over 28d rolling" in out and "page-1h-5m > 13.44" in out
    assert out.rstrip().endswith("OK (8 SLOs)")


def test_a_bad_slo_file_exits_2_with_one_clear_line(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "slos.yaml"
    bad.write_text((ROOT / "config" / "slos.yaml").read_text().replace("target: 0.999", "target: 1.5", 1))
    assert main(["slo", "validate", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "target" in err and "between 0 and 1" in err


def test_rule_tests_pass_and_a_wrong_expectation_fails(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    tests = ROOT / "tests" / "slo" / "checkout.tests.yaml"
    assert main(["slo", "test", str(tests)]) == 0
    assert "0 failed" in capsys.readouterr().out
    wrong = tmp_path / "wrong.tests.yaml"
    wrong.write_text(
        tests.read_text()
        .replace("slo_file: ", f"slo_file: {ROOT}/tests/slo/", 1)
        .replace("expect_firing: [page-1h-5m]", "expect_firing: []", 1)
    )
    assert main(["slo", "test", str(wrong)]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "expected firing: nothing; got: page-1h-5m" in out.replace("(none)", "nothing")


def burn_event(state: str = "firing", **detail: object) -> str:
    return json.dumps(
        {
            "version": "0",
            "id": "x",
            "detail-type": "AlertRouter SLO Burn Rate",
            "source": "alertrouter.slo",
            "account": "123456789012",
            "region": "eu-west-1",
            "time": "2026-11-23T03:00:00Z",
            "resources": [],
            "detail": {
                "slo": "checkout-availability",
                "displayName": "Checkout availability",
                "service": "checkout",
                "rule": "page-1h-5m",
                "severity": "page",
                "state": state,
                "window": "1h/5m",
                "summary": "Error budget of 30d: 83.9% left.",
                **detail,
            },
        }
    )


def test_the_evaluators_events_become_slo_alerts() -> None:
    [alert] = parse_body(burn_event()).alerts
    assert alert.source == "slo" and alert.status is Status.FIRING and alert.severity is Severity.CRITICAL
    assert alert.labels["slo"] == "checkout-availability" and alert.labels["window"] == "1h/5m"
    assert alert.title == "Checkout availability: error budget burn (page-1h-5m)"
    [resolved] = parse_body(burn_event("resolved")).alerts
    assert resolved.status is Status.RESOLVED and resolved.fingerprint == alert.fingerprint
    [ticket] = parse_body(burn_event(rule="ticket-3d-6h", severity="ticket")).alerts
    assert ticket.severity is Severity.WARNING and ticket.fingerprint != alert.fingerprint


def test_a_malformed_burn_event_is_refused_with_its_reason() -> None:
    with pytest.raises(MalformedEventError, match="state"):
        parse_body(burn_event("burning"))

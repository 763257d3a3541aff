"""`alertrouter slo test`: rule-test files run against SLO definitions, like `promtool test rules`."""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml

from alertrouter.slo.loader import SloError, load_slo_file
from alertrouter.slo.testing import decimal, main, parse_window, run_test_file

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_TESTS = ROOT / "tests" / "slo" / "checkout.tests.yaml"
SLOS = str(ROOT / "config" / "slos.yaml")

FAST_BURN: dict[str, Any] = {
    "name": "a fast burn pages",
    "slo": "checkout-availability",
    "windows": {
        "5m": {"total": 1000, "bad": 50},
        "1h": {"total": 12000, "bad": 200},
        "30m": {"total": 6000, "bad": 200},
        "6h": {"total": 72000, "bad": 200},
    },
    "expect_firing": ["page-1h-5m"],
}


def write(tmp_path: Path, content: dict[str, Any] | str) -> Path:
    path = tmp_path / "rules.tests.yaml"
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False))
    return path


def test_the_sample_test_file_passes() -> None:
    outcomes = run_test_file(SAMPLE_TESTS)
    assert len(outcomes) == 8
    assert [o.name for o in outcomes if not o.passed] == []
    assert outcomes[0].message == "firing as expected: page-1h-5m"


def test_every_rule_test_file_passes_and_every_shipped_slo_is_tested() -> None:
    """tests/slo/*.tests.yaml: the seeds' SLI set (latency average, p90, p95, batch error rate, batch duration
    average and max) and the checkout SLOs, each SLO of config/slos.yaml with at least one case."""
    tested: set[str] = set()
    for path in sorted((ROOT / "tests" / "slo").glob("*.tests.yaml")):
        outcomes = run_test_file(path)
        assert outcomes and [o.name for o in outcomes if not o.passed] == [], path.name
        tested |= {case["slo"] for case in yaml.safe_load(path.read_text())["tests"]}
    shipped = {slo.name for slo in load_slo_file(ROOT / "config" / "slos.yaml")}
    assert shipped <= tested, f"SLOs without a rule test: {sorted(shipped - tested)}"


def test_a_wrong_expectation_fails_with_each_rules_burn_rates(tmp_path: Path) -> None:
    # Given a fast burn expected to raise only a ticket
    path = write(tmp_path, {"slo_file": SLOS, "tests": [FAST_BURN | {"expect_firing": ["ticket-3d-6h"]}]})
    # When the file runs
    [outcome] = run_test_file(path)
    # Then it fails, saying what was expected and got, with every rule's burn rates (4 significant digits)
    assert not outcome.passed
    assert outcome.message.splitlines() == [
        "expected firing: ticket-3d-6h; got: page-1h-5m",
        "  page-1h-5m    burn 1h 16.67, 5m 50; threshold 14.4: firing",
        "  page-6h-30m   burn 6h 2.778, 30m 33.33; threshold 6: not firing",
        "  ticket-3d-6h  burn 3d no data, 6h 2.778; threshold 1: not judged: no data",
    ]


def test_a_wrong_suppression_expectation_fails(tmp_path: Path) -> None:
    path = write(tmp_path, {"slo_file": SLOS, "tests": [FAST_BURN | {"expect_suppressed": ["ticket-3d-6h"]}]})
    [outcome] = run_test_file(path)
    assert not outcome.passed
    assert outcome.message.startswith("expected suppressed: ticket-3d-6h; got: (none)\n")


def test_slos_can_be_inline_and_the_guard_is_reported(tmp_path: Path) -> None:
    # Given an SLO written in the test file itself, with a minimum-events guard of 5000
    [slo] = [
        d
        for d in yaml.safe_load_all(Path(SLOS).read_text())
        if d["metadata"]["name"] == "checkout-availability"
    ]
    slo["metadata"]["annotations"]["alertrouter/min-events"] = "5000"
    path = write(tmp_path, {"slos": [slo], "tests": [FAST_BURN]})
    # When the fast burn is judged: 1000 events in 5m are below the guard
    [outcome] = run_test_file(path)
    # Then nothing fires, and the message says why
    assert not outcome.passed
    assert "page-1h-5m    burn 1h 16.67, 5m 50; threshold 14.4: not judged: fewer than 5000 events in 5m" in (
        outcome.message
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            {"slo_file": SLOS, "tests": [FAST_BURN | {"slo": "checkout"}]},
            "tests.0.slo: unknown SLO 'checkout' (known: checkout-availability, checkout-latency, checkout-latency-average, checkout-latency-p90, checkout-latency-p95, batch-job-success, batch-duration-average, batch-duration-max)",
        ),
        (
            {"slo_file": SLOS, "tests": [FAST_BURN | {"expect_firing": ["page-2h-10m"]}]},
            "tests.0.expect_firing: unknown rule 'page-2h-10m': the rules of checkout-availability are page-1h-5m, "
            "page-6h-30m, ticket-3d-6h",
        ),
        (
            {"slo_file": SLOS, "tests": [FAST_BURN | {"windows": {"2h": {"total": 1, "bad": 0}}}]},
            "tests.0.windows.2h: no rule of checkout-availability reads a 2h window (its windows: 5m, 30m, 1h, 6h, 3d)",
        ),
        (
            {
                "slo_file": SLOS,
                "tests": [
                    FAST_BURN | {"windows": {"60m": {"total": 1, "bad": 0}, "1h": {"total": 1, "bad": 0}}}
                ],
            },
            "tests.0.windows.1h: the 1h window is given twice",
        ),
        (
            {"slo_file": SLOS, "tests": [FAST_BURN | {"windows": {"5 min": {"total": 1, "bad": 0}}}]},
            "tests.0.windows.5 min: '5 min' is not a window",
        ),
        (
            {"slo_file": SLOS, "tests": [FAST_BURN | {"windows": {"5m": {"total": 10, "bad": 20}}}]},
            "tests.0.windows.5m: bad (20) exceeds total (10)",
        ),
        (
            {
                "slo_file": SLOS,
                "tests": [FAST_BURN | {"windows": {"5m": {"total": 10, "bad": 1, "good": 9}}}],
            },
            "tests.0.windows.5m: give exactly one of good or bad",
        ),
        (
            {"slo_file": SLOS, "tests": [FAST_BURN | {"windows": {"5m": {"bad": 1}}}]},
            "tests.0.windows.5m.total: required",
        ),
        (
            {"slo_file": SLOS, "tests": [FAST_BURN | {"windows": {"5m": {"total": "many", "bad": 1}}}]},
            "tests.0.windows.5m.total: must be a number, got 'many'",
        ),
        (
            {"slo_file": SLOS, "tests": [FAST_BURN | {"expect_fire": []}]},
            "tests.0.expect_fire: unknown field",
        ),
        (
            {"slo_file": SLOS, "tests": [FAST_BURN, FAST_BURN]},
            "tests.1.name: 'a fast burn pages' is the name of another test too",
        ),
        ({"slo_file": SLOS, "tests": []}, "tests: List should have at least 1 item"),
        ({"tests": [FAST_BURN]}, "give slo_file (a path relative to this file) or slos (inline documents)"),
        ({"slo_file": SLOS, "slos": [], "tests": [FAST_BURN]}, "give slo_file"),
        ("tests: [\n", "not valid YAML"),
        ("- just a list\n", "expected a mapping with slo_file (or slos) and tests"),
    ],
)
def test_invalid_test_files_are_refused_with_a_clear_message(
    tmp_path: Path, content: dict[str, Any] | str, expected: str
) -> None:
    path = write(tmp_path, content)
    with pytest.raises(SloError) as raised:
        run_test_file(path)
    assert str(raised.value).startswith(f"{path}: ")
    assert expected in str(raised.value)


def test_errors_in_the_slo_file_or_inline_slos_name_them(tmp_path: Path) -> None:
    with pytest.raises(SloError, match=r"cannot read SLO file .*missing\.yaml"):
        run_test_file(write(tmp_path, {"slo_file": "missing.yaml", "tests": [FAST_BURN]}))
    path = write(
        tmp_path,
        {
            "slos": [{"apiVersion": "openslo/v1", "kind": "SLO", "metadata": {"name": "x"}}],
            "tests": [FAST_BURN],
        },
    )
    with pytest.raises(SloError, match=rf"^{path}: slos: document 1 \(x\): spec: required"):
        run_test_file(path)
    with pytest.raises(SloError, match="cannot read SLO test file"):
        run_test_file(tmp_path / "absent.tests.yaml")


def test_windows_and_burns_are_written_for_people() -> None:
    assert parse_window("1h30m") == parse_window("90m") and parse_window("2w") == parse_window("14d")
    assert [decimal(Fraction(x)) for x in ("50", "14.4", "50/3", "1/3", "12345", "1/4096")] == [
        "50",
        "14.4",
        "16.67",
        "0.3333",
        "12340",
        "0.0002441",
    ]
    assert decimal(None) == "no data"


def test_the_command_reports_and_exits_by_outcome(tmp_path: Path) -> None:
    out = io.StringIO()
    assert main([str(SAMPLE_TESTS)], out) == 0
    assert out.getvalue().endswith("8 passed, 0 failed\n")
    failing = write(tmp_path, {"slo_file": SLOS, "tests": [FAST_BURN | {"expect_firing": []}]})
    out = io.StringIO()
    assert main([str(failing)], out) == 1
    assert "  FAIL  a fast burn pages\n        expected firing: (none); got: page-1h-5m\n" in out.getvalue()
    out = io.StringIO()
    assert main([str(tmp_path / "absent.yaml")], out) == 2
    assert out.getvalue().startswith("ERROR cannot read SLO test file")

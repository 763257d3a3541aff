"""The SLO evaluator against Prometheus, the oracle: the same alerts over the same synthetic data.

For each scenario of support/slo_scenarios.py the evaluator runs once a minute over the scenario's span, with
no saved state before its first run, reading a CloudWatch stand-in (support/cloudwatch_standin.py) whose
clock follows the runs, so that data arrives as the scenario says. A rule "holds" in a minute when its
condition holds (`firing or suppressed`: a page holding back the ticket is not a difference, Prometheus has
no suppression). Its minutes become intervals [first minute holding, first minute no longer holding) and are
compared with tests/conformance/golden/slo_prometheus.json, recorded from Prometheus by
tests/conformance/record_slo_prometheus.py (see tests/conformance/README.md): the same rules fire, as many
times, each first-fire and resolve within 2 minutes of Prometheus's.

The late scenario (the error metric 15 minutes late, the requests on time; Prometheus gets everything on time,
it is the truth): a rule whose short window is no longer than the lateness cannot see the late errors in time
(page-1h-5m's 5 minutes have passed before the errors of their minutes arrive), so it is not compared. The
rules whose short window is longer than the lateness must fire and resolve within 2 + 15 minutes of
Prometheus, and once everything has arrived (the scenario's data stops 25 minutes before its last run) the
evaluator's period budget must be the truth: errors over requests over the period, from the scenario's data.

No network and no Prometheus are needed. The evaluator's runs take ~60 ms each (its window sums in
Fractions): the file takes ~35 s of CPU, measured 53 s with `-n 2` on a 2-core machine at load 5; the
scenarios over ~5 s are marked `slow` with their seconds on one idle core.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

import pytest

from alertrouter.slo.evaluator import Evaluator, SloReport, SloState
from alertrouter.slo.loader import load_slos
from support.cloudwatch_standin import CloudWatchStandIn
from support.paths import ROOT
from support.slo_scenarios import (
    BY_NAME,
    ERRORS,
    MINUTE,
    NAMESPACE,
    SCENARIOS,
    TARGET,
    Scenario,
)

GOLDEN = ROOT / "tests" / "conformance" / "golden" / "slo_prometheus.json"
TOLERANCE = 2 * MINUTE

# [first minute holding, first minute no longer holding); None: still holding at the span's end
Interval = tuple[int, int | None]


def golden() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(GOLDEN.read_text())
    return data


def standin(scenario: Scenario) -> CloudWatchStandIn:
    cloudwatch = CloudWatchStandIn(clock=scenario.start)
    by_metric: dict[str, list[tuple[float, float, float]]] = {}
    for point in scenario.cloudwatch_points():
        by_metric.setdefault(point.metric, []).append((point.timestamp, point.value, point.arrival))
    for metric, values in by_metric.items():
        cloudwatch.put(NAMESPACE, metric, {"Service": scenario.name}, values)
    return cloudwatch


def run(scenario: Scenario) -> tuple[dict[str, list[Interval]], SloReport]:
    """The evaluator once a minute over the scenario's span: the intervals where each rule holds, and the
    last run's report."""
    cloudwatch = standin(scenario)
    states: dict[str, SloState] = {}
    evaluator = Evaluator(
        load_slos(scenario.slo_yaml()), states.get, lambda s: states.__setitem__(s.name, s), cloudwatch
    )
    holding: dict[str, list[int]] = {}
    report = None
    for now in range(scenario.start, scenario.end + MINUTE, MINUTE):
        cloudwatch.clock = now
        [report] = evaluator.run(now)
        for result in report.results:
            holding.setdefault(result.rule.name, [])
            if result.firing or result.suppressed:
                holding[result.rule.name].append(now)
    assert report is not None
    return {rule: intervals(minutes, scenario.end) for rule, minutes in holding.items()}, report


def intervals(minutes: list[int], end: int) -> list[Interval]:
    """Minutes (60-s steps) -> [first, first after) runs; a run still holding at `end` has no end."""
    runs: list[tuple[int, int]] = []
    for minute in minutes:
        if runs and runs[-1][1] == minute:
            runs[-1] = (runs[-1][0], minute + MINUTE)
        else:
            runs.append((minute, minute + MINUTE))
    return [(a, None if b > end else b) for a, b in runs]


def recorded(name: str) -> dict[str, list[Interval]]:
    rules = golden()["scenarios"][name]["rules"]
    return {rule: [(a, b) for a, b in spans] for rule, spans in rules.items()}


def differences(
    ours: dict[str, list[Interval]], theirs: dict[str, list[Interval]], rules: set[str], tolerance: int
) -> list[str]:
    """What differs by more than `tolerance`, one line per rule, in minutes (+: the evaluator later)."""
    problems = []
    for rule in sorted(rules):
        mine, truth = ours.get(rule, []), theirs.get(rule, [])
        line = f"{rule}: Prometheus {describe(truth)}, evaluator {describe(mine)}"
        if len(mine) != len(truth):
            problems.append(f"{line} (fired {len(mine)} times, Prometheus {len(truth)})")
            continue
        for (a, b), (pa, pb) in zip(mine, truth, strict=True):
            if b is None or pb is None:
                resolve = "both still firing at the end" if b == pb else "one still firing at the end"
                resolve_off = b != pb
            else:
                resolve, resolve_off = f"resolve {(b - pb) // 60:+d} min", abs(b - pb) > tolerance
            if abs(a - pa) > tolerance or resolve_off:
                problems.append(f"{line}: fire {(a - pa) // 60:+d} min, {resolve}")
    return problems


def describe(spans: list[Interval]) -> str:
    def hm(t: int | None) -> str:
        return "(still firing)" if t is None else datetime.fromtimestamp(t, UTC).strftime("%d %H:%M")

    return "[" + "; ".join(f"{hm(a)} -> {hm(b)}" for a, b in spans) + "]" if spans else "never"


def test_the_golden_was_recorded_from_these_scenarios() -> None:
    data = golden()
    assert sorted(data["scenarios"]) == sorted(BY_NAME)
    for scenario in SCENARIOS:
        entry = data["scenarios"][scenario.name]
        assert entry["fingerprint"] == scenario.fingerprint(), f"{scenario.name}: re-record the golden"
        assert (entry["start"], entry["end"], entry["step"]) == (scenario.start, scenario.end, MINUTE)


# seconds per scenario on one idle core (the evaluator's runs: ~60 ms each); `slow` above ~5 s
SECONDS = {"sharp-outage": 7, "data-gap": 12, "counter-reset": 7, "fresh-start": 6}
ON_TIME = [
    pytest.param(s, id=s.name, marks=[pytest.mark.slow(seconds=SECONDS[s.name])] if s.name in SECONDS else [])
    for s in SCENARIOS
    if not s.error_delay
]


@pytest.mark.parametrize("scenario", ON_TIME)
def test_the_evaluator_fires_when_prometheus_does(scenario: Scenario) -> None:
    ours, _ = run(scenario)
    theirs = recorded(scenario.name)
    rules = set(ours) | set(theirs)
    problems = differences(ours, theirs, rules, TOLERANCE)
    assert not problems, f"{scenario.name}:\n" + "\n".join(problems)


@pytest.mark.slow(seconds=9)
def test_late_errors_fire_late_by_the_lateness_at_most_and_the_budget_is_the_truth() -> None:
    scenario = BY_NAME["late-errors"]
    ours, report = run(scenario)
    theirs = recorded(scenario.name)
    [slo] = load_slos(scenario.slo_yaml())
    seeing = {r.name for r in slo.rules if r.short.total_seconds() > scenario.error_delay}
    assert seeing == {"page-6h-30m", "ticket-3d-6h"}
    problems = differences(ours, theirs, seeing, TOLERANCE + scenario.error_delay)
    requests, errors = scenario.truth(scenario.end - 30 * 86400, scenario.end)
    truth = 1 - Fraction(errors, requests) / (1 - TARGET)
    if report.remaining != truth:
        problems.append(
            f"period budget remaining {float(report.remaining or 0):.6f}, truth {float(truth):.6f} "
            f"({errors} {ERRORS} of {requests} requests)"
        )
    assert not problems, f"{scenario.name}:\n" + "\n".join(problems)

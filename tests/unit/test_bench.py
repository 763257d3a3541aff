"""The benchmark's in-process run still works (a small one: figures come from `make bench`, not tests)."""

from __future__ import annotations

import sys

import pytest

from support.handlers import load_module
from support.paths import ROOT

bench = load_module(ROOT / "bench" / "run.py", "bench_run")  # a script, not a package: loaded by its path


def test_throughput_run_delivers_every_group_once() -> None:
    rate, events, slack_calls, flushes = bench.throughput(immediate=False, alarms=40)
    # 40 alarms, each ending firing in its own group: one post each after group_wait, nothing more
    assert events == 40 * 5 + 40 * 2  # 5 changes each, 2 of them delivered twice
    assert slack_calls == 40 and flushes == 40 and rate > 0


def test_worst_case_run_sends_every_change() -> None:
    _, events, slack_calls, _ = bench.throughput(immediate=True, alarms=20)
    # per alarm: fire -> post; repeat -> update (quiet); resolve -> update + thread note;
    # fire again -> a new message (new episode); repeat -> update
    assert slack_calls == 20 * 6


def test_the_reference_workload_runs_on_every_slice_of_the_routed_events() -> None:
    reference_s: list[float] = []
    _, events, _, _ = bench.throughput(immediate=False, alarms=60, reference_s=reference_s)
    assert len(reference_s) == -(-events // bench.REFERENCE_SLICE) and all(s > 0 for s in reference_s)


def test_every_row_with_a_target_says_met_or_not_met_with_the_spread_of_its_runs() -> None:
    table = bench.render(
        [
            bench.Row(
                "cold start ratio", "1.10x", "<= 1.25x", True, bench.spread([1.05, 1.2, 1.1], "{:.2f}")
            ),
            bench.Row(
                "throughput / reference", "0.100x", ">= 0.150x", False, bench.spread([0.09, 0.11], "{:.3f}")
            ),
            bench.Row("soak throughput", "9,000 events/s"),
        ]
    ).splitlines()
    assert table[0].split()[-1] == "verdict"
    assert table[1].endswith("  met") and "1.05-1.20 (3 runs)" in table[1]
    assert table[2].endswith("  not met") and "0.090-0.110 (2 runs)" in table[2]
    assert table[3].endswith("  -")


def test_the_cold_start_is_judged_against_the_libraries_floor_not_boto3_alone() -> None:
    # per run: boto3 floor, libraries floor, router (seconds)
    floors, libraries, routers = [0.20, 0.21, 0.19], [0.30, 0.31, 0.29], [0.33, 0.35, 0.34]
    rows = {row.figure.split(" (")[0]: row for row in bench.cold_start_rows(floors, libraries, routers)}
    judged = rows["cold start ratio router / libraries floor"]
    assert (judged.value, judged.target, judged.met) == ("1.13x", "<= 1.15x", True)
    former = rows["cold start ratio router / boto3 floor"]
    assert former.value == "1.67x" and former.met is None  # information only
    slower = bench.cold_start_rows(floors, libraries, [0.36, 0.36, 0.36])
    assert [row.met for row in slower if row.met is not None] == [False]  # 1.20x


capacity = load_module(ROOT / "bench" / "capacity_bench.py", "capacity_bench")


def test_the_cost_per_million_alerts_is_taken_at_the_on_demand_prices() -> None:
    # 187 write units and 1.2 read units per job (issue 15's figures for today's layout)
    assert round(capacity.cost_per_million(187, 1.2), 3) == round(187 * 0.625 + 1.2 * 0.125, 3) == 117.025


def test_the_capacity_rows_judge_the_storms_against_issue_15s_targets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    figures = {
        "write_per_alert": 187.0,
        "read_per_alert": 1.2,
        "peak_write_per_s": 2_900.0,
        "peak_key": "GROUP#abc",
        "seconds_over": 42,
        "returned_mb": 50.0,
        "largest_item_kb": 119.0,
        "wall_s": 1.0,
        "usd_per_million": 117.0,
    }
    batch = {"jobs": 500, "fed": 500, "posts": 1, "edits": 2, **figures}
    storm = {
        **figures,
        "alarms": 5,
        "changes": 500,
        "fed": 500,
        "write_per_alert": 3.27,
        "read_per_alert": 1.05,
    }
    monkeypatch.setattr(capacity, "batch_storm", lambda: batch)
    monkeypatch.setattr(capacity, "storm_on_dynamodb", lambda: storm)
    monkeypatch.setitem(sys.modules, "capacity_bench", capacity)
    verdicts = {
        row.figure.split(": ", 1)[-1]: row.met for row in bench.capacity_rows() if row.met is not None
    }
    assert verdicts == {
        "write units per job": False,
        "read units per job": True,
        "peak write units in one second on one partition key (GROUP#abc)": False,
        "seconds a partition key was above 1,000 write units (DynamoDB would throttle)": False,
        "Slack posts / edits": True,
        "write units per change": True,
    }


def test_a_storm_cut_short_by_its_budget_is_not_judged_met_on_its_lower_bounds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    figures = {
        "write_per_alert": 126.9,
        "read_per_alert": 1.01,
        "peak_write_per_s": 2_109.0,
        "peak_key": "GROUP#abc",
        "seconds_over": 11,
        "returned_mb": 19.4,
        "largest_item_kb": 119.0,
        "wall_s": 156.0,
        "usd_per_million": 79.4,
    }
    batch = {"jobs": 500, "fed": 241, "posts": 1, "edits": 0, **figures}
    storm = {**figures, "alarms": 5, "changes": 500, "fed": 500, "write_per_alert": 3.27}
    monkeypatch.setattr(capacity, "batch_storm", lambda: batch)
    monkeypatch.setattr(capacity, "storm_on_dynamodb", lambda: storm)
    monkeypatch.setitem(sys.modules, "capacity_bench", capacity)
    rows = {row.figure.split(": ", 1)[-1]: row for row in bench.capacity_rows()}
    assert "cut at 241 jobs" in next(
        r.figure for r in rows.values() if r.figure.endswith("write units per job")
    )
    assert rows["write units per job"].met is False  # a lower bound above the target: not met for sure
    assert rows["read units per job"].met is None  # a lower bound within it: no verdict
    assert rows["Slack posts / edits"].met is None
    assert rows["read units per job"].spread == "lower bound (storm cut short)"

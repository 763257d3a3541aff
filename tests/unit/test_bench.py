"""The benchmark's in-process run still works (a small one: figures come from `make bench`, not tests)."""

from __future__ import annotations

import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))

import run as bench  # noqa: E402


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

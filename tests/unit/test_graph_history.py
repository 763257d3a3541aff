"""How `alertrouter history` reads the graph's entries: shown, a fresh one in the thread, or not shown and why."""

from __future__ import annotations

from alertrouter.cli import _history_line

AT = 1_772_442_000_000  # 2026-03-02 09:00 UTC


def test_each_graph_entry_says_what_happened() -> None:
    shown = _history_line({"at_ms": AT, "kind": "graph_posted", "file": "F0001", "alert": "ab12"})
    assert shown == "2026-03-02 09:00:00 UTC  graph_posted graph shown in the message (file F0001)"
    failed = _history_line({"at_ms": AT, "kind": "graph_failed", "reason": "alarm_not_found", "detail": ""})
    assert failed.endswith("graph_failed graph not shown: alarm_not_found")
    thread = _history_line({"at_ms": AT, "kind": "graph_resolved_posted", "channel": "#infra"})
    assert thread.endswith("#infra a fresh graph in the thread")

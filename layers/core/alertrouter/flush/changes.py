"""Stage: what changed since the last notification (the new `notified` record and the thread's lines)."""

from __future__ import annotations

from typing import Any

from alertrouter.flush.stage import Flush
from alertrouter.models.config import ResolvedRoute
from alertrouter.models.state import GroupState
from alertrouter.notify.render import render_change


def changes(group: GroupState, route: ResolvedRoute, now: int) -> tuple[dict[str, Any], list[str]]:
    """What changed since the last notification: the new `notified` record and the thread's lines.
    A repeat (same status, higher count) is noted in the thread at most once per repeat_interval."""
    notified: dict[str, Any] = {fp: n.model_dump() for fp, n in group.notified.items()}
    lines = []
    repeat_ms = route.repeat_interval.total_seconds() * 1000
    for fp, m in group.members.items():
        before = group.notified.get(fp)
        if fp in group.muting.reasons or (
            before is not None and (before.status, before.count) == (m.status, m.count)
        ):
            continue  # a muted member's news waits until it is unmuted
        # a flapping member's changes show in the message only: its thread would be all flaps
        quiet = fp in group.muting.flapping or (
            before is not None and before.status == m.status and now - before.thread_ms < repeat_ms
        )
        if group.slack.ts and not quiet:
            lines.append(render_change(m, before.status if before else None))
        thread_ms = before.thread_ms if quiet and before is not None else now
        notified[fp] = {"status": m.status, "count": m.count, "thread_ms": thread_ms}
    return notified, lines


class Changes:
    def run(self, flush: Flush) -> None:
        flush.notified, flush.thread_lines = changes(flush.group, flush.route, flush.now)

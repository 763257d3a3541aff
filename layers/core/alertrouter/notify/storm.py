"""A grouped message's body: its members as a compact table by the label that varies (the reason, the exit
code, the alarm), with counts and one example each, never a run of near-identical lines; whether failures are
still coming; and where the full list is.

    *48 × Out of memory* · e.g. nightly-render 5a1d…:0, exit code 137, 1 attempt · Logs ↗ · Job ↗
    *2 × Timeout* · e.g. nightly-render 5a1d…:48, exit code 1, 3 attempts · Logs ↗ · Job ↗
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from alertrouter.models.alert import Status
from alertrouter.models.state import GroupState, Member
from alertrouter.mrkdwn import escape, escape_keeping_mentions, link, shorten
from alertrouter.notify.headline import ICONS, failed_jobs
from alertrouter.notify.wording import MINUTE_MS, Wording

MAX_ROWS = 8  # rows Slack shows at a glance; the rest is summed up, with where to see them all
STILL_COMING_MS = 5 * MINUTE_MS


@dataclass
class Row:
    """One value of the varying label: how many alerts have it, and the first of them as the example."""

    value: str
    example: Member | None  # None: alerts only counted (beyond the group's member cap)
    fingerprint: str = ""
    count: int = 0


def _value_of(dimension: str) -> Callable[[Member], str]:
    if dimension == "reason":
        return lambda m: m.reason
    if dimension == "resource":
        return lambda m: m.resource
    return lambda m: m.labels.get(dimension, "")


# the labels a table is made by, in order of preference: the first that sorts the members into a few rows
DIMENSIONS = ("reason", "exit_code", "alertname", "metric", "event", "resource")


def table_dimension(members: list[Member]) -> str | None:
    """The label whose few values sort the members into rows (2 to MAX_ROWS of them; a reason shared by all
    is a row too); None when every alert is its own row."""
    for dimension in DIMENSIONS:
        value_of = _value_of(dimension)
        values: set[str] = set()
        for m in members:  # (a storm's thousands: stop as soon as the dimension cannot make the table)
            values.add(value_of(m))
            if len(values) > MAX_ROWS or "" in values:
                break
        if "" in values or len(values) > MAX_ROWS:
            continue
        if 1 < len(values) < len(members):
            return dimension
        if len(values) == 1 and dimension == "reason" and len(members) > 1:
            return dimension
    return None


def rows(members: list[tuple[str, Member]], dimension: str, counted: dict[str, int]) -> list[Row]:
    """Members by the dimension's value, most frequent first (then by value); `counted`: alerts beyond the
    member cap, by reason (rows by reason only)."""
    value_of = _value_of(dimension)
    by_value: dict[str, Row] = {}
    for fp, m in members:
        value = value_of(m)
        row = by_value.setdefault(value, Row(value, m, fp))
        row.count += 1
    if dimension == "reason":
        for reason, n in counted.items():
            by_value.setdefault(reason, Row(reason, None)).count += n
    return sorted(by_value.values(), key=lambda r: (-r.count, r.value))


def example_text(m: Member) -> str:
    """One alert named briefly, with what tells it apart: `nightly-render 5a1d…:0, exit code 137, 1 attempt`;
    an ECS task: `task c13b…, app exit code 1`."""
    if m.source == "batch":
        job = m.labels.get("job_name", "")
        parts = [" ".join(p for p in (job, m.resource) if p)]
        if "exit_code" in m.labels:
            parts.append(f"exit code {m.labels['exit_code']}")
        attempts = m.labels.get("attempts", "")
        if attempts and attempts != "0":
            parts.append(f"{attempts} attempt{'s' if attempts != '1' else ''}")
        return ", ".join(p for p in parts if p)
    if m.source == "ecs" and m.labels.get("task_id"):
        container, code = m.labels.get("container", ""), m.labels.get("exit_code", "")
        exited = f"{container} exit code {code}" if container and code else container
        return ", ".join(p for p in (f"task {m.labels['task_id']}", exited) if p)
    if m.resource and m.resource not in m.title:
        return f"{m.title} on {m.resource}"
    return m.title


def _links(m: Member) -> str:
    shown = [link(url, name.capitalize()) for name, url in m.links.items()]
    shown.append(link(m.console, "Job" if m.source == "batch" else "Console") if m.console else "")
    return " · ".join(s for s in shown if s)


def row_line(row: Row, muted: str = "", with_links: bool = True) -> str:
    """`*48 × Out of memory* · e.g. … · Logs ↗ · Job ↗` (mrkdwn, escaped here)."""
    head = f"*{row.count} × {escape(shorten(row.value, 100))}*"
    if row.example is None:
        return head
    example = escape(shorten(example_text(row.example), 200))
    links = _links(row.example) if with_links else ""
    quiet = f" · 🔕 {escape_keeping_mentions(shorten(muted, 120))}" if muted else ""
    return f"{head} · e.g. {example}{' · ' + links if links else ''}{quiet}"


def member_line(  # noqa: PLR0913 - the line's parts
    m: Member, wording: Wording, now_ms: int, muted: str = "", first_ms: int = 0, with_links: bool = True
) -> str:
    """One alert as a row of its own: `🟠 LambdaErrors-fn-00 on orders-fn-00 · Console ↗`, with its start
    when that is not the group's first minute (the context line says that one)."""
    icon = (
        ICONS[Status.RESOLVED]
        if m.status == Status.RESOLVED
        else ICONS.get(Status.NODATA if m.status == Status.NODATA else m.severity, "🔴")
    )
    count = f" ×{m.count}" if m.count > 1 else ""
    links = _links(m) if with_links else ""
    quiet = f" · 🔕 {escape_keeping_mentions(shorten(muted, 120))}" if muted else ""
    started = (
        ""
        if m.starts_at_ms // MINUTE_MS == first_ms // MINUTE_MS
        else f" · {wording.at(m.starts_at_ms, now_ms)}"
    )
    return f"{icon} {escape(shorten(example_text(m), 300))}{count}{started}{' · ' + links if links else ''}{quiet}"


def still_coming(group: GroupState, wording: Wording, now_ms: int) -> str:
    """For one-shot alerts (failed jobs): are they still coming? By when they reached us, not their own time
    (a replayed storm is new to us)."""
    members = [m for m in group.members.values() if m.status == Status.FIRING]
    arrived = [m.received_ms for m in members if m.received_ms]
    if not arrived:
        return ""
    latest = max(arrived)
    recent = sum(1 for t in arrived if t > now_ms - STILL_COMING_MS)
    if now_ms - latest <= STILL_COMING_MS:
        return f"Still coming: {recent} in the last 5 min, the latest at {wording.at(latest, now_ms)}"
    return f"no new one since {wording.at(latest, now_ms)}"


def full_list(group: GroupState) -> str:
    """Where to see every alert of a big group: the AWS CLI command that lists them (plain text)."""
    members = list(group.members.values())
    first = members[0]
    region = f" --region {first.region}" if first.region else ""
    if failed_jobs(members):
        queues = {m.labels["queue"] for m in members}
        if len(queues) == 1:
            return f"aws batch list-jobs --job-queue {queues.pop()} --job-status FAILED{region}"
    if all(m.source == "cloudwatch" for m in members):
        return f"aws cloudwatch describe-alarms --state-value ALARM{region}"
    return ""


def body(
    group: GroupState,
    members: list[tuple[str, Member]],
    wording: Wording,
    now_ms: int,
    with_links: bool = True,
    limit: int = 10,
) -> tuple[list[str], int]:
    """The body's first `limit` lines (whole lines, in order; the caller fits what it can into a section) and
    how many lines showing everything would take (alerts only counted included): a storm's thousands of
    alerts are counted, not drawn. Without links when they would crowd alerts out of the section."""
    muted = group.muting.reasons
    counted = sum(group.overflow.values())
    firing = [(fp, m) for fp, m in members if m.status == Status.FIRING]
    others = [(fp, m) for fp, m in members if m.status != Status.FIRING]
    dimension = table_dimension([m for _, m in firing]) if len(firing) + counted > 1 else None
    first_ms = min(m.starts_at_ms for _, m in members)
    lines: list[str] = []
    if dimension is not None:
        table = rows(firing, dimension, group.overflow)
        lines += [row_line(row, muted.get(row.fingerprint, ""), with_links) for row in table[:MAX_ROWS]]
        rest = table[MAX_ROWS:]
        if rest:
            lines.append(f"…and {sum(r.count for r in rest)} more of {len(rest)} other kinds")
        total = len(lines) + len(others)
    else:
        lines += [
            member_line(m, wording, now_ms, muted.get(fp, ""), first_ms, with_links)
            for fp, m in firing[:limit]
        ]
        total = len(members) + counted
    lines += [
        member_line(m, wording, now_ms, muted.get(fp, ""), first_ms, with_links)
        for fp, m in others[: max(0, limit - len(lines))]
    ]
    return lines[:limit], total

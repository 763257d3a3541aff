"""What handling one alert or flush did: counted by the stages, read by logs, metrics, tests and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Outcome:
    """What handling one alert or flush did (for logs, metrics, tests and the CLI)."""

    applied: int = 0
    duplicates: int = 0
    scheduled: int = 0
    flushed: int = 0
    posts: int = 0
    updates: int = 0
    thread_notes: int = 0
    sms: int = 0
    sms_failures: int = 0
    sms_queued: int = 0
    overflowed: int = 0  # firing alerts only counted: their group was full
    slack_failures: dict[str, int] = field(default_factory=dict)  # Slack error code -> channels it refused
    slack_healed: int = 0  # channels refused earlier that took the group's message again
    slack_fallbacks: int = 0  # messages posted to a fallback channel
    ops_pages: int = 0
    webhooks_sent: int = 0
    webhook_retries: int = 0  # attempts beyond the first (5xx, 429, timeouts tried again within the flush)
    webhook_failures: dict[str, int] = field(
        default_factory=dict
    )  # cause -> webhooks still failing after them
    webhooks_healed: int = 0  # webhooks failing earlier that took the group's state again
    graphs: int = 0  # graph images uploaded to Slack (flush/graph.py)
    graph_failures: dict[str, int] = field(default_factory=dict)  # reason -> graphs not shown
    groups: list[str] = field(default_factory=list)

    def add(self, other: Outcome) -> None:
        self.applied += other.applied
        self.duplicates += other.duplicates
        self.scheduled += other.scheduled
        self.flushed += other.flushed
        self.posts += other.posts
        self.updates += other.updates
        self.thread_notes += other.thread_notes
        self.sms += other.sms
        self.sms_failures += other.sms_failures
        self.sms_queued += other.sms_queued
        self.overflowed += other.overflowed
        for cause, count in other.slack_failures.items():
            self.slack_failures[cause] = self.slack_failures.get(cause, 0) + count
        self.slack_healed += other.slack_healed
        self.slack_fallbacks += other.slack_fallbacks
        self.ops_pages += other.ops_pages
        self.webhooks_sent += other.webhooks_sent
        self.webhook_retries += other.webhook_retries
        for cause, count in other.webhook_failures.items():
            self.webhook_failures[cause] = self.webhook_failures.get(cause, 0) + count
        self.webhooks_healed += other.webhooks_healed
        self.graphs += other.graphs
        for reason, count in other.graph_failures.items():
            self.graph_failures[reason] = self.graph_failures.get(reason, 0) + count
        self.groups.extend(other.groups)

"""What a flush has done in Slack so far, saved under the lease as it goes; when a refused channel is due
another try."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alertrouter.limits import MAX_HOP_MS, SLACK_RETRY_S
from alertrouter.models.state import GroupState, SlackFailure
from alertrouter.store.base import GroupProgress


@dataclass
class SlackProgress:
    """What a flush has done in Slack so far (saved under the lease as it goes)."""

    slack_ts: dict[str, str]
    slack_channels: dict[str, str]
    slack_attempts: dict[str, int]
    slack_done: dict[str, int]
    channel_notified: dict[str, dict[str, Any]]
    slack_failed: dict[str, SlackFailure]

    @classmethod
    def of(cls, group: GroupState) -> SlackProgress:
        return cls(
            dict(group.slack.ts),
            dict(group.slack.channels),
            dict(group.slack.attempts),
            dict(group.slack.done),
            {c: {fp: n.model_dump() for fp, n in told.items()} for c, told in group.slack.notified.items()},
            dict(group.slack.failed),
        )

    def fields(self) -> GroupProgress:
        return {
            "slack_ts": self.slack_ts,
            "slack_channels": self.slack_channels,
            "slack_done": self.slack_done,
            "channel_notified": self.channel_notified,
            "slack_failed": {c: f.model_dump() for c, f in self.slack_failed.items()},
        }


def slack_retry_at(failed: dict[str, SlackFailure], now: int) -> int:
    """When the next refused channel is due another try (backoff by its tries), within SQS's longest delay."""
    due = min(f.last_ms + SLACK_RETRY_S[min(f.tries, len(SLACK_RETRY_S)) - 1] * 1000 for f in failed.values())
    return min(max(due, now + 1000), now + MAX_HOP_MS)

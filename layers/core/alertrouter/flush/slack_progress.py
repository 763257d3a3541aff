"""What a flush has done in Slack so far, saved under the lease as it goes; when a refused channel is due
another try."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alertrouter.flush.retry_at import retry_at
from alertrouter.limits import SLACK_RETRY_S
from alertrouter.models.state import GroupState, SlackFailure
from alertrouter.store.base import GroupProgress


@dataclass
class SlackProgress:
    """What a flush has done in Slack so far (saved under the lease as it goes): its own copy of the group's
    SlackDelivery, named alike, records (`notified`) in their stored, plain form."""

    ts: dict[str, str]
    channels: dict[str, str]
    attempts: dict[str, int]
    done: dict[str, int]
    notified: dict[str, dict[str, Any]]
    failed: dict[str, SlackFailure]

    @classmethod
    def of(cls, group: GroupState) -> SlackProgress:
        slack = group.slack
        return cls(
            dict(slack.ts),
            dict(slack.channels),
            dict(slack.attempts),
            dict(slack.done),
            {c: {fp: n.model_dump() for fp, n in told.items()} for c, told in slack.notified.items()},
            dict(slack.failed),
        )

    def fields(self) -> GroupProgress:
        # (not `attempts`: each attempt is saved by itself, before its post)
        return {
            "slack_ts": self.ts,
            "slack_channels": self.channels,
            "slack_done": self.done,
            "channel_notified": self.notified,
            "slack_failed": {c: f.model_dump() for c, f in self.failed.items()},
        }


def slack_retry_at(failed: dict[str, SlackFailure], now: int) -> int:
    """When the next refused channel is due another try (backoff by its tries), within SQS's longest delay."""
    return retry_at(failed.values(), SLACK_RETRY_S, now)

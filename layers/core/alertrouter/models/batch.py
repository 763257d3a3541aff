"""A finished AWS Batch job, as its outcome metrics count it (alertrouter.batch_outcomes)."""

from __future__ import annotations

from dataclasses import dataclass

# The statuses a job ends in: every job that finishes is exactly one of them.
SUCCEEDED, FAILED = "SUCCEEDED", "FAILED"
FINAL_STATUSES = frozenset({SUCCEEDED, FAILED})


@dataclass(frozen=True, slots=True)
class JobOutcome:
    """One job that ended: its account (for admission), its queue's name, its job definition's name without
    the revision, whether it succeeded, and its job-level startedAt / stoppedAt (epoch milliseconds, None
    when the event has none: a job that failed before it started)."""

    account: str
    queue: str
    definition: str
    succeeded: bool
    started_at_ms: int | None = None
    stopped_at_ms: int | None = None

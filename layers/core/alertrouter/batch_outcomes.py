"""AWS Batch job outcomes as CloudWatch metrics: how many jobs succeeded and failed, and how long each ran,
for the SLOs "batch error rate" (JobsFailed / JobsFinished) and "batch duration" (JobDuration).

The router sees every job that ends (`Batch Job State Change`, SUCCEEDED or FAILED, see sources/batch.py);
each record's outcomes are added here once the record has been handled (a record handed back to SQS adds
nothing, so its retry is not counted twice), and the invocation's totals are printed once, at its end, as
EMF log lines through Powertools (never PutMetricData), in namespace AlertRouter/Batch:

- JobsSucceeded, JobsFailed, JobsFinished (Count; JobsFinished = succeeded + failed, the SLO's total; all
  three always, zeros included, so a ratio of them has data in every period with a finished job);
- JobDuration (Seconds): one value per job, startedAt -> stoppedAt, for Average, Maximum and percentiles;
  left out for a job without both (one that failed before it started).

Dimension sets [JobQueue] and [JobQueue, JobDefinition], both in each line: the queue's name (as the
queue-metrics function names it) and the job definition's name without its revision, so that a new
revision (every deploy) does not start new metrics and leave the SLO's alarms watching the old ones.

Storm-proof: one line per queue and job definition per invocation (an EMF line holds one value of each
dimension), plus one per further 100 durations (EMF's limit of values per metric in a line). A 500-job storm
of one queue and definition prints 5 lines, not 500.

At least once: EventBridge may deliver an event twice, and such a job is counted twice. (The router's
de-duplication of alerts is no help: it marks an alert seen before its record succeeds, so it would drop a
retried record's count, and a SUCCEEDED job has no alert at all.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

from alertrouter.models.batch import JobOutcome
from alertrouter.observability import ROUTER, module_logger

logger = module_logger(ROUTER, __name__)

NAMESPACE = "AlertRouter/Batch"  # the queue-metrics function's too (template.yaml, BATCH_METRICS_NAMESPACE)
QUEUE_DIMENSION = "JobQueue"  # as batch_metrics.DIMENSION
DEFINITION_DIMENSION = "JobDefinition"
# the longest a job can run: Batch's job timeout has no upper bound, but a duration beyond 30 days (or below
# 0) is a broken timestamp, not a job
MAX_DURATION_S = 30 * 86_400


def duration_s(outcome: JobOutcome) -> float | None:
    """The job's run time in seconds, startedAt -> stoppedAt; None without both, or when they disagree."""
    start, stop = outcome.started_at_ms, outcome.stopped_at_ms
    if start is None or stop is None or start <= 0 or stop < start:
        return None
    seconds = (stop - start) / 1000
    return seconds if seconds <= MAX_DURATION_S else None


@dataclass
class _Tally:
    succeeded: int = 0
    failed: int = 0
    durations: list[float] = field(default_factory=list)


class BatchOutcomes:
    """One invocation's finished jobs, tallied per queue and job definition, then printed as EMF lines."""

    def __init__(self, metrics: EphemeralMetrics) -> None:
        self.metrics = metrics  # its namespace is NAMESPACE, and it has no `service` dimension
        self._tallies: dict[tuple[str, str], _Tally] = {}
        # a second dimension set needs Powertools 3.25 (add_dimensions); before it, [JobQueue] alone
        self.two_sets = hasattr(metrics, "add_dimensions")
        if not self.two_sets:
            logger.warning("aws-lambda-powertools < 3.25: Batch outcome metrics by JobQueue only")

    def add(self, outcomes: Iterable[JobOutcome]) -> None:
        """Count a handled record's finished jobs."""
        for outcome in outcomes:
            tally = self._tallies.setdefault((outcome.queue, outcome.definition), _Tally())
            if outcome.succeeded:
                tally.succeeded += 1
            else:
                tally.failed += 1
            seconds = duration_s(outcome)
            if seconds is not None:
                tally.durations.append(seconds)

    @property
    def pending(self) -> int:
        """How many jobs are counted and not yet published."""
        return sum(t.succeeded + t.failed for t in self._tallies.values())

    def publish(self) -> int:
        """Print the tallies as EMF lines, in queue and definition order, forget them, and return how many
        lines were printed (0 without a finished job)."""
        metrics, lines = self.metrics, 0
        tallies, self._tallies = self._tallies, {}
        if is_metrics_disabled():  # POWERTOOLS_METRICS_DISABLED (the demo): Powertools' own flush at 100
            return 0  # values would print regardless
        for (queue, definition), tally in sorted(tallies.items()):
            metrics.add_dimension(name=QUEUE_DIMENSION, value=queue)  # the first set: [JobQueue]
            if self.two_sets:
                metrics.add_dimensions(**{QUEUE_DIMENSION: queue, DEFINITION_DIMENSION: definition})
            metrics.add_metric(name="JobsSucceeded", unit=MetricUnit.Count, value=tally.succeeded)
            metrics.add_metric(name="JobsFailed", unit=MetricUnit.Count, value=tally.failed)
            metrics.add_metric(
                name="JobsFinished", unit=MetricUnit.Count, value=tally.succeeded + tally.failed
            )
            for index, seconds in enumerate(tally.durations, 1):
                # on a metric's 100th value Powertools prints the line itself (EMF's limit) and goes on with
                # an empty one under the same dimensions
                metrics.add_metric(name="JobDuration", unit=MetricUnit.Seconds, value=seconds)
                if index % 100 == 0:
                    lines += 1
            if metrics.metric_set:
                metrics.flush_metrics()
                lines += 1
            metrics.clear_metrics()
        return lines

"""The router's SQS queues and Lambda's SQS event source mappings, modelled on the test's clock, driving the
real RouterService of a Harness (moto and the Slack stand-in).

What is modelled, from template.yaml: each queue the router consumes (a lane), each event source mapping's
BatchSize, MaximumBatchingWindowInSeconds and ScalingConfig.MaximumConcurrency (that many workers, each
running one batch at a time, its records one after another, as the handler does), the queues'
VisibilityTimeout (a record handed back comes again after it) and which queue each EventBridge rule targets.
Messages are received oldest first (a standard queue only roughly keeps that order: the worst case for an alert
that arrives behind a storm).

A record takes the time of what it did: the AWS calls it made (counted by a botocore `before-call` hook on the
service's clients) and the Slack calls (the stand-in's log) at the service times below, plus a fixed
overhead. While a record runs, the clock moves on by each AWS call's service time as the call is made (a flush
that writes a thousand items spreads them over its seconds, as DynamoDB sees them), and goes back to the
record's start when it ends, so that the other workers' records, running at the same time, keep their own
times. Every Slack message and SMS a record causes is stamped with the end of its record (a bound: it
went out no later). The router's own messages (flushes, with their DelaySeconds) are taken off moto's queue as
they are sent and join their lane at the end of the record plus their delay.

Not modelled: Lambda's scaling up from idle (pollers start at the mapping's maximum here), cold starts,
throttling (DynamoDB, SQS, Slack 429: the stand-in's answers are immediate), Retry-After visibility changes
(a failed record comes back after the visibility timeout), message size limits.
"""

from __future__ import annotations

import bisect
import itertools
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from alertrouter.handler import process_sqs_batch
from support.harness import Harness, queued, sms_sent
from support.local_aws import event_pattern, in_standalone_stack, load_template
from support.slack_standin import Call

# Service times on the test's clock, in seconds, of one call from a warm Lambda in the region: single-digit
# milliseconds for DynamoDB's item reads and writes, SQS's SendMessage a little slower, an SMS Publish slower
# again; a Slack Web API call crosses the internet (Slack answers in 100-200 ms from us-east-1).
DYNAMODB_CALL_S = 0.008
SQS_CALL_S = 0.015
SNS_CALL_S = 0.030
OTHER_AWS_CALL_S = 0.015  # Secrets Manager (cached for five minutes: rare)
SLACK_CALL_S = 0.150
RECORD_OVERHEAD_S = 0.001  # parsing, routing and rendering in Python
INVOKE_OVERHEAD_S = 0.010  # Lambda handing a batch to a warm function and taking its answer back
CALL_S = {"dynamodb": DYNAMODB_CALL_S, "sqs": SQS_CALL_S, "sns": SNS_CALL_S}

MAIN_QUEUE = "IngestQueue"  # the queue every rule targeted before the storm lane, and the router's own


@dataclass(frozen=True)
class Lane:
    """One event source mapping of the router, and its queue's VisibilityTimeout and maxReceiveCount."""

    queue: str  # the queue's logical id in template.yaml
    batch_size: int
    batching_window_s: float
    max_concurrency: int
    visibility_timeout_s: int
    max_receives: int


def lanes_from_template(template: dict[str, Any] | None = None) -> list[Lane]:
    """The router's event source mappings as template.yaml declares them, its main lane first."""
    template = template or load_template()
    resources = template["Resources"]
    lanes = []
    for event in resources["RouterFunction"]["Properties"]["Events"].values():
        if event["Type"] != "SQS":
            continue
        props = event["Properties"]
        queue = props["Queue"]["GetAtt"].removesuffix(".Arn")
        queue_props = resources[queue]["Properties"]
        lanes.append(
            Lane(
                queue=queue,
                batch_size=int(props.get("BatchSize", 10)),
                batching_window_s=float(props.get("MaximumBatchingWindowInSeconds", 0)),
                max_concurrency=int(props["ScalingConfig"]["MaximumConcurrency"]),
                visibility_timeout_s=int(queue_props["VisibilityTimeout"]),
                max_receives=int(queue_props["RedrivePolicy"]["maxReceiveCount"]),
            )
        )
    return sorted(lanes, key=lambda lane: lane.queue != MAIN_QUEUE)


def rule_targets(template: dict[str, Any] | None = None) -> list[tuple[dict[str, Any], str]]:
    """Each EventBridge rule's pattern (parameters at their defaults) and the queue it targets."""
    template = template or load_template()
    out = []
    for resource in template["Resources"].values():
        if (
            isinstance(resource, dict)
            and resource["Type"] == "AWS::Events::Rule"  # (not a Fn::ForEach loop)
            and in_standalone_stack(resource, template)
        ):
            [target] = resource["Properties"]["Targets"]
            queue = target["Arn"]["GetAtt"].removesuffix(".Arn")
            out.append((event_pattern(template, resource["Properties"], "local"), queue))
    return out


def matches(pattern: dict[str, Any], event: Any) -> bool:
    """An EventBridge pattern's exact-value lists, nested fields and `$or` (content filters such as
    `anything-but` are taken to match: the rules here use them only to leave out the stack's own alarms)."""
    if not isinstance(event, dict):
        return False
    for key, wanted in pattern.items():
        if key == "$or":
            if not any(matches(p, event) for p in wanted):
                return False
        elif isinstance(wanted, dict):
            if not matches(wanted, event.get(key)):
                return False
        elif all(isinstance(w, str) for w in wanted) and event.get(key) not in wanted:
            return False
    return True


@dataclass(order=True)
class Message:
    visible_at_ms: int
    seq: int
    body: str = field(compare=False)
    arrived_ms: int = field(compare=False)
    receives: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Processed:
    """One receive of a message: on which lane, when it arrived, when its record started and ended."""

    lane: str
    body: str
    arrived_ms: int
    started_ms: int
    done_ms: int
    failed: bool


@dataclass(frozen=True)
class SlackSent:
    at_ms: int
    call: Call


@dataclass(frozen=True)
class SmsSent:
    at_ms: int
    text: str


@dataclass
class Worker:
    lane: Lane
    free_ms: int = 0
    batch: list[Message] = field(default_factory=list)


class CallMeter:
    """Counts the AWS calls made through a service's clients, by service (a botocore `before-call` hook)."""

    def __init__(self, clients: Iterable[tuple[str, Any]], clock: Any) -> None:
        self.calls: Counter[str] = Counter()
        self.clock = clock
        self.running = False  # the clock moves on with each call only while a record runs
        for service, client in clients:
            client.meta.events.register("before-call", self._hook(service))

    def _hook(self, service: str) -> Callable[..., None]:
        def count(**_: Any) -> None:
            if self.running:
                self.clock.ms += int(CALL_S.get(service, OTHER_AWS_CALL_S) * 1000)
            self.calls[service] += 1

        return count

    def seconds(self, since: Counter[str]) -> float:
        """The modelled time of the calls made since the `since` snapshot."""
        return sum(CALL_S.get(s, OTHER_AWS_CALL_S) * (n - since[s]) for s, n in self.calls.items())


class EventSourceModel:
    """Sends messages to the router's lanes at given times and runs its event source mappings on the
    harness's clock; `run` returns when nothing is left before the given time."""

    def __init__(self, harness: Harness, lanes: list[Lane] | None = None) -> None:
        self.h = harness
        self.lanes = {lane.queue: lane for lane in (lanes or lanes_from_template())}
        self.rules = rule_targets()
        self.pending: dict[str, list[Message]] = {queue: [] for queue in self.lanes}
        self.workers = [Worker(lane) for lane in self.lanes.values() for _ in range(lane.max_concurrency)]
        self.processed: list[Processed] = []
        self.slack: list[SlackSent] = []
        self.sms: list[SmsSent] = []
        self.dead: list[Message] = []
        self._seq = itertools.count()
        clients = harness.service.clients
        self.meter = CallMeter(
            ((name, clients.client(name)) for name in ("dynamodb", "sqs", "sns", "secretsmanager")),
            harness.clock,
        )
        # the moto queue of each lane (a single-lane model sends what reaches the storm queue to the main one)
        self.urls = {MAIN_QUEUE: harness.stack.queue_url, "StormQueue": harness.stack.storm_queue_url}

    # ---- input ----

    def lane_of(self, body: str) -> str:
        """The queue an event reaches: the one its EventBridge rule targets, if the router consumes it (a
        single-lane model has only the main queue), else the main queue (the alarm topic, own messages)."""
        try:
            event = json.loads(body)
        except ValueError:
            return MAIN_QUEUE
        for pattern, queue in self.rules:
            if matches(pattern, event):
                return queue if queue in self.lanes else MAIN_QUEUE
        return MAIN_QUEUE

    def send(self, body: str, at_ms: int, *, delay_s: float = 0, queue: str | None = None) -> None:
        lane = queue or self.lane_of(body)
        visible = at_ms + int(delay_s * 1000)
        bisect.insort(self.pending[lane], Message(visible, next(self._seq), body, at_ms))

    # ---- the mappings ----

    def run(self, until_ms: int) -> None:
        """Run every worker's receives and records that start before `until_ms`; the clock ends there."""
        while True:
            due = [(at, i) for i, w in enumerate(self.workers) if (at := self._next_ms(w)) is not None]
            if not due or min(due)[0] > until_ms:
                break
            at, index = min(due)
            self._step(self.workers[index], at)
        self.h.clock.ms = max(self.h.clock.ms, until_ms)

    def _next_ms(self, worker: Worker) -> int | None:
        """When the worker acts next: its next record, or the receive of its next batch (None: idle)."""
        if worker.batch:
            return worker.free_ms
        take = self._receive_ms(worker.lane, worker.free_ms)
        return None if take is None else max(take, worker.free_ms)

    def _receive_ms(self, lane: Lane, after_ms: int) -> int | None:
        """When a poller would hand a batch to a worker free at `after_ms`: as soon as a full batch is visible,
        or when the batching window after the first visible message has passed."""
        pending = self.pending[lane.queue]
        if not pending:
            return None
        window_end = pending[0].visible_at_ms + int(lane.batching_window_s * 1000)
        if len(pending) >= lane.batch_size:
            window_end = min(window_end, pending[lane.batch_size - 1].visible_at_ms)
        return max(after_ms, window_end)

    def _step(self, worker: Worker, at_ms: int) -> None:
        if not worker.batch:
            pending = self.pending[worker.lane.queue]
            visible = bisect.bisect_right([m.visible_at_ms for m in pending], at_ms)
            worker.batch = pending[: min(visible, worker.lane.batch_size)]
            del pending[: len(worker.batch)]
            worker.free_ms = at_ms + int(INVOKE_OVERHEAD_S * 1000)
            return
        message = worker.batch.pop(0)
        worker.free_ms = self._process(worker.lane, message, worker.free_ms)

    def _process(self, lane: Lane, message: Message, start_ms: int) -> int:
        """One record through the handler at `start_ms`; its end on the test's clock."""
        h = self.h
        h.clock.ms = max(h.clock.ms, start_ms)
        calls, slack_calls, sms_count = Counter(self.meter.calls), len(h.slack.calls), len(sms_sent())
        message.receives += 1
        record = {
            "messageId": f"m-{message.seq}",
            "body": message.body,
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:"
            + self.urls[lane.queue].rsplit("/", 1)[-1],
            "attributes": {"ApproximateReceiveCount": str(message.receives)},
        }
        start = h.clock.ms
        self.meter.running = True
        try:
            failed = bool(process_sqs_batch(h.service, [record])["batchItemFailures"])
        finally:
            self.meter.running = False
            h.clock.ms = start
        new_slack = h.slack.calls[slack_calls:]
        seconds = RECORD_OVERHEAD_S + self.meter.seconds(calls) + SLACK_CALL_S * len(new_slack)
        done = start + int(seconds * 1000)
        self.processed.append(Processed(lane.queue, message.body, message.arrived_ms, start, done, failed))
        self.slack += [SlackSent(done, c) for c in new_slack]
        self.sms += [SmsSent(done, text) for text in sms_sent()[sms_count:]]
        for queue, url in self.urls.items():  # what the router sent itself (flushes), with their delays
            for body, delay_s in queued(h, url) if url else ():
                self.send(body, done, delay_s=delay_s, queue=queue if queue in self.lanes else MAIN_QUEUE)
        if failed:
            if message.receives >= lane.max_receives:
                self.dead.append(message)
            else:
                message.visible_at_ms = done + lane.visibility_timeout_s * 1000
                bisect.insort(self.pending[lane.queue], message)
        return done

    # ---- what happened ----

    def posts(self, channel: str) -> list[SlackSent]:
        """The top-level messages posted to a channel (by name), in order."""
        ids = {channel, self.h.slack.channel_id(channel)}
        return [
            s
            for s in self.slack
            if s.call.method == "chat.postMessage"
            and s.call.payload.get("channel") in ids
            and not s.call.payload.get("thread_ts")
            and s.call.status == 200
        ]

    def processed_on(self, lane: str) -> list[Processed]:
        return [p for p in self.processed if p.lane == lane]

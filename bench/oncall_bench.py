"""The escalator's minute at scale (issue 18): 1,000 heartbeat checks and 50 on-call schedules, on the real
DynamoDB store (moto in process, the table made from template.yaml) metered by DynamoDB's sizing rules
(tests/support/dynamodb_capacity.py), with handoff notices going to the Slack stand-in on loopback.

The escalator function's three parts, wired as composition/escalator.py wires them but on the bench's clock (the
function's own builders read the wall clock): the escalator's run (no escalations), the handoff watcher (each
schedule's person on call, its overrides read from the table, the HANDOFF partition) and the heartbeat sweep
(the HEARTBEAT partition; metric and log-group checks read with GetMetricData every fifth minute).

The world: 900 ping checks with periods of 15 minutes to a day, 50 cron checks, 25 metric and 25 log-group
checks with datapoints in CloudWatch; 50 schedules in 8 time zones (a daily, weekly or 12-hour rotation, and a
business-hours layer with restrictions), 20 overrides stored. A first run notes who is on call (not measured),
then the measured runs a minute apart: steady minutes (nothing changed), a fifth minute (every metric check has
a new datapoint: 50 pings written), and a minute where 10 ping checks go down and 5 schedules hand over.

Costs at us-east-1 list prices (read 3 Dec 2026):
- DynamoDB on-demand: $0.625 per million write, $0.125 per million read request units (capacity_bench.py's
  note; https://airbyte.com/data-engineering-resources/dynamodb-pricing summarising AWS's pricing page).
- Lambda arm64 duration: $0.0000133334 per GB-second (first tier), $0.20 per million requests
  (https://aws.amazon.com/lambda/pricing/ ; the figures as tabled at
  https://git.mcrn.ar/mariano/lambda_local_runner/src/commit/957e45b8adae23ce50b966346229585b5df18b4d/docs/lambdas-md/lambda-13-cost.md).
- GetMetricData: $0.01 per 1,000 metrics requested (slo_bench.py's figure).
- SQS standard: $0.40 per million requests, each 64 KB of a message one request
  (https://cloudburn.io/blog/amazon-sqs-pricing , March 2026).
The duration is the bench's wall time of a run: in process against moto, so moto's own work is in it and the
network's round trips to DynamoDB are not; a figure for the order of magnitude, not Lambda's bill.
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
MIN = 60_000
HOUR = 60 * MIN
CHECKS, SCHEDULES = 1000, 50
GOING_DOWN, HANDING_OVER = 10, 5
STEADY_REPEATS = int(os.environ.get("BENCH_ONCALL_REPEATS", "5"))
RUNS_PER_MONTH = 30 * 24 * 60  # a 1-minute schedule: 43,200
READ_USD_PER_MILLION, WRITE_USD_PER_MILLION = 0.125, 0.625
LAMBDA_USD_PER_GB_S, LAMBDA_USD_PER_MILLION_REQUESTS = 0.0000133334, 0.20
METRICS_USD_PER_1000 = 0.01
SQS_USD_PER_MILLION = 0.40
ZONES = (
    "UTC",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Australia/Sydney",
    "America/Sao_Paulo",
)


@dataclass
class RunFigures:
    """One escalator run: wall time of each part, DynamoDB units, SQS messages, GetMetricData."""

    escalator_s: float = 0.0
    handoffs_s: float = 0.0
    sweep_s: float = 0.0
    in_aws_s: float = 0.0  # of the three, inside AWS calls: moto answering in process, botocore, the meter
    read_units: float = 0.0
    write_units: float = 0.0
    by_prefix: dict[str, tuple[float, float]] = field(default_factory=dict)
    sqs_messages: int = 0
    sqs_requests: int = 0
    metric_calls: int = 0
    metrics: int = 0
    handoffs: int = 0
    notices: int = 0
    down: int = 0
    metric_pings: int = 0

    @property
    def wall_s(self) -> float:
        return self.escalator_s + self.handoffs_s + self.sweep_s

    def usd(self, memory_mb: int) -> dict[str, float]:
        """This run's cost by service."""
        return {
            "dynamodb": (self.read_units * READ_USD_PER_MILLION + self.write_units * WRITE_USD_PER_MILLION)
            / 1e6,
            "lambda": self.wall_s * memory_mb / 1024 * LAMBDA_USD_PER_GB_S
            + LAMBDA_USD_PER_MILLION_REQUESTS / 1e6,
            "cloudwatch": self.metrics * METRICS_USD_PER_1000 / 1000,
            "sqs": self.sqs_requests * SQS_USD_PER_MILLION / 1e6,
        }


def escalator_memory_mb() -> int:
    """The escalator's MemorySize in template.yaml."""
    from support.local_aws import load_template

    return int(load_template()["Resources"]["EscalatorFunction"]["Properties"]["MemorySize"])


def _local_time(at_ms: int, zone: str) -> datetime:
    return datetime.fromtimestamp(at_ms / 1000, ZoneInfo(zone)).replace(tzinfo=None)


def routing_yaml(t0: int, handover_ms: int) -> str:
    """50 schedules: the first HANDING_OVER hand over at `handover_ms`, the others' handoffs and restriction
    edges lie hours from the bench's minutes; 20 people with Slack ids."""
    people = "\n".join(f"  p{i:02d}: {{slack: U0BENCH{i:02d}}}" for i in range(20))
    rotations = ("rotation: daily", "rotation: weekly", "rotation: custom, shift_length: 12h")
    schedules = []
    for i in range(SCHEDULES):
        zone = ZONES[i % len(ZONES)]
        handoff_at = handover_ms if i < HANDING_OVER else t0 + 3 * HOUR + i * MIN
        start = _local_time(handoff_at, zone) - timedelta(days=14)  # whole days and weeks: aligned
        rotation = rotations[0] if i < HANDING_OVER else rotations[i % 3]
        window = _local_time(t0 + 2 * HOUR, zone).replace(minute=0)  # restriction edges >= 1 h away
        first, last = (window.hour, window.hour + 4) if window.hour <= 20 else (window.hour - 4, window.hour)
        members = ", ".join(f"p{(i + k) % 20:02d}" for k in range(4))
        schedules.append(
            f"""  - name: team-{i:02d}
    time_zone: {zone}
    handoff_channel: "#oncall-{i:02d}"
    slack_usergroup: S0BENCH{i:02d}
    layers:
      - {{name: primary, {rotation}, start: "{start:%Y-%m-%dT%H:%M}", members: [{members}]}}
      - name: daytime
        rotation: weekly
        start: "{start:%Y-%m-%dT%H:%M}"
        members: [p{(i + 7) % 20:02d}, p{(i + 9) % 20:02d}]
        restrictions:
          - weekdays: ["monday:friday"]
            times: [{{start_time: "{first:02d}:00", end_time: "{last:02d}:00"}}]
"""
        )
    return (
        "route: {receiver: team}\n"
        'receivers: [{name: team, slack: [{channel: "#alerts"}]}]\n'
        f"people:\n{people}\nschedules:\n" + "".join(schedules)
    )


def _checks(t0: int, down_at: int) -> list[tuple[Any, int | None]]:
    """The 1,000 checks, each with its last ping (None: a metric check, pinged by its datapoints); the first
    GOING_DOWN miss their deadline at `down_at`, the others' deadlines lie beyond the bench's minutes."""
    from alertrouter.models.heartbeat import HeartbeatCheck

    checks: list[tuple[Any, int | None]] = []
    periods = ("15m", "30m", "1h", "6h", "1d")
    for i in range(CHECKS - 100):
        going_down = i < GOING_DOWN
        check = HeartbeatCheck.model_validate(
            {
                "name": f"job-{i:04d}",
                "period": "5m" if going_down else periods[i % len(periods)],
                "grace": f"{(down_at - t0 - 4 * MIN) // 1000}s" if going_down else "10m",
                "labels": {"team": f"team-{i % SCHEDULES:02d}"},
            }
        )
        checks.append((check, t0 - MIN))
    for i in range(50):
        cron = HeartbeatCheck.model_validate(
            {"name": f"nightly-{i:02d}", "cron": f"{i % 60} 3 * * *", "tz": ZONES[i % len(ZONES)]}
        )
        checks.append((cron, t0 - MIN))
    for i in range(25):
        metric = HeartbeatCheck.model_validate(
            {
                "name": f"traffic-{i:02d}",
                "period": "15m",
                "kind": "metric",
                "metric": {
                    "namespace": "Bench/Shop",
                    "metric_name": "BytesOut",
                    "dimensions": {"Service": f"svc-{i:02d}"},
                    "at_least": 1000,
                },
            }
        )
        logs = HeartbeatCheck.model_validate(
            {
                "name": f"logs-{i:02d}",
                "period": "30m",
                "kind": "log_group",
                "log_group": {"name": f"/app/{i:02d}"},
            }
        )
        checks += [(metric, None), (logs, None)]
    return checks


def _datapoints(cloudwatch: Any, at_ms: int) -> None:
    """One datapoint above its threshold for every metric and log-group check, at `at_ms`."""
    when = datetime.fromtimestamp(at_ms / 1000, UTC)
    for namespace, name, dimension, value, prefix in (
        ("Bench/Shop", "BytesOut", "Service", 5000, "svc-"),
        ("AWS/Logs", "IncomingLogEvents", "LogGroupName", 3, "/app/"),
    ):
        data = [
            {
                "MetricName": name,
                "Dimensions": [{"Name": dimension, "Value": f"{prefix}{i:02d}"}],
                "Timestamp": when,
                "Value": value,
            }
            for i in range(25)
        ]
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=data)


class _CallTimer:
    """The seconds clients spend inside their AWS calls (here: moto answering in process, botocore's work on
    both sides, the capacity meter's hooks): what a run's wall time less this leaves is our code's."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, client: Any) -> None:
        call = client._make_api_call

        def timed(operation: str, params: dict[str, Any]) -> Any:
            started = time.perf_counter()
            try:
                return call(operation, params)
            finally:
                self.seconds += time.perf_counter() - started

        client._make_api_call = timed


class _Counter:
    """SQS messages (and their 64 KB requests) and GetMetricData calls and metrics, from botocore's events."""

    def __init__(self) -> None:
        self.sqs_messages = self.sqs_requests = self.metric_calls = self.metrics = 0

    def attach(self, client: Any) -> None:
        client.meta.events.register("provide-client-params.*.*", self._count)

    def _count(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "SendMessage":
            self.sqs_messages += 1
            self.sqs_requests += max(1, -(-len(params["MessageBody"].encode()) // 65536))
        elif model.name == "SendMessageBatch":
            self.sqs_messages += len(params["Entries"])
            size = sum(len(e["MessageBody"].encode()) for e in params["Entries"])
            self.sqs_requests += max(1, -(-size // 65536))
        elif model.name == "GetMetricData":
            self.metric_calls += 1
            self.metrics += len(params["MetricDataQueries"])


def measure(repeats: int = STEADY_REPEATS) -> dict[str, Any]:  # noqa: PLR0915 - one world, its runs in order
    """The world built, a first run, then `repeats` steady minutes, a fifth minute and the change minute."""

    from alertrouter.aws import Clients, EventSender, SecretCache
    from alertrouter.composition.parts import router_queue, slack_client
    from alertrouter.config import parse_config
    from alertrouter.escalate import Escalator
    from alertrouter.handoffs import Handoffs
    from alertrouter.heartbeat_metrics import MetricSignals
    from alertrouter.heartbeats import HeartbeatSweep
    from alertrouter.models.heartbeat import HeartbeatState, HeartbeatStatus, PingKind
    from alertrouter.models.schedule import Override
    from alertrouter.on_call_now import OnCallNow
    from alertrouter.store.dynamodb import DynamoDBStore
    from support.dynamodb_capacity import CapacityMeter, moto_backend_reader
    from support.local_aws import deploy, moto_in_process
    from support.slack_standin import SlackStandIn

    # a fifth minute a little in the past (moto's CloudWatch keeps what it is given), then the bench's minutes
    t0 = (int(time.time() * 1000) // (5 * MIN) - 6) * 5 * MIN
    steady_minutes = [t0 + MIN * m for m in range(1, 5 * repeats) if m % 5][:repeats]  # never a fifth
    fifth = (steady_minutes[-1] // (5 * MIN) + 1) * 5 * MIN
    change = fifth + MIN
    now = {"ms": t0}

    def clock() -> int:
        return now["ms"]

    with moto_in_process() as session, SlackStandIn() as slack:
        stack = deploy(session)
        clients = Clients(session)
        counter = _Counter()
        for client in (clients.sqs, clients.client("cloudwatch")):
            counter.attach(client)
        in_aws = _CallTimer()
        meter = CapacityMeter(session, now_ms=clock, throttle=False, read_item=moto_backend_reader())
        meter.attach(clients.dynamodb)
        config = parse_config(routing_yaml(t0, change))
        for i in range(SCHEDULES):
            slack.usergroups[f"S0BENCH{i:02d}"] = {"U0SOMEONE"}
        store = DynamoDBStore(stack.table_name, clients.dynamodb)
        setup_started = time.perf_counter()
        for check, last_ping in _checks(t0, fifth + 30_000):
            store.add_heartbeat(check, "hash", t0 - HOUR)
            if last_ping is not None:
                up = HeartbeatState(
                    status=HeartbeatStatus.UP,
                    last_ping_ms=last_ping,
                    last_event_ms=last_ping,
                    last_event_kind=PingKind.SUCCESS,
                    note="ok",
                    rev=1,
                )
                store.save_heartbeat_state(check.name, up, 0)
        for i in range(20):  # past, current and coming overrides on 10 schedules
            start = t0 + (i % 4 - 1) * 6 * HOUR - HOUR
            store.put_override(
                Override(
                    f"team-{i % 10 + 10:02d}",
                    f"p{i:02d}",
                    start,
                    start + 4 * HOUR,
                    "U0BENCH00",
                    t0 - 2 * HOUR,
                )
            )
        cloudwatch = clients.client("cloudwatch")
        _datapoints(cloudwatch, t0 - 2 * MIN)
        setup_s = time.perf_counter() - setup_started

        for name in ("dynamodb", "sqs", "cloudwatch", "secretsmanager"):
            in_aws.wrap(clients.client(name))
        # as composition/escalator.py wires them, on the bench's clock
        secrets = SecretCache(lambda: clients.secretsmanager)
        slack_api = slack_client(secrets, stack.slack_secret, slack.url)
        schedules = {s.name: s for s in config.schedules}
        on_call_now = OnCallNow(schedules, store, clock=lambda: clock() / 1000)
        escalator = Escalator(
            store.stores(),
            None,
            slack_api,
            resolve=on_call_now.person,
            now_ms=clock,
            enqueue=router_queue(clients, stack.storm_queue_url),
        )
        handoffs = Handoffs(
            list(schedules.values()), config.people, on_call_now, store, slack_api, now_ms=clock
        )
        sweep = HeartbeatSweep(
            store,
            EventSender(clients.sqs, stack.queue_url, account="123456789012", region="us-east-1").send,
            clock,
            MetricSignals(lambda region: clients.client("cloudwatch", region)),
        )

        def run(at_ms: int) -> RunFigures:
            now["ms"] = at_ms
            meter.reset()
            in_aws.seconds = 0.0
            before = (counter.sqs_messages, counter.sqs_requests, counter.metric_calls, counter.metrics)
            figures = RunFigures()
            started = time.perf_counter()
            escalator.run()
            figures.escalator_s = time.perf_counter() - started
            started = time.perf_counter()
            handed = handoffs.run()
            figures.handoffs_s = time.perf_counter() - started
            started = time.perf_counter()
            swept = sweep.run()
            figures.sweep_s = time.perf_counter() - started
            figures.in_aws_s = in_aws.seconds
            figures.read_units, figures.write_units = meter.read_units, meter.write_units
            figures.by_prefix = {k: (v.write, v.read) for k, v in sorted(meter.by_prefix.items())}
            after = (counter.sqs_messages, counter.sqs_requests, counter.metric_calls, counter.metrics)
            figures.sqs_messages, figures.sqs_requests, figures.metric_calls, figures.metrics = (
                a - b for a, b in zip(after, before, strict=True)
            )
            figures.handoffs, figures.notices = handed.handoffs, handed.notices
            figures.down, figures.metric_pings = swept.down, swept.metric_pings
            return figures

        first = run(t0)
        steady = [run(minute) for minute in steady_minutes]
        _datapoints(cloudwatch, t0 + 4 * MIN)  # new data for every metric check before the fifth minute
        fifth_run = run(fifth)
        change_run = run(change)
        # what the HEARTBEAT partition holds, by DynamoDB's sizing: the floor of a run's reads
        heartbeat_bytes = sum(
            _item_bytes(item)
            for item in _partition(session.client("dynamodb"), stack.table_name, "HEARTBEAT")
        )
        sweep_parts = _sweep_parts(clients.dynamodb, stack.table_name, change)
    return {
        "setup_s": setup_s,
        "first": first,
        "steady": steady,
        "fifth": fifth_run,
        "change": change_run,
        "heartbeat_bytes": heartbeat_bytes,
        "sweep_parts": sweep_parts,
        "memory_mb": escalator_memory_mb(),
    }


def _sweep_parts(client: Any, table: str, now_ms: int) -> dict[str, float]:
    """Where a steady sweep's time goes (one measurement: each is a Query of 4 s on moto): the HEARTBEAT partition's Query (moto answering in
    process, botocore parsing; the same client, metered as in the runs), decoding and validating the 1,000
    records (our code), and the overdue pass over them (our code)."""
    from alertrouter.oncall.heartbeat import overdue
    from alertrouter.store.dynamodb.codec import decode_item
    from alertrouter.store.dynamodb.heartbeats import _record

    parts: dict[str, list[float]] = {"query": [], "decode": [], "overdue": []}
    for _ in range(1):
        started = time.perf_counter()
        items = _partition(client, table, "HEARTBEAT", consistent=True)
        parts["query"].append(time.perf_counter() - started)
        started = time.perf_counter()
        records = [_record(decode_item(i)) for i in items]
        parts["decode"].append(time.perf_counter() - started)
        started = time.perf_counter()
        for record in records:
            overdue(record.check, record.state, now_ms)
        parts["overdue"].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in parts.items()}


def _partition(client: Any, table: str, pk: str, *, consistent: bool = False) -> list[dict[str, Any]]:
    """Every item of one partition, as DynamoDB's JSON."""
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": pk}},
        "ConsistentRead": consistent,
    }
    while True:
        got = client.query(**kwargs)
        items += got["Items"]
        if "LastEvaluatedKey" not in got:
            return items
        kwargs["ExclusiveStartKey"] = got["LastEvaluatedKey"]


def _item_bytes(item: dict[str, Any]) -> int:
    from support.dynamodb_capacity import item_size

    return item_size(item)


def read_bound(heartbeat_bytes: int, schedules: int) -> float:
    """The reads a steady run needs, each partition read once, strongly consistent: the HEARTBEAT partition
    (4 KB a unit, a page per MB), the HANDOFF partition (1), one override Query per schedule (1 each: a
    schedule's overrides are few), and the escalator's own partitions, empty when nothing escalates
    (escalations, queued pages, expiries: 1 each)."""
    pages = -(-heartbeat_bytes // 1_000_000)
    heartbeat = -(-heartbeat_bytes // 4096) + pages
    return heartbeat + 1 + schedules + 3


def monthly_usd(figures: dict[str, Any]) -> dict[str, float]:
    """A month of 1-minute runs: four steady minutes in five and one fifth minute (the metric read with a new
    datapoint for every metric check: the dearest steady case); changes are rare and left out."""
    memory = figures["memory_mb"]
    steady = _median_run(figures["steady"])
    plain, fifth = steady.usd(memory), figures["fifth"].usd(memory)
    return {k: RUNS_PER_MONTH * (0.8 * plain[k] + 0.2 * fifth[k]) for k in plain}


def _median_run(runs: list[RunFigures]) -> RunFigures:
    """The steady runs' counts (all alike) with their median times."""
    median = RunFigures(**{k: v for k, v in vars(runs[0]).items()})
    median.escalator_s = statistics.median(r.escalator_s for r in runs)
    median.handoffs_s = statistics.median(r.handoffs_s for r in runs)
    median.sweep_s = statistics.median(r.sweep_s for r in runs)
    median.in_aws_s = statistics.median(r.in_aws_s for r in runs)
    return median


# A tenth of the escalator's 50 s timeout, on this machine against moto. Nearly all of a steady run's wall time
# is moto's: its response serialiser walks every attribute of the HEARTBEAT partition's 271 KB answer (~4 s);
# the row after it judges our code's share apart.
STEADY_WALL_TARGET_S = 5.0
# Our code's share of a steady run: decoding and checking 1,000 records (~90 ms measured) and 50 schedules'
# on-call evaluation; a tenth of the wall-time target leaves room for a machine under load.
OWN_TIME_TARGET_S = 0.5


def main() -> None:
    """Its figures alone (`make bench` prints them as rows with their targets: bench/run.py)."""
    figures = measure()
    steady = [r.wall_s for r in figures["steady"]]
    print(f"steady run wall times: {', '.join(f'{w * 1000:.0f} ms' for w in steady)}")
    steady = figures["steady"][0]
    print(
        f"\nsetup {figures['setup_s']:.1f} s; first run {figures['first'].wall_s * 1000:.0f} ms "
        f"({figures['first'].handoffs} handoffs noted); steady units by partition (write, read): {steady.by_prefix}"
    )
    print(f"steady run cost: { {k: f'${v:.8f}' for k, v in steady.usd(figures['memory_mb']).items()} }")


if __name__ == "__main__":
    main()

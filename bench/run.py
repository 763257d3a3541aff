"""`make bench`: every performance figure with its target, as one table.

- cold start: importing the router handler and creating its AWS clients, as a ratio to the floor
  (`import boto3` plus creating the same clients), each measured in a fresh interpreter, median of runs.
- warm throughput: events per second through parse -> state -> route -> group -> render in one
  process, on the in-memory store with an in-process Slack sink (no network, so it measures our code).
- storm and soak (storm_soak.py): 10,000 changes from 100 alarms in a minute (Slack calls, pacing, state
  writes); 100,000 events through one warm process (resident memory at start and end).
- SLO evaluation (slo_bench.py): GetMetricData calls and metrics per run for 200 SLOs against moto
  server, the wall time of a run, and the monthly CloudWatch cost that implies.
- Batch queue metrics (batch_metrics_bench.py): one run of the real function over 50 job queues against
  moto server: ListJobs calls, wall time, EMF lines printed and PutMetricData calls (target 0).
"""

from __future__ import annotations

import heapq
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from alertrouter.notify.render import SlackMessage

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("BENCH_RUNS", "9"))

FLOOR = """
import time; t = time.perf_counter()
import boto3
s = boto3.session.Session(region_name="us-east-1")
for name in ("dynamodb", "sqs", "sns", "secretsmanager"):
    s.client(name)
print(time.perf_counter() - t)
"""

# The same, plus only importing what the issue requires the router to be built with (pydantic models,
# Powertools Logger and Metrics, a YAML config): what is left of the 1.25x budget for the router's own code.
LIBRARIES = FLOOR.replace("import boto3\n", """import boto3
from pydantic import BaseModel, Field
from aws_lambda_powertools import Logger, Metrics
import yaml
""")

ROUTER = """
import time; t = time.perf_counter()
import router.app
from alertrouter.handler import build_service
service = build_service()
c = service.clients
c.dynamodb, c.sqs, c.sns, c.secretsmanager
print(time.perf_counter() - t)
"""


def _time_in_fresh_interpreter(code: str) -> float:
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "bench",
           "AWS_SECRET_ACCESS_KEY": "bench", "TABLE_NAME": "bench-state", "INGEST_QUEUE_URL": "https://q",
           "SLACK_TOKEN_SECRET": "bench/slack", "SMS_NUMBERS_SECRET": "bench/sms",
           "ROUTING_CONFIG_PATH": str(ROOT / "config" / "routing.yaml"),
           "PYTHONPATH": str(ROOT / "functions")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # any value, even "0", stops Python caching bytecode
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def cold_start() -> tuple[float, float, float, float]:
    # Site-packages come with bytecode compiled at install; give our code the same (as `make build` does
    # for the layer), or the router would be timed compiling itself.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "layers" / "core" / "alertrouter"),
                    str(ROOT / "functions")], check=True)
    _time_in_fresh_interpreter(FLOOR), _time_in_fresh_interpreter(ROUTER)  # warm the file cache
    floor, libraries, router = [], [], []
    for _ in range(RUNS):  # interleaved so drift hits all alike
        floor.append(_time_in_fresh_interpreter(FLOOR))
        libraries.append(_time_in_fresh_interpreter(LIBRARIES))
        router.append(_time_in_fresh_interpreter(ROUTER))
    f, r = statistics.median(floor), statistics.median(router)
    return f, statistics.median(libraries), r, r / f


class SlackSink:
    """Accepts what the router would send to Slack and counts it (a SlackApi with no network)."""

    def __init__(self) -> None:
        self.calls = 0

    def post_once(self, channel: str, message: SlackMessage, metadata: dict[str, Any], oldest: float, *,
                  look_first: bool = False) -> tuple[str, str]:
        self.calls += 1
        return channel, f"{self.calls}.000100"

    def post(self, channel: str, message: SlackMessage, *, thread_ts: str | None = None,
             metadata: dict[str, Any] | None = None) -> tuple[str, str]:
        self.calls += 1
        return channel, f"{self.calls}.000100"

    def update(self, channel: str, ts: str, message: SlackMessage) -> None:
        self.calls += 1

    def learn(self, name: str, channel_id: str) -> None:
        pass


def workload(alarms: int, changes_per_alarm: int) -> list[str]:
    """Bodies as SQS delivers them: each alarm fires, repeats, resolves; some deliveries are duplicated."""
    base = json.loads((ROOT / "events" / "eventbridge_cw_alarm_state_change_single_metric_ALARM_awsdocs.json")
                      .read_text())
    bodies = []
    for a in range(alarms):
        for c in range(changes_per_alarm):
            event = json.loads(json.dumps(base))
            event["detail"]["alarmName"] = f"Alarm{a:05d}"
            event["resources"] = [f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:Alarm{a:05d}"]
            event["detail"]["state"]["value"] = "OK" if c % 3 == 2 else "ALARM"
            event["detail"]["state"]["timestamp"] = f"2024-05-01T{10 + c // 60:02d}:{c % 60:02d}:00.000+0000"
            event["detail"]["configuration"]["metrics"][0]["metricStat"]["metric"]["dimensions"] = {
                "InstanceId": f"i-{a:08x}"}
            body = json.dumps(event)
            bodies.append(body)
            if c % 4 == 0:
                bodies.append(body)  # at-least-once delivery: a duplicate
    return bodies


_NOTHING_DUE: list[tuple[str, str, int]] = []


class DelayQueue:
    """The SQS delay the router schedules group flushes with, on the bench's clock (duck-types the
    FlushScheduler): due flushes are handed back as the clock passes them."""

    def __init__(self, now: Any) -> None:
        self.now = now
        self.pending: list[tuple[int, str, str, int]] = []

    def schedule(self, key: str, route_id: str, delay_s: int, due_ms: int) -> None:
        heapq.heappush(self.pending, (self.now.ms + delay_s * 1000, key, route_id, due_ms))

    def due(self) -> list[tuple[str, str, int]]:
        if not self.pending or self.pending[0][0] > self.now.ms:
            return _NOTHING_DUE  # (the common case, asked after every event: the bench's own cost kept small)
        out = []
        while self.pending and self.pending[0][0] <= self.now.ms:
            _, key, route_id, due_ms = heapq.heappop(self.pending)
            out.append((key, route_id, due_ms))
        return out


class Clock:
    def __init__(self, step_ms: int) -> None:
        # after every event the bench sends (the router refuses events dated ahead of its clock)
        self.ms, self.step = 1_800_000_000_000, step_ms

    def __call__(self) -> int:
        return self.ms

    def tick(self) -> None:
        self.ms += self.step


def throughput(*, immediate: bool, alarms: int = 2000) -> tuple[float, int, int, int]:
    """Events/s through parse -> state -> route -> group -> (flush: render + send to the sink).

    immediate=False: the shipped config's timings, a storm of events 5 ms apart (flushes when due);
    immediate=True: group_wait = group_interval = 0, so every change renders and sends (worst case).
    """
    from alertrouter.aws import Clients
    from alertrouter.handler import settle
    from alertrouter.models.settings import Settings
    from alertrouter.service import RouterService
    from alertrouter.store.memory import MemoryStore

    config_path = ROOT / "config" / "routing.yaml"
    if immediate:
        text = config_path.read_text().replace("group_wait: 30s", "group_wait: 0s").replace(
            "group_wait: 10s", "group_wait: 0s").replace("group_interval: 5m", "group_interval: 0s")
        config_path = Path(tempfile.mkdtemp()) / "routing.yaml"
        config_path.write_text(text)
    clock = Clock(step_ms=5)
    queue = DelayQueue(clock)
    sink = SlackSink()
    # The Lambda's own service object (handle_body, metrics and all), on the memory store, the bench's
    # clock and delay queue, and the Slack sink: no AWS client is ever created.
    settings = Settings(table_name="bench-state", ingest_queue_url="local", routing_config_path=str(config_path))
    service = RouterService(settings, Clients(), slack=sink,
                            now_ms=clock, store=MemoryStore(), scheduler=queue)
    router = service.router
    settle()  # as the Lambda's build_service does once the service is built
    bodies = workload(alarms, 5)  # fire, repeat, resolve, fire again, repeat: each ends firing
    random.Random(1).shuffle(bodies[: len(bodies) // 2])
    flushes = 0
    start = time.perf_counter()
    for body in bodies:
        clock.tick()
        service.handle_body(body)
        for key, route_id, due_ms in queue.due():
            router.flush_due(key, route_id, due_ms)
            flushes += 1
    clock.ms += 3_600_000  # let every scheduled flush come due
    for key, route_id, due_ms in queue.due():
        router.flush_due(key, route_id, due_ms)
        flushes += 1
    elapsed = time.perf_counter() - start
    return len(bodies) / elapsed, len(bodies), sink.calls, flushes


def main() -> int:
    rows: list[tuple[str, str, str]] = []
    floor, libraries, router, ratio = cold_start()
    rows.append(("cold start floor (import boto3 + 4 clients)", f"{floor * 1000:.0f} ms", "-"))
    rows.append(("cold start, floor + the required libraries (pydantic, Powertools, PyYAML) / floor",
                 f"{libraries * 1000:.0f} ms = {libraries / floor:.2f}x", "- (what the budget leaves)"))
    rows.append(("cold start router (import handler + same clients)", f"{router * 1000:.0f} ms", "-"))
    rows.append(("cold start ratio router / floor", f"{ratio:.2f}x", "<= 1.25x"))
    # best of 3: the figure is what the code can do; a busy neighbour only ever slows a run down
    eps, events, calls, flushes = max((throughput(immediate=False) for _ in range(3)), key=lambda r: r[0])
    rows.append((f"warm throughput, shipped timings ({events} events, {calls} Slack calls)",
                 f"{eps:,.0f} events/s", ">= 20,000 events/s"))
    eps, events, calls, flushes = max((throughput(immediate=True) for _ in range(3)), key=lambda r: r[0])
    rows.append((f"warm throughput, every change sent ({events} events, {calls} Slack calls)",
                 f"{eps:,.0f} events/s", "- (worst case)"))
    from storm_soak import soak, storm

    st = storm()
    rows.append((f"storm: {st['changes']:,} changes from 100 alarms in a minute -> Slack calls "
                 f"({st['posts']} posts, {st['updates']} edits, {st['threads']} thread notes)",
                 f"{st['slack_calls']}", f"<= 1 post per group ({st['groups']} groups) + bounded edits"))
    rows.append(("storm: busiest channel's posts per second (average)", f"{st['max_posts_per_channel_per_s']:.2f}",
                 "<= 1"))
    rows.append(("storm: state-table writes / SMS sent / wall time",
                 f"{st['dynamodb_writes']:,} / {st['sms']} / {st['wall_s']:.2f} s", "-"))
    start_mb, end_mb, soak_eps = soak()
    rows.append(("soak: 100,000 events in one warm process, resident memory start -> end",
                 f"{start_mb:.1f} -> {end_mb:.1f} MB", "growth < 10 MB"))
    rows.append(("soak: throughput", f"{soak_eps:,.0f} events/s", "-"))
    from slo_bench import slo_costs

    slo = slo_costs()
    rows.append((f"SLO evaluation, {slo['slos']} SLOs: GetMetricData calls per run", f"{slo['calls']}",
                 "ceil(2 x SLOs / 500)"))
    rows.append(("SLO evaluation: metrics requested per SLO per run", f"{slo['metrics_per_slo']:.2f}", "<= 2 (the floor)"))
    rows.append(("SLO evaluation: first run (reads the period so far): calls / metrics per SLO",
                 f"{slo['first'][0]} / {slo['first'][1] / slo['slos']:.2f}", "-"))
    rows.append(("SLO evaluation: wall time of one run against the local endpoint", f"{slo['wall_s'] * 1000:.0f} ms",
                 "< 50 s (Lambda timeout)"))
    rows.append(("SLO evaluation: CloudWatch cost per month at a 1-minute schedule",
                 f"${slo['monthly_usd']:,.2f}", "- ($0.01 per 1,000 metrics)"))
    from batch_metrics_bench import measure

    batch = measure(50)
    rows.append((f"Batch queue metrics, {batch['queues']:.0f} queues: ListJobs calls / wall time of one run",
                 f"{batch['list_jobs_calls']:.0f} / {batch['wall_s']:.2f} s", "5 per queue + extra pages / < 30 s"))
    rows.append(("Batch queue metrics: EMF lines / PutMetricData calls",
                 f"{batch['emf_lines']:.0f} / {batch['put_metric_data_calls']:.0f}", "queues + 1 / 0"))
    width = max(len(r[0]) for r in rows)
    print(f"{'figure':<{width}}  {'value':>20}  target")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>20}  {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

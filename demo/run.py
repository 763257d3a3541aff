"""`make demo`: the router's whole flow on this machine, with no AWS account and no Slack workspace.

Starts moto server (AWS on loopback) and the Slack stand-in, creates the stack's table, queues, topic,
EventBridge rules and secrets from template.yaml, then sends real sample events the way AWS would
(EventBridge PutEvents, SNS Publish) and runs the real Lambda handlers on what arrives in SQS, as the
Lambda event source mapping does. It prints each step's Slack calls and SMS, each Slack message as Slack
would show it, and writes the channels as an HTML page (demo/out/slack.html, or --html PATH).

The story runs on a fixed, simulated clock (`DemoClock`, given to the handlers' services by `pin_clocks`):
flushes the router schedules for later are delivered when the clock reaches them, not waited for, so the
output is the same on every run (tests/e2e/test_demo.py compares it with tests/e2e/demo_output.txt).
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

from support.handlers import load_handler
from support.local_aws import FAKE_SMS_NUMBERS, deploy, moto_server
from support.paths import ROOT
from support.slack_standin import SlackStandIn
from support.voice_standin import PHONE_NUMBER as VOICE_NUMBER
from support.voice_standin import VoiceStandIn
from support.widget_image_standin import WidgetImageStandIn

OUT = ROOT / "demo" / "out"  # the HTML page (gitignored)

BOLD, DIM, RESET = ("\033[1m", "\033[2m", "\033[0m") if sys.stdout.isatty() else ("", "", "")


def say(text: str) -> None:
    print(f"\n{BOLD}▶ {text}{RESET}", flush=True)


def load(name: str) -> dict[str, Any]:
    return json.loads((ROOT / "events" / name).read_text())


class Context:
    function_name = "alertrouter-local-router"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:alertrouter-local-router"
    aws_request_id = "demo"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 60_000


class DemoClock:
    """The demo's fixed, simulated clock (epoch ms): every run tells the same story at the same times."""

    def __init__(self, start_ms: int) -> None:
        self.ms = start_ms

    def __call__(self) -> int:
        return self.ms

    def seconds(self) -> float:
        return self.ms / 1000

    def at_least(self, ms: int) -> None:
        self.ms = max(self.ms, ms)


class Reporter:
    """Prints, after each step, the Slack calls and the SMS that step caused, channels by name."""

    def __init__(self, slack: SlackStandIn) -> None:
        self.slack, self.seen, self.sms_seen = slack, 0, 0

    def new_calls(self) -> list[Any]:
        calls = self.slack.calls[self.seen :]
        self.seen = len(self.slack.calls)
        return calls

    def __call__(self) -> None:
        from moto.backends import get_backend

        from alertrouter.notify.sms import mask_number

        lines: list[str] = []
        for call in self.new_calls():
            channel = call.payload.get("channel") or call.payload.get("channel_id", "")
            where = self.slack.channel_name(str(channel))
            kind = {"chat.update": "edit", **UPLOAD_STEPS}.get(call.method, call.method)
            if call.method == "files.completeUploadExternal" and call.payload.get("thread_ts"):
                kind = "file: thread"
            if call.method == "chat.postMessage":
                kind = "thread reply" if call.payload.get("thread_ts") else "post"
            if call.status == 429:
                answer = "HTTP 429 rate limited (the router waits out Retry-After, then retries)"
            elif call.status != 200:
                answer = f"HTTP {call.status}"
            elif call.fault not in ("", "ok"):
                answer = f"refused: {call.fault}"
            else:
                answer = "ok"
            lines.append(
                f"  → Slack {kind:<13} {where:<17} {answer}"
                if where != "#"
                else f"  → Slack {kind:<31} {answer}"
            )
        for line, count in _runs(lines):  # a run of identical calls is one line
            print(line if count == 1 else f"{line}   ×{count}")
        names = {number: name for name, number in FAKE_SMS_NUMBERS.items()}
        sms = list(get_backend("sns")[ACCOUNT]["us-east-1"].sms_messages.values())
        for number, text, *_ in sms[self.sms_seen :]:
            print(f"  → SMS to {names.get(number, '?')} ({mask_number(number)}): {text}")
        self.sms_seen = len(sms)


# Slack's file upload, step by step (https://docs.slack.dev/messaging/working-with-files): how the graph goes up
UPLOAD_STEPS = {
    "files.getUploadURLExternal": "file: URL",
    "upload": "file: bytes",
    "files.completeUploadExternal": "file: done",
}


def _runs(lines: list[str]) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for line in lines:
        if out and out[-1][0] == line:
            out[-1] = (line, out[-1][1] + 1)
        else:
            out.append((line, 1))
    return out


class LocalLambda:
    """Polls the router's queues (the ingest queue, then the storm queue of Batch job state changes) and
    invokes the handler with SQS batches, as their event source mappings do.

    Flushes the router schedules for later (delayed messages on its queue) are delivered in the order they are
    due, the demo's clock moved to each one's time: no real waiting, and the same order on every run."""

    def __init__(self, sqs: Any, queue_urls: list[str], handler: Any, clock: DemoClock) -> None:
        self.sqs, self.queue_urls, self.handler, self.clock = sqs, queue_urls, handler, clock
        self.queue_url = queue_urls[0]  # the ingest queue
        self.invocations = 0

    def _delayed(self) -> list[Any]:
        """The delayed flushes waiting on any lane (a record's flushes go back to the queue it came from)."""
        from moto.backends import get_backend

        queues = get_backend("sqs")[ACCOUNT]["us-east-1"].queues
        return [m for url in self.queue_urls for m in queues[url.rsplit("/", 1)[-1]]._messages if m.delayed]

    def _receive(self) -> tuple[str, list[dict[str, Any]]]:
        """The next batch of visible messages, from the first lane that has any, and its queue's URL."""
        for url in self.queue_urls:
            got = self.sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0, AttributeNames=["All"]
            )
            if got.get("Messages"):
                return url, got["Messages"]
        return self.queue_url, []

    def _in_flight(self) -> int:
        return sum(
            int(
                self.sqs.get_queue_attributes(
                    QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
                )["Attributes"]["ApproximateNumberOfMessagesNotVisible"]
            )
            for url in self.queue_urls
        )

    def drain(self, within_s: float = 300) -> None:
        """Run the handler on everything in the queue, and on the scheduled flushes due within `within_s`
        of the clock (the step's time); later ones (a silenced group's next look) stay queued."""
        horizon = self.clock.ms + int(within_s * 1000)
        deadline = time.monotonic() + 60
        while True:
            if time.monotonic() > deadline:
                raise RuntimeError("the ingest queue did not drain within 60 s")
            url, messages = self._receive()
            if messages:
                self._invoke(url, messages)
                continue
            delayed = sorted(self._delayed(), key=lambda m: json.loads(m.body).get("due", 0))
            if delayed and json.loads(delayed[0].body).get("due", 0) <= horizon:
                self.clock.at_least(int(json.loads(delayed[0].body).get("due", 0)))
                delayed[0].delayed_until = 0  # its time has come on the demo's clock
                continue
            if self._in_flight() == 0:
                return
            time.sleep(0.2)  # a record handed back comes again after its (shortened) visibility timeout

    def _invoke(self, url: str, messages: list[dict[str, Any]]) -> None:
        event = {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m.get("Attributes", {}),
                    "messageAttributes": {},
                    "md5OfBody": m["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": f"arn:aws:sqs:us-east-1:{ACCOUNT}:{url.rsplit('/', 1)[-1]}",
                    "awsRegion": "us-east-1",
                }
                for m in messages
            ]
        }
        self.invocations += 1
        result = self.handler(event, Context())
        failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        for m in messages:
            if m["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            else:  # what Lambda does: the message comes back after its visibility timeout (shortened here)
                self.sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=1
                )


def put_entry(event: dict[str, Any], at_ms: int) -> dict[str, Any]:
    """An event as AWS delivers it, as the PutEvents entry that makes EventBridge deliver it so, sent at
    `at_ms` on the demo's clock (else EventBridge dates it by the system clock)."""
    from datetime import UTC, datetime

    return {
        "Source": event["source"],
        "DetailType": event["detail-type"],
        "Resources": event["resources"],
        "Detail": json.dumps(event["detail"]),
        "Time": datetime.fromtimestamp(at_ms / 1000, UTC),
    }


def alarm_event(
    name: str,
    state: str,
    at: str,
    *,
    namespace: str = "AWS/EC2",
    metric: str = "CPUUtilization",
    dimensions: dict[str, str] | None = None,
    tags: dict[str, str] | None = None,
    reason: str | None = None,
    mute: dict[str, str] | None = None,
) -> dict[str, Any]:
    event = load("eventbridge_cw_alarm_state_change_single_metric_ALARM_awsdocs.json")
    detail = copy.deepcopy(event["detail"])
    detail["alarmName"] = name
    detail["state"].update(value=state, timestamp=at)
    if reason:
        detail["state"]["reason"] = reason
    elif state == "OK":
        detail["state"]["reason"] = (
            "Threshold Crossed: 1 out of the last 1 datapoints [41.2] was not greater than 80.0."
        )
    else:
        detail["state"]["reason"] = (
            "Threshold Crossed: 3 out of the last 3 datapoints [97.1, 95.4, 92.0] were greater than 80.0."
        )
    metric_ref = detail["configuration"]["metrics"][0]["metricStat"]["metric"]
    metric_ref.update(
        namespace=namespace, name=metric, dimensions=dimensions or {"InstanceId": "i-0a1b2c3d4e5f"}
    )
    detail["configuration"]["description"] = f"{name}. Runbook: https://runbooks.example.com/{name.lower()}"
    if tags:
        detail["alarmTags"] = tags
    if (
        mute
    ):  # what a CloudWatch alarm mute rule adds to the state change (see the muteDetail reference event)
        detail["muteDetail"] = mute
    from datetime import datetime

    return {
        "Source": "aws.cloudwatch",
        "DetailType": "CloudWatch Alarm State Change",
        "Time": datetime.strptime(at, "%Y-%m-%dT%H:%M:%S.000%z"),
        "Resources": [f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}"],
        "Detail": json.dumps(detail),
    }


# The demo's story starts at a fixed time, so every run prints the same times, ts and ids.
START_MS = 1_772_442_000_000  # 2026-03-02 09:00 UTC
DEMO_TOKEN = "demo-heartbeat-token-not-a-secret"  # noqa: S105 - the demo pins the token `heartbeat add` prints
ACCOUNT = "123456789012"  # moto's account, the stack's own (the router refuses other accounts' alarms)


def stamp(minute: int, second: int = 0) -> str:
    """An alarm state time `minute:second` into the demo's story, as CloudWatch writes it."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime(START_MS // 1000 + minute * 60 + second))


def at(minute: int, second: int = 0) -> int:
    """The demo clock's value `minute:second` into the story (epoch ms)."""
    return START_MS + (minute * 60 + second) * 1000


def slack_click(
    message: Any,
    clock: DemoClock,
    *,
    secret: str | None = None,
    action: str = "alertrouter_ack",
    choice: str = "",
) -> dict[str, Any]:
    """A Function URL event carrying a click (a button, or a Silence menu choice), built and signed the way
    Slack does it."""
    import base64
    from urllib.parse import urlencode

    from alertrouter.interactions import sign
    from support.local_aws import FAKE_SIGNING_SECRET

    payload = load("slack_block_actions_payload_button_in_message_slack_docs.json")
    payload["user"] = {"id": "U0ONCALL1", "username": "oncall", "team_id": "T0DEMO001"}
    payload["container"].update(channel_id=message.channel, message_ts=message.ts)
    elements = message.attachments[0]["blocks"][-1]["elements"]
    if choice:  # the Silence menu: the chosen option carries "<duration>|<group key>:<episode>"
        [option] = [o for o in elements[2]["options"] if o["value"].startswith(choice + "|")]
        payload["actions"][0] = {
            "type": "static_select",
            "action_id": action,
            "selected_option": option,
            "block_id": "alertrouter_actions",
            "action_ts": "1.0",
        }
    else:
        payload["actions"][0].update(action_id=action, value=elements[0]["value"])  # "<group key>:<episode>"
    body = urlencode({"payload": json.dumps(payload)}).encode()
    timestamp = str(int(clock.seconds()))
    event = load("lambda_function_url_POST_request_awsdocs.json")
    event["headers"] = {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": sign(secret or FAKE_SIGNING_SECRET, timestamp, body),
    }
    event.update(body=base64.b64encode(body).decode(), isBase64Encoded=True)  # as Function URLs deliver it
    return event


CPU_INSTANCE = "i-0a1b2c3d4e5f"  # the demo's web server (alarm_event's default dimension)


def cpu_alarm_in_cloudwatch(cloudwatch: Any) -> None:
    """ServerCpuTooHigh as CloudWatch holds it (what DescribeAlarms answers the graph with), and the CPU it
    watched from 06:00: calm, then three five-minute points above 80 before 09:00, back down by 09:10."""
    from support.graph_alarms import put_cpu_alarm

    calm = [38.0, 41.5, 36.2, 44.8, 40.1, 39.3, 42.7, 37.9, 45.2, 43.0, 41.1, 38.6]
    # 06:00 ... 08:40 calm, 08:45 ... 09:05 above 80, 09:10 back down
    values = (calm * 3)[:33] + [92.0, 95.4, 97.1, 96.3, 88.0, 41.2]
    first_at_s = START_MS / 1000 - 36 * 300
    put_cpu_alarm(
        cloudwatch, "ServerCpuTooHigh", CPU_INSTANCE, values, first_at_s, threshold=80.0, evaluation_periods=3
    )


def write_checkout_metrics(cloudwatch: Any, now: int) -> None:
    """What an application would have published: requests and 5xx errors per minute."""
    from datetime import UTC, datetime

    data = []
    for hour in range(now - 20 * 86400, now - 8 * 3600, 3600):  # 20 earlier days, one datapoint per hour
        for name, value in (("Requests", 60_000), ("Errors5xx", 6)):
            data.append(
                {
                    "MetricName": name,
                    "Dimensions": [{"Name": "Service", "Value": "checkout"}],
                    "Timestamp": datetime.fromtimestamp(hour, UTC),
                    "Value": value,
                    "Unit": "Count",
                }
            )
    for minute in range(now - 8 * 3600, now + 120, 60):  # and the 2 minutes the demo evaluates in
        errors = 40 if minute >= now - 45 * 60 else 0
        latency = 0.12 if minute < now - 45 * 60 else 0.25  # slower while failing, still within 300 ms
        for name, value in (("Requests", 1000), ("Errors5xx", errors), ("Latency", latency)):
            data.append(
                {
                    "MetricName": name,
                    "Dimensions": [{"Name": "Service", "Value": "checkout"}],
                    "Timestamp": datetime.fromtimestamp(minute, UTC),
                    "Value": value,
                    "Unit": "Seconds" if name == "Latency" else "Count",
                }
            )
    for first in range(0, len(data), 1000):
        cloudwatch.put_metric_data(Namespace="Demo/Checkout", MetricData=data[first : first + 1000])


def show_channels(slack: SlackStandIn) -> None:
    from alertrouter.notify.preview import render_text

    colour = sys.stdout.isatty()
    for channel, messages in slack.messages.items():
        print(f"\n{BOLD}{slack.channel_name(channel)}{RESET}")
        for message in messages:
            edited = f" {DIM}(edited ×{message.edits}){RESET}" if message.edits else ""
            print(f"  {DIM}AlertRouter  {clock_text(message.ts)}{RESET}{edited}")
            print(render_text(message.text, message.attachments, colour=colour, indent="  "))
            for reply in message.replies:
                shared = "".join(f"🖼  {file.get('title', 'file')}" for file in reply.files)  # an upload
                text = render_text(reply.text) if reply.text else shared
                print(f"    {DIM}↳ thread{RESET}  " + text.replace("\n", "\n             "))


def clock_text(ts: str) -> str:
    """A Slack ts as the time Slack shows beside a message."""
    return time.strftime("%H:%M:%S UTC", time.gmtime(float(ts)))


def pin_clocks(clock: DemoClock) -> tuple[Any, Any, Any, Any]:
    """The demo's only hook into the functions: each real handler's cached service (built from the environment
    exactly as in Lambda) is given the demo's clock instead of the system's, and the ids the router draws at
    random (silences, history entries) come from a seeded generator, so every run prints the same story."""
    import itertools
    import random
    import types
    import uuid

    from alertrouter import cli_silences
    from alertrouter.models import silence
    from alertrouter.store.dynamodb import codec as item_codec

    router_app, escalator_app = load_handler("router"), load_handler("escalator")
    interactions_app, slo_app = load_handler("slack_interactions"), load_handler("slo_evaluator")

    seeded = random.Random(7)
    silence.uuid = types.SimpleNamespace(  # type: ignore[attr-defined]
        uuid4=lambda: uuid.UUID(int=seeded.getrandbits(128), version=4)
    )
    drawn = itertools.count(1)  # history entries of one millisecond keep the order they were written in
    item_codec.uuid = types.SimpleNamespace(  # type: ignore[attr-defined]
        uuid4=lambda: uuid.UUID(int=(next(drawn) << 96) | seeded.getrandbits(96), version=4)
    )
    router_app.build_service().router.now_ms = clock
    cli_silences.clock = clock.seconds
    escalator_app.build_escalator().now_ms = clock
    escalator_app.build_handoffs().now_ms = clock
    interactions_app.build_service().now = clock.seconds
    slo_service = slo_app.build_service()
    run = type(slo_service).run
    slo_service.run = lambda now=None: run(slo_service, clock.seconds())  # type: ignore[method-assign]
    return router_app, escalator_app, interactions_app, slo_app


def main(html_path: Path | None = OUT / "slack.html") -> int:
    """Start AWS on loopback (moto server) and the Slack stand-in, tell the story, stop both."""
    clock = DemoClock(START_MS)
    with (
        moto_server() as endpoint,
        WidgetImageStandIn(endpoint) as graphs,
        SlackStandIn(retry_after=1, now=clock.seconds) as slack,
        VoiceStandIn() as voice,
    ):
        os.environ["AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2"] = voice.url  # page calls: moto has no such API
        # CloudWatch's graph images (GetMetricWidgetImage): moto has no such API; the stand-in draws them from
        # moto's alarms and data and passes every other CloudWatch call on to moto
        os.environ["AWS_ENDPOINT_URL_CLOUDWATCH"] = graphs.url
        story(clock, endpoint, slack, html_path, voice)
    return 0


def story(
    clock: DemoClock, endpoint: str, slack: SlackStandIn, html_path: Path | None, voice: VoiceStandIn
) -> None:
    """The demo's twenty steps, on the local stack at `endpoint` and the stand-ins, on the demo's clock."""
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "demo",
            "AWS_SECRET_ACCESS_KEY": "demo",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "POWERTOOLS_SERVICE_NAME": "alertrouter",
            "POWERTOOLS_METRICS_NAMESPACE": "AlertRouter",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "LOG_LEVEL": "CRITICAL",
        }
    )
    import boto3

    session = boto3.session.Session(region_name="us-east-1")
    say(
        "AWS on loopback (moto server) and the Slack stand-in are up; the story starts at "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(START_MS / 1000))} on the demo's clock"
    )
    stack = deploy(session)
    channels = (
        "#infra-alerts",
        "#oncall",
        "#payments-alerts",
        "#alerts",
        "#batch-alerts",
        "#aws-notices",
        "#data-alerts",
    )
    for channel in channels:  # the workspace has the channels the routing names
        slack.channel_id(channel)
    slack.usergroups["S0DATAONCALL"] = {"U0NOBODY01"}  # @data-oncall, which the data schedule keeps
    print(
        f"  created table {stack.table_name}, ingest and storm queues + DLQ, SNS alarm topic, EventBridge rules,"
        " secrets"
    )
    print(
        "  channels: "
        + ", ".join(channels)
        + "; SMS numbers (fake, in the secret): "
        + ", ".join(FAKE_SMS_NUMBERS)
    )
    os.environ.update(
        {
            "TABLE_NAME": stack.table_name,
            "INGEST_QUEUE_URL": stack.queue_url,
            "STORM_QUEUE_URL": stack.storm_queue_url,
            "DLQ_URL": stack.dlq_url,
            "SLACK_TOKEN_SECRET": stack.slack_secret,
            "SMS_NUMBERS_SECRET": stack.sms_secret,
            "SLACK_SIGNING_SECRET": stack.signing_secret,
            "ROUTING_CONFIG_PATH": str(ROOT / "demo" / "routing.yaml"),
            "ACCOUNT_LABEL": "demo",
            "DEFAULT_SLACK_CHANNEL": "#alerts",
            "SLACK_API_URL": slack.url,
            "ACCOUNT_ID": ACCOUNT,
            "SLO_CONFIG_PATH": str(ROOT / "demo" / "slos.yaml"),
            "VOICE_ORIGINATION_IDENTITY": VOICE_NUMBER,
            "HEARTBEAT_QUEUE_URL": stack.queue_url,
            "SLACK_GRAPHS": "true",
        }
    )
    router_app, escalator_app, interactions_app, slo_app = pin_clocks(clock)
    from alertrouter.cli import main as cli
    from alertrouter.cli_silences import silence_line as _silence_line
    from alertrouter.notify.preview import render_text

    lam = LocalLambda(
        session.client("sqs"), [stack.queue_url, stack.storm_queue_url], router_app.lambda_handler, clock
    )
    report = Reporter(slack)
    events, sns, sqs = session.client("events"), session.client("sns"), session.client("sqs")
    colour = sys.stdout.isatty()

    def show(message: Any) -> None:
        print(render_text(message.text, message.attachments, colour=colour, indent="    "))

    def escalator_run(minute: int, second: int = 0) -> None:
        clock.at_least(at(minute, second))
        result = escalator_app.lambda_handler({}, Context())
        calls = f", {result['calls']} call{'s' if result['calls'] != 1 else ''}" if result["calls"] else ""
        print(
            f"  escalator at {time.strftime('%H:%M', time.gmtime(clock.seconds()))}: {result['sms']} SMS{calls}"
        )

    def held_back() -> None:
        for page in escalator_app.build_escalator().outbox.queued_pages():
            print(
                f"  ⏸ SMS to {page.recipient} for {page.member.title} held back: that number was texted less "
                "than a minute ago (one SMS per number per minute); the escalator's next run sends it"
            )

    say(
        "1. 09:00 An EC2 CPU alarm, ServerCpuTooHigh, fires (EventBridge 'CloudWatch Alarm State Change' "
        "→ SQS → router); after group_wait (30s) it is posted to #infra-alerts, then CloudWatch's graph of the CPU "
        "is added to the message"
    )
    cpu_alarm_in_cloudwatch(session.client("cloudwatch"))
    events.put_events(Entries=[alarm_event("ServerCpuTooHigh", "ALARM", stamp(0))])
    lam.drain()
    report()
    print(
        "  📈 then the graph: the router asks CloudWatch for the alarm (DescribeAlarms) and an image of its "
        "metric around the threshold, the alarm's time shaded (GetMetricWidgetImage), uploads it (three Slack "
        "calls: the upload URL, the bytes, done) and edits the message to show it under the text"
    )
    show(slack.channel_messages("#infra-alerts")[-1])

    say(
        "2. 09:05 ServerCpuTooHigh repeats, and that delivery arrives twice: no new post; after "
        "group_interval (5m since the post) the message is edited, its count 2"
    )
    repeat = alarm_event("ServerCpuTooHigh", "ALARM", stamp(5))
    clock.at_least(at(5))
    events.put_events(Entries=[repeat, repeat])
    lam.drain()
    report()

    say(
        "3. 09:06 Two critical alarms: PaymentsApi5xxHigh through the SNS alarm topic (severity in its "
        "description), CheckoutLatencyP99 through EventBridge (severity tag). Each is paged in #oncall and "
        "by SMS to oncall-primary, and posted in #payments-alerts (the payments and checkout service)"
    )
    clock.at_least(at(6))
    message = json.loads(
        load("sns_lambda_cw_alarm_ALARM_single_metric_aws_lambda_go.json")["Records"][0]["Sns"]["Message"]
    )
    message.update(
        AlarmName="PaymentsApi5xxHigh",
        AWSAccountId=ACCOUNT,
        Region="US East (N. Virginia)",
        AlarmArn=f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:PaymentsApi5xxHigh",
        StateChangeTime=stamp(6),
        AlarmDescription="5xx above 2% on payments-api. severity: critical, service: payments. "
        "Runbook: https://runbooks.example.com/pay5xx",
        NewStateReason="Threshold Crossed: 3 datapoints [4.1, 3.7, 2.9] were greater than 2.0",
    )
    message["Trigger"].update(
        Namespace="AWS/ApplicationELB",
        MetricName="HTTPCode_Target_5XX_Count",
        Dimensions=[{"name": "LoadBalancer", "value": "app/payments-api/7f3c1e9b2d"}],
    )
    sns.publish(TopicArn=stack.topic_arn, Message=json.dumps(message), Subject="ALARM: PaymentsApi5xxHigh")
    lam.drain()
    checkout_alarm = {
        "namespace": "AWS/ApplicationELB",
        "metric": "TargetResponseTime",
        "dimensions": {"LoadBalancer": "app/checkout/50dc6c495c0c9188"},
        "tags": {"severity": "critical", "service": "checkout"},
    }
    events.put_events(
        Entries=[
            alarm_event(
                "CheckoutLatencyP99",
                "ALARM",
                stamp(6, 30),
                **checkout_alarm,
                reason="Threshold Crossed: p99 2.8s > 1.5s for 3 datapoints",
            )
        ]
    )
    lam.drain()
    report()
    held_back()

    say(
        "4. 09:07 The escalator (every minute in AWS) sends the held-back CheckoutLatencyP99 page; on its first "
        "run it also tells #data-alerts who the data team's schedule has on call and sets @data-oncall"
    )
    escalator_run(7, 30)
    report()

    say(
        "5. 09:08 A storm: 12 Lambda error alarms within seconds become ONE grouped message in #alerts "
        "(the default channel); Slack rate-limits the first try"
    )
    clock.at_least(at(8))
    storm = [
        alarm_event(
            f"LambdaErrors-fn-{i:02d}",
            "ALARM",
            stamp(8, i),
            namespace="AWS/Lambda",
            metric="Errors",
            dimensions={"FunctionName": f"orders-fn-{i:02d}"},
        )
        for i in range(12)
    ]
    for i in range(0, len(storm), 10):
        events.put_events(Entries=storm[i : i + 10])
    slack.faults = ["429"]
    lam.drain()
    report()

    say(
        "6. 09:14 ServerCpuTooHigh resolves, 14 minutes after it fired: on its group's next group_interval tick "
        "(09:15:30, every 5m from the post) its message turns green, with a note in its thread"
    )
    clock.at_least(at(14))
    events.put_events(Entries=[alarm_event("ServerCpuTooHigh", "OK", stamp(14))])
    lam.drain()
    report()

    say(
        "7. 09:15 The on-call engineer clicks Acknowledge on the PaymentsApi5xxHigh page in #oncall (a signed "
        "Slack request to the slack-interactions function's URL): the message and its thread say so"
    )
    clock.at_least(at(15))
    payments_page, checkout_page = slack.channel_messages("#oncall")[:2]
    response = interactions_app.lambda_handler(slack_click(payments_page, clock), Context())
    print(f"  ← HTTP {response['statusCode']} to Slack")
    report()
    show(payments_page)
    forged = slack_click(payments_page, clock, secret="not-the-signing-secret")
    print(
        f"  A forged click (wrong signing secret) gets HTTP "
        f"{interactions_app.lambda_handler(forged, Context())['statusCode']} and changes nothing."
    )

    say(
        "8. 09:17 Ten minutes after its page, CheckoutLatencyP99 is still not acknowledged: the escalator "
        "texts the next step, oncall-secondary, and notes it in the page's thread. PaymentsApi5xxHigh was "
        "acknowledged: no escalation"
    )
    escalator_run(17)
    report()

    say("9. 09:18 Someone silences CheckoutLatencyP99 for 1 hour from the Silence menu of its #oncall page")
    clock.at_least(at(18))
    response = interactions_app.lambda_handler(
        slack_click(checkout_page, clock, choice="1h", action="alertrouter_silence"), Context()
    )
    print(f"  ← HTTP {response['statusCode']} to Slack")
    report()
    show(checkout_page)
    for silence in escalator_app.build_escalator().silences.silences():
        print(f"  `alertrouter silence list`: {_silence_line(silence, clock())}")
    print(
        "  09:20 It fires again while silenced: the new reason and count 2 are written into its messages "
        "in #oncall and #payments-alerts, nobody is paged, and the escalator leaves it alone:"
    )
    clock.at_least(at(20))
    events.put_events(
        Entries=[
            alarm_event(
                "CheckoutLatencyP99",
                "ALARM",
                stamp(20),
                **checkout_alarm,
                reason="Threshold Crossed: p99 3.1s > 1.5s",
            )
        ]
    )
    lam.drain()
    report()
    escalator_run(30)
    report()

    say(
        "10. 09:31 A new alarm, DiskQueueDepthHigh (same EC2 instance), arrives beside a malformed record: "
        "the alarm is posted in #infra-alerts, the malformed record goes to the dead-letter queue"
    )
    clock.at_least(at(31))
    sqs.send_message(QueueUrl=stack.queue_url, MessageBody='{"detail-type": "CloudWatch Alarm State Change"')
    events.put_events(
        Entries=[alarm_event("DiskQueueDepthHigh", "ALARM", stamp(31), metric="DiskQueueDepth")]
    )
    lam.drain()
    report()
    # kept out of sight for the rest of the story (it stays in the DLQ), however slow the machine: the
    # closing count is of what arrived after it
    dead = sqs.receive_message(
        QueueUrl=stack.dlq_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], VisibilityTimeout=3600
    ).get("Messages", [])
    for m in dead:
        print(
            f"  DLQ keeps: {m['Body'][:60]!r}\n    reason: {m['MessageAttributes']['reason']['StringValue']}"
        )

    say(
        "11. 09:40 DiskQueueDepthHigh is dealt with: Resolve is clicked on its message in #infra-alerts. The "
        "click's answer marks the message at once; the router, applying the resolve, turns it green"
    )
    clock.at_least(at(40))
    disk = slack.channel_messages("#infra-alerts")[-1]
    response = interactions_app.lambda_handler(
        slack_click(disk, clock, action="alertrouter_resolve"), Context()
    )
    print(f"  ← HTTP {response['statusCode']} to Slack (the resolve goes to the router's queue)")
    lam.drain()
    report()

    say(
        "12. 09:45 An SLO burns its error budget fast: the SLO evaluator reads the local CloudWatch and pages "
        "(#oncall, #payments-alerts for the checkout service, SMS to oncall-primary)"
    )
    clock.at_least(at(45))
    now = int(clock.seconds())
    print(
        "  writing 20 days of checkout traffic (1,000 requests a minute, 0.01% failing), then 45 minutes "
        "with 4% of requests failing..."
    )
    write_checkout_metrics(session.client("cloudwatch"), now)
    result = slo_app.lambda_handler({}, Context())
    print(
        f"  evaluator: {result['slos']} SLOs (availability, and latency as a threshold SLI), firing "
        f"{result['firing']}, {result['calls']} GetMetricData call(s), {result['metrics']} metrics requested "
        f"(the first run reads the period so far; later runs ask for each metric once: 3)"
    )
    clock.at_least(at(46))
    result = slo_app.lambda_handler({}, Context())
    print(
        f"  a minute later, still firing: {result['calls']} call(s), {result['metrics']} metrics requested; the "
        "page is posted once, its count 2"
    )
    lam.drain()
    report()
    show(slack.channel_messages("#oncall")[-1])
    print(
        "  The same SLO with `alertrouter slo evaluate demo/slos.yaml --at <the demo's time>` (reads the whole "
        "period, keeps no state):"
    )
    cli(
        [
            "slo",
            "evaluate",
            str(ROOT / "demo" / "slos.yaml"),
            "--endpoint-url",
            endpoint,
            "--region",
            "us-east-1",
            "--at",
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(clock.seconds())),
        ]
    )

    say(
        "13. 10:00 50 children of an AWS Batch array job fail (real FAILED events, dated when they were "
        "recorded; Batch Job State Change → EventBridge → SQS → router): ONE message in #batch-alerts, "
        "counted by reason"
    )
    clock.at_least(at(60))
    from support.events import batch_child_failure  # the real FAILED events (calcloud), as array children

    failures = [json.loads(batch_child_failure(i)) for i in range(50)]
    for i in range(0, len(failures), 10):
        events.put_events(Entries=[put_entry(e, clock()) for e in failures[i : i + 10]])
    lam.drain()
    report()
    show(slack.channel_messages("#batch-alerts")[-1])
    print("  No new failure for the route's resolve_timeout (2h) resolves it.")

    say(
        "14. 10:05 The app was removed from #infra-alerts (Slack now answers not_in_channel there). OpenSearch "
        "Service sends a High JVM notice (High → critical), for on-call and #infra-alerts, and a software "
        "update notice, for #aws-notices"
    )
    clock.at_least(at(65))
    slack.broken = {"#infra-alerts": "not_in_channel"}
    for name in (
        "eventbridge_opensearch_notification_high_jvm_usage_awsdocs.json",
        "eventbridge_opensearch_software_update_available_awsdocs.json",
    ):
        events.put_events(Entries=[put_entry(load(name), clock())])
    emf = io.StringIO()
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "false"  # (this step's metric lines, caught and summarised)
    with contextlib.redirect_stdout(emf):  # the refusal's metric line (EMF), summarised below
        lam.drain(within_s=45)  # the group waits (10s, 30s), not the refused channel's retry a minute later
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    report()
    refusals = [
        r
        for line in emf.getvalue().splitlines()
        if "SlackChannelFailures" in line and "cause" in (r := json.loads(line))
    ]
    print(
        "  metric SlackChannelFailures (cause): "
        + ", ".join(f"{r['SlackChannelFailures'][0]:g} ({r['cause']})" for r in refusals)
    )
    print(
        "  The page reaches #oncall and oncall-primary, the notice #aws-notices; #infra-alerts is refused, "
        "nothing is lost or dead-lettered: the router tries it again a minute later. "
        "`alertrouter doctor` says why:"
    )
    print("    " + doctor_line(slack, "#infra-alerts"))
    report.new_calls()  # (the doctor's own reads are not the router's)
    print(
        "  10:07 Someone invites the app back. The router's next try makes sure it has not posted there "
        "already (conversations.history) and posts the notice's current message:"
    )
    slack.broken = {}
    lam.drain(within_s=120)
    report()
    print("    " + doctor_line(slack, "#infra-alerts").split(":", 1)[0] + ": the app is a member")

    say("15. The Batch queue-state function (every minute in AWS) reads the local Batch and prints EMF")
    batch_queue_metrics(session)

    maintenance(clock, lam, report, show, slack, stack, events)
    on_call(clock, lam, report, show, slack, stack, voice, escalator_run)
    organisation(clock, lam, report, show, slack, stack, session, router_app)
    signals(clock, lam, report, show, slack, events)
    from_slack(clock, lam, report, show, slack, events, interactions_app)

    say("The acknowledged page's history (`alertrouter history <group key>`)")
    cli(
        [
            "history",
            payments_page.metadata["event_payload"]["group"],
            "--table",
            stack.table_name,
            "--endpoint-url",
            endpoint,
            "--region",
            "us-east-1",
        ]
    )

    say("What Slack shows now")
    show_channels(slack)

    closing_summary(slack, sqs, stack.dlq_url, lam.invocations, html_path)


def maintenance(
    clock: DemoClock,
    lam: LocalLambda,
    report: Reporter,
    show: Any,
    slack: SlackStandIn,
    stack: Any,
    events: Any,
) -> None:
    """Step 16: a CloudWatch alarm mute rule's window holds an alarm back until it ends; a recurring silence;
    the maintenance view."""
    from alertrouter.cli import main as cli

    say(
        "16. 10:10 Maintenance: the CloudWatch alarm mute rule nightly-db mutes the orders database's alarms "
        "10:00-10:30. DbReplicaLag (critical) fires inside that window; its EventBridge event carries "
        "muteDetail, so the router keeps it (state, group, history) but posts nothing and pages no one"
    )
    clock.at_least(at(70))
    mute = {
        "mutedByArn": f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm-mute-rule:nightly-db",
        "muteWindowStart": stamp(60),
        "muteWindowEnd": stamp(90),
    }
    lag = alarm_event(
        "DbReplicaLag", "ALARM", stamp(70), namespace="AWS/RDS", metric="ReplicaLag",
        dimensions={"DBInstanceIdentifier": "orders-db-replica"}, tags={"severity": "critical"}, mute=mute,
    )  # fmt: skip
    events.put_events(Entries=[lag])
    lam.drain(within_s=60)
    from moto.backends import get_backend

    sms = len(get_backend("sns")[ACCOUNT]["us-east-1"].sms_messages) - report.sms_seen
    posts = sum(c.method == "chat.postMessage" for c in slack.calls[report.seen :])
    report()
    print(
        f"  Slack posts: {posts}, SMS: {sms}; its history says muted, and why. The team also "
        "adds a recurring silence for its weekly backup; `alertrouter silence list --held` shows what is quiet "
        "now and next, and why:"
    )
    table = table_args(stack)
    cli(["silence", "add", 'service="orders-db"', "--every", "sun 02:00-04:00", "--tz", "Europe/Berlin",
         "--by", "dba-team", "--comment", "weekly backup", *table])  # fmt: skip
    cli(["silence", "list", "--held", *table])
    say(
        "17. 10:18 The silence from step 9 ends while CheckoutLatencyP99 still fires: it is announced and paged "
        "again. 10:30 The mute rule's window ends and DbReplicaLag still fires: it is posted and paged as new"
    )
    lam.drain(within_s=20 * 60 + 30)  # each group's next look at its own time: 10:18, then 10:30
    report()
    show(slack.channel_messages("#oncall")[-1])


def on_call(
    clock: DemoClock,
    lam: LocalLambda,
    report: Reporter,
    show: Any,
    slack: SlackStandIn,
    stack: Any,
    voice: VoiceStandIn,
    escalator_run: Any,
) -> None:
    """Steps 18-20: a heartbeat goes silent and pages whoever the schedule has on call; ignored, the page
    escalates to a voice call; the job pings again and the alert resolves; at noon in Berlin the schedule hands
    over (a notice in the channel, the Slack user group set)."""
    from alertrouter import cli_heartbeats
    from alertrouter.cli import main as cli
    from alertrouter.oncall.heartbeat import token_hash

    ping_app = load_handler("heartbeat_ping")
    ping_app.build_pings().now_ms = clock
    ping_app.build_pings().ledger.now_ms = clock
    sweep = load_handler("escalator").build_heartbeat_sweep()
    sweep.now_ms = sweep.ledger.now_ms = clock
    cli_heartbeats.new_token = lambda: (DEMO_TOKEN, token_hash(DEMO_TOKEN))  # the same token every run

    def ping(minute: int, token: str = DEMO_TOKEN, path: str = "/ping/orders-export") -> None:
        clock.at_least(at(minute))
        answer = ping_app.lambda_handler(function_url_event(path, token), Context())
        shown = "the demo's token" if token == DEMO_TOKEN else "a wrong token"
        print(
            f"  {time.strftime('%H:%M', time.gmtime(clock.seconds()))} POST {path} with {shown} "
            f"→ {answer['statusCode']} {answer['body']}"
        )

    say(
        "18. 10:31 Heartbeats: the orders-export job must ping every 5 minutes (2 minutes' grace). "
        "`alertrouter heartbeat add` makes the check and prints its token once (the table keeps its hash); "
        "the job pings the stack's Function URL with it; a wrong token is refused and changes nothing"
    )
    clock.at_least(at(91))
    table = table_args(stack)
    cli(
        [
            "heartbeat",
            "add",
            "orders-export",
            "--period",
            "5m",
            "--grace",
            "2m",
            "--label",
            "team=data",
            *table,
        ]
    )
    ping(91)
    ping(33 + 60, token="wrong-token")
    ping(36 + 60)
    cli(["oncall", "now", "--config", str(ROOT / "demo" / "routing.yaml"), "--table", stack.table_name,
         "--at", time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(clock.seconds()))])  # fmt: skip

    say(
        "19. The job stops pinging (its host is swapping itself to death). At 10:44 the escalator's sweep finds "
        "the check past its deadline (10:41) and grace: HeartbeatMissing goes through the router to "
        "#data-alerts and is texted to whoever the data schedule has on call (dana). Nobody acknowledges: "
        "at 10:55 the escalation's first step (10 minutes after the page) calls whoever is on call (call:schedule:data)"
    )
    escalator_run(104)
    lam.drain(within_s=60)
    report()
    show(slack.channel_messages("#data-alerts")[-1])
    escalator_run(115)
    report()
    for placed in voice.calls:
        spoken = re.sub(r"<[^>]+>", " ", placed.body)
        print(
            f"  📞 call to {placed.to[:2]}*********{placed.to[-2:]}, read aloud: {' '.join(spoken.split())}"
        )

    say(
        "20. 10:58 The job pings again: the check is up and its alert resolved (the message turns green). "
        "11:00, noon in Berlin, the data schedule hands over from dana to erin: the escalator's run posts the "
        "handoff notice (with a Take the pager button) and sets @data-oncall to erin"
    )
    ping(118)
    lam.drain(within_s=120)  # the resolve goes out on the group's next group_interval tick (10:59:30)
    report()
    show(slack.channel_messages("#data-alerts")[-1])
    escalator_run(121)
    report()
    show(slack.channel_messages("#data-alerts")[-1])
    print(f"  @data-oncall (S0DATAONCALL) now: {', '.join(sorted(slack.usergroups['S0DATAONCALL']))}")


def organisation(
    clock: DemoClock,
    lam: LocalLambda,
    report: Reporter,
    show: Any,
    slack: SlackStandIn,
    stack: Any,
    session: Any,
    router_app: Any,
) -> None:
    """Steps 21-22: the demo's stack becomes the hub of an organisation; two spoke accounts' alarms cross their
    default bus -> the hub's bus -> the ingest queue and land in one channel, each named by AWS Organizations;
    a stranger's is refused; then the org-wide views (the CloudWatch dashboard, the Grafana JSON)."""
    import requests

    from alertrouter.dashboards.cloudwatch import org_slo_dashboard
    from alertrouter.dashboards.grafana import dashboard_json
    from support.events import spoke_alarm_event
    from support.organization import (
        acting_as,
        as_eventbridge_forwards,
        hub_bus,
        make_organisation,
        put_alarm_event,
        spoke_rule,
    )

    requests.post(f"{os.environ['AWS_ENDPOINT_URL']}/moto-api/seed?a=19", timeout=5)  # the same account ids
    org = make_organisation(session, "checkout-prod", "checkout-sandbox")
    os.environ.update({"MODE": "hub", "ORGANIZATION_ID": org.id})
    router_app.build_service.cache_clear()  # the router, built again as a hub's (as a deploy would)
    router_app.build_service().router.now_ms = clock
    bus = hub_bus(session, stack)
    say(
        "21. 11:05 One organisation: this stack is now the hub (Mode=hub, OrganizationId "
        f"{org.id}); accounts {org.accounts['checkout-prod']} and {org.accounts['checkout-sandbox']} are "
        "spokes: a rule on each one's default bus forwards its alarms to the hub's bus "
        f"({bus.split(':')[-1]}). Both accounts' WebFleetCpuHigh alarms land in #infra-alerts, each named by "
        "AWS Organizations (its account_name label); an alarm from an account outside the organisation is "
        "refused into the DLQ with the reason"
    )
    clock.at_least(at(125))
    sqs = session.client("sqs")
    senders = [*org.accounts.values(), "999988887777"]
    for account in senders:
        spoke = acting_as(session, account)
        spoke_rule(spoke, bus)
        event = spoke_alarm_event(account, "WebFleetCpuHigh")
        event["time"] = event["detail"]["state"]["timestamp"] = stamp(125)
        put_alarm_event(spoke, event)
        # moto forwards across accounts as a new event in the hub (no account): the envelope EventBridge keeps
        for message in sqs.receive_message(QueueUrl=stack.queue_url, MaxNumberOfMessages=10)["Messages"]:
            forwarded = '"WebFleetCpuHigh"' in message["Body"] and '"account"' not in message["Body"]
            if forwarded:
                sqs.delete_message(QueueUrl=stack.queue_url, ReceiptHandle=message["ReceiptHandle"])
                body = as_eventbridge_forwards(message["Body"], event)
                sqs.send_message(QueueUrl=stack.queue_url, MessageBody=body)
            else:  # the router's own messages (flushes due later) go back as they were
                sqs.change_message_visibility(
                    QueueUrl=stack.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
    lam.drain(within_s=60)
    report()
    for message in slack.channel_messages("#infra-alerts")[-2:]:
        show(message)
    dlq = sqs.receive_message(QueueUrl=stack.dlq_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
    for message in dlq.get("Messages", []):
        reason = message.get("MessageAttributes", {}).get("reason", {}).get("StringValue", "")
        if "999988887777" in message["Body"] or "999988887777" in reason:
            print(f"  DLQ: {reason or message['Body'][:160]}")

    say(
        "22. The org-wide views: the hub's CloudWatch dashboard (OrgSloDashboard, every SLO of every account, "
        "worst budget first; its body as the template has it) and the Grafana dashboard as code "
        "(`alertrouter dashboard grafana`), written to a file"
    )
    body = org_slo_dashboard("us-east-1")
    for widget in body["widgets"]:
        props = widget["properties"]
        queries = [m[0]["expression"] for m in props.get("metrics", []) if isinstance(m[0], dict)]
        print(f"  ▦ {props.get('title', widget['type'])}: {queries[0][:110] if queries else ''}")
    OUT.mkdir(parents=True, exist_ok=True)
    grafana = OUT / "org-slos.grafana.json"
    grafana.write_text(dashboard_json(), encoding="utf-8")
    board = json.loads(grafana.read_text(encoding="utf-8"))
    variables = [v["name"] for v in board.get("templating", {}).get("list", [])]
    print(
        f"  Grafana: {grafana.relative_to(ROOT)}: {len(board.get('panels', []))} panels, variables "
        f"{', '.join(variables)}"
    )


def as_this_account(event: dict[str, Any]) -> dict[str, Any]:
    """An AWS sample event as this account's in us-east-1 (the samples name their own accounts and regions)."""
    text = json.dumps(event)
    for account in ("111122223333", "123456789012"):
        text = text.replace(account, ACCOUNT)
    return dict(json.loads(text.replace("us-west-2", "us-east-1")))


def signals(
    clock: DemoClock, lam: LocalLambda, report: Reporter, show: Any, slack: SlackStandIn, events: Any
) -> None:
    """Steps 23-25: what AWS itself says, through the stack's own EventBridge rules: an AWS Health issue in one
    Availability Zone, an ECS crash loop (one message, counted by reason), an X-Ray insight opening and closing."""
    from support.signal_events import CRASHED, OOM_KILLED, health_zone_event, insight_update, stopped_task

    def put(event: dict[str, Any], at_ms: int) -> None:
        failed = events.put_events(Entries=[put_entry(as_this_account(event), at_ms)])["FailedEntryCount"]
        assert not failed, "EventBridge refused the sample event"

    say(
        "23. 11:10 AWS Health: an EC2 operational issue in one Availability Zone (aws.health, the stack's Health "
        "rule -> ingest queue): #infra-alerts, naming the zone"
    )
    clock.at_least(at(130))
    zone_issue = health_zone_event("us-east-1a")
    zone_issue["detail"]["startTime"] = time.strftime(
        "%a, %d %b %Y %H:%M:%S GMT", time.gmtime(at(128) / 1000)
    )
    put(zone_issue, at(130))
    lam.drain(within_s=60)
    report()
    show(slack.channel_messages("#infra-alerts")[-1])

    say(
        "24. 11:12 An ECS crash loop: service checkout's tasks keep stopping (6 exit with code 1, 2 are killed "
        "for memory), each an ECS Task State Change on the storm lane: ONE message in #alerts, counted by reason"
    )
    for n in range(8):
        killed = OOM_KILLED if n in (3, 6) else {**CRASHED, "exit_code": 1}
        stop = stopped_task(**killed, task=f"{n:02d}c13b4cb40f1f4fe4a2971f76ae5a47")
        stop["detail"]["stoppedAt"] = stamp(132, 10 * n).replace(".000+0000", ".000Z")
        put(stop, at(132, 10 * n))
    clock.at_least(at(133, 30))
    lam.drain(within_s=300)
    report()
    show(slack.channel_messages("#alerts")[-1])

    say(
        "25. 11:15 X-Ray Insights: a fault insight opens at payments (critical: #oncall pages, #infra-alerts "
        "has it too); at 11:27 X-Ray closes it, and at each group's next tick (11:30) both messages turn resolved"
    )
    # (moto's PutEvents leaves out the envelope's `account`, which EventBridge always sends: the root cause
    # service's AccountId, a field of the event, names it here)
    root_cause = {
        "Name": "payments",
        "Names": ["payments"],
        "Type": "AWS::ECS::Container",
        "AccountId": ACCOUNT,
    }
    clock.at_least(at(135))
    put(insight_update("ACTIVE", RootCauseServiceId=root_cause), at(135))
    lam.drain(within_s=60)
    report()
    show(slack.channel_messages("#oncall")[-1])
    clock.at_least(at(147))
    put(insight_update("CLOSED", EndTime="2026-03-02T11:27:00Z", RootCauseServiceId=root_cause), at(147))
    lam.drain(within_s=240)  # (a resolve is told at the group's next group_interval tick, as in Alertmanager)
    report()
    show(slack.channel_messages("#oncall")[-1])


def from_slack(
    clock: DemoClock,
    lam: LocalLambda,
    report: Reporter,
    show: Any,
    slack: SlackStandIn,
    events: Any,
    interactions_app: Any,
) -> None:
    """Steps 26-28: acting without leaving Slack: `/alerts`, a silence made in the `/silence` modal (checked,
    previewed, saved) muting the next matching alert, and the App Home tab, each a signed request to the
    slack-interactions function's URL, answered within Slack's 3 seconds."""
    from alertrouter.notify.preview import mrkdwn_to_text
    from support.slack_modal import Inputs, view_submission
    from support.slack_requests import app_home_opened

    def ask(signed: tuple[dict[str, str], bytes]) -> dict[str, Any]:
        """The request re-signed at the demo's time with the stack's secret, through the function's URL."""
        response = interactions_app.lambda_handler(slack_request(signed[1], clock), Context())
        assert response["statusCode"] == 200, response
        return dict(json.loads(response["body"]))

    def disk_fills(minute: int, instance: str) -> None:
        """DiskSpaceLow fires on one database host at the story's minute (EventBridge -> router)."""
        clock.at_least(at(minute))
        disk = {"InstanceId": instance}
        event = alarm_event(
            "DiskSpaceLow", "ALARM", stamp(minute), metric="disk_used_percent", dimensions=disk
        )
        events.put_events(Entries=[event])
        lam.drain(within_s=120)
        report()

    say(
        "26. 11:35 DiskSpaceLow fires on the database db-1 (#infra-alerts). The on-call engineer, in Slack, "
        'types `/alerts alertname="DiskSpaceLow"`: the answer, only they see it (ephemeral)'
    )
    disk_fills(155, "i-0db1000000001")
    channel = slack.channel_id("#infra-alerts")
    answer = ask(command("/alerts", 'alertname="DiskSpaceLow"', channel))
    shown = mrkdwn_to_text(answer["text"]).replace("\n", "\n    ")  # links as Slack shows them: their label
    print(f"  ← {answer['response_type']}: {shown}")

    say(
        '27. 11:37 They type `/silence alertname="DiskSpaceLow"`: a modal opens with the matchers filled in '
        "(views.open); Preview lists the open alerts they match; a second submit saves the silence"
    )
    clock.at_least(at(157))
    trigger = slack.issue_trigger_id("U0ONCALL1")
    ask(command("/silence", 'alertname="DiskSpaceLow"', channel, trigger_id=trigger))
    report()
    inputs = Inputs(matchers='alertname="DiskSpaceLow"', duration="2h", comment="db-1 volume grows tonight")
    for _ in range(2):  # Preview, then Silence
        opened = slack.open_view("U0ONCALL1")
        answer = ask(view_submission(opened, inputs))
        slack.respond_to_submission(opened.id, answer)
        if not opened.closed:
            print("  modal: " + modal_text(opened.view))
    report()

    say(
        "28. 11:40 DiskSpaceLow fires on db-2 too: the silence matches it, so its message only notes it as "
        "silenced and no one is paged; the App Home tab (opened by the on-call engineer) lists what is open, "
        "silenced and on call"
    )
    disk_fills(160, "i-0db2000000002")
    show(slack.channel_messages("#infra-alerts")[-1])
    ask(app_home_opened("U0ONCALL1"))
    report()
    home = modal_text(slack.homes["U0ONCALL1"].view).split("\n    ")
    shown = [line for line in home if "silence" in line.lower() or "DiskSpaceLow" in line or "Open" in line]
    print("  App Home (some of its lines): " + "\n    ".join(shown[:8]))


def command(name: str, text: str, channel: str, **fields: str) -> tuple[dict[str, str], bytes]:
    from support.slack_requests import command_body

    return {}, command_body(name, text, channel=channel, **fields)


def modal_text(view: dict[str, Any]) -> str:
    """A view's text as a terminal can show it: its section texts, one per line."""
    from alertrouter.notify.preview import mrkdwn_to_text

    texts = [b["text"]["text"] for b in view.get("blocks", []) if b.get("type") in ("section", "header")]
    return "\n    ".join(line for t in texts for line in mrkdwn_to_text(t).splitlines())


def slack_request(body: bytes, clock: DemoClock) -> dict[str, Any]:
    """A Function URL event carrying `body` as Slack posts it, signed at the demo's time."""
    import base64

    from alertrouter.interactions import sign
    from support.local_aws import FAKE_SIGNING_SECRET

    timestamp = str(int(clock.seconds()))
    event = load("lambda_function_url_POST_request_awsdocs.json")
    json_body = body.lstrip().startswith(b"{")
    event["headers"] = {
        "content-type": "application/json" if json_body else "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": sign(FAKE_SIGNING_SECRET, timestamp, body),
    }
    event.update(body=base64.b64encode(body).decode(), isBase64Encoded=True)
    return event


def table_args(stack: Any) -> list[str]:
    """The CLI's options that reach the local stack's table."""
    return [
        "--table",
        stack.table_name,
        "--endpoint-url",
        os.environ["AWS_ENDPOINT_URL"],
        "--region",
        "us-east-1",
    ]


def function_url_event(path: str, token: str) -> dict[str, Any]:
    """A Lambda Function URL request (payload format 2.0), as the URL hands the heartbeat-ping function."""
    return {
        "version": "2.0",
        "rawPath": path,
        "headers": {"authorization": f"Bearer {token}", "content-type": "text/plain"},
        "requestContext": {"http": {"method": "POST", "path": path, "sourceIp": "198.51.100.7"}},
        "body": "",
        "isBase64Encoded": False,
    }


def closing_summary(
    slack: SlackStandIn, sqs: Any, dlq_url: str, invocations: int, html_path: Path | None
) -> None:
    """The story's end: every SMS sent, the Slack calls and what is left on the dead-letter queue, and the
    channels written as an HTML page (when `html_path` is given)."""
    say("Every SMS sent (through SNS)")
    from moto.backends import get_backend

    from alertrouter.notify.sms import mask_number

    names = {number: name for name, number in FAKE_SMS_NUMBERS.items()}
    for number, text, *_ in get_backend("sns")[ACCOUNT]["us-east-1"].sms_messages.values():
        print(f"  to {names[number]} ({mask_number(number)}): {text}")

    calls = {
        m: slack.count(m, ok_only=False) for m in ("chat.postMessage", "chat.update", "conversations.history")
    }
    dlq_left = len(sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10).get("Messages", []))
    print(
        f"\n  Slack calls: {calls}; answered 429: {sum(1 for c in slack.calls if c.status == 429)}; "
        f"calls made before Retry-After passed: {slack.retry_after_violations}; "
        f"handler invocations: {invocations}; dead-letter queue: the malformed record "
        f"(read at step 10), the stranger's alarm (read at step 21), {dlq_left} more"
    )
    if html_path is not None:
        from support.slack_html import write_page

        write_page(
            slack,
            html_path,
            title="AlertRouter demo: what Slack shows",
            first=("#infra-alerts", "#oncall", "#alerts", "#batch-alerts"),
        )
        write_page(  # the docs' picture of a message with its graph (make docs-images)
            slack,
            html_path.with_name("graph.html"),
            title="AlertRouter demo: an alarm's message with its graph",
            only=("#infra-alerts",),
            limit=1,
        )
        shown = html_path.relative_to(ROOT) if html_path.is_relative_to(ROOT) else html_path
        print(f"  The same as Slack would draw it: {shown}")


def doctor_line(slack: SlackStandIn, channel: str) -> str:
    """The line `alertrouter doctor` prints for one Slack channel."""
    from alertrouter.notify.slack import SlackClient
    from alertrouter.preflight import slack_channel_check
    from support.local_aws import FAKE_SLACK_TOKEN

    return slack_channel_check(SlackClient(lambda: FAKE_SLACK_TOKEN, slack.url), channel).line()


def batch_queue_metrics(session: Any) -> None:
    """Step 15: the queue-state function on a local Batch; ages are shown in minutes (they run on real time)."""
    from support.batch_fakes import build_world, paged_batch

    with paged_batch():
        now_s = int(time.time())
        build_world(
            lambda name: session.client(name),
            {
                "nightly": {
                    "RUNNABLE": [now_s - 3600 - 60 * j for j in range(40)],
                    "RUNNING": [now_s - 60] * 12,
                    "SUBMITTED": [now_s] * 3,
                },
                "adhoc": {"RUNNING": [now_s - 120] * 2},
            },
            prefix="demo",
        )
        metrics_app = load_handler("batch_queue_metrics")
        out = io.StringIO()
        os.environ.pop("POWERTOOLS_METRICS_DISABLED")  # the one step whose metrics are the point
        with contextlib.redirect_stdout(out):
            result = metrics_app.lambda_handler({}, Context())
        os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    for line in out.getvalue().splitlines():
        doc = json.loads(line) if line.startswith("{") else {}
        if "_aws" in doc and doc.get("JobQueue"):
            values = {
                k: int(v[0] if isinstance(v, list) else v) for k, v in doc.items() if k.startswith("Jobs")
            }
            oldest = doc.get("OldestRunnableAgeSeconds", 0)
            age = round((oldest[0] if isinstance(oldest, list) else oldest) / 60)
            print(
                f"  EMF {doc['_aws']['CloudWatchMetrics'][0]['Namespace']} JobQueue={doc['JobQueue']}: {values}, "
                f"oldest runnable job waiting ~{age} min"
            )
    print(
        f"  {result['list_jobs_calls']} ListJobs calls, 0 PutMetricData; an alarm on OldestRunnableAgeSeconds "
        "(StuckQueueNames) would flow through the router like any other alarm."
    )


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(
        description="The router's whole flow on this machine (moto + Slack stand-in)."
    )
    parser.add_argument("--html", type=Path, default=OUT / "slack.html", help="where to write the Slack page")
    sys.exit(main(parser.parse_args().html.resolve()))

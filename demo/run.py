"""`make demo`: the router's whole flow on this machine, with no AWS account and no Slack workspace.

Starts moto server (AWS on loopback) and the Slack stand-in, creates the stack's table, queues, topic,
EventBridge rule and secrets from template.yaml, then sends real sample events the way AWS would
(EventBridge PutEvents, SNS Publish) and runs the real Lambda handler on what arrives in SQS, as the
Lambda event source mapping does. It prints each Slack message as Slack would show it, and the SMS.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "functions"), str(ROOT / "demo")]

from moto.server import ThreadedMotoServer  # noqa: E402

from local_aws import deploy, free_port  # noqa: E402
from slack_standin import SlackStandIn  # noqa: E402

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


class Reporter:
    """Prints, after each step, the Slack calls and SMS that step caused."""

    def __init__(self, slack: SlackStandIn) -> None:
        self.slack, self.seen, self.sms_seen = slack, 0, 0

    def __call__(self) -> None:
        from moto.backends import get_backend

        for call in self.slack.calls[self.seen:]:
            where = call.payload.get("channel", "")
            kind = "thread reply" if call.payload.get("thread_ts") else call.method
            answer = f"HTTP {call.status}" if call.status != 200 else ("timed out" if call.fault == "timeout" else "ok")
            print(f"  → Slack {kind:<22} {where:<18} {answer}")
        self.seen = len(self.slack.calls)
        sms = get_backend("sns")["123456789012"]["us-east-1"].sms_messages
        for _ in list(sms.values())[self.sms_seen:]:
            print("  → SMS page sent through SNS")
        self.sms_seen = len(sms)
        if not self.slack.calls[self.seen:] and self.seen == 0:
            print("  → nothing sent")


class LocalLambda:
    """Polls the ingest queue and invokes the handler with SQS batches, as the event source mapping does."""

    def __init__(self, sqs: Any, queue_url: str, handler: Any) -> None:
        self.sqs, self.queue_url, self.handler = sqs, queue_url, handler
        self.invocations = 0

    def drain(self, max_seconds: float = 20.0, quiet_seconds: float = 6.0) -> None:
        """Until the queue is empty, or only holds messages delayed for long (a silenced group's next look,
        minutes away): nothing has arrived for `quiet_seconds`, longer than the demo's group timings."""
        deadline = time.time() + max_seconds
        last = time.time()
        while time.time() < deadline:
            got = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                           AttributeNames=["All"])
            messages = got.get("Messages", [])
            if not messages:
                attrs = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=[
                    "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed",
                    "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
                if all(int(v) == 0 for v in attrs.values()):
                    return
                waiting = int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])
                if not waiting and time.time() - last > quiet_seconds:
                    return
                continue
            last = time.time()
            event = {"Records": [{
                "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                "attributes": m.get("Attributes", {}), "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:ingest",
                "awsRegion": "us-east-1"} for m in messages]}
            self.invocations += 1
            result = self.handler(event, Context())
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
            for m in messages:
                if m["MessageId"] not in failed:
                    self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])
                else:  # what Lambda does: the message comes back after its visibility timeout (shortened here)
                    self.sqs.change_message_visibility(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"],
                                                       VisibilityTimeout=2)


def put_entry(event: dict[str, Any]) -> dict[str, Any]:
    """An event as AWS delivers it, as the PutEvents entry that makes EventBridge deliver it so."""
    return {"Source": event["source"], "DetailType": event["detail-type"], "Resources": event["resources"],
            "Detail": json.dumps(event["detail"])}


def alarm_event(name: str, state: str, at: str, *, namespace: str = "AWS/EC2", metric: str = "CPUUtilization",
                dimensions: dict[str, str] | None = None, tags: dict[str, str] | None = None,
                reason: str | None = None) -> dict[str, Any]:
    event = load("eventbridge_cw_alarm_state_change_single_metric_ALARM_awsdocs.json")
    detail = copy.deepcopy(event["detail"])
    detail["alarmName"] = name
    detail["state"].update(value=state, timestamp=at)
    if reason:
        detail["state"]["reason"] = reason
    elif state == "OK":
        detail["state"]["reason"] = "Threshold Crossed: 1 out of the last 1 datapoints [41.2] was not greater than 80.0."
    else:
        detail["state"]["reason"] = "Threshold Crossed: 3 out of the last 3 datapoints [97.1, 95.4, 92.0] were greater than 80.0."
    metric_ref = detail["configuration"]["metrics"][0]["metricStat"]["metric"]
    metric_ref.update(namespace=namespace, name=metric, dimensions=dimensions or {"InstanceId": "i-0a1b2c3d4e5f"})
    detail["configuration"]["description"] = f"{name}. Runbook: https://runbooks.example.com/{name.lower()}"
    if tags:
        detail["alarmTags"] = tags
    return {"Source": "aws.cloudwatch", "DetailType": "CloudWatch Alarm State Change",
            "Resources": [f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}"], "Detail": json.dumps(detail)}


# The demo's alarms happened in the last half hour, so that "since", "resolved after" and a click made now agree.
_START = (int(time.time()) // 60 - 30) * 60


def stamp(minute: int, second: int = 0) -> str:
    """An alarm state time `minute:second` into the demo's half hour, as CloudWatch writes it."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime(_START + minute * 60 + second))


def slack_click(message: Any, stack: Any, *, secret: str | None = None, action: str = "alertrouter_ack",
                choice: str = "") -> dict[str, Any]:
    """A Function URL event carrying a click (a button, or a Silence menu choice), built and signed the way
    Slack does it."""
    import base64
    from urllib.parse import urlencode

    from alertrouter.interactions import sign
    from local_aws import FAKE_SIGNING_SECRET

    payload = load("slack_block_actions_payload_button_in_message_slack_docs.json")
    payload["user"] = {"id": "U0ONCALL1", "username": "oncall", "team_id": "T0DEMO001"}
    payload["container"].update(channel_id=message.channel, message_ts=message.ts)
    elements = message.attachments[0]["blocks"][-1]["elements"]
    if choice:  # the Silence menu: the chosen option carries "<duration>|<group key>:<episode>"
        [option] = [o for o in elements[2]["options"] if o["value"].startswith(choice + "|")]
        payload["actions"][0] = {"type": "static_select", "action_id": action, "selected_option": option,
                                 "block_id": "alertrouter_actions", "action_ts": "1.0"}
    else:
        payload["actions"][0].update(action_id=action, value=elements[0]["value"])  # "<group key>:<episode>"
    body = urlencode({"payload": json.dumps(payload)}).encode()
    timestamp = str(int(time.time()))
    event = load("lambda_function_url_POST_request_awsdocs.json")
    event["headers"] = {"content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": timestamp,
                        "x-slack-signature": sign(secret or FAKE_SIGNING_SECRET, timestamp, body)}
    event.update(body=base64.b64encode(body).decode(), isBase64Encoded=True)  # as Function URLs deliver it
    return event


def write_checkout_metrics(cloudwatch: Any, now: int) -> None:
    """What an application would have published: requests and 5xx errors per minute."""
    from datetime import UTC, datetime

    data = []
    for hour in range(now - 20 * 86400, now - 8 * 3600, 3600):  # 20 earlier days, one datapoint per hour
        for name, value in (("Requests", 60_000), ("Errors5xx", 6)):
            data.append({"MetricName": name, "Dimensions": [{"Name": "Service", "Value": "checkout"}],
                         "Timestamp": datetime.fromtimestamp(hour, UTC), "Value": value, "Unit": "Count"})
    for minute in range(now - 8 * 3600, now, 60):
        errors = 40 if minute >= now - 45 * 60 else 0
        for name, value in (("Requests", 1000), ("Errors5xx", errors)):
            data.append({"MetricName": name, "Dimensions": [{"Name": "Service", "Value": "checkout"}],
                         "Timestamp": datetime.fromtimestamp(minute, UTC), "Value": value, "Unit": "Count"})
    for first in range(0, len(data), 1000):
        cloudwatch.put_metric_data(Namespace="Demo/Checkout", MetricData=data[first:first + 1000])


def show_channels(slack: SlackStandIn) -> None:
    from alertrouter.notify.preview import render_text

    colour = sys.stdout.isatty()
    for channel, messages in slack.messages.items():
        name = next((n for n, cid in slack._channel_ids.items() if cid == channel), channel)
        print(f"\n{BOLD}#{name}{RESET}")
        for message in messages:
            edited = f" {DIM}(edited ×{message.edits}){RESET}" if message.edits else ""
            print(f"  {DIM}AlertRouter  ts {message.ts}{RESET}{edited}")
            print(render_text(message.text, message.attachments, colour=colour, indent="  "))
            for reply in message.replies:
                print(f"    {DIM}↳ thread{RESET}  " + render_text(reply.text).replace("\n", "\n             "))


def main() -> int:
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto server's request log
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    slack = SlackStandIn(retry_after=1).start()
    try:
        os.environ.update({
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "demo",
            "AWS_SECRET_ACCESS_KEY": "demo", "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
            "POWERTOOLS_SERVICE_NAME": "alertrouter", "POWERTOOLS_METRICS_NAMESPACE": "AlertRouter",
            "POWERTOOLS_METRICS_DISABLED": "true", "LOG_LEVEL": "CRITICAL",
        })
        import boto3

        session = boto3.session.Session(region_name="us-east-1")
        say(f"AWS on loopback (moto server :{port}) and the Slack stand-in ({slack.url}) are up")
        stack = deploy(session)
        print(f"  created table {stack.table_name}, queue + DLQ, SNS alarm topic, EventBridge rule, secrets")
        os.environ.update({
            "TABLE_NAME": stack.table_name, "INGEST_QUEUE_URL": stack.queue_url, "DLQ_URL": stack.dlq_url,
            "SLACK_TOKEN_SECRET": stack.slack_secret, "SMS_NUMBERS_SECRET": stack.sms_secret,
            "ROUTING_CONFIG_PATH": str(ROOT / "demo" / "routing.yaml"), "ACCOUNT_LABEL": "demo",
            "DEFAULT_SLACK_CHANNEL": "#alerts", "SLACK_API_URL": slack.url,
            "ACCOUNT_ID": "123456789012",  # moto's account: the stack's own, whose alarms it routes
        })
        from router import app  # the real handler, configured from the environment like in Lambda

        lam = LocalLambda(session.client("sqs"), stack.queue_url, app.lambda_handler)
        report = Reporter(slack)
        events, sns = session.client("events"), session.client("sns")

        say("1. An EC2 CPU alarm fires (EventBridge 'CloudWatch Alarm State Change' → SQS → router)")
        events.put_events(Entries=[alarm_event("ServerCpuTooHigh", "ALARM", stamp(0))])
        lam.drain()
        report()

        say("2. The same alarm repeats, and one delivery arrives twice: no new post, the count goes up")
        repeat = alarm_event("ServerCpuTooHigh", "ALARM", stamp(5))
        events.put_events(Entries=[repeat, repeat])
        lam.drain()
        report()

        say("3. Critical alarms: one through the SNS alarm topic (severity in its description), one through "
            "EventBridge (severity tag): #oncall + SMS page, and the payments channel")
        message = json.loads(load("sns_lambda_cw_alarm_ALARM_single_metric_aws_lambda_go.json")
                             ["Records"][0]["Sns"]["Message"])
        message.update(AlarmName="PaymentsApi5xxHigh", AWSAccountId="123456789012", Region="US East (N. Virginia)",
                       AlarmArn="arn:aws:cloudwatch:us-east-1:123456789012:alarm:PaymentsApi5xxHigh",
                       StateChangeTime=stamp(6),
                       AlarmDescription="5xx above 2% on payments-api. severity: critical, service: payments. "
                                        "Runbook: https://runbooks.example.com/pay5xx",
                       NewStateReason="Threshold Crossed: 3 datapoints [4.1, 3.7, 2.9] were greater than 2.0")
        message["Trigger"].update(Namespace="AWS/ApplicationELB", MetricName="HTTPCode_Target_5XX_Count",
                                  Dimensions=[{"name": "LoadBalancer", "value": "app/payments-api/7f3c1e9b2d"}])
        sns.publish(TopicArn=stack.topic_arn, Message=json.dumps(message), Subject="ALARM: PaymentsApi5xxHigh")
        events.put_events(Entries=[alarm_event(
            "CheckoutLatencyP99", "ALARM", stamp(6, 30), namespace="AWS/ApplicationELB",
            metric="TargetResponseTime", dimensions={"LoadBalancer": "app/checkout/50dc6c495c0c9188"},
            tags={"severity": "critical", "service": "checkout"},
            reason="Threshold Crossed: p99 2.8s > 1.5s for 3 datapoints")])
        lam.drain()
        report()

        say("4. A storm: 12 Lambda error alarms within seconds become ONE grouped message")
        storm = [alarm_event(f"LambdaErrors-fn-{i:02d}", "ALARM", stamp(7, i),
                             namespace="AWS/Lambda", metric="Errors", dimensions={"FunctionName": f"orders-fn-{i:02d}"})
                 for i in range(12)]
        for i in range(0, len(storm), 10):
            events.put_events(Entries=storm[i:i + 10])
        slack.faults = ["429"]  # and Slack rate-limits the first call: the router waits out Retry-After
        lam.drain()
        report()

        say("5. The CPU alarm resolves 14 minutes after it fired: the same message turns green")
        events.put_events(Entries=[alarm_event("ServerCpuTooHigh", "OK", stamp(14))])
        time.sleep(4)  # group_interval (4s in the demo config) since the last edit of that message
        lam.drain()
        report()

        say("6. The on-call engineer clicks Acknowledge on the #oncall page (a signed Slack request to the "
            "slack-interactions function's URL)")
        from slack_interactions import app as interactions_app

        os.environ["SLACK_SIGNING_SECRET"] = stack.signing_secret
        page = slack.channel_messages("#oncall")[0]
        response = interactions_app.lambda_handler(slack_click(page, stack), Context())
        print(f"  ← HTTP {response['statusCode']} to Slack")
        report()
        from alertrouter.notify.preview import render_text

        print(render_text(page.text, page.attachments, colour=sys.stdout.isatty(), indent="    "))
        forged = slack_click(page, stack, secret="not-the-signing-secret")
        print(f"  A forged click (wrong signing secret) gets HTTP "
              f"{interactions_app.lambda_handler(forged, Context())['statusCode']} and changes nothing.")

        say("7. Ten minutes pass (the demo moves the escalator's clock; in AWS it runs every minute)")
        from escalator import app as escalator_app

        escalator = escalator_app.build_escalator()
        started = int(time.time() * 1000)
        escalator.now_ms = lambda: started + 10 * 60_000 + 5_000
        texted = escalator.run()
        report()
        checkout = slack.channel_messages("#oncall")[1]
        print(f"  The checkout page, not acknowledged, escalates: {texted.sms} SMS to the next step "
              f"({', '.join(to for to, _ in texted.pages)}).")
        print("  The payments page was acknowledged at step 6: the SMS escalation that would have followed it "
              "does not happen.")

        say("8. Someone silences the checkout page for 1 hour from Slack's Silence menu")
        response = interactions_app.lambda_handler(slack_click(checkout, stack, choice="1h",
                                                               action="alertrouter_silence"), Context())
        print(f"  ← HTTP {response['statusCode']} to Slack")
        report()
        print(render_text(checkout.text, checkout.attachments, colour=sys.stdout.isatty(), indent="    "))
        print("  It fires again while silenced: it is stored, nothing is posted, nobody is paged, and the "
              "escalator leaves it alone.")
        events.put_events(Entries=[alarm_event(
            "CheckoutLatencyP99", "ALARM", stamp(20), namespace="AWS/ApplicationELB",
            metric="TargetResponseTime", dimensions={"LoadBalancer": "app/checkout/50dc6c495c0c9188"},
            tags={"severity": "critical", "service": "checkout"}, reason="Threshold Crossed: p99 3.1s > 1.5s")])
        time.sleep(4)
        lam.drain()
        escalator.now_ms = lambda: started + 25 * 60_000
        print(f"  escalator 25 minutes in: {escalator.run().sms} SMS")
        from alertrouter.cli import main as cli

        cli(["silence", "list", "--table", stack.table_name, "--endpoint-url", f"http://127.0.0.1:{port}",
             "--region", "us-east-1"])

        say("9. A malformed record lands in the queue beside a good one")
        sqs = session.client("sqs")
        sqs.send_message(QueueUrl=stack.queue_url, MessageBody='{"detail-type": "CloudWatch Alarm State Change"')
        events.put_events(Entries=[alarm_event("DiskQueueDepthHigh", "ALARM", stamp(15),
                                               metric="DiskQueueDepth")])
        lam.drain()
        report()
        dead = sqs.receive_message(QueueUrl=stack.dlq_url, MaxNumberOfMessages=10,
                                   MessageAttributeNames=["All"]).get("Messages", [])
        for m in dead:
            print(f"  DLQ keeps: {m['Body'][:60]!r}\n    reason: {m['MessageAttributes']['reason']['StringValue']}")

        say("10. The disk alarm is dealt with: Resolve is clicked in #infra-alerts; the router applies it")
        disk = slack.channel_messages("#infra-alerts")[-1]
        response = interactions_app.lambda_handler(slack_click(disk, stack, action="alertrouter_resolve"), Context())
        print(f"  ← HTTP {response['statusCode']} to Slack (the resolve goes to the router's queue)")
        lam.drain()
        report()

        say("11. An SLO burns its error budget fast: the evaluator reads the local CloudWatch and pages")
        cloudwatch = session.client("cloudwatch")
        now = int(time.time()) // 60 * 60
        print("  writing 20 days of checkout traffic (1,000 requests a minute, 0.01% failing), then 45 minutes "
              "with 4% of requests failing...")
        write_checkout_metrics(cloudwatch, now)
        os.environ.update({"SLO_CONFIG_PATH": str(ROOT / "demo" / "slos.yaml"), "ACCOUNT_ID": "123456789012"})
        from slo_evaluator import app as slo_app

        result = slo_app.lambda_handler({}, Context())
        print(f"  evaluator: {result['slos']} SLO, firing {result['firing']}, {result['calls']} GetMetricData "
              f"call(s), {result['metrics']} metrics requested (the first run reads the period so far; "
              f"later runs ask for 2)")
        result = slo_app.lambda_handler({}, Context())
        print(f"  a minute later: {result['calls']} call(s), {result['metrics']} metrics requested")
        lam.drain()
        report()
        slo_page = slack.channel_messages("#oncall")[-1]
        print(render_text(slo_page.text, slo_page.attachments, colour=sys.stdout.isatty(), indent="    "))
        print("  The same SLO with `alertrouter slo evaluate demo/slos.yaml --endpoint-url …` (reads the whole "
              "period, keeps no state):")
        cli(["slo", "evaluate", str(ROOT / "demo" / "slos.yaml"), "--endpoint-url", f"http://127.0.0.1:{port}",
             "--region", "us-east-1"])
        queued = escalator.store.queued_pages()
        if queued:  # oncall-primary was texted less than a minute ago: one SMS per number per minute
            print(f"  Its SMS to {queued[0].recipient} waits: that number was texted less than a minute ago (pacing, "
                  "one SMS per number per minute); the escalator's next run sends it, bundled with anything else due.")

        say("12. Overnight, 50 children of an AWS Batch array job fail (Batch Job State Change → EventBridge "
            "→ SQS → router): ONE message in #batch-alerts, counted by reason")
        sys.path.insert(0, str(ROOT / "tests"))
        from conftest import batch_child_failure  # the real FAILED events (calcloud), as array children

        failures = [json.loads(batch_child_failure(i)) for i in range(50)]
        for i in range(0, len(failures), 10):
            events.put_events(Entries=[put_entry(e) for e in failures[i:i + 10]])
        lam.drain(quiet_seconds=3)
        time.sleep(2)  # group_interval: the message is edited with everything that arrived meanwhile
        lam.drain(quiet_seconds=3)
        report()
        batch_message = slack.channel_messages("#batch-alerts")[-1]
        print(render_text(batch_message.text, batch_message.attachments, colour=sys.stdout.isatty(), indent="    "))
        edits = sum(1 for c in slack.calls if c.method == "chat.update" and c.payload.get("channel") == batch_message.channel)
        print(f"  {len(failures)} failures: 1 post and {edits} edit(s) of it. No new failure for the route's "
              "resolve_timeout (2h in the shipped config) resolves it.")

        say("13. OpenSearch Service: a High JVM notice (High → critical) pages on-call and shows in #infra-alerts; a software "
            "update notice goes quietly to #aws-notices")
        for name in ("eventbridge_opensearch_notification_high_jvm_usage_awsdocs.json",
                     "eventbridge_opensearch_software_update_available_awsdocs.json"):
            events.put_events(Entries=[put_entry(load(name))])
        time.sleep(4)
        lam.drain(quiet_seconds=3)
        report()

        say("14. The Batch queue-state function (every minute in AWS) reads the local Batch and prints EMF")
        from integration.batch_fakes import build_world, paged_batch

        with paged_batch():
            now_s = int(time.time())
            build_world(lambda name: session.client(name), {
                "nightly": {"RUNNABLE": [now_s - 3600 - 60 * j for j in range(40)], "RUNNING": [now_s - 60] * 12,
                            "SUBMITTED": [now_s] * 3},
                "adhoc": {"RUNNING": [now_s - 120] * 2}}, prefix="demo")
            from batch_queue_metrics import app as metrics_app

            out = io.StringIO()
            os.environ.pop("POWERTOOLS_METRICS_DISABLED")  # the one step whose metrics are the point
            with contextlib.redirect_stdout(out):
                result = metrics_app.lambda_handler({}, Context())
            os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
        for line in out.getvalue().splitlines():
            doc = json.loads(line) if line.startswith("{") else {}
            if "_aws" in doc and doc.get("JobQueue"):
                values = {k: (v[0] if isinstance(v, list) else v) for k, v in doc.items() if k.startswith(("Jobs", "Oldest"))}
                print(f"  EMF {doc['_aws']['CloudWatchMetrics'][0]['Namespace']} JobQueue={doc['JobQueue']}: {values}")
        print(f"  {result['list_jobs_calls']} ListJobs calls, 0 PutMetricData; an alarm on OldestRunnableAgeSeconds "
              "(StuckQueueNames) would flow through the router like any other alarm.")

        say("The acknowledged page's history (`alertrouter history <group key> --table … --endpoint-url …`)")
        cli(["history", page.metadata["event_payload"]["group"],
             "--table", stack.table_name, "--endpoint-url", f"http://127.0.0.1:{port}", "--region", "us-east-1"])

        say("What Slack shows now")
        show_channels(slack)

        say("SMS sent (through SNS)")
        from moto.backends import get_backend

        from alertrouter.notify.sms import mask_number

        for number, text, *_ in get_backend("sns")["123456789012"]["us-east-1"].sms_messages.values():
            print(f"  to {mask_number(number)} ({len(text)} chars): {text}")

        calls = {m: slack.count(m, ok_only=False) for m in ("chat.postMessage", "chat.update", "conversations.history")}
        print(f"\n  Slack calls: {calls}; answered 429: {sum(1 for c in slack.calls if c.status == 429)}; "
              f"calls made before Retry-After passed: {slack.retry_after_violations}; "
              f"handler invocations: {lam.invocations}")
        return 0
    finally:
        slack.stop()
        moto.stop()


if __name__ == "__main__":
    sys.exit(main())

"""The real sample events in events/ and the events tests, the demo and the bench derive from them."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from typing import Any

from alertrouter.models.alert import Alert
from alertrouter.sources import ParseResult, parse_body
from support.paths import EVENTS

ALARM_EVENT = "eventbridge_cw_alarm_state_change_single_metric_ALARM_awsdocs.json"


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return event


def event_text(name: str) -> str:
    return (EVENTS / name).read_text()


def alarm_event(base: dict[str, Any], name: str, state: str, timestamp: str, instance: str) -> dict[str, Any]:
    """A copy of the reference CloudWatch alarm event `base` for alarm `name` on `instance`, in `state`
    since `timestamp`."""
    event = copy.deepcopy(base)
    event["detail"]["alarmName"] = name
    event["resources"] = [f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}"]
    event["detail"]["state"]["value"] = state
    event["detail"]["state"]["timestamp"] = timestamp
    event["detail"]["configuration"]["metrics"][0]["metricStat"]["metric"]["dimensions"] = {
        "InstanceId": instance
    }
    return event


def alarm_body(
    name: str = "ServerCpuTooHigh",
    state: str = "ALARM",
    ts: str = "2024-05-01T10:00:00.000+0000",
    severity: str | None = None,
    instance: str = "i-0abc",
) -> str:
    """An EventBridge CloudWatch alarm event, from the reference event, with the given state and time."""
    event = alarm_event(load_event(ALARM_EVENT), name, state, ts, instance)
    if severity:
        event["detail"]["alarmTags"] = {"severity": severity}
    return json.dumps(event)


def storm_bodies(alarms: int, changes: int, start: datetime) -> list[str]:
    """`changes` state changes of `alarms` alarms, round after round (ALARM, OK, ALARM...), 1 ms apart
    within a round and a second between rounds: the storm the bench measures and a test replays."""
    base = load_event(ALARM_EVENT)
    out = []
    for c in range(changes // alarms):
        for a in range(alarms):
            when = start + timedelta(milliseconds=c * 1000 + a)
            stamp = when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"
            out.append(
                json.dumps(
                    alarm_event(base, f"Storm{a:03d}", "OK" if c % 2 else "ALARM", stamp, f"i-{a:08x}")
                )
            )
    return out


def batch_child_failure(index: int, parent: str = "5a1d2f0c-0000-4000-8000-00000000a11a") -> str:
    """Array child `index` of one nightly job failing, from the real events: 24 of every 25 die of memory,
    the 25th of its timeout (so 500 children: 480 × Out of memory, 20 × Timeout)."""
    doc = load_event(
        "eventbridge_batch_job_state_change_FAILED_timeout_real_calcloud.json"
        if index % 25 == 24
        else "eventbridge_batch_job_state_change_FAILED_oom_real_calcloud.json"
    )
    detail = doc["detail"]
    doc["account"] = "123456789012"
    detail.update(
        jobId=f"{parent}:{index}",
        jobArn=f"arn:aws:batch:us-east-1:123456789012:job/{parent}:{index}",
        jobName="nightly-render",
        arrayProperties={"index": index},
        jobQueue="arn:aws:batch:us-east-1:123456789012:job-queue/nightly",
        jobDefinition="arn:aws:batch:us-east-1:123456789012:job-definition/render:3",
        stoppedAt=1_700_000_000_000 + index * 120,
    )
    return json.dumps(doc)


BATCH_OOM_EVENT = "eventbridge_batch_job_state_change_FAILED_oom_real_calcloud.json"
BATCH_TIMEOUT_EVENT = "eventbridge_batch_job_state_change_FAILED_timeout_real_calcloud.json"


def batch_job_succeeded() -> dict[str, Any]:
    """A `Batch Job State Change` to SUCCEEDED. Neither events/ nor the shared reference events hold a real
    one (AWS's page shows only RUNNABLE), so it is the real out-of-memory failure (the same job, queue, job
    definition and times) with what a success changes: status SUCCEEDED, exit code 0 and no container reason,
    in the last attempt and in the job's own container."""
    doc = load_event(BATCH_OOM_EVENT)
    detail = doc["detail"]
    detail["status"] = "SUCCEEDED"
    for container in (detail["attempts"][-1]["container"], detail["container"]):
        container["exitCode"] = 0
        container.pop("reason", None)
    return doc


VOICE_EVENT = "eventbridge_sms_voice_message_NO_ANSWER_awsdocs.json"


def voice_status_body(
    message_id: str, context: dict[str, str], event_type: str = "VOICE_NO_ANSWER", *, final: bool = True
) -> str:
    """The delivery event End User Messaging sends for a page call (its id and Context as the call was placed),
    from the reference event, with the given status."""
    event = load_event(VOICE_EVENT)
    detail = event["detail"]
    detail.update(
        eventType=event_type,
        messageStatus=event_type.removeprefix("VOICE_"),
        isFinal=final,
        messageId=message_id,
        context=dict(context),
    )
    return json.dumps(event)


# A spoke's alarm as the hub's event bus receives it (org-design.md: a spoke's default-bus rule targets the
# hub's bus). Origin: ALARM_EVENT (AWS's documented example) with its account, 123456789012, changed to the
# spoke's, 210987654321, in `account` and the alarm's ARN: EventBridge forwards an event across accounts with
# its envelope unchanged, so that is all that differs from the event on the spoke's own bus.
SPOKE_ALARM_EVENT = "eventbridge_cw_alarm_state_change_single_metric_ALARM_forwarded_from_spoke_awsdocs.json"
SPOKE_ACCOUNT = "210987654321"


def spoke_alarm_event(account: str = SPOKE_ACCOUNT, name: str = "ServerCpuTooHigh") -> dict[str, Any]:
    """The forwarded spoke alarm, from `account` (one moto created), for alarm `name`."""
    event = load_event(SPOKE_ALARM_EVENT)
    event["account"] = account
    event["detail"]["alarmName"] = name
    event["resources"] = [f"arn:aws:cloudwatch:{event['region']}:{account}:alarm:{name}"]
    return event


def spoke_heartbeat(
    account: str = "111122223333",
    at: str = "2026-12-01T02:00:00Z",
    *,
    stack: str = "alertrouter-spoke",
    region: str = "eu-west-1",
    every_minutes: int = 5,
    **detail: Any,
) -> dict[str, Any]:
    """The spoke heartbeat a spoke's schedule puts on the hub's bus (the design's shape: source
    `alertrouter.spoke`), as EventBridge delivers it to the hub's rule."""
    return {
        "version": "0",
        "id": f"spoke-{account}-{at}",
        "source": "alertrouter.spoke",
        "detail-type": "AlertRouter Spoke Heartbeat",
        "account": account,
        "time": at,
        "region": region,
        "resources": [],
        "detail": {"stack": stack, "account_label": "prod", "every_minutes": every_minutes, **detail},
    }


def parsed(event: dict[str, Any]) -> ParseResult:
    """An event through the dispatch, as the router reads a queue message."""
    return parse_body(json.dumps(event))


def only_alert(event: dict[str, Any]) -> Alert:
    """The one alert an event makes (and nothing ignored)."""
    result = parsed(event)
    assert not result.ignored, result.ignored
    [alert] = result.alerts
    return alert


def only_ignored(event: dict[str, Any]) -> str:
    """Why the event makes no alert (it must make none)."""
    result = parsed(event)
    assert not result.alerts, result.alerts
    [notice] = result.ignored
    return notice.reason

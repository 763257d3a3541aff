"""Events of the AWS services' sources that AWS publishes no example of, each derived from a real one (or, for
X-Ray, from the fields of the EventBridge schema registry's `aws.xray@AWSXRayInsightUpdate`): a stopped ECS task,
an X-Ray insight update, a zone-level AWS Health event. The unit tests, the demo and the amtool recording share
them, so that what the demo shows is what the tests check."""

from __future__ import annotations

import copy
from typing import Any

from support.events import load_event

ECS_RUNNING = "eventbridge_ecs_task_state_change_RUNNING_awsdocs.json"
HEALTH_PUBLIC = "eventbridge_health_ec2_operational_issue_PUBLIC_open_awsdocs.json"
ECS_TASK_ID = "c13b4cb40f1f4fe4a2971f76ae5a47ad"
INSIGHT_ID = "4d1a2f3e-0000-4000-8000-0000000000a1"  # an obvious fake, of the documented pattern
# (the envelope of any real EventBridge event: the X-Ray insight's is the same one)
_ENVELOPE = "eventbridge_cw_alarm_state_change_single_metric_ALARM_awsdocs.json"


def stopped_task(
    *,
    stop_code: str,
    stopped_reason: str,
    exit_code: int | None = None,
    container_reason: str | None = None,
    task: str = ECS_TASK_ID,
    group: str = "service:checkout",
) -> dict[str, Any]:
    """The documentation's task event (a RUNNING Fargate task: AWS publishes no STOPPED example) as the
    STOPPED event of a service's task: the fields a stop sets, with the given stop code, reasons and exit
    code, and the service's `group` / `startedBy` (its deployment)."""
    doc = copy.deepcopy(load_event(ECS_RUNNING))
    detail = doc["detail"]
    arn = f"arn:aws:ecs:us-west-2:111122223333:task/FargateCluster/{task}"
    doc["resources"] = [arn]
    detail.update(
        taskArn=arn,
        lastStatus="STOPPED",
        desiredStatus="STOPPED",
        stopCode=stop_code,
        stoppedReason=stopped_reason,
        stoppingAt="2020-01-23T18:04:58.103Z",
        stoppedAt="2020-01-23T18:05:01.103Z",
        group=group,
        startedBy="ecs-svc/9223370455451316364",
    )
    container = detail["containers"][0]
    container.update(lastStatus="STOPPED", taskArn=arn)
    if exit_code is not None:
        container["exitCode"] = exit_code
    if container_reason is not None:
        container["reason"] = container_reason
    return doc


CRASHED = {"stop_code": "EssentialContainerExited", "stopped_reason": "Essential container in task exited"}
OOM = "OutOfMemoryError: Container killed due to memory usage"
# an essential container the kernel killed for memory (ECS's own words in the container's reason)
OOM_KILLED: dict[str, Any] = {**CRASHED, "exit_code": 137, "container_reason": OOM}


def insight_update(state: str = "ACTIVE", **detail: Any) -> dict[str, Any]:
    """An `AWS X-Ray Insight Update` (AWS documents its fields, in the schema registry, but no example)."""
    event = load_event(_ENVELOPE)
    event.update({"source": "aws.xray", "detail-type": "AWS X-Ray Insight Update", "resources": []})
    event["detail"] = {
        "InsightId": INSIGHT_ID,
        "GroupName": "checkout",
        "State": state,
        "Categories": ["FAULT"],
        "Summary": "Fault rate anomaly detected on payments",
        "RootCauseServiceId": {"Name": "payments", "Names": ["payments"], "Type": "AWS::ECS::Container"},
        "ClientRequestImpactStatistics": {"FaultCount": 41, "OkCount": 1159, "TotalCount": 1200},
        "RootCauseServiceRequestImpactStatistics": {"FaultCount": 40, "OkCount": 160, "TotalCount": 200},
        "TopAnomalousServices": [{"ServiceId": {"Name": "payments", "Type": "AWS::ECS::Container"}}],
        **detail,
    }
    return event


def health_zone_event(zone: str = "us-east-1a", status: str = "open") -> dict[str, Any]:
    """The documentation's public EC2 operational issue as a zone-level one: the EventBridge schema documents
    no zone field; the Health API's Event names it `availabilityZone`."""
    event = load_event(HEALTH_PUBLIC)
    event["detail"]["availabilityZone"] = zone
    event["detail"]["statusCode"] = status
    return event


def derived_events() -> dict[str, dict[str, Any]]:
    """Every derived event by name: what the amtool recording routes and the fuzzing mutates beside the real
    files of events/."""
    return {
        "derived:ecs_task_stopped_exit_1": stopped_task(**CRASHED, exit_code=1),
        "derived:ecs_task_stopped_oom": stopped_task(**OOM_KILLED),
        "derived:xray_insight_ACTIVE": insight_update("ACTIVE"),
        "derived:xray_insight_ACTIVE_error": insight_update("ACTIVE", Categories=["ERROR"]),
        "derived:xray_insight_CLOSED": insight_update("CLOSED"),
        "derived:health_zone_open": health_zone_event(),
    }

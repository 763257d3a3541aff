"""AWS Step Functions events (EventBridge, source `aws.states`) -> Alert.

`Step Functions Execution Status Change` with status FAILED, TIMED_OUT or ABORTED: one one-shot alert per
execution (an execution that failed never resolves itself: the route's resolve_timeout does), labelled with
the state machine and a short `reason` (the execution's error: `States.Timeout`, `Lambda.Unknown`; "Timed
out" or "Aborted" when it has none) that groups count by. RUNNING and SUCCEEDED are ignored with the reason
logged. Only Standard workflows send these events (Express workflows send none).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from pydantic import Field

from alertrouter.models.alert import Alert, Ignored, Severity, Status, fingerprint
from alertrouter.mrkdwn import shorten
from alertrouter.sources.common import OpenModel, arn_account, validated
from alertrouter.sources.errors import MalformedEventError
from alertrouter.sources.eventbridge import EventBridgeEvent

# A region names the console host of every link: anything else than a region's name is refused.
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
SOURCE = "stepfunctions"
STATUS_CHANGE = "Step Functions Execution Status Change"
# The statuses that alert: (alertname, the reason when the execution names no error).
ALERTED = {
    "FAILED": ("StepFunctionsExecutionFailed", "Failed"),
    "TIMED_OUT": ("StepFunctionsExecutionTimedOut", "Timed out"),
    "ABORTED": ("StepFunctionsExecutionAborted", "Aborted"),
}
_MAX_CAUSE = 32_768  # Step Functions' own limit on an execution's cause


class ExecutionDetail(OpenModel):
    executionArn: str = Field(min_length=1, max_length=2048)
    stateMachineArn: str = Field(min_length=1, max_length=2048)
    name: str = Field(min_length=1, max_length=256)
    status: str = Field(min_length=1, max_length=40)
    startDate: int | None = None
    stopDate: int | None = None
    error: str | None = Field(default=None, max_length=256)
    cause: str | None = Field(default=None, max_length=_MAX_CAUSE)


class ExecutionEvent(EventBridgeEvent):
    detail: ExecutionDetail  # type: ignore[assignment]


def state_machine_name(arn: str) -> str:
    """`arn:aws:states:us-east-1:1:stateMachine:orders` -> `orders` (a version or alias suffix dropped:
    `...:stateMachine:orders:3` -> `orders`)."""
    parts = arn.split(":")
    if len(parts) > 6 and parts[5] == "stateMachine":
        return parts[6]
    return arn.rsplit(":", 1)[-1] or arn


def execution_console_url(region: str, execution_arn: str) -> str:
    return (
        f"https://{region}.console.aws.amazon.com/states/home?region={region}"
        f"#/v2/executions/details/{quote(execution_arn, safe=':')}"
    )


def cause_text(cause: str) -> str:
    """The cause in words: a Lambda error's JSON (`{"errorMessage": ..., "errorType": ...}`) as
    `errorType: errorMessage`; any other text as it is."""
    if not cause.lstrip().startswith("{"):
        return cause
    try:
        parsed = json.loads(cause)
    except (ValueError, RecursionError):
        return cause
    if not isinstance(parsed, dict):
        return cause
    message, kind = parsed.get("errorMessage"), parsed.get("errorType")
    if isinstance(message, str) and message:
        return f"{kind}: {message}" if isinstance(kind, str) and kind else message
    return cause


def _stopped(parsed: ExecutionEvent) -> datetime:
    stop = parsed.detail.stopDate
    if stop is None or not 0 < stop < 10**14:
        return parsed.time
    return datetime.fromtimestamp(stop / 1000, UTC)


def parse_eventbridge(event: dict[str, Any]) -> list[Alert | Ignored] | Ignored:
    detail_type = event.get("detail-type")
    if detail_type != STATUS_CHANGE:
        return Ignored(
            kind=str(detail_type)[:80],
            reason=f"Step Functions event {str(detail_type)[:80]!r} is not alerted on",
        )
    parsed = validated(ExecutionEvent, event, STATUS_CHANGE)
    if not _REGION.fullmatch(parsed.region):
        raise MalformedEventError(f"{STATUS_CHANGE}: region {parsed.region[:40]!r} is no AWS region's name")
    detail = parsed.detail
    status = detail.status.upper()
    if status not in ALERTED:
        return Ignored(
            kind=STATUS_CHANGE,
            reason=f"execution {detail.name[:80]} is {detail.status[:40]}: only FAILED, TIMED_OUT and "
            "ABORTED executions are alerted on",
        )
    return [_alert(parsed, status)]


def _alert(parsed: ExecutionEvent, status: str) -> Alert:
    detail, region = parsed.detail, parsed.region
    account = parsed.account or arn_account(detail.executionArn) or arn_account(detail.stateMachineArn)
    if not account:
        raise MalformedEventError(f"{STATUS_CHANGE}: no account and no execution ARN to take it from")
    alertname, fallback = ALERTED[status]
    machine = state_machine_name(detail.stateMachineArn)[:200]
    error = (detail.error or "").strip()
    reason = shorten(error, 80) if error else fallback
    labels = {
        "alertname": alertname,
        "source": SOURCE,
        "account": account,
        "region": region,
        "severity": Severity.WARNING.value,
        "resource": machine,
        "reason": reason,
        "state_machine": machine,
        "status": status,
        "execution": detail.name[:200],
    }
    cause = cause_text(detail.cause or "").strip()
    summary = " — ".join(p for p in (error, cause) if p) or f"The execution ended {status}"
    title = f"{machine}: execution {detail.name} {fallback.lower()}" + (f": {reason}" if error else "")
    return Alert(
        source=SOURCE,
        status=Status.FIRING,
        severity=Severity.WARNING,
        title=shorten(title, 300),
        summary=shorten(summary, 1000),
        labels=labels,
        annotations={"console": execution_console_url(region, detail.executionArn)},
        timestamp=_stopped(parsed),
        one_shot=True,
        fingerprint=fingerprint(SOURCE, account, region, detail.executionArn),
    )

"""Recognise what arrived and hand it to the parser for its kind.

Envelopes are peeled here (SQS record body, SNS notification, SNS Lambda event); each source module
knows only its own event shapes. The stack's own messages (SLO burn events, heartbeat events, the router's
message kinds) are taken only from a body that came straight from the router's queue, never from inside an SNS
notification or a direct invocation: anyone allowed to publish an alarm must not be able to forge a page or a resolve with them.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from alertrouter.models.alert import Alert, Ignored
from alertrouter.models.batch import JobOutcome
from alertrouter.own_messages import OWN_PREFIX
from alertrouter.sources import cloudwatch, heartbeat, slo
from alertrouter.sources.errors import MalformedEventError, UnrecognisedEventError

if TYPE_CHECKING:
    from alertrouter.sources.spoke import SpokeHeartbeat
    from alertrouter.sources.voice import CallUnanswered

__all__ = [
    "OWN_PREFIX",
    "MalformedEventError",
    "ParseResult",
    "UnrecognisedEventError",
    "parse_body",
    "parse_payload",
]

MAX_BODY_BYTES = 256 * 1024  # SQS's own message limit; anything larger did not come from AWS
# A top-level EventBridge alarm state change (a nested, JSON-escaped one has \" and does not match).
_ALARM_STATE_CHANGE = re.compile(rb'"detail-type"\s*:\s*"CloudWatch Alarm (?:Contributor )?State Change"')
_ALARM_STATE_CHANGE_TEXT = re.compile(_ALARM_STATE_CHANGE.pattern.decode())


@dataclass
class ParseResult:
    alerts: list[Alert] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)
    outcomes: list[JobOutcome] = field(default_factory=list)  # Batch jobs that ended (the outcome metrics)
    # the alarms whose delivery (SNS, the Lambda alarm action) cannot carry a mute rule, by fingerprint: the
    # router may look their mute rules up (alertrouter.mute_rules)
    mute_unknown: set[str] = field(default_factory=set)
    # the escalator's page calls nobody picked up, with the AWS account that reported each (sources/voice.py)
    calls: list[tuple[CallUnanswered, str]] = field(default_factory=list)
    # the spokes' signs of life (hub mode: sources/spoke.py), recorded on their watches by alertrouter.spokes
    spokes: list[SpokeHeartbeat] = field(default_factory=list)

    def extend(self, other: ParseResult) -> None:
        self.alerts.extend(other.alerts)
        self.ignored.extend(other.ignored)
        self.outcomes.extend(other.outcomes)
        self.mute_unknown |= other.mute_unknown
        self.calls.extend(other.calls)
        self.spokes.extend(other.spokes)

    @classmethod
    def without_mute_detail(cls, alerts: list[Alert]) -> ParseResult:
        """Alarm alerts from a delivery that says nothing of mute rules."""
        return cls(alerts=alerts, mute_unknown={a.fingerprint for a in alerts})


def parse_body(body: str | bytes, *, direct: bool = True) -> ParseResult:
    """Parse one raw message body (an SQS record body, a file's contents). `direct`: it came straight from the
    router's queue (or a person's file), so it may be one of the stack's own events."""
    # measured in bytes, as SQS measures it ("surrogatepass": an unpaired surrogate is refused later, clearly);
    # a text of at most a quarter of the limit in characters cannot exceed it (UTF-8: <= 4 bytes each)
    raw = (
        body.encode("utf-8", "surrogatepass")
        if isinstance(body, str) and len(body) * 4 > MAX_BODY_BYTES
        else body
    )
    if len(raw) > MAX_BODY_BYTES:
        raise MalformedEventError(f"body of {len(raw)} bytes exceeds {MAX_BODY_BYTES}")
    alarm_event = (
        _ALARM_STATE_CHANGE.search(raw) if isinstance(raw, bytes) else _ALARM_STATE_CHANGE_TEXT.search(raw)
    )
    if alarm_event:
        fast = cloudwatch.parse_eventbridge_json(raw)
        if fast is not None:
            return ParseResult(alerts=fast)
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError, and Python's 4,300-digit integer limit
        raise MalformedEventError(f"body is not JSON: {exc}") from exc
    except RecursionError as exc:
        raise MalformedEventError("body is nested too deeply") from exc
    try:
        return parse_payload(payload, direct=direct)
    except (UnicodeError, OverflowError) as exc:
        # text that cannot be encoded (an unpaired surrogate) or a date beyond Python's range
        raise MalformedEventError(
            f"unusable value in the event: {type(exc).__name__}: {str(exc)[:120]}"
        ) from exc


def parse_payload(payload: Any, *, direct: bool = False) -> ParseResult:
    """Parse one decoded event of any supported shape into alerts and ignored notices. `direct`: as for
    parse_body (a direct Lambda invocation is not)."""
    if not isinstance(payload, dict):
        raise UnrecognisedEventError(f"expected a JSON object, got {type(payload).__name__}")
    records = payload.get("Records")
    if isinstance(records, list):
        return _parse_records(records, direct)
    if payload.get("Type") == "Notification" and "Message" in payload:
        return _parse_sns_message(payload["Message"])
    if not direct and str(payload.get("kind", "")).startswith(OWN_PREFIX):
        raise MalformedEventError(
            f"the router's own {str(payload['kind'])[:40]!r} message is taken only straight "
            "from its queue, not inside an SNS notification or a direct invocation"
        )
    if "detail-type" in payload and "source" in payload:
        return _parse_eventbridge(payload, direct)
    if "alarmData" in payload:
        return ParseResult.without_mute_detail(cloudwatch.parse_alarm_action(payload))
    if "AlarmName" in payload and "NewStateValue" in payload:
        return ParseResult.without_mute_detail(cloudwatch.parse_sns_message(payload))
    keys = ", ".join(sorted(str(k) for k in payload)[:6])
    raise UnrecognisedEventError(f"unrecognised event shape (top-level keys: {keys or 'none'})")


def _parse_records(records: list[Any], direct: bool) -> ParseResult:
    result = ParseResult()
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise MalformedEventError(f"Records[{index}] is not an object")
        if record.get("eventSource") == "aws:sqs" and isinstance(record.get("body"), str):
            result.extend(parse_body(record["body"], direct=direct))
        elif record.get("EventSource") == "aws:sns" and isinstance(record.get("Sns"), dict):
            result.extend(_parse_sns_message(record["Sns"].get("Message")))
        else:
            raise UnrecognisedEventError(f"Records[{index}] is neither an SQS nor an SNS record")
    return result


def _parse_sns_message(message: Any) -> ParseResult:
    if not isinstance(message, str):
        raise MalformedEventError("SNS Message is not a string")
    try:
        inner = json.loads(message)
    except RecursionError as exc:
        raise MalformedEventError("SNS Message is nested too deeply") from exc
    except ValueError as exc:
        raise MalformedEventError(f"SNS Message is not JSON: {str(exc)[:200]}") from exc
    if isinstance(inner, dict) and "AlarmName" in inner:
        return ParseResult.without_mute_detail(cloudwatch.parse_sns_message(inner))
    # An EventBridge event or alarm action published to the topic by a forwarding rule.
    return parse_payload(inner)


def _parse_eventbridge(event: dict[str, Any], direct: bool) -> ParseResult:
    source = event.get("source")
    if source == "aws.cloudwatch":
        return _result(cloudwatch.parse_eventbridge(event))
    # Batch and OpenSearch parsers are imported on first use: a CloudWatch-only cold start does not pay for them.
    if source == "aws.batch":
        from alertrouter.sources import batch

        parsed, outcome = batch.parse_event(event)
        result = _result(parsed)
        if outcome is not None:
            result.outcomes.append(outcome)
        return result
    if source == "aws.es":
        from alertrouter.sources import opensearch

        return ParseResult(alerts=opensearch.parse_eventbridge(event))
    signal = SIGNAL_PARSERS.get(str(source))
    if signal is not None:
        return _signal(signal, event)
    kind = _DIRECT_ONLY.get((str(source), str(event.get("detail-type"))))
    if kind is not None:
        what, where, parse = kind
        if not direct:
            raise MalformedEventError(
                f"{what} is taken only straight from the router's queue (where {where}), not inside an SNS "
                "notification or a direct invocation"
            )
        return parse(event)
    raise UnrecognisedEventError(
        f"no parser for EventBridge source {str(source)[:40]!r} "
        f"detail-type {str(event.get('detail-type'))[:60]!r}"
    )


# The other AWS services whose EventBridge events become alerts, by `source`: each module's
# `parse_eventbridge(event)` returns its alerts and ignored notices (or one Ignored). Imported on first use, so
# the CloudWatch path's cold start does not grow with the number of sources.
SIGNAL_PARSERS = {
    "aws.health": "health",
    "aws.xray": "xray",
    "aws.ecs": "ecs",
    "aws.states": "stepfunctions",
    "aws.rds": "rds",
    "aws.guardduty": "guardduty",
    "aws.securityhub": "securityhub",
}


def _signal(module_name: str, event: dict[str, Any]) -> ParseResult:
    module = importlib.import_module(f"alertrouter.sources.{module_name}")
    parsed = module.parse_eventbridge(event)
    if isinstance(parsed, Ignored):
        return ParseResult(ignored=[parsed])
    result = ParseResult()
    for item in parsed:
        (result.ignored if isinstance(item, Ignored) else result.alerts).append(item)
    return result


def _voice(event: dict[str, Any]) -> ParseResult:
    from alertrouter.sources import voice

    call, account = voice.parse_event(event)
    if isinstance(call, Ignored):
        return ParseResult(ignored=[call])
    return ParseResult(calls=[(call, account)])


def _spoke(event: dict[str, Any]) -> ParseResult:
    from alertrouter.sources import spoke

    return ParseResult(spokes=[spoke.parse_event(event)])


# The events only the stack itself (or, for spoke heartbeats, the hub's own bus rule) puts on the router's
# queue, by (source, detail-type): what the refusal calls each and where it comes from, and its parser.
_DIRECT_ONLY: dict[tuple[str, str], tuple[str, str, Callable[[dict[str, Any]], ParseResult]]] = {
    ("aws.sms-voice", "Voice Message Delivery Status Updated"): (
        "a page call's delivery event",
        "its EventBridge rule sends it",
        _voice,
    ),
    (slo.EVENT_SOURCE, slo.DETAIL_TYPE): (
        "an SLO burn event",
        "the SLO evaluator sends it",
        lambda event: ParseResult(alerts=slo.parse_eventbridge(event)),
    ),
    (heartbeat.EVENT_SOURCE, heartbeat.DETAIL_TYPE): (
        "a heartbeat event",
        "the heartbeat sweep and pings send it",
        lambda event: ParseResult(alerts=heartbeat.parse_eventbridge(event)),
    ),
    ("alertrouter.spoke", "AlertRouter Spoke Heartbeat"): (
        "a spoke heartbeat",
        "the hub's event bus rule sends it",
        _spoke,
    ),
}


def _result(parsed: list[Alert] | Ignored) -> ParseResult:
    return ParseResult(ignored=[parsed]) if isinstance(parsed, Ignored) else ParseResult(alerts=parsed)

"""How the state table's items are laid out and encoded: one table, `pk`/`sk` strings, our own attribute-value
codec, and how long each kind of item is kept (its `expires_at` TTL)."""

from __future__ import annotations

import time
import uuid
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from alertrouter.models.open_alert import open_shard
from alertrouter.models.open_group import open_group_shard
from alertrouter.models.state import QueuedPage

ALERT_TTL_S = 90 * 86400  # keep an alert's state 90 days after its last event
GROUP_TTL_S = 30 * 86400
HISTORY_TTL_S = 90 * 86400
SILENCE_KEEP_S = 7 * 86400  # an ended silence stays listable this long
EXPIRY_KEEP_S = 7 * 86400  # a one-shot alert's expiry, after it is due
SLOT_KEEP_S = 86400  # an SMS or ops-page slot, after it was taken
OUTBOX_KEEP_S = 86400  # a page waiting for its recipient's slot, after it was queued
SLO_STATE_TTL_S = 40 * 86400  # after the last evaluation: an SLO removed from the file does not linger


def expires_in(seconds: int) -> int:
    """The TTL attribute of an item kept `seconds` from now."""
    return int(time.time()) + seconds


# Our own attribute-value codec for the few types the items hold: boto3's TypeSerializer would bring
# `import boto3` (and its s3transfer) into every cold start.
def encode(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, int | float | Decimal):
        return {"N": str(value)}
    if isinstance(value, dict):
        return {"M": {str(k): encode(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [encode(v) for v in value]}
    if value is None:
        return {"NULL": True}
    raise TypeError(f"cannot store a {type(value).__name__} in DynamoDB")


def decode(attr: dict[str, Any]) -> Any:
    [(kind, raw)] = attr.items()
    if kind == "S":
        return raw
    if kind == "N":
        return int(raw) if raw.lstrip("-").isdigit() else float(raw)
    if kind == "M":
        return {k: decode(v) for k, v in raw.items()}
    if kind == "L":
        return [decode(v) for v in raw]
    if kind == "BOOL":
        return bool(raw)
    if kind == "NULL":
        return None
    raise TypeError(f"unexpected DynamoDB attribute type {kind}")


def encode_item(values: dict[str, Any]) -> dict[str, Any]:
    """Plain values as attribute values: an item, or the ExpressionAttributeValues of a request."""
    return {k: encode(v) for k, v in values.items()}


def decode_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: decode(v) for k, v in item.items()}


def conditional_failed(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


# ---- key layout: an item per alert, group, history entry, request and slot; the few others of a kind
# (silences, inhibition sources, escalations, expiries, queued pages) share one partition each ----


def alert_key(fingerprint: str) -> dict[str, Any]:
    return {"pk": {"S": f"ALERT#{fingerprint}"}, "sk": {"S": "STATE"}}


def group_key(key: str) -> dict[str, Any]:
    return {"pk": {"S": f"GROUP#{key}"}, "sk": {"S": "GROUP"}}


def history_entry_key(key: str, at_ms: int) -> dict[str, Any]:
    # sk sorts by time; the random tail keeps two entries of the same millisecond apart
    return {"pk": {"S": f"HISTORY#{key}"}, "sk": {"S": f"{at_ms:013d}#{uuid.uuid4().hex[:8]}"}}


def history_partition(key: str) -> dict[str, Any]:
    """The KeyConditionExpression value of a group's history."""
    return {":pk": {"S": f"HISTORY#{key}"}}


def request_key(key: str) -> dict[str, Any]:
    return {"pk": {"S": f"REQUEST#{key}"}, "sk": {"S": "REQUEST"}}


def silence_key(silence_id: str) -> dict[str, Any]:
    return {"pk": {"S": "SILENCE"}, "sk": {"S": silence_id}}


def inhibit_source_key(fingerprint: str) -> dict[str, Any]:
    return {"pk": {"S": "INHIBIT"}, "sk": {"S": fingerprint}}


def escalation_key(key: str) -> dict[str, Any]:
    return {"pk": {"S": "ESCALATION"}, "sk": {"S": key}}


def expiry_key(fingerprint: str) -> dict[str, Any]:
    return {"pk": {"S": "EXPIRE"}, "sk": {"S": fingerprint}}


def outbox_key(page: QueuedPage) -> dict[str, Any]:
    return {"pk": {"S": "OUTBOX"}, "sk": {"S": f"{page.recipient}#{page.key}#{page.fingerprint}"}}


def sms_slot_key(recipient: str) -> dict[str, Any]:
    return {"pk": {"S": f"SMSPACE#{recipient}"}, "sk": {"S": "SMSPACE"}}


def ops_page_key(cause: str) -> dict[str, Any]:
    return {"pk": {"S": f"OPS#{cause}"}, "sk": {"S": "OPS"}}


def slo_state_key(name: str) -> dict[str, Any]:
    return {"pk": {"S": f"SLO#{name}"}, "sk": {"S": "STATE"}}


def handoff_key(schedule: str) -> dict[str, Any]:
    return {"pk": {"S": "HANDOFF"}, "sk": {"S": schedule}}


def open_alert_key(fingerprint: str) -> dict[str, Any]:
    return {"pk": {"S": f"OPEN#{open_shard(fingerprint)}"}, "sk": {"S": fingerprint}}


def open_group_key(key: str) -> dict[str, Any]:
    return {"pk": {"S": f"OPENGROUP#{open_group_shard(key)}"}, "sk": {"S": key}}


def heartbeat_key(name: str) -> dict[str, Any]:
    return {"pk": {"S": "HEARTBEAT"}, "sk": {"S": name}}

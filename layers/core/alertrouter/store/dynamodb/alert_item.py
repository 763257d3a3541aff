"""An alert's item: its state with the labels and annotations kept as one compressed attribute.

Labels and annotations are most of an alert's bytes (an AWS Batch job's: ~830 of ~1,160, its ARNs and console
links) and nothing ever conditions on them, so they are stored zlib-compressed (~410 bytes): the item stays
under 1 KB and each write costs one write unit instead of two (DynamoDB's "compress large attribute values").
Items written before this (plain `labels` and `annotations` maps) are read as they are."""

from __future__ import annotations

import json
import zlib
from typing import Any

from alertrouter.models.state import AlertState
from alertrouter.store.dynamodb.codec import ALERT_TTL_S, decode_item, encode_item, expires_in

DETAILS = "details"  # the compressed {"labels": ..., "annotations": ...}


def alert_item(state: AlertState) -> dict[str, Any]:
    """The attribute values of an alert's item (its key aside)."""
    # (no mute rule window: no attribute, rather than a null in every alert's item)
    values = state.model_dump(exclude={"labels", "annotations", *(() if state.muted else ("muted",))})
    details = json.dumps(
        {"labels": state.labels, "annotations": state.annotations}, separators=(",", ":"), ensure_ascii=False
    )
    return {
        **encode_item({**values, "expires_at": expires_in(ALERT_TTL_S)}),
        DETAILS: {"B": zlib.compress(details.encode())},
    }


def alert_state_of(item: dict[str, Any]) -> AlertState:
    """An alert's state from its item, in either layout."""
    packed = item.get(DETAILS)
    plain = decode_item({k: v for k, v in item.items() if k != DETAILS})
    if packed is not None:
        plain.update(json.loads(zlib.decompress(packed["B"])))
    return AlertState.model_validate(plain)

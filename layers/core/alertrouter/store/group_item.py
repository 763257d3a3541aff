"""A group as the table keeps it: one flat item whose attribute names a deployed table already has (`slack_ts`,
`ack_by`, `lease_id`...), while GroupState is made of parts (`group.slack.ts`, `group.clicks.ack_by`). The one
place that maps one to the other: for the DynamoDB store, the in-memory store, and a flush's progress writes
(GroupProgress names stored attributes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alertrouter.models.state import Clicks, GroupState

# Stored attribute -> (part, its field); every other attribute is one of GroupState's own fields.
IN_PARTS: dict[str, tuple[str, str]] = {
    **{name: ("clicks", name) for name in Clicks.model_fields},
    "slack_ts": ("slack", "ts"),
    "slack_channels": ("slack", "channels"),
    "slack_attempts": ("slack", "attempts"),
    "slack_done": ("slack", "done"),
    "channel_notified": ("slack", "notified"),
    "slack_failed": ("slack", "failed"),
    "slack_graph": ("slack", "graph"),
    "webhook_done": ("webhooks", "done"),
    "webhook_failed": ("webhooks", "failed"),
    "muted": ("muting", "reasons"),
    "flapping": ("muting", "flapping"),
    "resume_at_ms": ("muting", "resume_at_ms"),
    "lease_id": ("lease", "id"),
    "lease_until_ms": ("lease", "until_ms"),
}
PARTS = frozenset(part for part, _ in IN_PARTS.values())
CLICK_ATTRIBUTES = tuple(name for name, (part, _) in IN_PARTS.items() if part == "clicks")


def _by_part(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Flat stored values split into GroupState's own fields and each part's fields."""
    own: dict[str, Any] = {}
    parts: dict[str, dict[str, Any]] = {}
    for name, value in values.items():
        where = IN_PARTS.get(name)
        if where is None:
            own[name] = value
        else:
            parts.setdefault(where[0], {})[where[1]] = value
    return own, parts


def group_from_item(item: Mapping[str, Any]) -> GroupState:
    """The group a (decoded) item holds; attributes that are not the group's (pk, expires_at) are ignored."""
    own, parts = _by_part(item)
    return GroupState.model_validate({**own, **parts})


def clicks_from_item(item: Mapping[str, Any]) -> Clicks:
    """The clicks part of an item (or of an item's CLICK_ATTRIBUTES alone)."""
    return Clicks.model_validate(_by_part(item)[1].get("clicks", {}))


def group_item(group: GroupState) -> dict[str, Any]:
    """The group as a flat item of plain values (the attributes of a deployed table)."""
    values = group.model_dump()
    for member in values[
        "members"
    ].values():  # (no mute rule window: no attribute, as a member item has none)
        if member.get("muted") is None:
            member.pop("muted", None)
    stored_as = {where: name for name, where in IN_PARTS.items()}
    for part in PARTS:
        values.update({stored_as[part, field]: value for field, value in values.pop(part).items()})
    if values.get("slack_graph") is None:  # (no graph: no attribute, as an item written before graphs)
        values.pop("slack_graph", None)
    if not values.get("open_listed_ms"):  # (not listed: no attribute, as an item written before the index)
        values.pop("open_listed_ms", None)
    return values


def with_progress(group: GroupState, changes: Mapping[str, Any]) -> GroupState:
    """The group with these stored attributes changed (a flush's GroupProgress, in its plain stored form),
    validated; the fields and parts it does not change are kept as they are."""
    own, parts = _by_part(changes)
    fields = {**group.__dict__, **own}  # (its __dict__: iterating the model is several times slower)
    for part, part_changes in parts.items():
        kept = fields[part]
        fields[part] = type(kept).model_validate({**kept.__dict__, **part_changes})
    return GroupState.model_validate(fields)

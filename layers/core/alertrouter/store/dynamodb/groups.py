"""Groups: a header item and an item per member in the group's partition (group_layout.py); reading them, and
an alert joining one."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from botocore.exceptions import ClientError

from alertrouter.models.alert import Status
from alertrouter.models.state import MAX_GROUP_MEMBERS, Clicks, GroupState, Member
from alertrouter.store.base import GroupStore, GroupView
from alertrouter.store.dynamodb.codec import (
    ALERT_TTL_S,
    conditional_failed,
    decode_item,
    encode_item,
    expires_in,
    group_key,
)
from alertrouter.store.dynamodb.group_layout import (
    HEADER_SK,
    MEMBER_PREFIX,
    assemble,
    header_values,
    member_sk,
)
from alertrouter.store.dynamodb.table import Table
from alertrouter.store.group_item import CLICK_ATTRIBUTES, clicks_from_item, group_from_item

RESOLVED = Status.RESOLVED.value


class _Identity(NamedTuple):
    """What a group's first alert creates its header with."""

    key: str
    route_id: str
    receiver: str
    labels: dict[str, str]


def member_key(key: str, fingerprint: str) -> dict[str, Any]:
    return {"pk": {"S": f"GROUP#{key}"}, "sk": {"S": member_sk(fingerprint)}}


class GroupPartition(Table):
    """What reading a group and writing its members share: the group's partition, page by page."""

    def _partition(self, key: str, prefix: str) -> Iterator[dict[str, Any]]:
        """The group's items whose sort key starts with `prefix`, page by page (decoded)."""
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk" + (" AND begins_with(sk, :prefix)" if prefix else ""),
            "ExpressionAttributeValues": {
                ":pk": {"S": f"GROUP#{key}"},
                **({":prefix": {"S": prefix}} if prefix else {}),
            },
            "ConsistentRead": True,
        }
        while True:
            got = self.client.query(**kwargs)
            yield from (decode_item(i) for i in got.get("Items", []))
            if "LastEvaluatedKey" not in got:
                return
            kwargs["ExclusiveStartKey"] = got["LastEvaluatedKey"]

    def _with_members(self, key: str, header: Mapping[str, Any]) -> GroupState:
        return group_from_item(assemble(header, self._partition(key, MEMBER_PREFIX)))

    def _write_member(self, key: str, fingerprint: str, member: Member) -> tuple[bool, dict[str, Any] | None]:
        """Write the member if it is newer than the stored one: (True, the member it replaced, or None), or
        (False, the stored member item: the member and its records)."""
        try:
            got = self.client.update_item(
                TableName=self.table,
                Key=member_key(key, fingerprint),
                UpdateExpression="SET m = :m, expires_at = :exp",
                ConditionExpression="attribute_not_exists(m) OR m.ts_ms < :ts",
                ExpressionAttributeValues=encode_item(
                    {
                        ":m": member.model_dump(exclude_defaults=True),
                        ":ts": member.ts_ms,
                        ":exp": expires_in(ALERT_TTL_S),
                    }
                ),
                ReturnValues="UPDATED_OLD",  # only to tell a new member from a changed one
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if not conditional_failed(exc):
                raise
            stored: Any = exc.response.get("Item")
            return False, decode_item(stored) if stored else None
        return True, decode_item(got["Attributes"]).get("m") if "Attributes" in got else None

    def _count(self, key: str, members: int, resolved: int) -> None:
        self.client.update_item(
            TableName=self.table,
            Key=group_key(key),
            UpdateExpression="ADD member_count :members, resolved_count :resolved",
            ExpressionAttributeValues=encode_item({":members": members, ":resolved": resolved}),
        )


class GroupViewItems(GroupPartition, GroupView):
    def get_group(self, key: str) -> GroupState | None:
        # one Query: the header (sk GROUP) sorts before the members (sk M#...)
        items = list(self._partition(key, ""))
        header = next((i for i in items if i["sk"] == HEADER_SK), None)
        if header is None:
            return None
        return group_from_item(assemble(header, (i for i in items if i["sk"].startswith(MEMBER_PREFIX))))

    def group_header(self, key: str) -> GroupState | None:
        got = self.client.get_item(TableName=self.table, Key=group_key(key), ConsistentRead=True)
        return group_from_item(header_values(decode_item(got["Item"]))) if "Item" in got else None

    def get_clicks(self, key: str) -> Clicks | None:
        # only the four attributes: the header is not fetched and parsed again before each edit
        got = self.client.get_item(
            TableName=self.table,
            Key=group_key(key),
            ConsistentRead=True,
            ProjectionExpression=", ".join(CLICK_ATTRIBUTES) + ", pk",
        )
        if "Item" not in got:
            return None
        return clicks_from_item(decode_item(got["Item"]))

    def episode_of(self, key: str) -> int | None:
        got = self.client.get_item(
            TableName=self.table, Key=group_key(key), ConsistentRead=True, ProjectionExpression="episode, pk"
        )
        return int(decode_item(got["Item"]).get("episode", 1)) if "Item" in got else None


class GroupItems(GroupViewItems, GroupStore):
    def upsert_member(
        self,
        key: str,
        route_id: str,
        receiver: str,
        group_labels: dict[str, str],
        fingerprint: str,
        member: Member,
        now_ms: int,
    ) -> GroupState:
        """The member's own item is written first, then the header's version moves on: a flush that read the
        members before this write sees the version move and is followed by another."""
        written, old = self._write_member(key, fingerprint, member)
        if not written and old is not None:
            stored = self._unchanged(key, old, member)
            if stored is not None:
                return stored.model_copy(update={"members": {fingerprint: Member.model_validate(old["m"])}})
            old = old["m"]
        added = written and old is None
        resolved_delta = (member.status == Status.RESOLVED) - (old is not None and old["status"] == RESOLVED)
        who = _Identity(key, route_id, receiver, group_labels)
        header = self._bump(who, fingerprint, now_ms, added, resolved_delta)
        group = group_from_item(header_values(header))
        if added and header.get("member_count", 0) > MAX_GROUP_MEMBERS:
            return self._over_cap(group, header, fingerprint, member)
        return group.model_copy(update={"members": {fingerprint: member}})

    def _unchanged(self, key: str, item: Mapping[str, Any], member: Member) -> GroupState | None:
        """The group's header when an event changes nothing (the member item holds it or something newer), None
        when the header must still move on: the very event again, after a crash between its member write and
        its header bump left it neither pending nor announced nor muted."""
        stored = self.group_header(key)
        if stored is None or item["m"]["ts_ms"] > member.ts_ms or stored.pending or "mute" in item:
            return None if stored is None else stored
        ann = item.get("ann") or {}
        told = (ann.get("ep"), ann.get("gc"), ann.get("status"), ann.get("count"))
        return stored if told == (stored.episode, stored.created_ms, member.status, member.count) else None

    def _bump(
        self, who: _Identity, fingerprint: str, now_ms: int, added: bool, resolved_delta: int
    ) -> dict[str, Any]:
        """Move the header's version on (creating the header if it is the group's first alert); the header as
        it now is. No TTL while pending or firing: release() sets it once the group is resolved."""
        got = self.client.update_item(
            TableName=self.table,
            Key=group_key(who.key),
            UpdateExpression="SET version = if_not_exists(version, :zero) + :one, "
            "pending_since_ms = if_not_exists(pending_since_ms, :now), #key = if_not_exists(#key, :key), "
            "route_id = if_not_exists(route_id, :route), receiver = if_not_exists(receiver, :receiver), "
            "group_labels = if_not_exists(group_labels, :labels), created_ms = if_not_exists(created_ms, :now), "
            "route_fp = if_not_exists(route_fp, :fp), episode = if_not_exists(episode, :one), "
            "overflow = if_not_exists(overflow, :empty) "
            "ADD member_count :added, resolved_count :resolved REMOVE expires_at",
            ExpressionAttributeNames={"#key": "key"},
            ExpressionAttributeValues=encode_item(
                {
                    ":zero": 0,
                    ":one": 1,
                    ":now": now_ms,
                    ":key": who.key,
                    ":route": who.route_id,
                    ":receiver": who.receiver,
                    ":labels": who.labels,
                    ":fp": fingerprint,
                    ":added": int(added),
                    ":resolved": resolved_delta,
                    ":empty": {},
                }
            ),
            ReturnValues="ALL_NEW",  # the header (under 1 KB): whether a flush is pending or on its way
        )
        return decode_item(got["Attributes"])

    def _over_cap(
        self, group: GroupState, header: Mapping[str, Any], fingerprint: str, member: Member
    ) -> GroupState:
        """A new member took the group beyond MAX_GROUP_MEMBERS: it is taken out again, and the caller is
        given what it needs to find it a place (the members, if some are resolved) or count it."""
        try:
            self.client.delete_item(
                TableName=self.table,
                Key=member_key(group.key, fingerprint),
                ConditionExpression="m.ts_ms = :ts",
                ExpressionAttributeValues=encode_item({":ts": member.ts_ms}),
            )
        except ClientError as exc:
            if not conditional_failed(exc):
                raise
            return group.model_copy(update={"members": {fingerprint: member}})  # a newer event: it stays
        self._count(group.key, -1, -(member.status == Status.RESOLVED))
        if header.get("resolved_count", 0) > 0:
            full = self._with_members(group.key, header)
            full.members.pop(fingerprint, None)
            return full
        return group  # members not read: none is resolved, so none could give its place

    def replace_member(
        self, group: GroupState, old: str, fingerprint: str, member: Member, now_ms: int
    ) -> GroupState | None:
        # The old member leaves its item with its announcement only (`ann`, no `m`): the episode that announced
        # it resolved stays announced (see GroupStore.replace_member).
        try:
            self.client.update_item(
                TableName=self.table,
                Key=member_key(group.key, old),
                UpdateExpression="REMOVE m",
                ConditionExpression="m.ts_ms = :oldts AND m.#status = :resolved",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=encode_item(
                    {":oldts": group.members[old].ts_ms, ":resolved": RESOLVED}
                ),
            )
        except ClientError as exc:
            if conditional_failed(exc):
                return None
            raise
        written, _ = self._write_member(group.key, fingerprint, member)
        if not written:
            self._count(group.key, -1, -1)
            return None
        who = _Identity(group.key, group.route_id, group.receiver, group.group_labels)
        header = self._bump(who, fingerprint, now_ms, False, (member.status == Status.RESOLVED) - 1)
        members = {fp: m for fp, m in group.members.items() if fp != old}
        return group_from_item(header_values(header)).model_copy(
            update={"members": {**members, fingerprint: member}}
        )

    def count_overflow(self, group: GroupState, reason: str, now_ms: int) -> GroupState:
        for _ in range(2):
            try:
                got = self.client.update_item(
                    TableName=self.table,
                    Key=group_key(group.key),
                    UpdateExpression="SET overflow.#r = if_not_exists(overflow.#r, :zero) + :one, "
                    "version = version + :one, pending_since_ms = if_not_exists(pending_since_ms, :now) "
                    "REMOVE expires_at",
                    ConditionExpression="attribute_exists(overflow)",
                    ExpressionAttributeNames={"#r": reason},
                    ExpressionAttributeValues=encode_item({":one": 1, ":zero": 0, ":now": now_ms}),
                    ReturnValues="UPDATED_NEW",  # the caller has the rest
                )
                new = decode_item(got["Attributes"])
                return group.model_copy(
                    update={
                        "overflow": {**group.overflow, **new.get("overflow", {})},
                        "version": int(new["version"]),
                        "pending_since_ms": int(new.get("pending_since_ms", group.pending_since_ms)),
                    }
                )
            except ClientError as exc:
                if not conditional_failed(exc):
                    raise
            # a header written before overflow existed: give it the map, then count
            try:
                self.client.update_item(
                    TableName=self.table,
                    Key=group_key(group.key),
                    UpdateExpression="SET overflow = if_not_exists(overflow, :empty)",
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeValues={":empty": {"M": {}}},
                )
            except ClientError as exc:
                if conditional_failed(exc):  # the header is gone (expired): retried from SQS
                    raise RuntimeError(f"group {group.key} vanished while counting an alert") from exc
                raise
        raise RuntimeError(f"group {group.key}: overflow could not be counted")

    def mark_flush_scheduled(self, key: str, due_ms: int) -> bool:
        try:
            self.client.update_item(
                TableName=self.table,
                Key=group_key(key),
                UpdateExpression="SET flush_at_ms = :due",
                ConditionExpression="attribute_exists(pk) AND "
                "(attribute_not_exists(flush_at_ms) OR flush_at_ms = :zero OR flush_at_ms > :due)",
                ExpressionAttributeValues=encode_item({":due": due_ms, ":zero": 0}),
            )
            return True
        except ClientError as exc:
            if conditional_failed(exc):
                return False
            raise

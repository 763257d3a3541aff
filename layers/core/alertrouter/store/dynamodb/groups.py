"""Groups (an item each): reading them, and the members they hold."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from alertrouter.models.alert import Status
from alertrouter.models.state import MAX_GROUP_MEMBERS, Clicks, GroupState, Member
from alertrouter.store.base import GroupStore, GroupView
from alertrouter.store.dynamodb.codec import conditional_failed, decode_item, encode_item, group_key
from alertrouter.store.dynamodb.table import Table
from alertrouter.store.group_item import CLICK_ATTRIBUTES, clicks_from_item, group_from_item, group_item


class GroupViewItems(Table, GroupView):
    def get_group(self, key: str) -> GroupState | None:
        got = self.client.get_item(TableName=self.table, Key=group_key(key), ConsistentRead=True)
        return group_from_item(decode_item(got["Item"])) if "Item" in got else None

    def get_clicks(self, key: str) -> Clicks | None:
        # only the four attributes: a full group (~150 KB) is not fetched and parsed again before each edit
        got = self.client.get_item(
            TableName=self.table,
            Key=group_key(key),
            ConsistentRead=True,
            ProjectionExpression=", ".join(CLICK_ATTRIBUTES) + ", pk",
        )
        if "Item" not in got:
            return None
        return clicks_from_item(decode_item(got["Item"]))


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
        for _ in range(3):
            try:
                got = self.client.update_item(
                    TableName=self.table,
                    Key=group_key(key),
                    # no TTL while pending or firing: release() sets it once the group is resolved
                    UpdateExpression="SET members.#fp = :m, version = if_not_exists(version, :zero) + :one, "
                    "pending_since_ms = if_not_exists(pending_since_ms, :now) REMOVE expires_at",
                    ConditionExpression="attribute_exists(pk) AND ((attribute_not_exists(members.#fp) "
                    "AND size(members) < :cap) OR members.#fp.ts_ms < :ts)",
                    ExpressionAttributeNames={"#fp": fingerprint},
                    ExpressionAttributeValues=encode_item(
                        {
                            ":m": member.model_dump(),
                            ":one": 1,
                            ":zero": 0,
                            ":ts": member.ts_ms,
                            ":now": now_ms,
                            ":cap": MAX_GROUP_MEMBERS,
                        }
                    ),
                    ReturnValues="ALL_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
                return group_from_item(decode_item(got["Attributes"]))
            except ClientError as exc:
                if not conditional_failed(exc):
                    raise
                old: Any = exc.response.get("Item")
                if old:  # the group exists and has this member at least as new, or is full
                    return group_from_item(decode_item(old))
            fresh = GroupState(
                key=key,
                route_id=route_id,
                receiver=receiver,
                group_labels=group_labels,
                members={fingerprint: member},
                version=1,
                created_ms=now_ms,
                pending_since_ms=now_ms,
            )
            try:
                values = group_item(fresh)
                self.client.put_item(
                    TableName=self.table,
                    Item={**group_key(key), **encode_item(values)},
                    ConditionExpression="attribute_not_exists(pk)",
                )
                return fresh
            except ClientError as exc:
                if not conditional_failed(exc):
                    raise  # else: created concurrently; go round and update it
        raise RuntimeError(f"group {key}: too much write contention")

    def replace_member(
        self, group: GroupState, old: str, fingerprint: str, member: Member, now_ms: int
    ) -> GroupState | None:
        try:
            got = self.client.update_item(
                TableName=self.table,
                Key=group_key(group.key),
                UpdateExpression="REMOVE members.#old, expires_at SET members.#fp = :m, version = version + :one, "
                "pending_since_ms = if_not_exists(pending_since_ms, :now)",
                ConditionExpression="members.#old.ts_ms = :oldts AND members.#old.#status = :resolved "
                "AND attribute_not_exists(members.#fp)",
                ExpressionAttributeNames={"#old": old, "#fp": fingerprint, "#status": "status"},
                ExpressionAttributeValues=encode_item(
                    {
                        ":m": member.model_dump(),
                        ":one": 1,
                        ":now": now_ms,
                        ":oldts": group.members[old].ts_ms,
                        ":resolved": Status.RESOLVED.value,
                    }
                ),
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if conditional_failed(exc):
                return None
            raise
        return group_from_item(decode_item(got["Attributes"]))

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
                    ReturnValues="UPDATED_NEW",  # not the whole (large) item: the caller has it
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
            # a group item written before overflow existed: give it the map, then count
            try:
                self.client.update_item(
                    TableName=self.table,
                    Key=group_key(group.key),
                    UpdateExpression="SET overflow = if_not_exists(overflow, :empty)",
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeValues={":empty": {"M": {}}},
                )
            except ClientError as exc:
                if conditional_failed(exc):  # the group item is gone (expired): retried from SQS
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

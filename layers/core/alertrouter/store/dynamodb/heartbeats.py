"""Heartbeat checks: one partition (`HEARTBEAT`), an item per check holding its definition, its token's hash,
its state and the state's revision; every state change is conditional on the revision it was computed from."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from alertrouter.models.heartbeat import HeartbeatCheck, HeartbeatRecord, HeartbeatState
from alertrouter.store.base import HeartbeatStore
from alertrouter.store.dynamodb.codec import (
    conditional_failed,
    decode_item,
    encode,
    encode_item,
    heartbeat_key,
)
from alertrouter.store.dynamodb.table import Table


class HeartbeatItems(Table, HeartbeatStore):
    def add_heartbeat(self, check: HeartbeatCheck, token_hash: str, now_ms: int) -> bool:
        try:
            self.client.put_item(
                TableName=self.table,
                Item={**heartbeat_key(check.name), **encode_item(_new_item(check, token_hash, now_ms))},
                ConditionExpression="attribute_not_exists(pk)",
            )
            return True
        except ClientError as exc:
            if conditional_failed(exc):
                return False
            raise

    def put_heartbeat_definition(self, check: HeartbeatCheck, token_hash: str, now_ms: int) -> bool:
        fresh = _new_item(check, token_hash, now_ms)
        kept = ("token_hash", "state", "rev", "created_ms")
        got = self.client.update_item(
            TableName=self.table,
            Key=heartbeat_key(check.name),
            UpdateExpression="SET #check = :check, "
            + ", ".join(f"#{name} = if_not_exists(#{name}, :{name})" for name in kept),
            ExpressionAttributeNames={"#check": "check", **{f"#{name}": name for name in kept}},
            ExpressionAttributeValues={
                ":check": encode(fresh["check"]),
                **{f":{name}": encode(fresh[name]) for name in kept},
            },
            ReturnValues="ALL_OLD",
        )
        return not got.get("Attributes")

    def heartbeat(self, name: str) -> HeartbeatRecord | None:
        got = self.client.get_item(TableName=self.table, Key=heartbeat_key(name), ConsistentRead=True)
        return _record(decode_item(got["Item"])) if "Item" in got else None

    def heartbeats(self) -> list[HeartbeatRecord]:
        return sorted((_record(item) for item in self._query_all("HEARTBEAT")), key=lambda r: r.check.name)

    def save_heartbeat_state(self, name: str, state: HeartbeatState, read_rev: int) -> bool:
        try:
            self.client.update_item(
                TableName=self.table,
                Key=heartbeat_key(name),
                UpdateExpression="SET #state = :state, #rev = :new",
                ConditionExpression="#rev = :read",
                ExpressionAttributeNames={"#state": "state", "#rev": "rev"},
                ExpressionAttributeValues=encode_item(
                    {":state": state.model_dump(mode="json"), ":new": state.rev, ":read": read_rev}
                ),
            )
            return True
        except ClientError as exc:
            if conditional_failed(exc):
                return False
            raise

    def set_heartbeat_token(self, name: str, token_hash: str) -> bool:
        try:
            self.client.update_item(
                TableName=self.table,
                Key=heartbeat_key(name),
                UpdateExpression="SET token_hash = :t",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=encode_item({":t": token_hash}),
            )
            return True
        except ClientError as exc:
            if conditional_failed(exc):
                return False
            raise

    def remove_heartbeat(self, name: str) -> bool:
        got = self.client.delete_item(TableName=self.table, Key=heartbeat_key(name), ReturnValues="ALL_OLD")
        return bool(got.get("Attributes"))


def _new_item(check: HeartbeatCheck, token_hash: str, now_ms: int) -> dict[str, Any]:
    return {
        "check": check.as_config(),
        "token_hash": token_hash,
        "state": HeartbeatState().model_dump(mode="json"),
        "rev": 0,
        "created_ms": now_ms,
    }


def _record(item: dict[str, Any]) -> HeartbeatRecord:
    # the item's own `rev` is the one writes are conditional on: the state's copy follows it
    state = {**item.get("state", {}), "rev": item.get("rev", 0)}
    return HeartbeatRecord(
        check=HeartbeatCheck.model_validate(item["check"]),
        token_hash=item.get("token_hash", ""),
        state=HeartbeatState.model_validate(state),
        created_ms=item.get("created_ms", 0),
    )

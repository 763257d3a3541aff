"""The flush lease on a group item, and what a flush writes under it."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from alertrouter.models.state import GroupState
from alertrouter.store.base import FlushLeaseStore, GroupProgress, LeaseHeldError
from alertrouter.store.dynamodb.codec import (
    GROUP_TTL_S,
    conditional_failed,
    decode_item,
    encode_item,
    expires_in,
    group_key,
)
from alertrouter.store.dynamodb.table import Table
from alertrouter.store.group_item import group_from_item


class FlushLeaseItems(Table, FlushLeaseStore):
    def claim(self, key: str, lease_id: str, now_ms: int, lease_ms: int) -> GroupState:
        try:
            got = self.client.update_item(
                TableName=self.table,
                Key=group_key(key),
                UpdateExpression="SET lease_id = :id, lease_until_ms = :until",
                # `lease_id = :id`: botocore's retry of this very claim (the first try applied, its answer lost
                # to a 5xx or a timeout) must not find the lease "taken" by itself and strand the group
                ConditionExpression="attribute_exists(pk) AND (attribute_not_exists(lease_id) OR "
                "lease_id = :empty OR lease_id = :id OR attribute_not_exists(lease_until_ms) OR "
                "lease_until_ms <= :now)",
                ExpressionAttributeValues=encode_item(
                    {
                        ":id": lease_id,
                        ":until": now_ms + lease_ms,
                        ":now": now_ms,
                        ":empty": "",
                    }
                ),
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if conditional_failed(exc):
                raise LeaseHeldError(key) from exc
            raise
        return group_from_item(decode_item(got["Attributes"]))

    def _set_under_lease(self, key: str, lease_id: str, changes: Mapping[str, Any]) -> GroupState:
        """SET these fields if (and only if) the lease is still ours; the group as it now is."""
        names = {f"#f{i}": name for i, name in enumerate(changes)}
        values = {f":v{i}": value for i, value in enumerate(changes.values())}
        try:
            got = self.client.update_item(
                TableName=self.table,
                Key=group_key(key),
                UpdateExpression="SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(changes))),
                ConditionExpression="lease_id = :lease",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=encode_item({**values, ":lease": lease_id}),
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if conditional_failed(exc):
                raise LeaseHeldError(key) from exc
            raise
        return group_from_item(decode_item(got["Attributes"]))

    def save_progress(self, key: str, lease_id: str, changes: GroupProgress) -> None:
        self._set_under_lease(key, lease_id, changes)

    def release(
        self,
        key: str,
        lease_id: str,
        changes: GroupProgress,
        clear_flush_until_ms: int,
        *,
        expires: bool = False,
        claimed_version: int | None = None,
    ) -> GroupState:
        group = self._set_under_lease(key, lease_id, {**changes, "lease_id": "", "lease_until_ms": 0})
        if claimed_version is not None and group.version == claimed_version:
            # Nothing arrived during the flush: the pending period ends, and a resolved, announced group
            # starts to expire. Conditional: a change landing right now keeps both as they are.
            update = "REMOVE pending_since_ms" + (" SET expires_at = :exp" if expires else "")
            with contextlib.suppress(ClientError):
                self.client.update_item(
                    TableName=self.table,
                    Key=group_key(key),
                    UpdateExpression=update,
                    ConditionExpression="version = :claimed",
                    ExpressionAttributeValues=encode_item(
                        {
                            ":claimed": claimed_version,
                            **({":exp": expires_in(GROUP_TTL_S)} if expires else {}),
                        }
                    ),
                )
                group.pending_since_ms = 0
        if 0 < group.flush_at_ms <= clear_flush_until_ms:
            # only if no later flush was marked meanwhile
            with contextlib.suppress(ClientError):
                self.client.update_item(
                    TableName=self.table,
                    Key=group_key(key),
                    UpdateExpression="SET flush_at_ms = :zero",
                    ConditionExpression="flush_at_ms = :seen",
                    ExpressionAttributeValues=encode_item({":zero": 0, ":seen": group.flush_at_ms}),
                )
            group.flush_at_ms = 0
        return group

    def prune_members(self, key: str, lease_id: str, members: dict[str, int], sms_keys: list[str]) -> bool:
        # One update: all or none (the router passes at most PRUNE_BATCH members, well under the 4 KB limit).
        items = list(members.items())
        names = {f"#m{i}": fp for i, (fp, _) in enumerate(items)}
        names.update({f"#s{i}": k for i, k in enumerate(sms_keys)})
        values: dict[str, Any] = {f":t{i}": ts for i, (_, ts) in enumerate(items)}
        removes = [f"members.#m{i}, notified.#m{i}" for i in range(len(items))]
        removes += [f"sms_notified.#s{i}" for i in range(len(sms_keys))]
        unchanged = [
            f"(attribute_not_exists(members.#m{i}) OR members.#m{i}.ts_ms = :t{i})" for i in range(len(items))
        ]
        try:
            self.client.update_item(
                TableName=self.table,
                Key=group_key(key),
                UpdateExpression="REMOVE " + ", ".join(removes),
                ConditionExpression=" AND ".join(["lease_id = :lease", *unchanged]),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=encode_item({**values, ":lease": lease_id}),
            )
            return True
        except ClientError as exc:
            if conditional_failed(exc):
                return False
            raise

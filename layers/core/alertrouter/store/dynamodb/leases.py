"""The flush lease on a group's header, and what a flush writes under it: the header's fields under the lease's
condition, each member's records (what was announced, sent, held back) on its own item, before the header."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from alertrouter.limits import RECORD_WRITERS
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
from alertrouter.store.dynamodb.group_layout import (
    MEMBER_PREFIX,
    PER_MEMBER,
    MemberWrite,
    assemble,
    counts,
    record_writes,
)
from alertrouter.store.dynamodb.groups import GroupPartition, member_key
from alertrouter.store.group_item import group_from_item


@dataclass
class _Claimed:
    """A claimed group as stored (flat values), to write only what a flush changes; and its records_gen."""

    flat: dict[str, Any]
    gen: int


class FlushLeaseItems(GroupPartition, FlushLeaseStore):
    def __init__(self, table_name: str, client: Any) -> None:
        super().__init__(table_name, client)
        self._claimed: dict[str, _Claimed] = {}  # lease id -> the group as stored under it

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
        header = decode_item(got["Attributes"])
        try:
            flat = assemble(header, self._partition(key, MEMBER_PREFIX))
            claimed = self._claimed[lease_id] = _Claimed(flat, int(header.get("records_gen", 0)))
            if any(name in header for name in PER_MEMBER):
                self._move_into_member_items(key, lease_id, claimed)
        except Exception:
            # Taken but not read (a throttled Query): given up at once, or the record's retry would find the
            # group held and its alert would wait for the lease to expire
            self._claimed.pop(lease_id, None)
            with contextlib.suppress(Exception):
                self.client.update_item(
                    TableName=self.table,
                    Key=group_key(key),
                    UpdateExpression="SET lease_id = :empty, lease_until_ms = :zero",
                    ConditionExpression="lease_id = :id",
                    ExpressionAttributeValues=encode_item({":empty": "", ":zero": 0, ":id": lease_id}),
                )
            raise
        return group_from_item(flat)

    def _move_into_member_items(self, key: str, lease_id: str, claimed: _Claimed) -> None:
        """A group of the earlier single-item layout, at its first flush since the upgrade: its members and their
        records move to member items, its header keeps only its own fields."""
        members = claimed.flat["members"]
        for fp, member in members.items():
            self._write_member(
                key,
                fp,
                GroupState.model_validate(
                    {"key": key, "route_id": "", "receiver": "", "members": {fp: member}}
                ).members[fp],
            )
        nothing = {**claimed.flat, **{name: {} for name in PER_MEMBER}, "flapping": []}
        for fp, write in record_writes(nothing, claimed.flat, claimed.gen).members.items():
            self._write_records(key, fp, write, must_exist=False)
        tally = counts(members)
        self.client.update_item(
            TableName=self.table,
            Key=group_key(key),
            UpdateExpression="REMOVE "
            + ", ".join(f"#r{i}" for i in range(len(PER_MEMBER)))
            + " SET member_count = :members, resolved_count = :resolved",
            ConditionExpression="lease_id = :lease",
            ExpressionAttributeNames={f"#r{i}": name for i, name in enumerate(PER_MEMBER)},
            ExpressionAttributeValues=encode_item(
                {":members": tally["member_count"], ":resolved": tally["resolved_count"], ":lease": lease_id}
            ),
        )

    def _write_records(self, key: str, fp: str, write: MemberWrite, *, must_exist: bool = True) -> None:
        """One member item's records (and, when moving a group to this layout, the member itself)."""
        names = {f"#a{i}": name for i, name in enumerate([*write.sets, *write.removes])}
        by_name = {name: alias for alias, name in names.items()}
        parts = []
        if write.sets:
            parts.append("SET " + ", ".join(f"{by_name[n]} = :v{i}" for i, n in enumerate(write.sets)))
        if write.removes:
            parts.append("REMOVE " + ", ".join(by_name[n] for n in write.removes))
        request: dict[str, Any] = {
            "TableName": self.table,
            "Key": member_key(key, fp),
            "UpdateExpression": " ".join(parts),
            "ExpressionAttributeNames": names,
        }
        if write.sets:
            request["ExpressionAttributeValues"] = encode_item(
                {f":v{i}": value for i, value in enumerate(write.sets.values())}
            )
        if must_exist:  # a record never creates an item: a member pruned or given up meanwhile stays gone
            request["ConditionExpression"] = "attribute_exists(pk)"
        try:
            self.client.update_item(**request)
        except ClientError as exc:
            if not conditional_failed(exc):
                raise

    def _set_under_lease(self, key: str, lease_id: str, changes: Mapping[str, Any]) -> GroupState:
        """Write these changes if (and only if) the lease is still ours: each member's records first (facts of
        what was sent: kept even if the lease was lost meanwhile), then the header's fields under the lease's
        condition. The group as it now is."""
        claimed = self._claimed.get(lease_id) or self._reread(key, lease_id)
        after = {**claimed.flat, **changes}
        writes = record_writes(claimed.flat, after, claimed.gen)
        if len(writes.members) <= RECORD_WRITERS:
            for fp, write in writes.members.items():
                self._write_records(key, fp, write)
        else:  # a storm's flush: thousands of independent conditional writes (a boto3 client is thread-safe)
            with ThreadPoolExecutor(RECORD_WRITERS, thread_name_prefix="records") as pool:
                for done in [
                    pool.submit(self._write_records, key, fp, w) for fp, w in writes.members.items()
                ]:
                    done.result()  # the first error is raised, after every write has been tried
        own = {name: value for name, value in changes.items() if name not in PER_MEMBER}
        names = {f"#f{i}": name for i, name in enumerate(own)}
        values = {f":v{i}": value for i, value in enumerate(own.values())}
        update = ", ".join(f"#f{i} = :v{i}" for i in range(len(own)))
        update = ("SET " + update if update else "") + (
            " ADD records_gen :one" if writes.new_records_gen else ""
        )
        request: dict[str, Any] = {
            "TableName": self.table,
            "Key": group_key(key),
            "UpdateExpression": update.strip() or "SET lease_id = :lease",
            "ConditionExpression": "lease_id = :lease",
            "ExpressionAttributeValues": encode_item(
                {**values, ":lease": lease_id, **({":one": 1} if writes.new_records_gen else {})}
            ),
            "ReturnValues": "ALL_NEW",  # the header: whether changes arrived meanwhile (its version)
        }
        if names:
            request["ExpressionAttributeNames"] = names
        try:
            got = self.client.update_item(**request)
        except ClientError as exc:
            if conditional_failed(exc):
                raise LeaseHeldError(key) from exc
            raise
        header = decode_item(got["Attributes"])
        members = {name: after[name] for name in PER_MEMBER}
        claimed.flat = {**assemble(header, ()), **members}
        claimed.gen = int(header.get("records_gen", 0))
        return group_from_item(claimed.flat)

    def _reread(self, key: str, lease_id: str) -> _Claimed:
        """The group as stored, for a write under a lease this store object did not claim (another process's
        retry): read whole."""
        items = list(self._partition(key, ""))
        header = next((i for i in items if not i["sk"].startswith(MEMBER_PREFIX)), {})
        flat = assemble(header, (i for i in items if i["sk"].startswith(MEMBER_PREFIX)))
        claimed = self._claimed[lease_id] = _Claimed(flat, int(header.get("records_gen", 0)))
        return claimed

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
        try:
            group = self._set_under_lease(key, lease_id, {**changes, "lease_id": "", "lease_until_ms": 0})
        finally:
            self._claimed.pop(lease_id, None)
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
        """Delete the member items (their records, SMS ones too, go with them) in one transaction with the
        header's counts, under the lease: all or none (a member changed since it was read keeps them all)."""
        header = {
            "Update": {
                "TableName": self.table,
                "Key": group_key(key),
                "UpdateExpression": "ADD member_count :gone, resolved_count :gone",
                "ConditionExpression": "lease_id = :lease",
                # (pruned members are resolved ones)
                "ExpressionAttributeValues": encode_item({":gone": -len(members), ":lease": lease_id}),
            }
        }
        deletes = [
            {
                "Delete": {
                    "TableName": self.table,
                    "Key": member_key(key, fp),
                    "ConditionExpression": "attribute_not_exists(m) OR m.ts_ms = :ts",
                    "ExpressionAttributeValues": encode_item({":ts": ts}),
                }
            }
            for fp, ts in members.items()
        ]
        try:
            self.client.transact_write_items(TransactItems=[header, *deletes])  # type: ignore[list-item]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                return False
            raise
        claimed = self._claimed.get(lease_id)
        if claimed is not None:
            claimed.flat = _without(claimed.flat, set(members))
        return True


def _without(flat: dict[str, Any], gone: set[str]) -> dict[str, Any]:
    """Flat group values without these members and their records."""
    return {
        **flat,
        "members": {fp: m for fp, m in flat["members"].items() if fp not in gone},
        "notified": {fp: n for fp, n in flat["notified"].items() if fp not in gone},
        "sms_notified": {k: v for k, v in flat["sms_notified"].items() if k.rpartition("@")[0] not in gone},
        "muted": {fp: r for fp, r in flat["muted"].items() if fp not in gone},
        "flapping": [fp for fp in flat["flapping"] if fp not in gone],
        "channel_notified": {
            c: {fp: n for fp, n in told.items() if fp not in gone}
            for c, told in flat["channel_notified"].items()
        },
    }

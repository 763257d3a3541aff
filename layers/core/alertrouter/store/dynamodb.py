"""The DynamoDB store: one table, `pk`/`sk` strings, conditional writes for every state change."""

from __future__ import annotations

import contextlib
import time
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from alertrouter.models.alert import Alert
from alertrouter.models.silence import Silence, extended
from alertrouter.models.state import (
    MAX_GROUP_MEMBERS,
    AlertState,
    EscalationState,
    GroupState,
    Member,
    QueuedPage,
)
from alertrouter.store.base import CLICK_FIELDS, AlertApplied, LeaseHeldError, StateStore

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

ALERT_TTL_S = 90 * 86400  # keep an alert's state 90 days after its last event
GROUP_TTL_S = 30 * 86400
HISTORY_TTL_S = 90 * 86400
SILENCE_KEEP_S = 7 * 86400  # an ended silence stays listable this long
SILENCE_MERGE_TRIES = 5  # rounds of read-merge-put racing other clicks on the same silence


# Our own attribute-value codec for the few types the items hold: boto3's TypeSerializer would bring
# `import boto3` (and its s3transfer) into every cold start.
def _attr(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, int | float | Decimal):
        return {"N": str(value)}
    if isinstance(value, dict):
        return {"M": {str(k): _attr(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [_attr(v) for v in value]}
    if value is None:
        return {"NULL": True}
    raise TypeError(f"cannot store a {type(value).__name__} in DynamoDB")


def _value(attr: dict[str, Any]) -> Any:
    [(kind, raw)] = attr.items()
    if kind == "S":
        return raw
    if kind == "N":
        return int(raw) if raw.lstrip("-").isdigit() else float(raw)
    if kind == "M":
        return {k: _value(v) for k, v in raw.items()}
    if kind == "L":
        return [_value(v) for v in raw]
    if kind == "BOOL":
        return bool(raw)
    if kind == "NULL":
        return None
    raise TypeError(f"unexpected DynamoDB attribute type {kind}")


def _item(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _attr(v) for k, v in values.items()}


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _value(v) for k, v in item.items()}


def _conditional_failed(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class DynamoDBStore(StateStore):
    def __init__(self, table_name: str, client: DynamoDBClient) -> None:
        self.table = table_name
        self.client = client

    # ---- alerts ----
    def _alert_key(self, fingerprint: str) -> dict[str, Any]:
        return {"pk": {"S": f"ALERT#{fingerprint}"}, "sk": {"S": "STATE"}}

    def get_alert(self, fingerprint: str) -> AlertState | None:
        got = self.client.get_item(
            TableName=self.table, Key=self._alert_key(fingerprint), ConsistentRead=True
        )
        return AlertState.model_validate(_plain(got["Item"])) if "Item" in got else None

    def set_failsafe_group(self, fingerprint: str, ts_ms: int, key: str) -> None:
        try:
            self.client.update_item(
                TableName=self.table,
                Key=self._alert_key(fingerprint),
                UpdateExpression="SET failsafe_group = :k",
                ConditionExpression="ts_ms = :ts",
                ExpressionAttributeValues=_item({":k": key, ":ts": ts_ms}),
            )
        except ClientError as exc:
            # failed on the condition: a newer event was applied meanwhile, and its own handling notes the group
            if not _conditional_failed(exc):
                raise

    def apply_alert(self, alert: Alert, now_ms: int) -> AlertApplied:
        # Optimistic concurrency: read, compute, write only if the stored ts is still what was read.
        for _ in range(5):
            old = self.get_alert(alert.fingerprint)
            if old is not None and old.ts_ms >= alert.timestamp_ms:
                return AlertApplied(False, old)
            new = AlertState.first(alert, now_ms) if old is None else old.next(alert, now_ms)
            values = {**new.model_dump(), "expires_at": int(time.time()) + ALERT_TTL_S}
            item = {**self._alert_key(alert.fingerprint), **_item(values)}
            try:
                if old is None:
                    self.client.put_item(
                        TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(pk)"
                    )
                else:
                    self.client.put_item(
                        TableName=self.table,
                        Item=item,
                        ConditionExpression="ts_ms = :old",
                        ExpressionAttributeValues={":old": {"N": str(old.ts_ms)}},
                    )
                return AlertApplied(True, new)
            except ClientError as exc:
                if not _conditional_failed(exc):
                    raise
        raise RuntimeError(f"alert {alert.fingerprint}: too much write contention")

    # ---- groups ----
    def _group_key(self, key: str) -> dict[str, Any]:
        return {"pk": {"S": f"GROUP#{key}"}, "sk": {"S": "GROUP"}}

    def get_group(self, key: str) -> GroupState | None:
        got = self.client.get_item(TableName=self.table, Key=self._group_key(key), ConsistentRead=True)
        return GroupState.model_validate(_plain(got["Item"])) if "Item" in got else None

    def get_clicks(self, key: str) -> dict[str, Any] | None:
        # only the four attributes: a full group (~150 KB) is not fetched and parsed again before each edit
        got = self.client.get_item(
            TableName=self.table,
            Key=self._group_key(key),
            ConsistentRead=True,
            ProjectionExpression=", ".join(CLICK_FIELDS) + ", pk",
        )
        if "Item" not in got:
            return None
        stored = _plain(got["Item"])
        defaults = GroupState.model_fields
        return {name: stored.get(name, defaults[name].default) for name in CLICK_FIELDS}

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
                    Key=self._group_key(key),
                    # no TTL while pending or firing: release() sets it once the group is resolved
                    UpdateExpression="SET members.#fp = :m, version = if_not_exists(version, :zero) + :one, "
                    "pending_since_ms = if_not_exists(pending_since_ms, :now) REMOVE expires_at",
                    ConditionExpression="attribute_exists(pk) AND ((attribute_not_exists(members.#fp) "
                    "AND size(members) < :cap) OR members.#fp.ts_ms < :ts)",
                    ExpressionAttributeNames={"#fp": fingerprint},
                    ExpressionAttributeValues=_item(
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
                return GroupState.model_validate(_plain(got["Attributes"]))
            except ClientError as exc:
                if not _conditional_failed(exc):
                    raise
                old: Any = exc.response.get("Item")
                if old:  # the group exists and has this member at least as new, or is full
                    return GroupState.model_validate(_plain(old))
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
                values = fresh.model_dump()
                self.client.put_item(
                    TableName=self.table,
                    Item={**self._group_key(key), **_item(values)},
                    ConditionExpression="attribute_not_exists(pk)",
                )
                return fresh
            except ClientError as exc:
                if not _conditional_failed(exc):
                    raise  # else: created concurrently; go round and update it
        raise RuntimeError(f"group {key}: too much write contention")

    def replace_member(
        self, group: GroupState, old: str, fingerprint: str, member: Member, now_ms: int
    ) -> GroupState | None:
        try:
            got = self.client.update_item(
                TableName=self.table,
                Key=self._group_key(group.key),
                UpdateExpression="REMOVE members.#old, expires_at SET members.#fp = :m, version = version + :one, "
                "pending_since_ms = if_not_exists(pending_since_ms, :now)",
                ConditionExpression="members.#old.ts_ms = :oldts AND members.#old.#status = :resolved "
                "AND attribute_not_exists(members.#fp)",
                ExpressionAttributeNames={"#old": old, "#fp": fingerprint, "#status": "status"},
                ExpressionAttributeValues=_item(
                    {
                        ":m": member.model_dump(),
                        ":one": 1,
                        ":now": now_ms,
                        ":oldts": group.members[old].ts_ms,
                        ":resolved": "resolved",
                    }
                ),
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if _conditional_failed(exc):
                return None
            raise
        return GroupState.model_validate(_plain(got["Attributes"]))

    def count_overflow(self, group: GroupState, reason: str, now_ms: int) -> GroupState:
        for _ in range(2):
            try:
                got = self.client.update_item(
                    TableName=self.table,
                    Key=self._group_key(group.key),
                    UpdateExpression="SET overflow.#r = if_not_exists(overflow.#r, :zero) + :one, "
                    "version = version + :one, pending_since_ms = if_not_exists(pending_since_ms, :now) "
                    "REMOVE expires_at",
                    ConditionExpression="attribute_exists(overflow)",
                    ExpressionAttributeNames={"#r": reason},
                    ExpressionAttributeValues=_item({":one": 1, ":zero": 0, ":now": now_ms}),
                    ReturnValues="UPDATED_NEW",  # not the whole (large) item: the caller has it
                )
                new = _plain(got["Attributes"])
                return group.model_copy(
                    update={
                        "overflow": {**group.overflow, **new.get("overflow", {})},
                        "version": int(new["version"]),
                        "pending_since_ms": int(new.get("pending_since_ms", group.pending_since_ms)),
                    }
                )
            except ClientError as exc:
                if not _conditional_failed(exc):
                    raise
            # a group item written before overflow existed: give it the map, then count
            try:
                self.client.update_item(
                    TableName=self.table,
                    Key=self._group_key(group.key),
                    UpdateExpression="SET overflow = if_not_exists(overflow, :empty)",
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeValues={":empty": {"M": {}}},
                )
            except ClientError as exc:
                if _conditional_failed(exc):  # the group item is gone (expired): retried from SQS
                    raise RuntimeError(f"group {group.key} vanished while counting an alert") from exc
                raise
        raise RuntimeError(f"group {group.key}: overflow could not be counted")

    def mark_flush_scheduled(self, key: str, due_ms: int) -> bool:
        try:
            self.client.update_item(
                TableName=self.table,
                Key=self._group_key(key),
                UpdateExpression="SET flush_at_ms = :due",
                ConditionExpression="attribute_exists(pk) AND "
                "(attribute_not_exists(flush_at_ms) OR flush_at_ms = :zero OR flush_at_ms > :due)",
                ExpressionAttributeValues=_item({":due": due_ms, ":zero": 0}),
            )
            return True
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise

    def claim(self, key: str, lease_id: str, now_ms: int, lease_ms: int) -> GroupState:
        try:
            got = self.client.update_item(
                TableName=self.table,
                Key=self._group_key(key),
                UpdateExpression="SET lease_id = :id, lease_until_ms = :until",
                # `lease_id = :id`: botocore's retry of this very claim (the first try applied, its answer lost
                # to a 5xx or a timeout) must not find the lease "taken" by itself and strand the group
                ConditionExpression="attribute_exists(pk) AND (attribute_not_exists(lease_id) OR "
                "lease_id = :empty OR lease_id = :id OR attribute_not_exists(lease_until_ms) OR "
                "lease_until_ms <= :now)",
                ExpressionAttributeValues=_item(
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
            if _conditional_failed(exc):
                raise LeaseHeldError(key) from exc
            raise
        return GroupState.model_validate(_plain(got["Attributes"]))

    def _set_under_lease(self, key: str, lease_id: str, changes: dict[str, Any]) -> GroupState:
        """SET these fields if (and only if) the lease is still ours; the group as it now is."""
        names = {f"#f{i}": name for i, name in enumerate(changes)}
        values = {f":v{i}": value for i, value in enumerate(changes.values())}
        try:
            got = self.client.update_item(
                TableName=self.table,
                Key=self._group_key(key),
                UpdateExpression="SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(changes))),
                ConditionExpression="lease_id = :lease",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=_item({**values, ":lease": lease_id}),
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if _conditional_failed(exc):
                raise LeaseHeldError(key) from exc
            raise
        return GroupState.model_validate(_plain(got["Attributes"]))

    def save_progress(self, key: str, lease_id: str, changes: dict[str, Any]) -> None:
        self._set_under_lease(key, lease_id, changes)

    def release(
        self,
        key: str,
        lease_id: str,
        changes: dict[str, Any],
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
                    Key=self._group_key(key),
                    UpdateExpression=update,
                    ConditionExpression="version = :claimed",
                    ExpressionAttributeValues=_item(
                        {
                            ":claimed": claimed_version,
                            **({":exp": int(time.time()) + GROUP_TTL_S} if expires else {}),
                        }
                    ),
                )
                group.pending_since_ms = 0
        if 0 < group.flush_at_ms <= clear_flush_until_ms:
            # only if no later flush was marked meanwhile
            with contextlib.suppress(ClientError):
                self.client.update_item(
                    TableName=self.table,
                    Key=self._group_key(key),
                    UpdateExpression="SET flush_at_ms = :zero",
                    ConditionExpression="flush_at_ms = :seen",
                    ExpressionAttributeValues=_item({":zero": 0, ":seen": group.flush_at_ms}),
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
                Key=self._group_key(key),
                UpdateExpression="REMOVE " + ", ".join(removes),
                ConditionExpression=" AND ".join(["lease_id = :lease", *unchanged]),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=_item({**values, ":lease": lease_id}),
            )
            return True
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise

    # ---- history ----
    def add_history(self, key: str, at_ms: int, kind: str, detail: dict[str, Any]) -> None:
        # sk sorts by time; the random tail keeps two entries of the same millisecond apart
        item = {
            "pk": f"HISTORY#{key}",
            "sk": f"{at_ms:013d}#{uuid.uuid4().hex[:8]}",
            "at_ms": at_ms,
            "kind": kind,
            **detail,
            "expires_at": int(time.time()) + HISTORY_TTL_S,
        }
        self.client.put_item(TableName=self.table, Item=_item(item))

    def history(self, key: str, limit: int = 100) -> list[dict[str, Any]]:
        got = self.client.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"HISTORY#{key}"}},
            ScanIndexForward=False,
            Limit=limit,
        )
        entries = [_plain(i) for i in got.get("Items", [])]
        for entry in entries:
            for name in ("pk", "sk", "expires_at"):
                entry.pop(name, None)
        return list(reversed(entries))

    # ---- Slack interactions ----
    def remember_request(self, key: str, expires_at_s: int) -> bool:
        try:
            self.client.put_item(
                TableName=self.table,
                Item=_item({"pk": f"REQUEST#{key}", "sk": "REQUEST", "expires_at": expires_at_s}),
                ConditionExpression="attribute_not_exists(pk)",
            )
            return True
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise

    def acknowledge(
        self, key: str, user: str, at_ms: int, *, ack: bool, episode: int | None = None
    ) -> tuple[GroupState | None, bool]:
        if ack:  # the first acknowledgement wins; a second click finds it and shows it
            update, condition = (
                "SET ack_by = :user, ack_ms = :at",
                ("attribute_exists(pk) AND (attribute_not_exists(ack_by) OR ack_by = :empty)"),
            )
            values = {":user": user, ":at": at_ms, ":empty": ""}
        else:
            update, condition = (
                "SET ack_by = :empty, ack_ms = :zero",
                "attribute_exists(ack_by) AND ack_by <> :empty",
            )
            values = {":empty": "", ":zero": 0}
        if episode is not None:
            condition += " AND episode = :episode"
            values[":episode"] = episode
        try:
            got = self.client.update_item(
                TableName=self.table,
                Key=self._group_key(key),
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeValues=_item(values),
                ReturnValues="ALL_NEW",
            )
            return GroupState.model_validate(_plain(got["Attributes"])), True
        except ClientError as exc:
            if not _conditional_failed(exc):
                raise
        return self.get_group(key), False  # already in the asked-for state, or unknown (None)

    def resolve_by_hand(
        self, key: str, user: str, at_ms: int, episode: int
    ) -> tuple[GroupState | None, bool]:
        try:
            got = self.client.update_item(
                TableName=self.table,
                Key=self._group_key(key),
                UpdateExpression="SET resolved_by = :user, resolved_ms = :at",
                ConditionExpression="attribute_exists(pk) AND episode = :episode AND "
                "(attribute_not_exists(resolved_by) OR resolved_by = :empty)",
                ExpressionAttributeValues=_item(
                    {":user": user, ":at": at_ms, ":episode": episode, ":empty": ""}
                ),
                ReturnValues="ALL_NEW",
            )
            return GroupState.model_validate(_plain(got["Attributes"])), True
        except ClientError as exc:
            if not _conditional_failed(exc):
                raise
        return self.get_group(key), False

    # ---- silences: one partition, read whole (silences are few) ----
    def _query_all(self, pk: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}},
            "ConsistentRead": True,
        }
        while True:
            got = self.client.query(**kwargs)
            items.extend(_plain(i) for i in got.get("Items", []))
            if "LastEvaluatedKey" not in got:
                return items
            kwargs["ExclusiveStartKey"] = got["LastEvaluatedKey"]

    @staticmethod
    def _silence_item(silence: Silence) -> dict[str, Any]:
        return _item(
            {
                **silence.model_dump(),
                "pk": "SILENCE",
                "sk": silence.id,
                "expires_at": silence.ends_at_ms // 1000 + SILENCE_KEEP_S,
            }
        )

    def put_silence(self, silence: Silence) -> None:
        self.client.put_item(TableName=self.table, Item=self._silence_item(silence))

    def extend_silence(self, silence: Silence) -> tuple[Silence, Silence | None]:
        # Read, merge, and put only if the item is still as read: a concurrent click makes the put fail and
        # this one merge again with what that click left (each round, some click's put succeeds).
        key = {"pk": {"S": "SILENCE"}, "sk": {"S": silence.id}}
        for _ in range(SILENCE_MERGE_TRIES):
            got = self.client.get_item(TableName=self.table, Key=key, ConsistentRead=True).get("Item")
            kept = Silence.model_validate(_plain(got)) if got else None
            stored = extended(kept, silence)
            if stored == kept:
                return stored, kept
            put: dict[str, Any] = {
                "TableName": self.table,
                "Item": self._silence_item(stored),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
            if kept is not None:  # still as read
                put.update(
                    ConditionExpression="starts_at_ms = :starts AND ends_at_ms = :ends AND #group = :group "
                    "AND episode = :episode",
                    ExpressionAttributeNames={"#group": "group"},
                    ExpressionAttributeValues=_item(
                        {
                            ":starts": kept.starts_at_ms,
                            ":ends": kept.ends_at_ms,
                            ":group": kept.group,
                            ":episode": kept.episode,
                        }
                    ),
                )
            try:
                self.client.put_item(**put)
                return stored, kept
            except ClientError as exc:
                if not _conditional_failed(exc):
                    raise
        raise RuntimeError(f"silence {silence.id} kept changing under {SILENCE_MERGE_TRIES} tries")

    def silences(self) -> list[Silence]:
        return sorted(
            (Silence.model_validate(i) for i in self._query_all("SILENCE")), key=lambda s: s.starts_at_ms
        )

    def expire_silence(self, silence_id: str, now_ms: int) -> Silence | None:
        # Two conditional tries: one that has started ends now; one that has not is also moved back, so
        # that it is over now too (a silence must end after it starts).
        for started, update in (
            (True, "SET ends_at_ms = :end, expires_at = :exp"),
            (False, "SET ends_at_ms = :end, starts_at_ms = :start, expires_at = :exp"),
        ):
            try:
                got = self.client.update_item(
                    TableName=self.table,
                    Key={"pk": {"S": "SILENCE"}, "sk": {"S": silence_id}},
                    UpdateExpression=update,
                    ConditionExpression="attribute_exists(pk) AND ends_at_ms > :now AND "
                    + ("starts_at_ms < :now" if started else "starts_at_ms >= :now"),
                    ExpressionAttributeValues=_item(
                        {
                            ":end": now_ms,
                            ":now": now_ms,
                            ":exp": now_ms // 1000 + SILENCE_KEEP_S,
                            **({} if started else {":start": now_ms - 1}),
                        }
                    ),
                    ReturnValues="ALL_NEW",
                )
                return Silence.model_validate(_plain(got["Attributes"]))
            except ClientError as exc:
                if not _conditional_failed(exc):
                    raise
        return None

    # ---- inhibition sources ----
    def set_inhibit_source(self, fingerprint: str, labels: dict[str, str], ts_ms: int, firing: bool) -> None:
        key = {"pk": {"S": "INHIBIT"}, "sk": {"S": fingerprint}}
        try:
            # An item per source, kept (with firing false) after it resolves so that an older event
            # delivered late cannot bring it back; its TTL removes it later.
            self.client.put_item(
                TableName=self.table,
                Item={
                    **key,
                    **_item(
                        {
                            "labels": labels,
                            "ts_ms": ts_ms,
                            "firing": firing,
                            "expires_at": int(time.time()) + ALERT_TTL_S,
                        }
                    ),
                },
                ConditionExpression="attribute_not_exists(pk) OR ts_ms < :ts",
                ExpressionAttributeValues=_item({":ts": ts_ms}),
            )
        except ClientError as exc:
            if not _conditional_failed(exc):
                raise

    def inhibit_sources(self) -> dict[str, dict[str, str]]:
        return {i["sk"]: i["labels"] for i in self._query_all("INHIBIT") if i.get("firing")}

    def get_alerts(self, fingerprints: list[str]) -> dict[str, AlertState]:
        found: dict[str, AlertState] = {}
        unique = list(dict.fromkeys(fingerprints))
        for start in range(0, len(unique), 100):  # BatchGetItem takes 100 keys
            keys = [self._alert_key(fp) for fp in unique[start : start + 100]]
            request: dict[str, Any] = {self.table: {"Keys": keys, "ConsistentRead": True}}
            for _ in range(8):
                got = self.client.batch_get_item(RequestItems=request)
                for item in got.get("Responses", {}).get(self.table, []):
                    state = AlertState.model_validate(_plain(item))
                    found[state.fingerprint] = state
                request = got.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(0.05)
            if request:
                raise RuntimeError("DynamoDB left keys unprocessed after retries")
        return found

    # ---- escalation ----
    def _escalation_key(self, key: str) -> dict[str, Any]:
        return {"pk": {"S": "ESCALATION"}, "sk": {"S": key}}

    def start_escalation(self, escalation: EscalationState) -> bool:
        try:
            self.client.put_item(
                TableName=self.table,
                Item={
                    **self._escalation_key(escalation.key),
                    **_item({**escalation.model_dump(), "expires_at": int(time.time()) + GROUP_TTL_S}),
                },
                ConditionExpression="attribute_not_exists(pk) OR episode <> :episode",
                ExpressionAttributeValues=_item({":episode": escalation.episode}),
            )
            return True
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise

    def escalations(self) -> list[EscalationState]:
        return [EscalationState.model_validate(i) for i in self._query_all("ESCALATION")]

    def advance_escalation(self, escalation: EscalationState, changes: dict[str, Any]) -> bool:
        changes = {**changes, "rev": escalation.rev + 1, "expires_at": int(time.time()) + GROUP_TTL_S}
        names = {f"#f{i}": name for i, name in enumerate(changes)}
        values = {f":v{i}": value for i, value in enumerate(changes.values())}
        try:
            self.client.update_item(
                TableName=self.table,
                Key=self._escalation_key(escalation.key),
                UpdateExpression="SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(changes))),
                ConditionExpression="episode = :episode AND (attribute_not_exists(#rev) OR #rev = :rev)",
                ExpressionAttributeNames={**names, "#rev": "rev"},
                ExpressionAttributeValues=_item(
                    {**values, ":episode": escalation.episode, ":rev": escalation.rev}
                ),
            )
            return True
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise

    def end_escalation(self, key: str, episode: int) -> None:
        try:
            self.client.delete_item(
                TableName=self.table,
                Key=self._escalation_key(key),
                ConditionExpression="episode = :episode",
                ExpressionAttributeValues=_item({":episode": episode}),
            )
        except ClientError as exc:
            if not _conditional_failed(exc):
                raise

    def claim_sms_slot(self, recipient: str, now_ms: int, gap_ms: int) -> bool:
        return self._claim_slot(pk=f"SMSPACE#{recipient}", sk="SMSPACE", now_ms=now_ms, gap_ms=gap_ms)

    def release_sms_slot(self, recipient: str, claimed_ms: int) -> None:
        self._release_slot(pk=f"SMSPACE#{recipient}", sk="SMSPACE", claimed_ms=claimed_ms)

    def claim_ops_page(self, cause: str, now_ms: int, gap_ms: int) -> bool:
        return self._claim_slot(pk=f"OPS#{cause}", sk="OPS", now_ms=now_ms, gap_ms=gap_ms)

    def release_ops_page(self, cause: str, claimed_ms: int) -> None:
        self._release_slot(pk=f"OPS#{cause}", sk="OPS", claimed_ms=claimed_ms)

    def _claim_slot(self, *, pk: str, sk: str, now_ms: int, gap_ms: int) -> bool:
        """One conditional put: the right to act now, unless someone took it less than gap_ms ago."""
        try:
            self.client.put_item(
                TableName=self.table,
                Item={
                    "pk": {"S": pk},
                    **_item({"sk": sk, "sent_ms": now_ms, "expires_at": now_ms // 1000 + 86400}),
                },
                ConditionExpression="attribute_not_exists(pk) OR sent_ms <= :before",
                ExpressionAttributeValues=_item({":before": now_ms - gap_ms}),
            )
            return True
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise

    def _release_slot(self, *, pk: str, sk: str, claimed_ms: int) -> None:
        try:
            self.client.delete_item(
                TableName=self.table,
                Key={"pk": {"S": pk}, "sk": {"S": sk}},
                ConditionExpression="sent_ms = :at",
                ExpressionAttributeValues=_item({":at": claimed_ms}),
            )
        except ClientError as exc:
            if not _conditional_failed(exc):
                raise

    # ---- one-shot alerts ----
    def set_expiry(self, fingerprint: str, ts_ms: int, due_ms: int) -> None:
        try:
            self.client.put_item(
                TableName=self.table,
                Item=_item(
                    {
                        "pk": "EXPIRE",
                        "sk": fingerprint,
                        "ts_ms": ts_ms,
                        "due_ms": due_ms,
                        "expires_at": due_ms // 1000 + 7 * 86400,
                    }
                ),
                ConditionExpression="attribute_not_exists(pk) OR ts_ms < :ts",
                ExpressionAttributeValues=_item({":ts": ts_ms}),
            )
        except ClientError as exc:
            if not _conditional_failed(exc):
                raise

    def expiries(self) -> list[tuple[str, int, int]]:
        return [(i["sk"], i["ts_ms"], i["due_ms"]) for i in self._query_all("EXPIRE")]

    def end_expiry(self, fingerprint: str, ts_ms: int) -> None:
        try:
            self.client.delete_item(
                TableName=self.table,
                Key={"pk": {"S": "EXPIRE"}, "sk": {"S": fingerprint}},
                ConditionExpression="ts_ms = :ts",
                ExpressionAttributeValues=_item({":ts": ts_ms}),
            )
        except ClientError as exc:
            if not _conditional_failed(exc):
                raise

    # ---- pages waiting for an SMS slot ----
    @staticmethod
    def _outbox_key(page: QueuedPage) -> dict[str, Any]:
        return {"pk": {"S": "OUTBOX"}, "sk": {"S": f"{page.recipient}#{page.key}#{page.fingerprint}"}}

    def queue_pages(self, pages: list[QueuedPage]) -> None:
        for page in pages:
            self.client.put_item(
                TableName=self.table,
                Item={
                    **self._outbox_key(page),
                    **_item({**page.model_dump(), "expires_at": page.queued_ms // 1000 + 86400}),
                },
            )

    def queued_pages(self) -> list[QueuedPage]:
        return sorted(
            (QueuedPage.model_validate(i) for i in self._query_all("OUTBOX")), key=lambda p: p.queued_ms
        )

    def drop_queued_pages(self, pages: list[QueuedPage]) -> None:
        for page in pages:  # only the page as read: one queued again since stays
            try:
                self.client.delete_item(
                    TableName=self.table,
                    Key=self._outbox_key(page),
                    ConditionExpression="queued_ms = :at",
                    ExpressionAttributeValues=_item({":at": page.queued_ms}),
                )
            except ClientError as exc:
                if not _conditional_failed(exc):
                    raise

    # ---- SLO aggregates (one item per SLO; its evaluator is the only writer) ----
    def load_slo_state(self, name: str) -> dict[str, Any] | None:
        got = self.client.get_item(
            TableName=self.table, Key={"pk": {"S": f"SLO#{name}"}, "sk": {"S": "STATE"}}, ConsistentRead=True
        )
        return _plain(got["Item"]) if "Item" in got else None

    def save_slo_state(self, name: str, state: dict[str, Any]) -> None:
        # kept 40 days after the last evaluation: an SLO removed from the file does not linger
        self.client.put_item(
            TableName=self.table,
            Item=_item(
                {**state, "pk": f"SLO#{name}", "sk": "STATE", "expires_at": int(time.time()) + 40 * 86400}
            ),
        )

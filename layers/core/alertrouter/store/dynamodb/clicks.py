"""What Slack's buttons record on a group item: the acknowledgement and the manual resolve."""

from __future__ import annotations

from botocore.exceptions import ClientError

from alertrouter.models.state import GroupState
from alertrouter.store.base import ClickStore
from alertrouter.store.dynamodb.codec import conditional_failed, decode_item, encode_item, group_key
from alertrouter.store.dynamodb.groups import GroupViewItems
from alertrouter.store.group_item import group_from_item


class ClickItems(GroupViewItems, ClickStore):
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
                Key=group_key(key),
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeValues=encode_item(values),
                ReturnValues="ALL_NEW",
            )
            return group_from_item(decode_item(got["Attributes"])), True
        except ClientError as exc:
            if not conditional_failed(exc):
                raise
        return self.get_group(key), False  # already in the asked-for state, or unknown (None)

    def resolve_by_hand(
        self, key: str, user: str, at_ms: int, episode: int
    ) -> tuple[GroupState | None, bool]:
        try:
            got = self.client.update_item(
                TableName=self.table,
                Key=group_key(key),
                UpdateExpression="SET resolved_by = :user, resolved_ms = :at",
                ConditionExpression="attribute_exists(pk) AND episode = :episode AND "
                "(attribute_not_exists(resolved_by) OR resolved_by = :empty)",
                ExpressionAttributeValues=encode_item(
                    {":user": user, ":at": at_ms, ":episode": episode, ":empty": ""}
                ),
                ReturnValues="ALL_NEW",
            )
            return group_from_item(decode_item(got["Attributes"])), True
        except ClientError as exc:
            if not conditional_failed(exc):
                raise
        return self.get_group(key), False

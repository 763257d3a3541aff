"""Handoffs: one partition, an item per schedule with whom it last had on call, replaced conditionally."""

from __future__ import annotations

from botocore.exceptions import ClientError

from alertrouter.models.state import NotedHandoff
from alertrouter.store.base import HandoffStore
from alertrouter.store.dynamodb.codec import conditional_failed, encode_item, handoff_key
from alertrouter.store.dynamodb.table import Table


class HandoffItems(Table, HandoffStore):
    def noted_handoffs(self) -> dict[str, NotedHandoff]:
        noted = (NotedHandoff.model_validate(i) for i in self._query_all("HANDOFF"))
        return {n.schedule: n for n in noted}

    def note_handoff(self, noted: NotedHandoff, previous: NotedHandoff | None) -> bool:
        # the first note needs no item there; a later one, the note it was computed from
        condition = "attribute_not_exists(pk) OR (person = :person AND since_ms = :since)"
        if previous is not None:
            condition = "person = :person AND since_ms = :since"
        was = previous or NotedHandoff(schedule=noted.schedule, since_ms=-1)
        try:
            self.client.put_item(
                TableName=self.table,
                Item={**handoff_key(noted.schedule), **encode_item(noted.model_dump())},
                ConditionExpression=condition,
                ExpressionAttributeValues=encode_item({":person": was.person, ":since": was.since_ms}),
            )
            return True
        except ClientError as exc:
            if conditional_failed(exc):
                return False
            raise

    def finish_handoff(self, noted: NotedHandoff) -> None:
        try:
            self.client.update_item(
                TableName=self.table,
                Key=handoff_key(noted.schedule),
                UpdateExpression="SET posted = :posted, synced = :synced",
                ConditionExpression="person = :person AND since_ms = :since",
                ExpressionAttributeValues=encode_item(
                    {
                        ":posted": noted.posted,
                        ":synced": noted.synced,
                        ":person": noted.person,
                        ":since": noted.since_ms,
                    }
                ),
            )
        except ClientError as exc:
            if not conditional_failed(exc):  # a later handoff was noted meanwhile: this one is history
                raise

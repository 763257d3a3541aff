"""Escalations: one partition, an item per paging group, moved on conditionally."""

from __future__ import annotations

from botocore.exceptions import ClientError

from alertrouter.models.state import EscalationState
from alertrouter.store.base import EscalationChanges, EscalationStore
from alertrouter.store.dynamodb.codec import (
    GROUP_TTL_S,
    conditional_failed,
    encode_item,
    escalation_key,
    expires_in,
)
from alertrouter.store.dynamodb.table import Table


class EscalationItems(Table, EscalationStore):
    def start_escalation(self, escalation: EscalationState) -> bool:
        try:
            self.client.put_item(
                TableName=self.table,
                Item={
                    **escalation_key(escalation.key),
                    **encode_item({**escalation.model_dump(), "expires_at": expires_in(GROUP_TTL_S)}),
                },
                ConditionExpression="attribute_not_exists(pk) OR episode <> :episode",
                ExpressionAttributeValues=encode_item({":episode": escalation.episode}),
            )
            return True
        except ClientError as exc:
            if conditional_failed(exc):
                return False
            raise

    def escalations(self) -> list[EscalationState]:
        return [EscalationState.model_validate(i) for i in self._query_all("ESCALATION")]

    def advance_escalation(self, escalation: EscalationState, changes: EscalationChanges) -> bool:
        written = {**changes, "rev": escalation.rev + 1, "expires_at": expires_in(GROUP_TTL_S)}
        names = {f"#f{i}": name for i, name in enumerate(written)}
        values = {f":v{i}": value for i, value in enumerate(written.values())}
        try:
            self.client.update_item(
                TableName=self.table,
                Key=escalation_key(escalation.key),
                UpdateExpression="SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(written))),
                ConditionExpression="episode = :episode AND (attribute_not_exists(#rev) OR #rev = :rev)",
                ExpressionAttributeNames={**names, "#rev": "rev"},
                ExpressionAttributeValues=encode_item(
                    {**values, ":episode": escalation.episode, ":rev": escalation.rev}
                ),
            )
            return True
        except ClientError as exc:
            if conditional_failed(exc):
                return False
            raise

    def end_escalation(self, key: str, episode: int) -> None:
        try:
            self.client.delete_item(
                TableName=self.table,
                Key=escalation_key(key),
                ConditionExpression="episode = :episode",
                ExpressionAttributeValues=encode_item({":episode": episode}),
            )
        except ClientError as exc:
            if not conditional_failed(exc):
                raise

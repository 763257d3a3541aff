"""Pages to the stack's ops topic (the self-monitoring alarms' topic): for failures Slack cannot carry."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from alertrouter.notify.base import NotifyError, OpsPager

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

SUBJECT_LIMIT = 100  # SNS refuses a longer subject (e-mail subscriptions show it)


class OpsTopic(OpsPager):
    def __init__(self, client: SNSClient, topic_arn: str) -> None:
        self.client = client
        self.topic_arn = topic_arn

    def page(self, subject: str, message: str) -> None:
        try:
            self.client.publish(
                TopicArn=self.topic_arn, Subject=" ".join(subject.split())[:SUBJECT_LIMIT], Message=message
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            raise NotifyError(f"ops page not published: {code}", retryable=False, code=code) from exc

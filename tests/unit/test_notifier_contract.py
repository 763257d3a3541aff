"""The one notifier contract (notify/base.py): Slack, SMS and the ops topic fail only with a NotifyError that
says whether trying again later can help."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from alertrouter.notify.base import NotifyError, OpsPager, SlackApi, SmsSender
from alertrouter.notify.ops import OpsTopic
from alertrouter.notify.slack import SlackClient
from alertrouter.notify.sms import SmsNotifier


class RefusingSns:
    """An SNS client whose publish fails with one error code (or succeeds with none)."""

    def __init__(self, code: str = "") -> None:
        self.code = code
        self.published: list[dict[str, Any]] = []

    def publish(self, **kwargs: Any) -> dict[str, Any]:
        if self.code:
            raise ClientError({"Error": {"Code": self.code, "Message": "no"}}, "Publish")
        self.published.append(kwargs)
        return {"MessageId": "1"}


def sms(code: str = "") -> SmsNotifier:
    return SmsNotifier(RefusingSns(code), lambda: {"oncall": "+15555550100"})  # type: ignore[arg-type]


def test_every_notifier_implements_its_part_of_the_contract() -> None:
    notifiers: tuple[SlackApi, SmsSender, OpsPager] = (
        SlackClient(lambda: "xoxb-test"),
        sms(),
        OpsTopic(RefusingSns(), "arn:aws:sns:us-east-1:123456789012:ops"),  # type: ignore[arg-type]
    )
    assert [type(n).__name__ for n in notifiers] == ["SlackClient", "SmsNotifier", "OpsTopic"]


@pytest.mark.parametrize(
    ("code", "retryable"),
    [
        ("Throttling", True),
        ("InternalError", True),
        ("InvalidParameter", False),
        ("AuthorizationError", False),
    ],
)
def test_an_sms_failure_says_whether_a_retry_can_help(code: str, retryable: bool) -> None:
    with pytest.raises(NotifyError) as failure:
        sms(code).send("oncall", "CRIT disk full")
    assert failure.value.retryable is retryable
    assert "+15555550100" not in str(failure.value)  # the number is masked, even in a failure


def test_an_sms_that_cannot_be_sent_as_written_is_permanent() -> None:
    with pytest.raises(NotifyError) as unknown:
        sms().send("nobody", "CRIT disk full")
    with pytest.raises(NotifyError) as too_long:
        sms().send("oncall", "x" * 1000)
    assert unknown.value.retryable is False and too_long.value.retryable is False


def test_an_ops_page_failure_is_permanent_and_names_its_cause() -> None:
    topic = OpsTopic(RefusingSns("AuthorizationError"), "arn:aws:sns:us-east-1:123456789012:ops")  # type: ignore[arg-type]
    with pytest.raises(NotifyError) as failure:
        topic.page("AlertRouter: Slack refuses its token", "rotate it")
    assert failure.value.retryable is False and failure.value.code == "AuthorizationError"

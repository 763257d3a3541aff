"""SMS pages through SNS: one segment, numbers looked up by name, never logged in full."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from alertrouter.notify.base import NotifyError, SmsSender
from alertrouter.notify.render import SMS_LIMIT

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

_RETRYABLE = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "InternalError",
    "InternalFailure",
    "ServiceUnavailable",
    "KMSThrottlingException",
}


def mask_number(number: str) -> str:
    """`+15555550100` -> `+*********00`: enough to tell two on-call phones apart in a log."""
    digits = number.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    return digits[0] + "*" * (len(digits) - 3) + digits[-2:]


class SmsNotifier(SmsSender):
    def __init__(self, client: SNSClient, numbers: Callable[[], dict[str, str]]) -> None:
        self.client = client
        self._numbers = numbers
        self.sent = 0

    def number_for(self, name: str) -> str:
        numbers = self._numbers()
        if name not in numbers:
            raise NotifyError(f"SMS recipient {name!r} is not in the SMS numbers secret", retryable=False)
        return numbers[name]

    def send(self, name: str, text: str) -> str:
        """Publish one SMS to the number kept under `name`; returns the masked number."""
        if len(text) > SMS_LIMIT:
            raise NotifyError(f"SMS of {len(text)} characters exceeds one segment", retryable=False)
        number = self.number_for(name)
        try:
            self.client.publish(
                PhoneNumber=number,
                Message=text,
                MessageAttributes={
                    "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}
                },
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            raise NotifyError(f"SMS to {mask_number(number)}: {code}", retryable=code in _RETRYABLE) from exc
        self.sent += 1
        return mask_number(number)

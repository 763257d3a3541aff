"""What SQS takes in a message: the characters it allows, and 262,144 bytes for the body and the message
attributes together (each attribute counts its name, data type and value), all as UTF-8 bytes
(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import MessageAttributeValueTypeDef

MAX_MESSAGE_BYTES = 256 * 1024
# Everything outside #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF, written as the few
# ranges it refuses (lone surrogates included): the same set, but the negated class over the whole of Unicode
# took 4 ms of every cold start to compile.
_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def sqs_text(text: str) -> str:
    """The text with each character SQS refuses (control characters, lone surrogates) replaced by U+FFFD."""
    return _REFUSED.sub("\ufffd", text)


def _bytes(name: str, attribute: MessageAttributeValueTypeDef) -> int:
    return len(name.encode()) + len(attribute["DataType"].encode()) + len(attribute["StringValue"].encode())


def fitted(body: str, attributes: dict[str, str]) -> tuple[str, dict[str, MessageAttributeValueTypeDef]]:
    """A message SQS takes, of `body` and these string attributes (values not empty): refused characters
    replaced, and the body cut on a character boundary to what the attributes leave; a cut body gets the
    attribute `body_bytes`, its size before the cut."""
    body = sqs_text(body)
    strings: dict[str, MessageAttributeValueTypeDef] = {
        name: {"DataType": "String", "StringValue": sqs_text(value)} for name, value in attributes.items()
    }
    size = len(body.encode())
    if size + sum(_bytes(n, a) for n, a in strings.items()) > MAX_MESSAGE_BYTES:
        strings["body_bytes"] = {"DataType": "Number", "StringValue": str(size)}
        room = MAX_MESSAGE_BYTES - sum(_bytes(n, a) for n, a in strings.items())
        body = body.encode()[: max(0, room)].decode("utf-8", "ignore")  # a character cut in two is dropped
    return body, strings

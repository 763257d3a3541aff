"""SQS message sizes in bytes: the body is cut on a character boundary to what its attributes leave."""

from __future__ import annotations

import pytest

from alertrouter.sqs_message import MAX_MESSAGE_BYTES, fitted, sqs_text


def size(body: str, attributes: dict[str, dict[str, str]]) -> int:
    return len(body.encode()) + sum(
        len(n.encode()) + len(a["DataType"].encode()) + len(a["StringValue"].encode())
        for n, a in attributes.items()
    )


ATTRIBUTES = {"reason": "r" * 10}
ROOM = MAX_MESSAGE_BYTES - len("reason") - len("String") - 10  # what the body may use beside ATTRIBUTES


def test_a_body_that_fits_is_kept_whole() -> None:
    body = "x" * ROOM
    assert fitted(body, ATTRIBUTES) == (body, {"reason": {"DataType": "String", "StringValue": "r" * 10}})


@pytest.mark.parametrize("char", ["x", "é", "€", "😀"])  # 1 to 4 UTF-8 bytes
def test_a_body_one_byte_too_large_is_cut_between_characters(char: str) -> None:
    body = char * (ROOM // len(char.encode()) + 1)
    kept, attributes = fitted(body, ATTRIBUTES)
    assert body.startswith(kept) and size(kept, attributes) <= MAX_MESSAGE_BYTES
    assert size(kept, attributes) > MAX_MESSAGE_BYTES - len(char.encode())  # no more cut than a character
    assert attributes["body_bytes"] == {"DataType": "Number", "StringValue": str(len(body.encode()))}


def test_exactly_the_characters_outside_sqs_allowed_set_are_replaced() -> None:
    # SQS allows #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF: every code point checked
    allowed = (
        {0x9, 0xA, 0xD}
        | set(range(0x20, 0xD800))
        | set(range(0xE000, 0xFFFE))
        | set(range(0x10000, 0x110000))
    )
    text = "".join(map(chr, range(0x110000)))
    cleaned = sqs_text(text)
    assert len(cleaned) == len(text)
    changed = {
        code for code, (before, after) in enumerate(zip(text, cleaned, strict=True)) if before != after
    }
    assert changed == set(range(0x110000)) - allowed
    assert all(cleaned[code] == "\ufffd" for code in changed)

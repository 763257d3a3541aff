"""Whom a page goes to, as written in a receiver's `sms` list or an escalation step.

Kept as one string in state (escalation items, queued pages), so an item written before a change still reads:
- `alice`: a text to the number kept under `alice` in the SMS numbers secret;
- `call:alice`: a voice call to that number (AWS End User Messaging SMS and Voice);
- `schedule:payments`: a text to whoever is on call in the schedule `payments` when the page goes out;
- `call:schedule:payments`: a call to them.

The config may also write the mapping forms `{call: alice}`, `{schedule: payments}` and
`{schedule: payments, by: call}`; `recipient_ref` turns them into the string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

Channel = Literal["sms", "voice"]
CALL = "call:"
SCHEDULE = "schedule:"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,99}$")
_LOOKS_LIKE_A_NUMBER = re.compile(r"\+?[\d\s()\-]{6,}")


@dataclass(frozen=True)
class Recipient:
    """A parsed recipient: a person's name, or a schedule's name to be resolved when paging."""

    channel: Channel
    person: str | None = None
    schedule: str | None = None

    @property
    def ref(self) -> str:
        target = self.person if self.person is not None else f"{SCHEDULE}{self.schedule}"
        return f"{CALL}{target}" if self.channel == "voice" else target

    def to(self, person: str) -> Recipient:
        """This recipient resolved: the schedule's person on call, reached the same way."""
        return Recipient(self.channel, person=person)


def parse_recipient(ref: str) -> Recipient:
    """The recipient a string names; ValueError saying why when it names none."""
    if not isinstance(ref, str) or not ref.strip():
        raise ValueError("a recipient is a name (alice), call:alice, schedule:NAME or call:schedule:NAME")
    text = ref.strip()
    channel: Channel = "sms"
    if text.startswith(CALL):
        channel, text = "voice", text[len(CALL) :]
    if text.startswith(SCHEDULE):
        name = text[len(SCHEDULE) :]
        _check_name(name, "schedule", ref)
        return Recipient(channel, schedule=name)
    if _LOOKS_LIKE_A_NUMBER.fullmatch(text):
        raise ValueError(
            "recipients name numbers kept in the SMS numbers secret; do not put numbers in the file"
        )
    _check_name(text, "person", ref)
    return Recipient(channel, person=text)


def recipient_ref(value: Any) -> str:
    """A config entry (string or mapping form) as its recipient string, checked."""
    if isinstance(value, dict):
        unknown = sorted(set(value) - {"call", "sms", "schedule", "by"})
        if unknown:
            raise ValueError(f"unknown recipient keys {unknown}: use call, sms, schedule (and by: call|sms)")
        by = value.get("by", "sms")
        if by not in ("sms", "call"):
            raise ValueError(f"recipient `by: {str(by)[:20]}`: use sms or call")
        targets = [k for k in ("call", "sms", "schedule") if k in value]
        if len(targets) != 1:
            raise ValueError("a recipient mapping names one of call, sms or schedule")
        key = targets[0]
        name = value[key]
        if not isinstance(name, str):
            raise ValueError(f"recipient `{key}` is a name")
        if key == "schedule":
            text = f"{CALL if by == 'call' else ''}{SCHEDULE}{name}"
        elif "by" in value:
            raise ValueError("`by` goes with `schedule` only ({call: alice} already says how)")
        else:
            text = f"{CALL if key == 'call' else ''}{name}"
        return parse_recipient(text).ref
    if not isinstance(value, str):
        raise ValueError(f"a recipient is a name or a mapping, got {type(value).__name__}")
    return parse_recipient(value).ref


def _check_name(name: str, what: str, ref: str) -> None:
    if not _NAME.fullmatch(name):
        raise ValueError(
            f"recipient {ref[:60]!r}: a {what} name is letters, digits and _ . @ + - (at most 100), "
            "starting with a letter or digit"
        )

"""What a button of a group's Slack message carries: its action id, and in its value the group's key and
episode, and for the Silence menu the chosen option, as `key:episode` and `choice|key:episode`. Written by the
renderer, read back by the interactions function, which trusts it only together with the message it was
clicked in."""

from __future__ import annotations

import re
from dataclasses import dataclass

ACK, UNACK, RESOLVE, SILENCE = (
    "alertrouter_ack",
    "alertrouter_unack",
    "alertrouter_resolve",
    "alertrouter_silence",
)
_EPISODE = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True)
class ButtonValue:
    key: str  # the group's key
    episode: int | None = None  # None: not readable from the value (then the whole value is the key)
    choice: str = ""  # the Silence menu's option (render.SILENCE_CHOICES); never contains "|"

    def encode(self) -> str:
        value = self.key if self.episode is None else f"{self.key}:{self.episode}"
        return f"{self.choice}|{value}" if self.choice else value

    @classmethod
    def parse(cls, value: str, *, with_choice: bool = False) -> ButtonValue:
        """A clicked button's value (`with_choice`: a Silence menu option's). The key is what precedes the last
        ':' (keys may contain ':'), the choice what precedes the first '|'; a value without a readable episode
        is all key."""
        choice = ""
        if with_choice:
            choice, _, value = value.partition("|")
        key, _, episode_text = value.rpartition(":")
        episode = int(episode_text) if key and _EPISODE.fullmatch(episode_text) else None
        return cls(key or value, episode, choice)

"""What a page call says, read aloud by Amazon Polly: the alerts' titles, short and without markup, then how to
acknowledge (in Slack). As plain text, or as SSML with its markup characters escaped.

Pure: no AWS here (notify/voice.py places the call)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

if TYPE_CHECKING:
    from alertrouter.models.state import Member

TITLES_READ = 3  # a call names at most this many alerts; the rest are counted ("and 4 more")
TITLE_CHARS = 80  # each title read at most this long: a call is listened to, not read
TEXT_LIMIT = 3000  # SendVoiceMessage's MessageBody as TEXT
SSML_LIMIT = 6000  # as SSML, its tags included
ACKNOWLEDGE = "To acknowledge, open the alert in Slack and press Acknowledge."
_SEVERITY_WORDS = {"critical": "Critical", "warning": "Warning", "info": "Info"}
# what reads badly aloud or is markup somewhere: Slack mrkdwn, brackets, code fences (`<`, `>` and `&` are
# kept, "Latency > 2s" is read as it is meant, and escaped in SSML)
_MARKUP = re.compile(r"[*_~`|{}\[\]#\\^]+")
_SLACK_LINK = re.compile(r"<https?://[^>|\s]*(?:\|([^>]*))?>")  # <url|label>: its label, or nothing
_URL = re.compile(r"https?://\S+")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class VoiceScript:
    """A page call's words: the severity of the first alert, the titles read, how many alerts in all."""

    severity: str
    titles: tuple[str, ...]
    total: int
    account_label: str = ""

    def sentences(self) -> list[str]:
        where = f" in account {spoken(self.account_label)}" if self.account_label else ""
        count = "1 alert is" if self.total == 1 else f"{self.total} alerts are"
        head = f"This is the alert router. {self.severity}{where}: {count} not acknowledged."
        named = "; ".join(self.titles)
        more = self.total - len(self.titles)
        body = named + (f"; and {more} more" if more > 0 else "") + "."
        return [head, body, ACKNOWLEDGE]

    def text(self) -> str:
        """Plain text (MessageBodyTextType TEXT), said twice: the first words are often missed."""
        once = " ".join(self.sentences())
        return f"{once} Again: {once}"[:TEXT_LIMIT]

    def ssml(self) -> str:
        """SSML (MessageBodyTextType SSML): the same words, escaped, with pauses between the sentences."""
        pause = '<break time="700ms"/>'
        once = pause.join(escape(s) for s in self.sentences())
        body = f'<speak>{once}<break time="1500ms"/>Again: {once}</speak>'
        if len(body) > SSML_LIMIT:  # (cannot happen with TITLES_READ titles of TITLE_CHARS; kept as a guard)
            body = f"<speak>{escape(' '.join(self.sentences()))[: SSML_LIMIT - 20]}</speak>"
        return body


def spoken(text: str, limit: int = TITLE_CHARS) -> str:
    """Outside text fit to be read aloud: no links, no markup characters, no control characters, spaces
    collapsed, at most `limit` characters (cut at a word)."""
    text = _URL.sub(" ", _SLACK_LINK.sub(lambda m: m.group(1) or " ", text))
    text = "".join(" " if unicodedata.category(c).startswith("C") else c for c in text)
    text = _SPACES.sub(" ", _MARKUP.sub(" ", text)).strip(" .;:")
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return text


def voice_script(members: list[Member], account_label: str = "") -> VoiceScript:
    """What a call about these alerts says (bundled, like an SMS: the first alerts named, the rest counted)."""
    if not members:
        raise ValueError("nothing to page about")
    first = members[0]
    titles = tuple(t for t in (spoken(m.title) for m in members[:TITLES_READ]) if t) or ("an alert",)
    severity = _SEVERITY_WORDS.get(first.severity, spoken(first.severity, 20).capitalize() or "Alert")
    return VoiceScript(severity=severity, titles=titles, total=len(members), account_label=account_label)

"""Which URLs from outside may become links: http and https with a host, nothing else.

A runbook tag, a job tag or an SLO event's field is whatever someone typed: `javascript:`, `data:`,
`vbscript:` and `file:` links run or read something on a click. Browsers drop leading control characters and
spaces and remove tabs and newlines anywhere in a URL (WHATWG URL parsing), so ` java\tscript:` is
`javascript:`; the check looks at the URL as a browser would read it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

from alertrouter.observability import ROUTER, module_logger

logger = module_logger(ROUTER, __name__)

WEB_SCHEMES = frozenset({"http", "https"})
_INVISIBLE = re.compile(r"[\t\n\r]")  # removed by browsers wherever they are in a URL
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_EDGES = "".join(chr(c) for c in range(0x21))  # leading and trailing C0 controls and spaces are dropped too


@lru_cache(maxsize=4096)  # a storm's alarms carry the same few runbook links; bounded, so memory stays flat
def web_url(url: str) -> str | None:
    """The URL as a browser reads it if it is http(s) with a host, else None (the reason logged once; an
    empty one is simply no URL)."""
    cleaned = _INVISIBLE.sub("", url.strip(_EDGES))
    if not cleaned:
        return None
    reason = _refusal(cleaned)
    if reason:
        _log_refusal(reason)
        return None
    return cleaned


def _refusal(url: str) -> str:
    if _CONTROL.search(url):
        return "control characters in the URL"
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return "not a URL"
    if parts.scheme.lower() not in WEB_SCHEMES:
        scheme = parts.scheme.lower()
        # only a plain word is logged (the rest of the URL may hold anything, a token among it)
        shown = scheme if scheme.isalpha() and len(scheme) <= 12 else "another"
        return f"scheme {shown}: not http or https" if scheme else "no scheme"
    if not host:
        return "no host"
    return ""


def whole_url(url: str, limit: int) -> str:
    """`url` if it is at most `limit` characters long, else "" (a cut URL would open something else: it is
    left out, the reason logged once)."""
    if len(url) <= limit:
        return url
    _log_refusal(f"longer than {limit} characters")
    return ""


@lru_cache(maxsize=64)  # once per process and reason: a storm of one hostile tag logs one line
def _log_refusal(reason: str) -> None:
    logger.warning("URL not shown as a link", extra={"reason": reason})

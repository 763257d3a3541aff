"""What the source parsers share: the open model base, validation that names the wrong fields, timestamps,
the account an ARN names, links found in free text, the OpenSearch domain's console page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, ValidationError

from alertrouter.sources.errors import MalformedEventError
from alertrouter.weburl import web_url

ZERO = timedelta(0)
_URL = re.compile(r"https?://[^\s<>\"')]+")

_M = TypeVar("_M", bound=BaseModel)


class OpenModel(BaseModel):
    """A part of an AWS payload: fields we do not read are ignored (AWS adds fields without notice)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


def invalid(kind: str, exc: ValidationError) -> MalformedEventError:
    problems = []
    for error in exc.errors()[:3]:
        where = ".".join(str(p) for p in error.get("loc", ())) or "(top level)"
        problems.append(f"{where}: {error.get('msg', 'invalid')}")
    more = f" (+{exc.error_count() - 3} more)" if exc.error_count() > 3 else ""
    return MalformedEventError(f"{kind}: {'; '.join(problems)}{more}")


def validated(model: type[_M], data: Any, kind: str) -> _M:
    """`data` as `model`, or a MalformedEventError naming the first fields that are wrong."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid(kind, exc) from exc


def parse_timestamp(value: str) -> datetime:
    """CloudWatch writes `2019-10-02T17:04:40.989+0000`; EventBridge `...Z`. Always tz-aware UTC."""
    try:
        parsed = datetime.fromisoformat(value.strip())  # 3.11+ reads both forms
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
        return parsed if parsed.utcoffset() == ZERO else parsed.astimezone(UTC)
    except (ValueError, OverflowError) as exc:  # (a date that leaves Python's range once in UTC)
        raise MalformedEventError(f"unreadable timestamp {value[:40]!r}") from exc


def arn_account(arn: str) -> str:
    """The account an ARN names (`arn:aws:batch:us-east-1:123456789012:job-queue/q` -> `123456789012`);
    "" when it names none or is no ARN."""
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""


def first_url(text: str) -> str | None:
    """The first http(s) link in a free text (an alarm's or an event's description)."""
    found = _URL.search(text) if "://" in text else None
    return web_url(trimmed_url(found.group(0))) if found else None


def trimmed_url(url: str) -> str:
    return url.rstrip(".,;:!")  # the sentence's full stop is not part of the link


def domain_console_url(region: str, domain: str) -> str:
    """An OpenSearch Service domain's page in the console (its health, nodes and logs)."""
    return (
        f"https://{region}.console.aws.amazon.com/aos/home?region={region}"
        f"#opensearch/domains/{quote(domain, safe='')}"
    )

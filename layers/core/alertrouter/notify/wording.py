"""Words every message uses: times in the team's time zone (UTC beside them), durations in words, the
account's name, where an alert is."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from alertrouter.models.config import MessageSettings
from alertrouter.models.state import Member

MINUTE_MS = 60_000
# An event whose own time is further than this from when it reached us was late, replayed or queued: the
# message then shows both times.
LATE_MS = 5 * MINUTE_MS


def duration_words(ms: int) -> str:
    """`45 s`, `14 min`, `2 h 5 min`, `3 days 4 h`: the two largest units, rounded down."""
    seconds = max(0, ms // 1000)
    if seconds < 60:
        return f"{seconds} s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if days >= 365:
        years = days // 365
        return f"{years} year{'s' if years != 1 else ''}"
    if days:
        unit = "day" if days == 1 else "days"
        return f"{days} {unit} {hours % 24} h" if hours % 24 else f"{days} {unit}"
    if hours:
        return f"{hours} h {minutes % 60} min" if minutes % 60 else f"{hours} h"
    return f"{minutes} min"


class Wording:
    """How one team's messages say times and places (the config's `messages:` settings). `names`: accounts'
    names known beside the config (AWS Organizations', as the alerts' `account_name` labels carry them)."""

    def __init__(
        self, settings: MessageSettings | None = None, names: Mapping[str, str] | None = None
    ) -> None:
        self.settings = settings or MessageSettings()
        self.names = names or {}

    def knowing(self, names: Mapping[str, str]) -> Wording:
        """This wording, with these accounts' names too (the config's still win)."""
        return Wording(self.settings, {**self.names, **names}) if names else self

    def account_name(self, account_id: str) -> str:
        """The name the config gives the account, else one known beside it ("" for none)."""
        return self.settings.account_names.get(account_id) or self.names.get(account_id, "")

    def account(self, account_id: str) -> str:
        """The account's name, else `account 123456789012` ("" for none)."""
        if not account_id:
            return ""
        return self.account_name(account_id) or f"account {account_id}"

    def where(self, accounts: set[str], regions: set[str]) -> str:
        """`in production (us-east-1)`, `in 3 accounts (us-east-1)`, `in production (2 regions)`."""
        account = self.account(next(iter(accounts))) if len(accounts) == 1 else ""
        if len(accounts) > 1:
            account = f"{len(accounts)} accounts"
        region = next(iter(regions)) if len(regions) == 1 else ""
        if len(regions) > 1:
            region = f"{len(regions)} regions"
        if account and region:
            return f"in {account} ({region})"
        return f"in {account or region}" if account or region else ""

    def at(self, ms: int, now_ms: int | None = None) -> str:
        """`09:06 UTC`, or `10:06 CET (09:06 UTC)` in a team's zone; with the date unless it is `now_ms`'s day."""
        return _at(self.settings.time_zone, ms // MINUTE_MS, None if now_ms is None else now_ms // MINUTE_MS)


@lru_cache(maxsize=2048)  # a storm's messages show the same few minutes
def _at(zone_name: str, minute: int, now_minute: int | None) -> str:
    zone = ZoneInfo(zone_name)
    moment = datetime.fromtimestamp(minute * 60, UTC)
    local = moment.astimezone(zone)
    same_day = now_minute is not None and (
        datetime.fromtimestamp(now_minute * 60, UTC).astimezone(zone).date() == local.date()
    )
    date = "" if same_day else f"{local:%Y-%m-%d} "
    if zone_name == "UTC":
        return f"{date}{local:%H:%M} UTC"
    utc_date = "" if same_day or moment.date() == local.date() else f"{moment:%Y-%m-%d} "
    return f"{date}{local:%H:%M} {local.tzname()} ({utc_date}{moment:%H:%M} UTC)"


def account_names(members: Iterable[Member]) -> dict[str, str]:
    """The accounts' names the members carry (their `account_name` label, which the router sets)."""
    return {m.account: name for m in members if m.account and (name := m.labels.get("account_name", ""))}

"""CloudWatch alarm mute rules looked up for the alarm deliveries that do not say whether they are muted.

An EventBridge alarm state change carries its mute rule (`detail.muteDetail`); an SNS notification and the
direct Lambda alarm action do not. When the stack is told to (MuteRulesForSnsAlarms), the router asks
CloudWatch: ListAlarmMuteRules for the alarm (the rules not yet expired), then GetAlarmMuteRule for each rule,
and evaluates the schedules itself (sources/mute_schedule.py). Both answers are kept for `max_age_s` per
process, so an alarm's repeated state changes cost no calls within it.

A lookup never loses or holds up an alert: any failure (AccessDenied, throttling, a timeout, a schedule this
code refuses) is logged once per cause with its reason, counted, and the alert goes on unmuted; after a failed
call the lookups pause for `pause_s`, so a throttled or denied API is not asked again for every alert.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from alertrouter.models.alert import Alert, MuteWindow
from alertrouter.observability import ROUTER, module_logger
from alertrouter.sources.mute_schedule import MuteRule, MuteSchedule, ScheduleError

logger = module_logger(ROUTER, "mute_rules")

MAX_AGE_S = 300.0
PAUSE_S = 60.0
NOT_EXPIRED = ["SCHEDULED", "ACTIVE"]
PAGE = 100  # the most ListAlarmMuteRules returns in one call (its default is 50)
FAILURE_METRIC = "MuteRuleLookupFailures"
# Alarms (and rules) remembered per process: a warm container that sees more forgets the oldest first, so
# memory stays bounded in a long storm of distinct alarms (each entry is a name and a few rule names)
MAX_CACHED = 10_000


_Kept = TypeVar("_Kept")


class MuteRulesApi(Protocol):
    """The two CloudWatch operations the lookup makes (a botocore `cloudwatch` client)."""

    def list_alarm_mute_rules(self, **kwargs: Any) -> Mapping[str, Any]: ...

    def get_alarm_mute_rule(self, **kwargs: Any) -> Mapping[str, Any]: ...


def rule_of(answer: Mapping[str, Any]) -> MuteRule:
    """A GetAlarmMuteRule answer as a MuteRule; ScheduleError when its schedule is refused."""
    schedule = (answer.get("Rule") or {}).get("Schedule") or {}
    name = str(answer.get("Name") or "")
    return MuteRule(
        name=name,
        arn=str(answer.get("AlarmMuteRuleArn") or ""),
        schedule=MuteSchedule.parse(
            str(schedule.get("Expression") or ""),
            str(schedule.get("Duration") or ""),
            schedule.get("Timezone"),
        ),
        alarms=frozenset((answer.get("MuteTargets") or {}).get("AlarmNames") or ()),
        start_date=_aware(answer.get("StartDate")),
        expire_date=_aware(answer.get("ExpireDate")),
        description=str(answer.get("Description") or ""),
    )


def _aware(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def rule_name(arn: str) -> str:
    """`arn:aws:cloudwatch:us-east-1:123456789012:alarm-mute-rule:nightly` -> `nightly`."""
    return arn.rsplit(":", 1)[-1]


def _reason(exc: Exception) -> tuple[str, str]:
    """(error code, reason): a ClientError's code and message, else the exception's type and text."""
    response = getattr(exc, "response", None)
    error = response.get("Error", {}) if isinstance(response, dict) else {}
    code = str(error.get("Code") or type(exc).__name__)
    return code, f"{code}: {str(error.get('Message') or exc)[:300]}"


class MuteRuleLookup:
    """The mute rule window covering an alarm's state change, from the CloudWatch API (cached)."""

    def __init__(
        self,
        client: MuteRulesApi,
        *,
        account: str = "",
        region: str = "",
        max_age_s: float = MAX_AGE_S,
        pause_s: float = PAUSE_S,
        clock: Callable[[], float] = time.monotonic,
        on_failure: Callable[[str], None] | None = None,
    ) -> None:
        self.client = client
        self.account = account  # the stack's own: the API answers for its own account and region only
        self.region = region
        self.max_age_s = max_age_s
        self.pause_s = pause_s
        self.clock = clock
        self.on_failure = on_failure  # told the metric name of each failure (the service counts it)
        self._alarms: dict[str, tuple[float, tuple[str, ...]]] = {}  # alarm -> (when, its rules' names)
        self._rules: dict[str, tuple[float, MuteRule | None]] = {}  # rule name -> (when, rule or refused)
        self._paused_until = 0.0
        self._logged: set[str] = set()
        self._lock = threading.Lock()

    def serves(self, alert: Alert) -> bool:
        """Whether the API can know the alert's alarm: one of the stack's own account and region."""
        labels = alert.labels
        return (not self.account or labels.get("account") == self.account) and (
            not self.region or labels.get("region") == self.region
        )

    def muted(self, alert: Alert) -> Alert:
        """The alert with the window of the mute rule covering its time, if one does (and it has none yet)."""
        if alert.muted is not None or not self.serves(alert):
            return alert
        window = self.window_for(alert.labels.get("alertname", ""), alert.timestamp_ms)
        return alert if window is None else alert.model_copy(update={"muted": window})

    def window_for(self, alarm_name: str, at_ms: int) -> MuteWindow | None:
        """The window covering `at_ms` of the alarm's mute rules (the one ending last); None if none does or
        the rules cannot be read."""
        if not alarm_name:
            return None
        names = self._rule_names(alarm_name)
        at = datetime.fromtimestamp(at_ms / 1000, UTC)
        found: MuteWindow | None = None
        for name in names:
            rule = self._rule(name)
            if rule is None or (rule.alarms and alarm_name not in rule.alarms):
                continue
            window = rule.window_at(at)
            if window is not None and (found is None or window.ends_at_ms > found.ends_at_ms):
                found = window
        return found

    # ---- the API, cached ----
    def _rule_names(self, alarm_name: str) -> tuple[str, ...]:
        now = self.clock()
        cached = self._alarms.get(alarm_name)
        if cached is not None and now - cached[0] < self.max_age_s:
            return cached[1]
        if now < self._paused_until:
            return ()
        try:
            names = listed_rule_names(self.client, AlarmName=alarm_name)
        except Exception as exc:  # noqa: BLE001 - an alert is never lost or held up for its mute rules
            self._failed("ListAlarmMuteRules", exc, now)
            return ()
        with self._lock:
            _remember(self._alarms, alarm_name, (now, names))
        return names

    def _rule(self, name: str) -> MuteRule | None:
        now = self.clock()
        cached = self._rules.get(name)
        if cached is not None and now - cached[0] < self.max_age_s:
            return cached[1]
        if now < self._paused_until:
            return None
        try:
            answer = self.client.get_alarm_mute_rule(AlarmMuteRuleName=name)
        except Exception as exc:  # noqa: BLE001 - as in _rule_names
            if _reason(exc)[0] == "ResourceNotFoundException":  # deleted since it was listed: no rule
                with self._lock:
                    _remember(self._rules, name, (now, None))
            else:
                self._failed("GetAlarmMuteRule", exc, now)
            return None
        try:
            rule: MuteRule | None = rule_of(answer)
        except ScheduleError as exc:
            rule = None
            self._log_once(
                f"refused:{name}",
                "alarm mute rule not applied: its schedule is refused",
                {"rule": name, "reason": str(exc)},
            )
            self._count()
        with self._lock:
            _remember(self._rules, name, (now, rule))
        return rule

    def _failed(self, operation: str, exc: Exception, now: float) -> None:
        code, reason = _reason(exc)
        with self._lock:
            self._paused_until = now + self.pause_s
        self._log_once(
            f"{operation}:{code}",
            "alarm mute rules not read: alerts from SNS and alarm actions go on unmuted",
            {"operation": operation, "reason": reason, "paused_s": self.pause_s},
        )
        self._count()

    def _count(self) -> None:
        if self.on_failure is not None:
            self.on_failure(FAILURE_METRIC)

    def _log_once(self, key: str, message: str, extra: dict[str, Any]) -> None:
        with self._lock:
            if key in self._logged:
                return
            self._logged.add(key)
        logger.warning(message, extra=extra)


def listed_rule_names(client: MuteRulesApi, **filters: str) -> tuple[str, ...]:
    """The names of the rules not yet expired (ListAlarmMuteRules, every page), each once, in the order
    listed; `filters` narrows the list (AlarmName)."""
    names: list[str] = []
    token = ""
    while True:
        page = client.list_alarm_mute_rules(
            **filters, Statuses=NOT_EXPIRED, MaxRecords=PAGE, **({"NextToken": token} if token else {})
        )
        names.extend(
            rule_name(str(s.get("AlarmMuteRuleArn", ""))) for s in page.get("AlarmMuteRuleSummaries", [])
        )
        token = str(page.get("NextToken") or "")
        if not token:
            return tuple(dict.fromkeys(n for n in names if n))


def _remember(cache: dict[str, _Kept], key: str, value: _Kept) -> None:
    """Keep `value` as the newest entry, dropping the oldest beyond MAX_CACHED (a dict keeps insertion order)."""
    cache.pop(key, None)
    cache[key] = value
    while len(cache) > MAX_CACHED:
        cache.pop(next(iter(cache)), None)


def every_rule(client: MuteRulesApi) -> tuple[list[MuteRule], list[str]]:
    """Every mute rule of the account and region not yet expired, read whole (the maintenance view's; the
    router's lookup asks per alarm), and a line for each one whose schedule is refused. API errors propagate."""
    rules, refused = [], []
    for name in listed_rule_names(client):
        try:
            rules.append(rule_of(client.get_alarm_mute_rule(AlarmMuteRuleName=name)))
        except ScheduleError as exc:
            refused.append(f"{name}: its schedule is refused ({exc})")
        except Exception as exc:  # noqa: BLE001 - deleted between the two calls: said, and the others shown
            if _reason(exc)[0] != "ResourceNotFoundException":
                raise
    return rules, refused

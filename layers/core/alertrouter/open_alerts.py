"""The OpenAlerts gauge: the escalator counts the open-alert index each minute, by account and severity, and
prints the counts as EMF lines (namespace AlertRouter, dimensions service, account, account_name, severity).

The index (models/open_alert.py, written by AlertStore.apply_alert) may hold an entry too many after a
failure between an alert's state write and its entry's delete; never one too few. Each minute one shard's
entries (OPEN_SHARDS of them, in turn) are checked against their alerts' states, and an entry whose alert is
no longer firing (or is gone) is dropped: a stray entry is counted for at most OPEN_SHARDS minutes, and the
check reads an eighth of the open alerts a minute."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from aws_lambda_powertools import single_metric
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

from alertrouter.models.alert import Status
from alertrouter.models.open_alert import OPEN_SHARDS, OpenEntry
from alertrouter.models.state import AlertState
from alertrouter.store.base import AlertStore, OpenAlertIndex

NAMESPACE = "AlertRouter"
METRIC = "OpenAlerts"
SERVICE = "alertrouter"  # the `service` dimension the dashboards select (the router's own health's too)
NO_ACCOUNT = "none"
# An entry is put before its alert's firing state is written: an entry younger than this whose alert is not
# (yet) firing may be a write under way (a router's record is retried within its 15-minute visibility).
SETTLE_MS = 15 * 60_000

Key = tuple[str, str, str]  # (account, account_name, severity): one EMF line each


@dataclass
class OpenCount:
    counts: Counter[Key] = field(default_factory=Counter)
    checked: int = 0  # entries checked against their alerts' states this minute
    dropped: int = 0  # entries whose alert is no longer firing, removed


class OpenAlertsGauge:
    """Counts the open alerts (reconciling one shard of the index a minute) and publishes the gauge."""

    def __init__(
        self,
        index: OpenAlertIndex,
        alerts: AlertStore,
        now_ms: Callable[[], int],
        account_names: Callable[[str], str] = lambda account: "",
    ) -> None:
        self.index = index
        self.alerts = alerts
        self.now_ms = now_ms
        self.account_names = account_names  # the config's names (messages.account_names)
        self.published: set[Key] = set()  # this process's last lines: a count gone to 0 is said as 0

    def measure(self) -> OpenCount:
        now = self.now_ms()
        outcome = OpenCount()
        entries = self.index.open_entries()
        shard = (now // 60_000) % OPEN_SHARDS
        checked = [e for e in entries if e.shard == shard]
        states = self.alerts.get_alerts([e.fingerprint for e in checked]) if checked else {}
        outcome.checked = len(checked)
        stale = {e.fingerprint for e in checked if _stale(e, states.get(e.fingerprint), now)}
        for entry in entries:
            if entry.fingerprint in stale:
                if self.index.drop_open(entry):
                    outcome.dropped += 1
                continue
            outcome.counts[self._key(entry)] += 1
        return outcome

    def publish(self, outcome: OpenCount) -> int:
        """Print one EMF line per (account, account_name, severity) counted, and a 0 for each line this
        process printed last time that has none now; how many lines were printed."""
        lines = dict.fromkeys(self.published, 0) | dict(outcome.counts)
        self.published = set(outcome.counts)
        if is_metrics_disabled():
            return 0
        for (account, account_name, severity), value in sorted(lines.items()):
            with single_metric(
                name=METRIC,
                unit=MetricUnit.Count,
                value=value,
                namespace=NAMESPACE,
                default_dimensions={"service": SERVICE},
            ) as metric:
                metric.add_dimension(name="account", value=account)
                metric.add_dimension(name="account_name", value=account_name)
                metric.add_dimension(name="severity", value=severity)
        return len(lines)

    def _key(self, entry: OpenEntry) -> Key:
        account = entry.account or NO_ACCOUNT
        name = entry.account_name or (self.account_names(entry.account) if entry.account else "") or account
        return account, name, entry.severity or "none"


def _stale(entry: OpenEntry, state: AlertState | None, now_ms: int) -> bool:
    """Whether the entry's alert is known not to be open: its state ended at or after the entry's event, or
    (past SETTLE_MS) it is not firing or gone."""
    if state is not None and state.status == Status.FIRING:
        return False
    if state is not None and state.ts_ms >= entry.ts_ms:
        return True
    return now_ms - entry.put_ms >= SETTLE_MS

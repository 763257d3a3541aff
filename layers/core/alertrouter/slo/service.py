"""The SLO evaluator's service: evaluate the SLOs, queue their alerts, keep their state, EMF metrics."""

from __future__ import annotations

import json
import time
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from alertrouter.aws import Clients
from alertrouter.models.settings import SloSettings
from alertrouter.observability import SLO, function_logger, function_metrics
from alertrouter.slo.alerts import alert_event
from alertrouter.slo.compiled import Slo
from alertrouter.slo.evaluator import Evaluator, SloReport, SloState
from alertrouter.slo.loader import SloError
from alertrouter.slo.rules import format_duration
from alertrouter.store.base import SloStateStore

logger = function_logger(SLO)
metrics = function_metrics(SLO)


class SloService:
    """One evaluation a minute: the usable SLOs evaluated, their alerts queued, their state kept. Built by
    the SLO evaluator's composition root (composition/slo_evaluator.py)."""

    def __init__(
        self,
        settings: SloSettings,
        clients: Clients,
        *,
        store: SloStateStore,
        slos: list[Slo],
        problems: list[SloError],
        cloudwatch: Any,
    ) -> None:
        self.settings = settings
        self.clients = clients
        self.store = store
        # One broken SLO is reported at every run (metric BrokenSlos, an ops alarm); the others are evaluated.
        self.slos, self.problems = slos, problems
        self.evaluator = Evaluator(self.slos, self._load, self._save, cloudwatch)

    def _load(self, name: str) -> SloState | None:
        raw = self.store.load_slo_state(name)
        return SloState.model_validate(raw) if raw is not None else None

    def _save(self, state: SloState) -> None:
        self.store.save_slo_state(state.name, state.model_dump())

    def report_problems(self) -> list[SloError]:
        """Log each SLO that cannot be evaluated, with its reason, and count them (metric BrokenSlos)."""
        for problem in self.problems:
            logger.error(
                "SLO not evaluated: its definition is invalid", extra={"reason": str(problem)[:1000]}
            )
        metrics.add_metric(name="BrokenSlos", unit=MetricUnit.Count, value=len(self.problems))
        metrics.flush_metrics()  # on its own line: the per-SLO lines that follow carry an `slo` dimension
        return self.problems

    def run(self, now: float | None = None) -> list[SloReport]:
        reports = self.evaluator.run(int(now if now is not None else time.time()), save=False)
        events = []
        for report in reports:
            events += [
                alert_event(
                    report,
                    r.rule.name,
                    r,
                    account=self.settings.account_id,
                    region=self.settings.region,
                    dashboard_url=self.settings.dashboard_url,
                )
                for r in report.firing
            ]
            events += [
                alert_event(report, name, None, account=self.settings.account_id, region=self.settings.region)
                for name in report.resolved
            ]
        self._send(events)
        self.evaluator.commit()  # only now: a failed send repeats this evaluation, resolves included
        return reports

    def _send(self, events: list[dict[str, Any]]) -> None:
        """Alerts go through the router's queue like any other source (durable, retried, de-duplicated)."""
        for first in range(0, len(events), 10):
            batch = events[first : first + 10]
            got = self.clients.sqs.send_message_batch(
                QueueUrl=self.settings.ingest_queue_url,
                Entries=[{"Id": str(i), "MessageBody": json.dumps(e)} for i, e in enumerate(batch)],
            )
            if got.get("Failed"):
                # The evaluation is redone next minute, so nothing is lost; failing loudly gets it noticed.
                raise RuntimeError(f"{len(got['Failed'])} SLO alerts not queued: {got['Failed'][0]}")


# The dimensions of each SLO's line, besides Powertools' `service` (alertrouter-slo): one set, so that a
# dashboard's SEARCH schema {AlertRouter/SLO,account,service,slo,slo_service} finds every SLO of every account.
ACCOUNT_DIMENSION = "account"  # the account the SLO's SLI is read in (its accountId, else the evaluator's)
SLO_DIMENSION = "slo"  # the SLO's name
SLO_SERVICE_DIMENSION = "slo_service"  # the SLO's OpenSLO service (`service` is the publishing function's)
NO_ACCOUNT = "none"  # no account known (a local run without ACCOUNT_ID): a dimension value is never empty


def publish(reports: list[SloReport], own_account: str = "") -> None:
    """Per SLO, one EMF line: budget remaining (%) and the burn rate of each window (no data: left out), and
    the rules firing, with dimensions account, slo_service and slo. own_account: the evaluator's account, for
    the SLOs read in it."""
    for report in reports:
        slo = report.slo
        metrics.add_dimension(name=ACCOUNT_DIMENSION, value=slo.account_id or own_account or NO_ACCOUNT)
        metrics.add_dimension(name=SLO_SERVICE_DIMENSION, value=slo.service)
        metrics.add_dimension(name=SLO_DIMENSION, value=slo.name)
        if report.remaining is not None:
            metrics.add_metric(
                name="ErrorBudgetRemaining", unit=MetricUnit.Percent, value=float(report.remaining) * 100
            )
        for window, burn in sorted(report.burns.items()):
            if burn is not None:
                metrics.add_metric(
                    name=f"BurnRate{format_duration(window)}", unit=MetricUnit.NoUnit, value=float(burn)
                )
        metrics.add_metric(name="FiringRules", unit=MetricUnit.Count, value=len(report.firing))
        metrics.flush_metrics()
        metrics.clear_metrics()  # (flush clears only when it prints: POWERTOOLS_METRICS_DISABLED keeps the slo)

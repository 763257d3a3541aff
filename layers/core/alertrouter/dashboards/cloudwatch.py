"""The hub's org-wide CloudWatch dashboard, `${AWS::StackName}-${AccountLabel}-org-slos` (template.yaml's
OrgSloDashboard, created in hub mode): every SLO of every account, worst budget first, their burn rates and
firing rules, the open alerts of each account, and the Batch job queues of every account.

The template holds the same body as JSON text (a test compares them, ${AWS::Region} substituted); this module
is what the demo and `alertrouter dashboard cloudwatch` print. Every query is a SEARCH over a dimension
schema, so the dashboard follows the SLO files and the accounts unchanged:

- the SLOs: the hub's evaluator publishes each SLO's line under the account the SLO is read in
  (slo/service.py: dimensions account, service, slo, slo_service);
- open alerts: the hub's escalator's OpenAlerts gauge (account, account_name, service, severity);
- Batch queues: each spoke's queue-metrics function, seen from the hub through the OAM link (in a
  monitoring account a SEARCH finds the metrics of every linked source account too).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

SLO_SCHEMA = "{AlertRouter/SLO,account,service,slo,slo_service}"
OPEN_ALERTS_SCHEMA = "{AlertRouter,account,account_name,service,severity}"
BATCH_SCHEMA = "{AlertRouter/Batch,JobQueue}"
PAGE_WINDOWS = ("1h", "5m", "6h", "30m")  # the default page rules' windows (slo/rules.py)
TICKET_WINDOWS = ("3d",)  # the default ticket rule's long window (its short one, 6h, is among the page's)
# a series' label: the SLO and the account it is read in (CloudWatch's dynamic labels)
SLO_LABEL = "${PROP('Dim.slo')} (${PROP('Dim.account')})"


def search(schema: str, metric_names: Sequence[str], stat: str, period: int) -> str:
    """A SEARCH expression for the metrics of one schema (namespace and exact dimension set) by name."""
    names = " OR ".join(f'"{name}"' for name in metric_names)
    which = names if len(metric_names) == 1 else f"({names})"
    return f"SEARCH('{schema} MetricName={which}', '{stat}', {period})"


def _widget(
    title: str, expression: str, *, at: tuple[int, int], region: str, width: int = 12, **properties: Any
) -> dict[str, Any]:
    """A metric widget 6 high, at (x, y) of the 24-column grid, graphing one expression."""
    x, y = at
    return {
        "type": "metric",
        "x": x,
        "y": y,
        "width": width,
        "height": 6,
        "properties": {
            "title": title,
            "region": region,
            "metrics": [[{"expression": expression, "id": "e1", "label": properties.pop("label", "")}]],
            **properties,
        },
    }


def org_slo_dashboard(region: str) -> dict[str, Any]:
    """The dashboard body (a dict; `body_json` is the text CloudWatch takes) for the hub's region."""
    budget = search(SLO_SCHEMA, ["ErrorBudgetRemaining"], "Minimum", 300)
    firing = search(SLO_SCHEMA, ["FiringRules"], "Maximum", 60)
    burn = [f"BurnRate{w}" for w in PAGE_WINDOWS]
    ticket = [f"BurnRate{w}" for w in TICKET_WINDOWS]
    return {
        "start": "-PT12H",
        "widgets": [
            _widget(
                "Error budget left (%), worst first",
                f"SORT({budget}, MIN, ASC)",
                at=(0, 0),
                region=region,
                label=SLO_LABEL,
                view="bar",
                stat="Minimum",
                period=300,
                setPeriodToTimeRange=True,
            ),
            _widget(
                "Error budget left (%) per SLO",
                budget,
                at=(12, 0),
                region=region,
                label=SLO_LABEL,
                view="timeSeries",
                stat="Minimum",
                period=300,
                yAxis={"left": {"label": "%", "showUnits": False}},
                annotations={"horizontal": [{"value": 0, "label": "budget exhausted", "color": "#d62728"}]},
            ),
            _widget(
                "Burn rate, page windows (1h, 5m, 6h, 30m)",
                search(SLO_SCHEMA, burn, "Maximum", 60),
                at=(0, 6),
                region=region,
                view="timeSeries",
                stat="Maximum",
                period=60,
                label="${PROP('Dim.slo')} ${PROP('MetricName')} (${PROP('Dim.account')})",
                annotations={
                    "horizontal": [
                        {"value": 14.4, "label": "14.4 (30d, 1h)"},
                        {"value": 6, "label": "6 (30d, 6h)"},
                    ]
                },
            ),
            _widget(
                "Burn rate, ticket window (3d)",
                search(SLO_SCHEMA, ticket, "Maximum", 300),
                at=(12, 6),
                region=region,
                label=SLO_LABEL,
                view="timeSeries",
                stat="Maximum",
                period=300,
                annotations={"horizontal": [{"value": 1, "label": "1 (30d, 3d)"}]},
            ),
            _widget(
                "Burn-rate rules firing per SLO, most first",
                f"SORT({firing}, MAX, DESC)",
                at=(0, 12),
                region=region,
                label=SLO_LABEL,
                view="bar",
                stat="Maximum",
                period=60,
                setPeriodToTimeRange=True,
            ),
            _widget(
                "Open alerts by account and severity",
                search(OPEN_ALERTS_SCHEMA, ["OpenAlerts"], "Maximum", 60),
                at=(12, 12),
                region=region,
                label="${PROP('Dim.account_name')} ${PROP('Dim.severity')}",
                view="timeSeries",
                stacked=True,
                stat="Maximum",
                period=60,
            ),
            _widget(
                "Batch jobs waiting and running, every account's queues",
                search(BATCH_SCHEMA, ["JobsRunnable", "JobsRunning"], "Maximum", 60),
                at=(0, 18),
                region=region,
                label="${PROP('Dim.JobQueue')} ${PROP('MetricName')}",
                view="timeSeries",
                stat="Maximum",
                period=60,
            ),
            _widget(
                "Oldest runnable Batch job (s), every account's queues",
                search(BATCH_SCHEMA, ["OldestRunnableAgeSeconds"], "Maximum", 60),
                at=(12, 18),
                region=region,
                label="${PROP('Dim.JobQueue')}",
                view="timeSeries",
                stat="Maximum",
                period=60,
            ),
        ],
    }


def body_json(region: str) -> str:
    """The body as CloudWatch takes it (PutDashboard's DashboardBody), one widget a line."""
    body = org_slo_dashboard(region)
    widgets = ",\n  ".join(json.dumps(w) for w in body["widgets"])
    return f'{{"start": {json.dumps(body["start"])}, "widgets": [\n  {widgets}\n]}}'

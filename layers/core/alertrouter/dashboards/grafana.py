"""The org-wide Grafana dashboard (Amazon Managed Grafana over CloudWatch), built with Grafana's own builders
(grafana-foundation-sdk; needed by the CLI only, never by a Lambda function).

Variables: the CloudWatch data source, its region, the account / service / SLO to show (the dimension values
the hub's SLO evaluator publishes: account, slo_service, slo; All by default), and the stack whose functions
and queues the router-health row watches (`<StackName>-<AccountLabel>`). Rows: the SLOs (budget left, worst
first; budget over time; burn rates; rules firing), open alerts by severity and account, the Batch queues of
every account, and the router's own health (what service.py counts and what the stack's ops alarms watch).

`alertrouter dashboard grafana [--out FILE]` writes it; docs/dashboards/org-slos.grafana.json is the
checked-in copy (kept in step by tests/infrastructure/test_dashboards.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from grafana_foundation_sdk.builders import cloudwatch, common, dashboard, stat, table, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import cloudwatch as cloudwatch_model
from grafana_foundation_sdk.models import common as common_model
from grafana_foundation_sdk.models import dashboard as model

UID = "alertrouter-org-slos"
DATASOURCE = model.DataSourceRef(type_val="cloudwatch", uid="${datasource}")
SLO_NAMESPACE, ROUTER_NAMESPACE, BATCH_NAMESPACE = "AlertRouter/SLO", "AlertRouter", "AlertRouter/Batch"
# what an SLO's line is filtered by: the hub's evaluator publishes exactly these (with `service`)
SLO_DIMENSIONS = {
    "account": "$account",
    "slo_service": "$service",
    "slo": "$slo",
    "service": "alertrouter-slo",
}
BURN_WINDOWS = ("5m", "30m", "1h", "6h", "3d")  # the default rules' windows (slo/rules.py)
ROUTER_COUNTS = ("AlertsReceived", "SlackPosts", "MalformedEvents", "SlackChannelFailures")
FUNCTIONS = ("router", "escalator", "slo-evaluator")  # "<StackName>-<AccountLabel>-<name>"
SLO_LABEL = "${PROP('Dim.slo')} (${PROP('Dim.account')})"


def query(
    ref: str,
    namespace: str,
    metric: str,
    dimensions: Mapping[str, str],
    statistic: str,
    *,
    label: str = "",
    period: str = "",
) -> cloudwatch.CloudWatchMetricsQuery:
    """A CloudWatch metric query (the query editor's builder mode): exactly these dimensions, each value
    a variable, a literal, or * (any)."""
    built = (
        cloudwatch.CloudWatchMetricsQuery()
        .ref_id(ref)
        .datasource(DATASOURCE)
        .query_mode(cloudwatch_model.CloudWatchQueryMode.METRICS)
        .metric_query_type(cloudwatch_model.MetricQueryType.SEARCH)
        .metric_editor_mode(cloudwatch_model.MetricEditorMode.BUILDER)
        .region("$region")
        .namespace(namespace)
        .metric_name(metric)
        .dimensions(dict(dimensions))
        .match_exact(True)
        .statistic(statistic)
        .label(label)
    )
    return built.period(period) if period else built


def _dimension_variable(name: str, label: str, dimension: str, filters: Mapping[str, str]) -> Any:
    """A variable listing one dimension's values on the SLO lines (filtered by the variables before it)."""
    return (
        dashboard.QueryVariable(name)
        .label(label)
        .datasource(DATASOURCE)
        .query(
            {
                "refId": name,
                "queryType": "dimensionValues",
                "region": "$region",
                "namespace": SLO_NAMESPACE,
                "metricName": "ErrorBudgetRemaining",
                "dimensionKey": dimension,
                "dimensionFilters": dict(filters),
            }
        )
        .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(model.VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value("*")
    )


def _variables() -> list[Any]:
    return [
        dashboard.DatasourceVariable("datasource").label("CloudWatch").type("cloudwatch"),
        dashboard.CustomVariable("region")
        .label("Region")
        .values("default")
        .description("The hub's region (default: the data source's)"),
        _dimension_variable("account", "Account", "account", {}),
        _dimension_variable("service", "Service", "slo_service", {"account": "$account"}),
        _dimension_variable("slo", "SLO", "slo", {"account": "$account", "slo_service": "$service"}),
        dashboard.TextBoxVariable("stack")
        .label("Stack")
        .default_value("alertrouter-hub")
        .description("The hub stack's <StackName>-<AccountLabel>: its functions' and queues' prefix"),
    ]


def _series(title: str, unit: str, targets: Sequence[Any], *, width: int = 12, stacked: bool = False) -> Any:
    """A time series panel, its legend a table of each series' last and highest values."""
    legend = (
        common.VizLegendOptions()
        .display_mode(common_model.LegendDisplayMode.TABLE)
        .placement(common_model.LegendPlacement.RIGHT)
        .show_legend(True)
        .calcs(["lastNotNull", "max"])
    )
    panel = (
        timeseries.Panel().title(title).datasource(DATASOURCE).unit(unit).span(width).height(8).legend(legend)
    )
    if stacked:
        panel = panel.stacking(common.StackingConfig().mode(common_model.StackingMode.NORMAL))
    return panel.targets(list(targets))


def _slo_rows(board: dashboard.Dashboard) -> dashboard.Dashboard:
    budget = query(
        "budget", SLO_NAMESPACE, "ErrorBudgetRemaining", SLO_DIMENSIONS, "Minimum", label=SLO_LABEL
    )
    worst_first = (
        table.Panel()
        .title("Error budget left (%), worst first")
        .datasource(DATASOURCE)
        .unit("percent")
        .span(8)
        .height(8)
        .show_header(True)
        .with_target(budget)
        .transformations(
            [
                model.DataTransformerConfig(
                    id_val="reduce", options={"reducers": ["lastNotNull"], "mode": "seriesToRows"}
                ),
                model.DataTransformerConfig(id_val="sortBy", options={"sort": [{"field": "Last *"}]}),
            ]
        )
    )
    burns = [
        query(f"burn{w}", SLO_NAMESPACE, f"BurnRate{w}", SLO_DIMENSIONS, "Maximum", label=f"{SLO_LABEL} {w}")
        for w in BURN_WINDOWS
    ]
    firing = query("firing", SLO_NAMESPACE, "FiringRules", SLO_DIMENSIONS, "Maximum", label=SLO_LABEL)
    return (
        board.with_row(dashboard.Row("SLOs: every account's"))
        .with_panel(worst_first)
        .with_panel(_series("Error budget left (%) per SLO", "percent", [budget], width=16))
        .with_panel(_series("Burn rate per SLO and window", "x", burns, width=16))
        .with_panel(
            stat.Panel()
            .title("Burn-rate rules firing")
            .datasource(DATASOURCE)
            .span(8)
            .height(8)
            .reduce_options(common.ReduceDataOptions().calcs(["max"]).values(False))
            .with_target(firing)
        )
    )


def _alerts_and_queues(board: dashboard.Dashboard) -> dashboard.Dashboard:
    open_alerts = query(
        "open",
        ROUTER_NAMESPACE,
        "OpenAlerts",
        {"service": "alertrouter", "account": "$account", "account_name": "*", "severity": "*"},
        "Maximum",
        label="${PROP('Dim.account_name')} ${PROP('Dim.severity')}",
    )
    queues = [
        query(
            name,
            BATCH_NAMESPACE,
            name,
            {"JobQueue": "*"},
            "Maximum",
            label=f"${{PROP('Dim.JobQueue')}} {name}",
        )
        for name in ("JobsRunnable", "JobsRunning")
    ]
    oldest = query(
        "oldest",
        BATCH_NAMESPACE,
        "OldestRunnableAgeSeconds",
        {"JobQueue": "*"},
        "Maximum",
        label="${PROP('Dim.JobQueue')}",
    )
    return (
        board.with_row(dashboard.Row("Open alerts and Batch queues"))
        .with_panel(
            _series("Open alerts by severity and account", "short", [open_alerts], width=24, stacked=True)
        )
        .with_panel(_series("Batch jobs waiting and running", "short", queues))
        .with_panel(_series("Oldest runnable Batch job", "s", [oldest]))
    )


def _router_health(board: dashboard.Dashboard) -> dashboard.Dashboard:
    counts = [
        query(name, ROUTER_NAMESPACE, name, {"service": "alertrouter"}, "Sum", label=name)
        for name in ROUTER_COUNTS
    ]
    functions = [
        query(
            f"{metric}{i}",
            "AWS/Lambda",
            metric,
            {"FunctionName": f"$stack-{name}"},
            "Sum",
            label=f"{name} {metric}",
        )
        for metric in ("Errors", "Throttles")
        for i, name in enumerate(FUNCTIONS)
    ]
    dlq = query(
        "dlq",
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        {"QueueName": "$stack-ingest-dlq"},
        "Maximum",
        label="records in the DLQ",
    )
    return (
        board.with_row(dashboard.Row("The router's own health"))
        .with_panel(_series("Router: alerts in, Slack out, refused", "short", counts, width=8))
        .with_panel(_series("Functions: errors and throttles", "short", functions, width=8))
        .with_panel(_series("Ingest dead-letter queue", "short", [dlq], width=8))
    )


def build() -> Any:
    """The dashboard model (grafana-foundation-sdk's Dashboard)."""
    board = (
        dashboard.Dashboard("AlertRouter: every account's SLOs")
        .uid(UID)
        .description("Every SLO of every account, open alerts, Batch queues and the router's health (hub)")
        .tags(["alertrouter", "slo"])
        .time("now-12h", "now")
        .refresh("1m")
        .variables(_variables())
    )
    built = _router_health(_alerts_and_queues(_slo_rows(board))).build()
    for number, panel in enumerate(built.panels or [], 1):  # unique ids, in reading order
        panel.id_val = number
    return built


def dashboard_json() -> str:
    """The dashboard as Grafana imports it (JSON, keys sorted, a newline at the end)."""
    data = json.loads(json.dumps(build(), cls=JSONEncoder))
    return json.dumps(data, indent=2, sort_keys=True) + "\n"

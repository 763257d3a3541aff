"""SLO definitions (OpenSLO v1): the shipped sample, every validation error, periods and alert rules."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml

from alertrouter.slo.compiled import Budgeting, CloudWatchMetric, Slo
from alertrouter.slo.loader import SloError, load_slo_file, load_slos
from alertrouter.slo.rules import BurnRule, default_rules
from alertrouter.slo.statistics import check_stat

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "config" / "slos.yaml"


def metric(name: str, stat: str = "Sum") -> dict[str, Any]:
    return {
        "metricSource": {
            "type": "CloudWatch",
            "spec": {
                "namespace": "Demo/Shop",
                "metricName": name,
                "dimensions": [{"name": "Service", "value": "shop"}],
                "stat": stat,
            },
        }
    }


BASE: dict[str, Any] = {
    "apiVersion": "openslo/v1",
    "kind": "SLO",
    "metadata": {"name": "shop-availability", "displayName": "Shop availability"},
    "spec": {
        "service": "shop",
        "indicator": {
            "metadata": {"name": "shop-errors"},
            "spec": {"ratioMetric": {"counter": False, "bad": metric("Errors"), "total": metric("Requests")}},
        },
        "timeWindow": [{"duration": "30d", "isRolling": True}],
        "budgetingMethod": "Occurrences",
        "objectives": [{"displayName": "99.9%", "target": 0.999}],
    },
}


def document(changes: dict[str, Any] | None = None, removed: tuple[str, ...] = ()) -> dict[str, Any]:
    """BASE with `changes` set and `removed` deleted, by dotted path (list items by index)."""
    doc = copy.deepcopy(BASE)
    for path, value in (changes or {}).items():
        *parents, last = path.split(".")
        _walk(doc, parents)[_key(last)] = value
    for path in removed:
        *parents, last = path.split(".")
        del _walk(doc, parents)[_key(last)]
    return doc


def _key(part: str) -> Any:
    return int(part) if part.isdigit() else part


def _walk(doc: Any, parts: list[str]) -> Any:
    for part in parts:
        doc = doc[_key(part)]
    return doc


def load(*docs: dict[str, Any]) -> list[Slo]:
    return load_slos(yaml.safe_dump_all(docs, sort_keys=False), source="slos.yaml")


def error(*docs: dict[str, Any]) -> str:
    with pytest.raises(SloError) as raised:
        load(*docs)
    return str(raised.value)


def policy(*conditions: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "AlertPolicy",
        "metadata": {"name": "burn"},
        "spec": {
            "conditions": [
                {"kind": "AlertCondition", "metadata": {"name": f"c{i}"}, "spec": c}
                for i, c in enumerate(conditions)
            ]
        },
    }


def condition(severity: str = "page", **fields: Any) -> dict[str, Any]:
    return {
        "severity": severity,
        "condition": {"kind": "burnrate", "op": "gt", "threshold": 14.4, "lookbackWindow": "1h", **fields},
    }


# ---- the shipped sample ----


def test_the_sample_file_loads_with_the_seeds_sli_set() -> None:
    # Given the shipped config/slos.yaml, When it is loaded
    slos = {slo.name: slo for slo in load_slo_file(SAMPLE)}
    assert list(slos) == [
        "checkout-availability",
        "checkout-latency",
        "checkout-latency-average",
        "checkout-latency-p90",
        "checkout-latency-p95",
        "batch-job-success",
        "batch-duration-average",
        "batch-duration-max",
    ]
    availability, latency, batch = (
        slos["checkout-availability"],
        slos["checkout-latency"],
        slos["batch-job-success"],
    )
    # Then the availability SLO counts 5xx over requests, 99.9% (exactly) over 30 days, default rules
    assert availability.name == "checkout-availability" and availability.service == "checkout"
    assert availability.target == Fraction(999, 1000) and availability.budgeting is Budgeting.OCCURRENCES
    assert availability.ratio.bad is not None and availability.ratio.good is None
    assert availability.ratio.bad.metric_name == "HTTPCode_Target_5XX_Count"
    assert availability.ratio.total.metric_name == "RequestCount"
    assert availability.ratio.bad.dimensions == {"LoadBalancer": "app/checkout/50dc6c495c0c9188"}
    assert availability.time_window.length == timedelta(days=30) and availability.min_events == 100
    assert [(r.name, r.threshold) for r in availability.rules] == [
        ("page-1h-5m", Fraction(72, 5)),
        ("page-6h-30m", 6),
        ("ticket-3d-6h", 1),
    ]
    # the latency SLO: fast requests (TC(:0.3)) over all (SampleCount) of one metric, 99% over 28 days
    assert latency.ratio.good is not None and latency.ratio.good.stat == "TC(:0.3)"
    assert latency.ratio.total.stat == "SampleCount" and latency.target == Fraction(99, 100)
    assert latency.time_window.length == timedelta(days=28)
    assert set(latency.ratio.metrics()) == {"good", "total"}
    # the batch SLO: a calendar month, 95%, its own rules
    assert batch.ratio.good is not None and batch.ratio.good.namespace == "AlertRouter/Batch"
    assert batch.ratio.total.dimensions == {"JobQueue": "nightly-etl"}
    assert not batch.time_window.rolling and batch.target == Fraction(19, 20) and batch.min_events == 10
    assert batch.rules == [
        BurnRule("page", timedelta(hours=6), timedelta(hours=1), Fraction(6)),
        BurnRule("ticket", timedelta(days=3), timedelta(hours=6), Fraction(1), timedelta(minutes=30)),
    ]
    # the threshold SLIs: one statistic each, good when at most the bound
    bounds = {
        name: (slo.threshold.metric.stat, slo.threshold.op, slo.threshold.value)
        for name, slo in slos.items()
        if slo.threshold is not None
    }
    assert bounds == {
        "checkout-latency-average": ("Average", "lte", Fraction(3, 10)),
        "checkout-latency-p90": ("p90", "lte", Fraction(1, 2)),
        "checkout-latency-p95": ("p95", "lte", Fraction(4, 5)),
        "batch-duration-average": ("Average", "lte", 1800),
        "batch-duration-max": ("Maximum", "lte", 3600),
    }


def test_other_kinds_are_skipped_and_blank_documents_ignored() -> None:
    service = {"apiVersion": "openslo/v1", "kind": "Service", "metadata": {"name": "shop"}, "spec": {}}
    text = "---\n" + yaml.safe_dump_all([service, BASE]) + "---\n"
    [slo] = load_slos(text)
    assert slo.name == "shop-availability" and slo.display_name == "Shop availability"


def test_the_display_name_defaults_to_the_name_and_target_percent_is_exact() -> None:
    [slo] = load(document({"spec.objectives": [{"targetPercent": 99.95}]}, removed=("metadata.displayName",)))
    assert slo.display_name == "shop-availability"
    assert slo.target == Fraction(9995, 10000)


def test_metric_keys_are_stable_however_dimensions_are_written() -> None:
    as_list = CloudWatchMetric.model_validate(
        {
            "namespace": "N",
            "metricName": "M",
            "stat": "Sum",
            "dimensions": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}],
        }
    )
    as_map = CloudWatchMetric(namespace="N", metric_name="M", stat="Sum", dimensions={"A": "1", "B": "2"})
    assert as_list.key() == as_map.key()
    assert as_list.key() != as_map.model_copy(update={"stat": "SampleCount"}).key()


@pytest.mark.parametrize(
    "stat",
    [
        "Sum",
        "SampleCount",
        "Average",
        "Minimum",
        "Maximum",
        "IQM",
        "p99",
        "p99.9",
        "p100",
        "tm90",
        "wm98",
        "tc90",
        "ts99.5",
        "TC(:0.3)",
        "TM(10%:90%)",
        "TM(150:1000)",
        "WM(:95%)",
        "TS(5%:)",
        "PR(:300)",
        "PR(100:2000)",
    ],
)
def test_cloudwatch_statistics_of_every_form_are_accepted(stat: str) -> None:
    assert check_stat(stat) == stat


@pytest.mark.parametrize(
    ("stat", "message"),
    [
        ("sum", "write 'Sum'"),
        ("Avg", "not a CloudWatch statistic"),
        ("p101", "between 0 and 100"),
        ("TC(0.3)", "not a CloudWatch statistic"),
        ("TC(:)", "at least one bound"),
        ("TM(10%:0.9)", "both bounds must be percentages or both values"),
        ("PR(10%:)", "PR takes values"),
        ("TM(90%:10%)", "lower bound must be below"),
        ("TM(:120%)", "between 0% and 100%"),
        ("TC(:fast)", "not a number"),
    ],
)
def test_malformed_statistics_are_refused(stat: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_stat(stat)


# ---- errors: one clear message naming file, document and field ----


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"spec.objectives.0.target": 1.5}, "spec.objectives.0.target: must be between 0 and 1 (exclusive)"),
        ({"spec.objectives.0.target": 0}, "spec.objectives.0.target: must be between 0 and 1 (exclusive)"),
        ({"spec.objectives.0.target": "high"}, "spec.objectives.0.target: must be a number, got 'high'"),
        (
            {"spec.objectives.0.targetPercent": 99.9},
            "spec.objectives.0.targetPercent: give target or targetPercent",
        ),
        ({"spec.objectives": []}, "spec.objectives: exactly one objective is supported, got 0"),
        (
            {"spec.objectives": [{"target": 0.99}, {"target": 0.999}]},
            "exactly one objective is supported, got 2",
        ),
        (
            {"spec.objectives.0.op": "lte"},
            "spec.objectives.0.op: only used with a thresholdMetric",
        ),
        ({"metadata.name": "Shop_Availability"}, "metadata.name: 'Shop_Availability' is not a valid name"),
        ({"metadata.name": "a" * 64}, "is not a valid name: at most 63"),
        (
            {"metadata.annotations": {"alertrouter/min-events": "lots"}},
            "metadata.annotations.alertrouter/min-events: must be a whole number of events",
        ),
        (
            {"metadata.annotations": {"alertrouter/min-event": "5"}},
            "metadata.annotations.alertrouter/min-event: unknown annotation",
        ),
        ({"spec.service": ""}, "spec.service: must not be empty"),
        ({"spec.budgetMethod": "Occurrences"}, "spec.budgetMethod: unknown field"),
        ({"spec.indicatorRef": "shop-errors"}, "spec.indicatorRef: not supported: inline the SLI"),
        (
            {"spec.indicator.spec.thresholdMetric": metric("Latency")},
            "spec.indicator.spec.thresholdMetric: give ratioMetric or thresholdMetric, not both",
        ),
        (
            {"spec.indicator.spec.ratioMetric.good": metric("Successes")},
            "spec.indicator.spec.ratioMetric.bad: give good or bad, not both",
        ),
        (
            {"spec.indicator.spec.ratioMetric.total": metric("Errors")},
            "spec.indicator.spec.ratioMetric.total: the same metric and statistic as the numerator",
        ),
        (
            {"spec.indicator.spec.ratioMetric.bad.metricSource.type": "Prometheus"},
            "spec.indicator.spec.ratioMetric.bad.metricSource.type: not supported: type 'Prometheus'",
        ),
        (
            {"spec.indicator.spec.ratioMetric.bad.metricSource.metricSourceRef": "cw"},
            "bad.metricSource.metricSourceRef: not supported",
        ),
        (
            {"spec.indicator.spec.ratioMetric.bad.metricSource.spec.stat": "Avg"},
            "spec.indicator.spec.ratioMetric.bad.metricSource.spec.stat: statistic 'Avg' is not a CloudWatch statistic",
        ),
        (
            {
                "spec.indicator.spec.ratioMetric.bad.metricSource.spec.dimensions": [
                    {"name": "A", "value": "1"},
                    {"name": "A", "value": "2"},
                ]
            },
            "bad.metricSource.spec.dimensions: dimension 'A' is given twice",
        ),
        (
            {
                "spec.indicator.spec.ratioMetric.bad.metricSource.spec.dimensions": [
                    {"Name": "A", "Value": "1"}
                ]
            },
            "dimension 0: write it as {name: ..., value: ...}",
        ),
        (
            {"spec.indicator.spec.ratioMetric.bad.metricSource.spec.dimensions": {"A": 1.5}},
            "the value must be text (quote it)",
        ),
        (
            {"spec.timeWindow.0.duration": "91d"},
            "spec.timeWindow.0.duration: '91d': a rolling window is 1d to 90d",
        ),
        ({"spec.timeWindow.0.duration": "1M"}, "a calendar month is duration: 1M, isRolling: false"),
        ({"spec.timeWindow.0.duration": "720h"}, "a rolling window is whole days or weeks"),
        (
            {"spec.timeWindow": [{"duration": "30d"}, {"duration": "28d"}]},
            "spec.timeWindow: give exactly one time window",
        ),
        (
            {"spec.timeWindow.0": {"duration": "1Q", "calendar": {"startTime": "2024-01-01 00:00:00"}}},
            "spec.timeWindow.0.duration: '1Q': the only calendar window supported is 1M",
        ),
        (
            {"spec.timeWindow.0": {"duration": "1M", "isRolling": False}},
            "spec.timeWindow.0.calendar: required",
        ),
        (
            {"spec.timeWindow.0": {"duration": "1M", "calendar": {"startTime": "2024-01-15 00:00:00"}}},
            "spec.timeWindow.0.calendar.startTime: a 1M window starts at the beginning of a month",
        ),
        (
            {"spec.timeWindow.0": {"duration": "1M", "calendar": {"startTime": "2024-01-01T00:00:00+02:00"}}},
            "leave out the UTC offset",
        ),
        (
            {"spec.timeWindow.0": {"duration": "1M", "calendar": {"startTime": "soon"}}},
            "spec.timeWindow.0.calendar.startTime: 'soon' is not a date and time",
        ),
        (
            {
                "spec.timeWindow.0": {
                    "duration": "1M",
                    "calendar": {"startTime": "2024-01-01 00:00:00", "timeZone": "Mars/Olympus"},
                }
            },
            "spec.timeWindow.0.calendar.timeZone: unknown time zone 'Mars/Olympus'",
        ),
        ({"spec.timeWindow.0.duration": "1d"}, "the default alert rules read up to 3d of data"),
        (
            {"spec.budgetingMethod": "RatioTimeslices"},
            "spec.budgetingMethod: 'RatioTimeslices' is not supported",
        ),
        (
            {"spec.budgetingMethod": "Timeslices"},
            "spec.objectives.0.timeSliceTarget: required when budgetingMethod",
        ),
        (
            {"spec.budgetingMethod": "Timeslices", "spec.objectives.0.timeSliceTarget": 0.95},
            "spec.objectives.0.timeSliceWindow: required when budgetingMethod is Timeslices",
        ),
        (
            {"spec.objectives.0.timeSliceTarget": 0.95},
            "timeSliceTarget: only used with budgetingMethod: Timeslices",
        ),
        (
            {
                "spec.budgetingMethod": "Timeslices",
                "spec.objectives.0.timeSliceTarget": 1.5,
                "spec.objectives.0.timeSliceWindow": "1m",
            },
            "timeSliceTarget: must be above 0 and at most 1",
        ),
        (
            {
                "spec.budgetingMethod": "Timeslices",
                "spec.objectives.0.timeSliceTarget": 0.9,
                "spec.objectives.0.timeSliceWindow": "7m",
            },
            "timeSliceWindow: '7m': a slice must divide an hour",
        ),
        (
            {
                "spec.budgetingMethod": "Timeslices",
                "spec.objectives.0.timeSliceTarget": 0.9,
                "spec.objectives.0.timeSliceWindow": "2h",
            },
            "timeSliceWindow: '2h': a slice is whole minutes, at most 1h",
        ),
        (
            {"spec.objectives.0.target": 0.9},
            (
                "spec.objectives.0.target: with target 0.9 the burn rate cannot exceed 10, so the default rule "
                "page-1h-5m (threshold 14.4) could never fire: give alertPolicies"
            ),
        ),
    ],
)
def test_each_invalid_field_is_named_with_a_clear_message(changes: dict[str, Any], expected: str) -> None:
    message = error(document(changes))
    assert message.startswith("slos.yaml: document 1 (")
    assert expected in message


@pytest.mark.parametrize(
    ("removed", "expected"),
    [
        ("spec.indicator", "spec.indicator: required"),
        ("spec.timeWindow", "spec.timeWindow: required"),
        ("spec.objectives.0.target", "spec.objectives.0.target: required: the share of good events"),
        ("spec.indicator.spec.ratioMetric.total", "spec.indicator.spec.ratioMetric.total: required"),
        ("spec.indicator.spec.ratioMetric.bad", "spec.indicator.spec.ratioMetric.good: required"),
        (
            "spec.indicator.spec.ratioMetric.bad.metricSource.spec.metricName",
            "metricSource.spec.metricName: required",
        ),
    ],
)
def test_missing_fields_are_named(removed: str, expected: str) -> None:
    assert expected in error(document(removed=(removed,)))


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        (
            [condition(op="lte")],
            "spec.alertPolicies.0.spec.conditions.0.spec.condition.op: only op: gt is supported",
        ),
        ([condition(kind="threshold")], "condition.kind: only kind: burnrate is supported"),
        ([condition(threshold=0)], "condition.threshold: must be above 0"),
        ([condition(threshold=1000)], "condition.threshold: 1000 can never be exceeded: with target 0.999"),
        ([condition(lookbackWindow="1M")], "condition.lookbackWindow: '1M': months, quarters and years"),
        ([condition(lookbackWindow="60")], "condition.lookbackWindow: '60' is not a duration"),
        (
            [condition(lookbackWindow="45d")],
            "condition.lookbackWindow: 45d is longer than the SLO period 30d",
        ),
        (
            [condition(lookbackWindow="30m")],
            "condition.lookbackWindow: the short window, lookbackWindow / 12 = 2m30s",
        ),
        ([condition(shortWindow="2h")], "condition.shortWindow: must not be longer than lookbackWindow"),
        ([condition(alertAfter="soon")], "condition.alertAfter: 'soon' is not a duration"),
        ([condition("sev1")], "spec.conditions.0.spec.severity: unknown severity 'sev1': use page, critical"),
        ([condition(), condition(threshold=20)], "spec.conditions.1: rule page-1h-5m is defined twice"),
    ],
)
def test_invalid_alert_conditions_are_named(conditions: list[dict[str, Any]], expected: str) -> None:
    assert expected in error(document({"spec.alertPolicies": [policy(*conditions)]}))


@pytest.mark.parametrize(
    ("policies", "expected"),
    [
        ([{"alertPolicyRef": "fast-burn"}], "spec.alertPolicies.0.alertPolicyRef: not supported: inline"),
        (
            [{"kind": "AlertPolicy", "spec": {"conditions": [{"conditionRef": "x"}]}}],
            "spec.alertPolicies.0.spec.conditions.0.conditionRef: not supported: inline the AlertCondition",
        ),
        (
            [{"kind": "AlertPolicy", "spec": {"conditions": []}}],
            "spec.alertPolicies.0.spec.conditions: give at least one condition",
        ),
        (
            [
                {
                    "kind": "AlertPolicy",
                    "spec": {"alertWhenNoData": True, "conditions": [{"spec": condition()}]},
                }
            ],
            "spec.alertPolicies.0.spec.alertWhenNoData: not supported",
        ),
        (
            [{"kind": "Policy", "spec": {"conditions": [{"spec": condition()}]}}],
            "spec.alertPolicies.0.kind: expected AlertPolicy, got 'Policy'",
        ),
    ],
)
def test_unsupported_alert_policies_are_refused(policies: list[dict[str, Any]], expected: str) -> None:
    assert expected in error(document({"spec.alertPolicies": policies}))


def test_document_errors_name_the_document_by_index_and_name() -> None:
    other = document({"metadata.name": "shop-latency", "spec.objectives.0.target": 2})
    assert error(BASE, other).startswith(
        "slos.yaml: document 2 (shop-latency): spec.objectives.0.target: must be between 0 and 1"
    )
    assert error(BASE, document()) == (
        "slos.yaml: document 2 (shop-availability): metadata.name: 'shop-availability' is already the name of "
        "document 1: SLO names must be unique"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kind: SLO\n", "slos.yaml: document 1: apiVersion: expected openslo/v1, got None"),
        (
            "apiVersion: openslo/v1alpha\nkind: SLO\n",
            "apiVersion: not supported: 'openslo/v1alpha' (another OpenSLO version): write openslo/v1",
        ),
        (
            "apiVersion: openslo/v1\nkind: Slo\nmetadata: {name: x}\n",
            "slos.yaml: document 1 (x): kind: unknown kind 'Slo': expected SLO",
        ),
        ("- a list\n", "slos.yaml: document 1, item 1: expected a mapping with apiVersion"),
        ("apiVersion: [\n", "slos.yaml: not valid YAML"),
    ],
)
def test_malformed_documents_are_refused(text: str, expected: str) -> None:
    with pytest.raises(SloError) as raised:
        load_slos(text, source="slos.yaml")
    assert str(raised.value).startswith("slos.yaml: ") and expected in str(raised.value)


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "slos.yaml"
    path.write_text(yaml.safe_dump(document({"spec.objectives.0.target": 1})))
    with pytest.raises(
        SloError, match=rf"^{path}: document 1 \(shop-availability\): spec.objectives.0.target"
    ):
        load_slo_file(path)
    with pytest.raises(SloError, match="cannot read SLO file"):
        load_slo_file(tmp_path / "missing.yaml")


# ---- periods ----


def calendar(zone: str) -> Slo:
    [slo] = load(
        document(
            {
                "spec.timeWindow.0": {
                    "duration": "1M",
                    "isRolling": False,
                    "calendar": {"startTime": "2024-01-01 00:00:00", "timeZone": zone},
                }
            }
        )
    )
    return slo


def test_a_rolling_period_ends_at_the_moment_asked() -> None:
    [slo] = load(BASE)
    at = datetime(2024, 3, 10, 12, 30, tzinfo=UTC)
    assert slo.period(at) == (datetime(2024, 2, 9, 12, 30, tzinfo=UTC), at)
    assert slo.period_length(at) == timedelta(days=30)


def test_a_calendar_month_in_utc() -> None:
    slo = calendar("UTC")
    # a 31-day month
    assert slo.period(datetime(2024, 1, 17, 8, 0, tzinfo=UTC)) == (
        datetime(2024, 1, 1, tzinfo=UTC),
        datetime(2024, 2, 1, tzinfo=UTC),
    )
    assert slo.period_length(datetime(2024, 1, 31, 23, 59, tzinfo=UTC)) == timedelta(days=31)
    # February of a leap year; December rolls into the next year
    assert slo.period_length(datetime(2024, 2, 29, tzinfo=UTC)) == timedelta(days=29)
    assert slo.period(datetime(2024, 12, 31, 23, 0, tzinfo=UTC))[1] == datetime(2025, 1, 1, tzinfo=UTC)


def test_a_calendar_month_in_another_time_zone_is_returned_in_utc() -> None:
    slo = calendar("Europe/Berlin")
    # March 2024 in Berlin: from 1 March 00:00 CET (+1) to 1 April 00:00 CEST (+2), 31 days less the DST hour
    start, end = slo.period(datetime(2024, 3, 15, tzinfo=UTC))
    assert (start, end) == (
        datetime(2024, 2, 29, 23, 0, tzinfo=UTC),
        datetime(2024, 3, 31, 22, 0, tzinfo=UTC),
    )
    assert start.tzinfo is UTC and end - start == timedelta(days=31, hours=-1)
    # 31 March 23:30 UTC is already April in Berlin
    assert slo.period(datetime(2024, 3, 31, 23, 30, tzinfo=UTC))[0] == datetime(
        2024, 3, 31, 22, 0, tzinfo=UTC
    )


def test_a_period_needs_an_aware_moment() -> None:
    [slo] = load(BASE)
    with pytest.raises(ValueError, match="timezone-aware"):
        slo.period(datetime(2024, 1, 1))


# ---- rules ----


def test_alert_policies_become_burn_rules() -> None:
    [slo] = load(
        document(
            {
                "spec.alertPolicies": [
                    policy(condition(alertAfter="5m")),
                    policy(
                        condition("ticket", threshold=2, lookbackWindow="1d", shortWindow="2h"),
                        {"severity": "critical", "condition": {"threshold": 6, "lookbackWindow": "6h"}},
                    ),
                ]
            }
        )
    )
    assert slo.rules == [
        BurnRule("page", timedelta(hours=1), timedelta(minutes=5), Fraction(72, 5), timedelta(minutes=5)),
        BurnRule("ticket", timedelta(days=1), timedelta(hours=2), Fraction(2)),
        BurnRule("critical", timedelta(hours=6), timedelta(minutes=30), Fraction(6)),  # op and kind default
    ]
    assert [r.name for r in slo.rules] == ["page-1h-5m", "ticket-1d-2h", "critical-6h-30m"]


@pytest.mark.parametrize(
    "window",
    [
        {"duration": "7d", "isRolling": True},
        {"duration": "4w"},
        {"duration": "90d"},
        {"duration": "1M", "calendar": {"startTime": "2024-01-01 00:00:00", "timeZone": "UTC"}},
    ],
)
def test_default_rules_scale_with_the_period(window: dict[str, Any]) -> None:
    [slo] = load(document({"spec.timeWindow.0": window}))
    assert slo.rules == default_rules(slo.nominal_period)
    expected = {
        "7d": timedelta(days=7),
        "4w": timedelta(days=28),
        "90d": timedelta(days=90),
        "1M": timedelta(days=30),
    }[window["duration"]]
    assert slo.nominal_period == expected
    page = slo.rules[0]
    assert page.threshold == Fraction(2, 100) * (expected // timedelta(hours=1))


def test_timeslices_budgeting() -> None:
    [slo] = load(
        document(
            {
                "spec.budgetingMethod": "Timeslices",
                "spec.objectives.0.timeSliceTarget": 0.95,
                "spec.objectives.0.timeSliceWindow": 5,
            }
        )
    )
    assert slo.budgeting == "Timeslices" and slo.slice_target == Fraction(19, 20) and slo.slice_minutes == 5
    [slo] = load(
        document(
            {
                "spec.budgetingMethod": "Timeslices",
                "spec.objectives.0.timeSliceTarget": 1,
                "spec.objectives.0.timeSliceWindow": "1h",
            }
        )
    )
    assert slo.slice_minutes == 60 and slo.slice_target == 1


def test_min_events_and_counters() -> None:
    [slo] = load(
        document(
            {
                "metadata.annotations": {"alertrouter/min-events": "70", "team": "shop"},
                "spec.indicator.spec.ratioMetric.counter": True,
            }
        )
    )
    assert slo.min_events == 70 and slo.ratio.counter

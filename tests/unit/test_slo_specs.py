"""SLO files as OpenSLO and Nobl9 users write them: CloudWatch specs with region and accountId, Metrics Insights
(sql) and metric math (json), threshold SLIs, top-level lists of documents; and every mistake in a file reported
at once with its path. The sample files are in tests/unit/golden/openslo/ (written for these tests)."""

from __future__ import annotations

import copy
import json
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from alertrouter.cli import main
from alertrouter.slo.compiled import (
    CloudWatchMetric,
    MetricMathQuery,
    MetricsInsightsQuery,
    RatioMetric,
    Slo,
    ThresholdMetric,
)
from alertrouter.slo.loader import SloError, load_slo_file, load_slos
from alertrouter.slo.testing import run_test_file

GOLDEN = Path(__file__).resolve().parent / "golden" / "openslo"
VALID_ID = re.compile(r"^[a-z][a-zA-Z0-9_]*$")


def by_name(path: Path) -> dict[str, Slo]:
    return {slo.name: slo for slo in load_slo_file(path)}


def ratio(slo: Slo) -> RatioMetric:
    assert slo.ratio is not None and slo.threshold is None
    return slo.ratio


def threshold(slo: Slo) -> ThresholdMetric:
    assert slo.threshold is not None and slo.ratio is None
    return slo.threshold


def check_queries(queries: list[dict[str, Any]], qid: str) -> None:
    """The contract of data_queries: one entry Id == qid returning data, helpers qid_* not returning, valid ids."""
    returned = [q for q in queries if q["ReturnData"]]
    assert [q["Id"] for q in returned] == [qid]
    for query in queries:
        assert VALID_ID.match(query["Id"])
        if query["Id"] != qid:
            assert query["Id"].startswith(f"{qid}_") and query["ReturnData"] is False
    assert len({q["Id"] for q in queries}) == len(queries)


# --- CloudWatch metrics with region and accountId (Nobl9's keys) -------------------------------------------


def test_a_cross_account_metric_in_another_region_is_read_there() -> None:
    slo = by_name(GOLDEN / "nobl9-cloudwatch.yaml")["api-availability"]
    parts = ratio(slo).metrics()
    good, total = parts["good"], parts["total"]
    assert isinstance(good, CloudWatchMetric) and isinstance(total, CloudWatchMetric)
    assert (good.region, good.account_id) == ("eu-central-1", "210987654321")
    assert good.dimensions == {"LoadBalancer": "app/api-prod/1a2b3c4d5e6f7a8b"}
    # `type: cloudwatch` (the total's) is read as CloudWatch too
    assert total.metric_name == "RequestCount" and total.region == "eu-central-1"
    assert good.data_queries("q7", 300) == [
        {
            "Id": "q7",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/ApplicationELB",
                    "MetricName": "HTTPCode_Target_2XX_Count",
                    "Dimensions": [{"Name": "LoadBalancer", "Value": "app/api-prod/1a2b3c4d5e6f7a8b"}],
                },
                "Period": 300,
                "Stat": "Sum",
            },
            "ReturnData": True,
            "AccountId": "210987654321",
        }
    ]
    assert slo.billed_metrics == 2 and good.billed_metrics == 1


def test_region_and_account_are_part_of_a_metrics_identity() -> None:
    base = {"namespace": "AWS/SQS", "metricName": "NumberOfMessagesSent", "stat": "Sum"}
    plain = CloudWatchMetric.model_validate(base)
    elsewhere = CloudWatchMetric.model_validate({**base, "region": "eu-west-1"})
    other_account = CloudWatchMetric.model_validate(
        {**base, "region": "eu-west-1", "accountId": "123456789012"}
    )
    assert len({plain.key(), elsewhere.key(), other_account.key()}) == 3
    # a metric without region and account keeps the key it had before they existed (state stays valid)
    assert plain.key() == '["AWS/SQS","NumberOfMessagesSent",[],"Sum"]'
    assert plain.region is None and plain.account_id is None
    assert "AccountId" not in plain.data_queries("q0", 60)[0]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"region": "Frankfurt"}, "'Frankfurt' is not an AWS region name"),
        ({"accountId": "12345"}, "an AWS account id is 12 digits"),
        ({"accountId": 12345}, "quote it"),
    ],
)
def test_a_wrong_region_or_account_is_named(spec: dict[str, Any], expected: str) -> None:
    with pytest.raises(ValidationError, match=expected):
        CloudWatchMetric.model_validate({"namespace": "N", "metricName": "M", "stat": "Sum", **spec})


def test_an_unquoted_12_digit_account_is_read_as_text() -> None:
    metric = CloudWatchMetric.model_validate(
        {"namespace": "N", "metricName": "M", "stat": "Sum", "accountId": 210987654321}
    )
    assert metric.account_id == "210987654321"


# --- Metrics Insights (sql) ---------------------------------------------------------------------------------


def test_a_metrics_insights_query_is_one_expression_at_the_period() -> None:
    slo = by_name(GOLDEN / "nobl9-cloudwatch.yaml")["lambda-errors-insights"]
    bad = ratio(slo).metrics()["bad"]
    assert isinstance(bad, MetricsInsightsQuery) and bad.region == "us-east-1"
    assert (
        bad.sql
        == "SELECT SUM(Errors) FROM SCHEMA(\"AWS/Lambda\", FunctionName) WHERE FunctionName = 'orders-api'"
    )
    assert bad.data_queries("q1", 60) == [
        {"Id": "q1", "Expression": bad.sql, "Period": 60, "ReturnData": True}
    ]
    assert bad.max_age.days == 14 and bad.billed_metrics == 1
    # CloudWatch takes one Metrics Insights query per GetMetricData call; the other kinds batch
    assert bad.one_per_call and not CloudWatchMetric.one_per_call and not MetricMathQuery.one_per_call


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"sql": "SUM(Errors) FROM x"}, "starts with SELECT"),
        ({"sql": 'SELECT SUM(Errors) FROM "AWS/Lambda" GROUP BY FunctionName'}, "not supported: GROUP BY"),
        ({"sql": 'SELECT SUM(Errors) FROM "AWS/Lambda"', "accountId": "123456789012"}, "WHERE AWS.AccountId"),
        ({"sql": "SELECT " + "x" * 2048}, "at most 2048 characters"),
        (
            {"sql": 'SELECT SUM(Errors) FROM "AWS/Lambda"', "stat": "Sum"},
            "sql and stat cannot be given together",
        ),
    ],
)
def test_a_query_that_cannot_be_one_series_is_refused(spec: dict[str, Any], expected: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(expected)):
        MetricsInsightsQuery.model_validate(spec)


def test_a_group_by_inside_quotes_is_only_text() -> None:
    query = MetricsInsightsQuery(
        sql="SELECT SUM(Errors) FROM \"AWS/Lambda\" WHERE FunctionName = 'group by me'"
    )
    assert "group by me" in query.sql


# --- metric math (json) -------------------------------------------------------------------------------------


def test_metric_math_as_a_json_text_renames_its_ids_and_reads_at_the_period() -> None:
    slo = by_name(GOLDEN / "nobl9-cloudwatch.yaml")["queue-success-math"]
    bad, total = ratio(slo).metrics()["bad"], ratio(slo).metrics()["total"]
    assert isinstance(bad, MetricMathQuery) and isinstance(total, MetricMathQuery)
    queries = bad.data_queries("q2", 3600)
    check_queries(queries, "q2")
    assert queries[0] == {"Id": "q2", "ReturnData": True, "Expression": "q2_received - q2_deleted"}
    assert [q["Id"] for q in queries] == ["q2", "q2_received", "q2_deleted"]
    assert all(q["MetricStat"]["Period"] == 3600 for q in queries[1:])
    assert queries[1]["MetricStat"]["Metric"]["Dimensions"] == [{"Name": "QueueName", "Value": "ingest"}]
    assert bad.billed_metrics == 2 and total.billed_metrics == 1 and slo.billed_metrics == 3
    # the YAML list form: one MetricStat entry, returning data itself
    [only] = total.data_queries("q3", 60)
    assert only["Id"] == "q3" and only["ReturnData"] is True and only["MetricStat"]["Stat"] == "Sum"


def test_a_json_text_and_the_same_yaml_list_are_one_metric() -> None:
    entries = [
        {"Id": "e1", "Expression": "100 * m1 / m2"},
        {
            "Id": "m1",
            "ReturnData": False,
            "MetricStat": {"Metric": {"Namespace": "A", "MetricName": "Bad"}, "Stat": "Sum"},
        },
        {
            "Id": "m2",
            "ReturnData": False,
            "MetricStat": {"Metric": {"Namespace": "A", "MetricName": "All"}, "Stat": "Sum"},
        },
    ]
    as_text = MetricMathQuery.model_validate({"json": json.dumps(entries)})
    as_list = MetricMathQuery.model_validate({"json": entries})
    assert as_text == as_list and as_text.key() == as_list.key()


def test_metric_math_across_accounts_sets_the_account_on_each_metric() -> None:
    math = MetricMathQuery.model_validate(
        {
            "accountId": "210987654321",
            "json": [
                {"Id": "total", "Expression": "SUM(METRICS())"},
                {
                    "Id": "a",
                    "ReturnData": False,
                    "MetricStat": {"Metric": {"Namespace": "N", "MetricName": "A"}, "Stat": "Sum"},
                },
                {
                    "Id": "b",
                    "ReturnData": False,
                    "AccountId": "123456789012",
                    "MetricStat": {
                        "Metric": {"Namespace": "N", "MetricName": "B"},
                        "Stat": "Sum",
                        "Unit": "Count",
                    },
                },
            ],
        }
    )
    queries = math.data_queries("q9", 60)
    check_queries(queries, "q9")
    assert "AccountId" not in queries[0]
    assert [q.get("AccountId") for q in queries[1:]] == ["210987654321", "123456789012"]
    assert queries[2]["MetricStat"]["Unit"] == "Count"


def slo_reading(total: dict[str, Any], bad: dict[str, Any] | None = None) -> Slo:
    """An SLO reading these metric specs (bad: Errors in the evaluator's account unless given)."""
    errors = {"namespace": "N", "metricName": "Errors", "stat": "Sum"}
    spec = f"""
apiVersion: openslo/v1
kind: SLO
metadata: {{name: s}}
spec:
  service: checkout
  indicator:
    metadata: {{name: i}}
    spec:
      ratioMetric:
        bad: {{metricSource: {{type: CloudWatch, spec: {json.dumps(bad or errors)}}}}}
        total: {{metricSource: {{type: CloudWatch, spec: {json.dumps(total)}}}}}
  timeWindow: [{{duration: 30d, isRolling: true}}]
  budgetingMethod: Occurrences
  objectives: [{{target: 0.999}}]
"""
    [slo] = load_slos(spec)
    return slo


def test_an_slos_account_is_the_first_its_metrics_are_read_in() -> None:
    plain = {"namespace": "N", "metricName": "M", "stat": "Sum"}
    # (what the SLO's metrics are published under: slo/service.publish's `account` dimension)
    assert slo_reading(plain).account_id is None  # the evaluator's own
    assert slo_reading({**plain, "accountId": "210987654321"}).account_id == "210987654321"
    assert (
        slo_reading(plain, {**plain, "accountId": "111122223333"}).account_id == "111122223333"
    )  # the bad metric's, read first
    entry = {"Id": "m", "MetricStat": {"Metric": {"Namespace": "N", "MetricName": "M"}, "Stat": "Sum"}}
    by_entry = {"json": [{**entry, "AccountId": "444455556666"}]}
    by_query = {"json": [entry], "accountId": "777788889999"}
    assert slo_reading(by_entry).account_id == "444455556666"  # (the bad metric names none)
    assert slo_reading(by_query).account_id == "777788889999"


def test_ids_inside_quoted_text_are_left_alone() -> None:
    math = MetricMathQuery.model_validate(
        {
            "json": [
                {"Id": "e1", "Expression": "IF(m1 > 0, m1, 0)", "Label": "m1 'quoted'"},
                {
                    "Id": "m1",
                    "ReturnData": False,
                    "MetricStat": {"Metric": {"Namespace": "N", "MetricName": "A"}, "Stat": "Sum"},
                },
                {"Id": "e2", "ReturnData": False, "Expression": "FILL(m1, 'm1')"},
            ]
        }
    )
    queries = math.data_queries("q0", 60)
    assert queries[0]["Expression"] == "IF(q0_m1 > 0, q0_m1, 0)"
    assert queries[2]["Expression"] == "FILL(q0_m1, 'm1')"


STAT = {"Metric": {"Namespace": "N", "MetricName": "A"}, "Stat": "Sum"}


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ("[{", "not valid JSON"),
        ({"Id": "m1"}, "a list of MetricDataQueries"),
        ([], "at least 1 item"),
        (
            [{"Id": "m1", "MetricStat": STAT}, {"Id": "m2", "MetricStat": STAT}],
            "exactly one entry returns data",
        ),
        ([{"Id": "m1", "MetricStat": STAT, "ReturnData": False}], "got 0: none"),
        (
            [{"Id": "m1", "MetricStat": STAT}, {"Id": "m1", "MetricStat": STAT, "ReturnData": False}],
            "m1 given more than once",
        ),
        (
            [{"Id": "e1", "Expression": "m1 + m9"}, {"Id": "m1", "MetricStat": STAT, "ReturnData": False}],
            "names m9",
        ),
        ([{"Id": "M1", "MetricStat": STAT}], "starts with a lowercase letter"),
        ([{"Id": "m1", "MetricStat": STAT, "Expression": "m1"}], "exactly one of Expression or MetricStat"),
        ([{"Id": "e1", "Expression": "SEARCH('{AWS/EC2} CPUUtilization', 'Sum')"}], "not supported: SEARCH"),
        ([{"Id": "m1", "MetricStat": {**STAT, "Stat": "average"}}], "write 'Average'"),
        ([{"Id": "m1", "MetricStat": STAT, "Color": "red"}], "Extra inputs"),
    ],
)
def test_metric_math_that_cannot_be_read_is_refused(entries: Any, expected: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(expected)):
        MetricMathQuery.model_validate({"json": entries})


# --- threshold SLIs -----------------------------------------------------------------------------------------


def test_threshold_slis_the_team_needs() -> None:
    slos = by_name(GOLDEN / "openslo-threshold.yaml")
    average = threshold(slos["checkout-latency-average"])
    assert (average.op, average.value) == ("lte", Fraction(3, 10))
    assert isinstance(average.metric, CloudWatchMetric) and average.metric.stat == "Average"
    assert average.good(Fraction(3, 10)) and not average.good(Fraction(301, 1000))
    assert slos["checkout-latency-average"].sli_metrics() == {"value": average.metric}
    assert slos["checkout-latency-average"].billed_metrics == 1

    p95 = slos["checkout-latency-p95"]
    assert threshold(p95).metric.stat == "p95" and threshold(p95).value == Fraction(1, 2)  # type: ignore[union-attr]
    assert p95.budgeting.value == "Timeslices" and (p95.slice_target, p95.slice_minutes) == (
        Fraction(95, 100),
        5,
    )

    batch = slos["nightly-batch-duration"]
    assert threshold(batch).value == 3600 and threshold(batch).good(Fraction(3600))
    assert not threshold(batch).good(Fraction(3601)) and [r.name for r in batch.rules] == ["ticket-3d-6h"]


@pytest.mark.parametrize(
    ("op", "point", "good"),
    [("lt", 1, False), ("lt", Fraction(99, 100), True), ("lte", 1, True), ("gt", 1, False), ("gte", 1, True)],
)
def test_each_op_compares_a_data_point_with_the_threshold(op: str, point: Any, good: bool) -> None:
    metric = CloudWatchMetric(namespace="N", metric_name="M", stat="Average")
    assert ThresholdMetric(metric=metric, op=op, value=1).good(Fraction(point)) is good


def test_an_slo_has_exactly_one_sli() -> None:
    slo = by_name(GOLDEN / "openslo-threshold.yaml")["checkout-latency-average"]
    with pytest.raises(ValidationError, match="exactly one of ratio and threshold"):
        Slo.model_validate({**slo.model_dump(), "threshold": None})
    other = by_name(GOLDEN / "nobl9-cloudwatch.yaml")["api-availability"]
    with pytest.raises(ValidationError, match="exactly one of ratio and threshold"):
        Slo.model_validate({**slo.model_dump(), "ratio": other.ratio})


def test_an_op_that_openslo_does_not_have_is_named() -> None:
    doc = yaml.safe_load((GOLDEN / "openslo-threshold.yaml").read_text().split("---")[0])
    doc["spec"]["objectives"][0]["op"] = "le"
    with pytest.raises(SloError) as refused:
        load_slos(yaml.safe_dump(doc), source="t.yaml")
    assert str(refused.value).startswith(
        "t.yaml: document 1 (checkout-latency-average): spec.objectives.0.op: "
    )
    assert "'lt', 'lte', 'gt' or 'gte'" in str(refused.value)


def test_rule_tests_count_data_points_for_a_threshold_slo(tmp_path: Path) -> None:
    docs = list(yaml.safe_load_all((GOLDEN / "openslo-threshold.yaml").read_text()))
    tests = {
        "slos": docs,
        "tests": [
            {
                "name": "slow averages page",
                "slo": "checkout-latency-average",
                # minutes with an average over 300 ms, of the minutes with data
                "windows": {"1h": {"total": 60, "bad": 12}, "5m": {"total": 5, "bad": 5}},
                "expect_firing": ["page-1h-5m"],
            },
            {
                "name": "a slow hour of the batch tickets",
                "slo": "nightly-batch-duration",
                "windows": {"3d": {"total": 3, "good": 2}, "6h": {"total": 1, "good": 0}},
                "expect_firing": ["ticket-3d-6h"],
            },
        ],
    }
    path = tmp_path / "threshold.tests.yaml"
    path.write_text(yaml.safe_dump(tests, sort_keys=False))
    assert [(o.name, o.passed) for o in run_test_file(path)] == [
        ("slow averages page", True),
        ("a slow hour of the batch tickets", True),
    ]


# --- files: lists of documents, every error with its path ---------------------------------------------------


def test_a_top_level_list_of_documents_is_read_like_separate_documents() -> None:
    slos = load_slo_file(GOLDEN / "oslo-export-list.yaml")
    assert [slo.name for slo in slos] == ["web-availability", "web-latency"]
    assert ratio(slos[0]).metrics()["total"].region == "us-west-2"
    assert threshold(slos[1]).op == "lt" and threshold(slos[1]).value == 250


def test_the_same_name_twice_in_a_list_is_named_by_its_place() -> None:
    items = yaml.safe_load((GOLDEN / "oslo-export-list.yaml").read_text().split("\n---\n")[0])
    text = yaml.safe_dump([items[1], copy.deepcopy(items[1])])
    with pytest.raises(
        SloError, match=r"document 1, item 2 \(web-availability\): metadata.name: .* document 1, item 1"
    ):
        load_slos(text, source="t.yaml")


BROKEN = [
    "document 1 (missing-total): spec.indicator.spec.ratioMetric.good.metricSource.spec.stat: required: the statistic, "
    "e.g. Sum (or give sql or json instead of namespace, metricName and stat)",
    "document 1 (missing-total): spec.indicator.spec.ratioMetric.good.metricSource.spec.statistic: unknown field "
    "(check the spelling; a CloudWatch spec has region, accountId and either namespace, metricName, dimensions and "
    "stat; or sql; or json)",
    "document 1 (missing-total): spec.indicator.spec.ratioMetric.total: required: all events, the denominator",
    "document 1 (missing-total): spec.objectives.0.compositeWeight: not supported: compositeWeight: composite SLOs",
    "document 2 (mixed-specs): spec.indicator.spec.ratioMetric.bad.metricSource.spec: namespace and sql cannot be "
    "given together: a CloudWatch spec is exactly one of namespace + metricName (+ dimensions) + stat; sql (a Metrics "
    "Insights query); json (metric math) (region and accountId go with any of them)",
    "document 2 (mixed-specs): spec.indicator.spec.ratioMetric.total.metricSource.spec.json: not valid JSON: "
    "Expecting value: line 1 column 29 (char 28)",
    "document 3, item 1 (bad-math): spec.indicator.spec.ratioMetric.bad.metricSource.spec: exactly one entry returns "
    "data (the SLI's series; ReturnData is true unless set false), got 2: e1, m1: set ReturnData: false on the "
    "others; e1: the expression names m3, not an Id of this list",
    "document 3, item 1 (bad-math): spec.indicator.spec.ratioMetric.total.metricSource.spec: each Id once: m1 given "
    "more than once; exactly one entry returns data (the SLI's series; ReturnData is true unless set false), got 2: "
    "m1, m1: set ReturnData: false on the others",
    "document 3, item 2 (threshold-without-op): spec.objectives.0.op: required with a thresholdMetric: a data point "
    "is good when `value op threshold` holds, e.g. op: lte, value: 0.3",
    "document 3, item 2 (threshold-without-op): spec.objectives.0.value: required with a thresholdMetric: a data "
    "point is good when `value op threshold` holds, e.g. op: lte, value: 0.3",
    "document 4 (ratio-with-op): spec.indicator.spec.ratioMetric.bad.metricSource.type: not supported: type "
    "'Prometheus': only CloudWatch metrics are read",
    "document 4 (ratio-with-op): spec.indicator.spec.ratioMetric.total.metricSource.spec.region: 'Frankfurt' is not "
    "an AWS region name like us-east-1 or eu-central-1",
    "document 4 (ratio-with-op): spec.indicator.spec.ratioMetric.total.metricSource.spec.accountId: an AWS account "
    "id is 12 digits, written as text (quote it): got 12345",
    "document 4 (ratio-with-op): spec.indicator.spec.ratioMetric.total.metricSource.spec.stat: statistic 'sum': "
    "write 'Sum' (statistic names are case-sensitive)",
    "document 4 (ratio-with-op): spec.objectives.0.op: only used with a thresholdMetric: a ratioMetric's objective "
    "is its target",
    "document 4 (ratio-with-op): spec.objectives.0.value: only used with a thresholdMetric: a ratioMetric's "
    "objective is its target",
]


def test_every_mistake_in_a_file_is_reported_with_its_path() -> None:
    path = GOLDEN / "broken.yaml"
    with pytest.raises(SloError) as refused:
        load_slo_file(path)
    assert refused.value.problems == [f"{path}: {line}" for line in BROKEN]
    assert str(refused.value).splitlines() == refused.value.problems


def test_validate_prints_each_problem_on_its_own_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["slo", "validate", str(GOLDEN / "broken.yaml")]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == len(BROKEN) and all(line.startswith("alertrouter: ") for line in lines)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"metricSourceRef": "cloudwatch-prod"},
            "metricSource.metricSourceRef: not supported: metricSourceRef: put type: CloudWatch",
        ),
        ({"spec": "AWS/ELB RequestCount"}, "metricSource.spec: expected a mapping: namespace, metricName"),
    ],
)
def test_unsupported_is_not_an_unknown_field(change: dict[str, Any], expected: str) -> None:
    doc = yaml.safe_load((GOLDEN / "openslo-threshold.yaml").read_text().split("---")[0])
    doc["spec"]["indicator"]["spec"]["thresholdMetric"]["metricSource"].update(change)
    with pytest.raises(SloError, match=re.escape(expected)):
        load_slos(yaml.safe_dump(doc))


def test_validate_says_what_each_slo_reads_and_what_a_run_costs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["slo", "validate", str(GOLDEN / "nobl9-cloudwatch.yaml")]) == 0
    out = capsys.readouterr().out
    assert "in eu-central-1 of account 210987654321; 2 metrics billed per run" in out
    assert "at least 2 metrics billed per run; Metrics Insights reads at most the last 14 days" in out
    assert (
        "metric math (received - deleted) of 2 metrics in eu-west-1" in out
        and "3 metrics billed per run" in out
    )
    assert main(["slo", "validate", str(GOLDEN / "openslo-threshold.yaml")]) == 0
    out = capsys.readouterr().out
    assert "Maximum, good when ≤ 3600 (each data point an event); 1 metric billed per run" in out


@pytest.mark.parametrize("by_alias", [False, True])
def test_a_compiled_slo_survives_a_round_trip_through_plain_data(by_alias: bool) -> None:
    for path in (GOLDEN / "nobl9-cloudwatch.yaml", GOLDEN / "openslo-threshold.yaml"):
        for slo in load_slo_file(path):
            again = Slo.model_validate(slo.model_dump(by_alias=by_alias))
            assert again == slo
            assert {part: m.key() for part, m in again.sli_metrics().items()} == {
                part: m.key() for part, m in slo.sli_metrics().items()
            }


def test_a_missing_sli_part_is_reported_beside_a_misspelt_key() -> None:
    text = (GOLDEN / "broken.yaml").read_text().split("\n---\n")[1]
    doc = yaml.safe_load(text)
    ratio_doc = doc["spec"]["indicator"]["spec"]["ratioMetric"]
    ratio_doc["totl"] = ratio_doc.pop("bad")
    ratio_doc["total"]["metricSource"]["spec"] = {"namespace": "N", "metricName": "M", "stat": "Sum"}
    with pytest.raises(SloError) as refused:
        load_slos(yaml.safe_dump(doc), source="t.yaml")
    assert refused.value.problems == [
        "t.yaml: document 1 (mixed-specs): spec.indicator.spec.ratioMetric.totl: unknown field (check the spelling)",
        "t.yaml: document 1 (mixed-specs): spec.indicator.spec.ratioMetric.good: required: the good events (or bad, "
        "instead)",
    ]


def test_nobl9s_own_format_is_named() -> None:
    with pytest.raises(SloError, match=r"apiVersion: not supported: 'n9/v1alpha' \(Nobl9's own format\)"):
        load_slos("- apiVersion: n9/v1alpha\n  kind: SLO\n  metadata: {name: x, project: default}\n")


def test_a_missing_target_is_reported_beside_a_wrong_op() -> None:
    doc = yaml.safe_load((GOLDEN / "openslo-threshold.yaml").read_text().split("---")[0])
    doc["spec"]["objectives"] = [{"op": "le", "value": 0.3}]
    with pytest.raises(SloError) as refused:
        load_slos(yaml.safe_dump(doc), source="t.yaml")
    assert refused.value.problems == [
        "t.yaml: document 1 (checkout-latency-average): spec.objectives.0.op: Input should be 'lt', 'lte', 'gt' or "
        "'gte'",
        "t.yaml: document 1 (checkout-latency-average): spec.objectives.0.target: required: the share of good "
        "events, e.g. target: 0.999",
    ]

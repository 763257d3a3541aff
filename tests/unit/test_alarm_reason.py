"""CloudWatch's state reasons, as its events in events/ write them, in plain words: the threshold (the alarm's
condition, also when the reason says it no longer holds), the values, one sentence."""

from __future__ import annotations

import pytest

from alertrouter.sources.alarm_reason import number, read_reason


@pytest.mark.parametrize(
    ("reason", "threshold", "plain"),
    [
        (
            "Threshold Crossed: 1 out of the last 1 datapoints [99.50160229693434 (02/10/19 16:59:00)] was greater "
            "than the threshold (50.0) (minimum 1 datapoint for OK -> ALARM transition).",
            "> 50",
            "Above 50 in the last datapoint: 99.5",
        ),
        (
            "Threshold Crossed: 1 out of the last 1 datapoints [0.0666851903306472 (01/10/19 13:46:00)] was not "
            "greater than the threshold (50.0) (minimum 1 datapoint for ALARM -> OK transition).",
            "> 50",
            "At or below 50 in the last datapoint: 0.06669",
        ),
        (
            "Threshold Crossed: 3 out of the last 3 datapoints [38.395433048854194 (26/01/22 13:24:00), "
            "38.391752618786896 (26/01/22 13:19:00), 38.364239895660816 (26/01/22 13:14:00)] were not greater than "
            "or equal to the threshold (80.0) (minimum 1 datapoint for ALARM -> OK transition).",
            "≥ 80",
            "Below 80 in the last 3 datapoints: 38.4, 38.39, 38.36",
        ),
        (
            "Threshold Crossed: 1 datapoint was less than the threshold (1.0). The most recent datapoint which "
            "crossed the threshold: [0.0 (01/12/25 13:34:00)].",
            "< 1",
            "Below 1 in 1 datapoint: 0",
        ),
        (
            "Thresholds Crossed: 1 out of the last 1 datapoints [0.0 (03/10/19 15:58:00)] was less than the lower "
            "thresholds [0.020599444741798756] or greater than the upper thresholds [0.3006915352732461] (minimum 1 "
            "datapoint for OK -> ALARM transition).",
            "outside 0.0206 to 0.3007",
            "Outside the band 0.0206 to 0.3007 in the last datapoint: 0",
        ),
        (
            "Threshold Crossed: 2 out of the last 5 datapoints [45628.0 (02/10/19 17:10:00), 12000.5 (02/10/19 "
            "17:05:00)] were greater than the threshold (10000.0) (minimum 2 datapoints for OK -> ALARM transition).",
            "> 10,000",
            "Above 10,000 in 2 of the last 5 datapoints: 45,628, 12,000",
        ),
        (
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:SuppressionDemo.EventBridge.FirstChild transitioned to "
            "ALARM at Friday 22 July, 2022 15:57:45 UTC",
            "",
            "Because SuppressionDemo.EventBridge.FirstChild went to ALARM (Friday 22 July, 2022 15:57:45 UTC)",
        ),
    ],
)
def test_a_reason_reads_in_plain_words(reason: str, threshold: str, plain: str) -> None:
    read = read_reason(reason)
    assert read is not None and (read.threshold, read.plain) == (threshold, plain)


@pytest.mark.parametrize(
    "reason",
    [
        "Insufficient Data: 5 datapoints were unknown.",
        "6 out of 6 time series evaluated to ALARM",
        "Unchecked: Initial alarm creation",
        "Threshold Crossed: p99 3.1s > 1.5s",
        "arn:aws:cloudwatch:us-east-1:123456789012:alarm:Main was created and its alarm rule evaluates to OK",
    ],
)
def test_any_other_reason_is_left_as_cloudwatch_wrote_it(reason: str) -> None:
    assert read_reason(reason) is None


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("99.50160229693434", "99.5"),
        ("45628.0", "45,628"),
        ("-0.5", "-0.5"),
        ("1e-07", "1.00e-07"),
        ("0", "0"),
    ],
)
def test_numbers_read_as_a_person_reads_them(text: str, shown: str) -> None:
    assert number(text) == shown

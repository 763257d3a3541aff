"""Every shape of CloudWatch alarm becomes the right Alert (reference events plus documented variants)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest

from alertrouter.models.alert import Severity, Status
from alertrouter.sources import MalformedEventError, UnrecognisedEventError, parse_body, parse_payload
from support.events import event_text, load_event
from support.paths import EVENTS

CW_EVENTS = sorted(p.name for p in EVENTS.glob("*.json") if "cw_alarm" in p.name or p.name.startswith("sns_"))


@pytest.mark.parametrize("name", CW_EVENTS)
def test_every_reference_event_parses(name: str) -> None:
    # Given a real CloudWatch alarm payload, When parsed, Then it yields alerts or a reasoned ignore.
    result = parse_body(event_text(name))
    assert result.alerts or result.ignored
    for alert in result.alerts:
        assert alert.source == "cloudwatch"
        assert {"alertname", "account", "region", "severity"} <= alert.labels.keys()
        assert len(alert.fingerprint) == 16
        assert alert.timestamp.tzinfo is not None
        assert alert.annotations["console"].startswith("https://")


def test_eventbridge_single_metric_alarm() -> None:
    [alert] = parse_body(
        event_text("eventbridge_cw_alarm_state_change_single_metric_ALARM_awsdocs.json")
    ).alerts
    assert alert.status is Status.FIRING
    assert alert.title == "ServerCpuTooHigh"
    assert alert.labels["InstanceId"] == "i-12345678901234567"
    assert alert.labels["namespace"] == "AWS/EC2" and alert.labels["metric"] == "CPUUtilization"
    assert alert.labels["account"] == "123456789012" and alert.labels["region"] == "us-east-1"
    assert alert.resource == "i-12345678901234567"
    assert alert.timestamp == datetime(2019, 10, 2, 17, 4, 40, 989000, tzinfo=UTC)
    assert alert.summary == "Above 50 in the last datapoint: 99.5"  # in plain words
    assert "was greater than the threshold" in alert.annotations["state_reason"]  # CloudWatch's own
    assert alert.labels["threshold"] == "> 50"
    assert alert.annotations["console"].endswith("#alarmsV2:alarm/ServerCpuTooHigh")
    assert alert.annotations["previous_state"] == "OK"


def test_mute_detail_only_adds_the_window_and_unknown_keys_do_not_change_the_alert() -> None:
    plain = parse_body(
        event_text("eventbridge_cw_alarm_state_change_single_metric_ALARM_awsdocs.json")
    ).alerts[0]
    muted = parse_body(
        event_text(
            "eventbridge_cw_alarm_state_change_single_metric_ALARM_with_muteDetail_awsdocs_current.json"
        )
    ).alerts[0]
    assert muted.muted is not None and muted.muted.rule == "testMute"  # (tests/unit/test_mute_rules.py)
    assert plain == muted.model_copy(update={"muted": None})
    event = load_event("eventbridge_cw_alarm_state_change_single_metric_ALARM_awsdocs.json")
    event["detail"]["brandNewField"] = {"nested": [1, 2]}
    event["brandNewTopLevel"] = True
    assert parse_payload(event).alerts[0] == plain


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        (
            "eventbridge_cw_alarm_state_change_metric_math_ALARM_from_INSUFFICIENT_DATA_awsdocs.json",
            "metric-math",
        ),
        ("eventbridge_cw_alarm_state_change_anomaly_detection_ALARM_awsdocs.json", "anomaly-detection"),
        ("eventbridge_cw_alarm_state_change_composite_with_suppressor_ALARM_awsdocs.json", "composite"),
        (
            "eventbridge_cw_alarm_state_change_metrics_insights_multi_timeseries_ALARM_awsdocs_current.json",
            "metrics-insights",
        ),
        ("lambda_alarm_action_composite_ALARM_powertools.json", "composite"),
        ("lambda_alarm_action_metric_math_ALARM_powertools.json", "metric-math"),
    ],
)
def test_alarm_kinds_are_recognised(name: str, kind: str) -> None:
    [alert] = parse_body(event_text(name)).alerts
    assert alert.labels["alarm_kind"] == kind
    assert alert.status is Status.FIRING


def test_contributor_events_give_one_alert_per_contributor() -> None:
    event = load_event(
        "eventbridge_cw_alarm_contributor_state_change_metrics_insights_ALARM_awsdocs_current.json"
    )
    other = copy.deepcopy(event)
    other["detail"]["alarmContributor"] = {"id": "ffff0000aaaa1111", "attributes": {"TableName": "orders"}}
    [first] = parse_payload(event).alerts
    [second] = parse_payload(other).alerts
    assert first.fingerprint != second.fingerprint
    assert first.labels["TableName"] == "example-dynamodb-table-name"
    assert second.labels["contributor"] == "ffff0000aaaa1111"
    assert second.title == "DynamoDBInsightsAlarm (orders)"
    # the alarm-level event is a different alert from each contributor's
    [alarm_level] = parse_body(
        event_text(
            "eventbridge_cw_alarm_state_change_metrics_insights_multi_timeseries_ALARM_awsdocs_current.json"
        )
    ).alerts
    assert alarm_level.fingerprint not in {first.fingerprint, second.fingerprint}


def test_configuration_change_is_ignored_with_a_reason() -> None:
    result = parse_body(event_text("eventbridge_cw_alarm_configuration_change_create_composite_awsdocs.json"))
    assert result.alerts == []
    assert "configuration change (create)" in result.ignored[0].reason


def test_states_map_to_statuses_and_nodata_is_never_critical() -> None:
    event = load_event("eventbridge_cw_alarm_state_change_single_metric_ALARM_awsdocs.json")
    event["detail"]["alarmTags"] = {"severity": "critical", "runbook": "https://runbooks.example.com/cpu"}
    statuses = {}
    for value in ("ALARM", "OK", "INSUFFICIENT_DATA"):
        event["detail"]["state"]["value"] = value
        [alert] = parse_payload(event).alerts
        statuses[value] = (alert.status, alert.severity, alert.labels["severity"])
        assert alert.annotations["runbook"] == "https://runbooks.example.com/cpu"
    assert statuses["ALARM"] == (Status.FIRING, Severity.CRITICAL, "critical")
    assert statuses["OK"] == (Status.RESOLVED, Severity.CRITICAL, "critical")
    # no data is shown as a warning, but routes like the alarm (label unchanged) so it edits the same message
    assert statuses["INSUFFICIENT_DATA"] == (Status.NODATA, Severity.WARNING, "critical")


def test_alarm_tags_as_list_and_runbook_from_description() -> None:
    event = load_event("eventbridge_cw_alarm_state_change_single_metric_ALARM_awsdocs.json")
    event["detail"]["alarmTags"] = [{"key": "team", "value": "payments"}, {"key": "Severity", "value": "P1"}]
    event["detail"]["configuration"]["description"] = "CPU high. Runbook: https://wiki.example.com/rb/cpu."
    [alert] = parse_payload(event).alerts
    assert alert.labels["team"] == "payments"
    assert alert.severity is Severity.CRITICAL
    assert alert.annotations["runbook"] == "https://wiki.example.com/rb/cpu"


def test_sns_alarms_take_severity_and_service_from_the_description() -> None:
    notification = load_event("sns_https_body_cw_alarm_INSUFFICIENT_DATA_from_ALARM_alerta.json")
    message = json.loads(notification["Message"])
    message.update(NewStateValue="ALARM", AlarmDescription="Too many. severity: critical, service: payments.")
    [alert] = parse_payload(message).alerts
    assert alert.severity is Severity.CRITICAL
    assert alert.labels["service"] == "payments" and alert.labels["severity"] == "critical"


def test_fingerprint_is_stable_and_independent_of_state() -> None:
    event = load_event("eventbridge_cw_alarm_state_change_single_metric_ALARM_awsdocs.json")
    first = parse_payload(event).alerts[0]
    event["detail"]["state"]["value"] = "OK"
    event["detail"]["state"]["timestamp"] = "2019-10-02T18:00:00.000+0000"
    assert parse_payload(event).alerts[0].fingerprint == first.fingerprint == "e9a5f362dab7b194"


def test_sns_single_metric_uses_trigger_metric_name_and_arn_region() -> None:
    [alert] = parse_body(event_text("sns_lambda_cw_alarm_ALARM_single_metric_aws_lambda_go.json")).alerts
    assert alert.labels["InstanceId"] == "TestInstance"
    assert alert.labels["alarm_kind"] == "metric"
    assert alert.status is Status.FIRING


def test_sns_metric_math_reads_trigger_metrics() -> None:
    [alert] = parse_body(event_text("sns_lambda_cw_alarm_ALARM_metric_math_aws_lambda_go.json")).alerts
    assert alert.labels["alarm_kind"] == "metric-math"
    assert alert.labels["metric"] == "NetworkOut" and alert.labels["namespace"] == "AWS/EC2"


def test_sns_display_region_names_become_codes() -> None:
    [alert] = parse_body(event_text("sns_lambda_cw_alarm_OK_from_ALARM_logmetric_notify_slack.json")).alerts
    assert alert.labels["region"] == "us-east-1"
    assert alert.status is Status.RESOLVED
    [nodata] = parse_body(
        event_text("sns_https_body_cw_alarm_INSUFFICIENT_DATA_from_ALARM_alerta.json")
    ).alerts
    assert nodata.labels["region"] == "eu-west-1"
    assert nodata.status is Status.NODATA and nodata.severity is Severity.WARNING


def test_sns_event_with_many_records_gives_many_alerts() -> None:
    event = load_event("sns_lambda_cw_alarm_ALARM_single_metric_aws_lambda_go.json")
    second = copy.deepcopy(event["Records"][0])
    message = json.loads(second["Sns"]["Message"])
    message["AlarmName"] = "OTHER"
    message["AlarmArn"] = "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:OTHER"
    second["Sns"]["Message"] = json.dumps(message)
    event["Records"].append(second)
    alerts = parse_payload(event).alerts
    assert [a.title for a in alerts] == ["EXAMPLE", "OTHER"]
    assert alerts[1].labels["region"] == "eu-west-1" and alerts[1].labels["account"] == "111122223333"


def test_sns_raw_delivery_and_sqs_wrapped_sns() -> None:
    notification = load_event("sns_https_body_cw_alarm_INSUFFICIENT_DATA_from_ALARM_alerta.json")
    raw_message = notification["Message"]
    assert parse_body(raw_message).alerts[0].title == "notificationCountAlarm"
    sqs_event = {"Records": [{"eventSource": "aws:sqs", "messageId": "1", "body": json.dumps(notification)}]}
    assert parse_payload(sqs_event).alerts[0].title == "notificationCountAlarm"


def test_alarm_action_takes_account_from_the_alarm_arn() -> None:
    [alert] = parse_body(event_text("lambda_alarm_action_metric_math_ALARM_powertools.json")).alerts
    assert alert.labels["account"] == "912397435824"  # accountId says 123456789012; the ARN is the alarm's


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"hello": "world"}', "unrecognised event shape"),
        (
            '{"version": "0", "id": "1", "account": "1", "time": "2024-01-01T00:00:00Z", "region": "us-east-1", '
            '"resources": [], "source": "aws.cloudwatch", "detail-type": "CloudWatch Alarm State Change", "detail": {}}',
            "detail.alarmName: Field required",
        ),
        (
            '{"source": "aws.s3", "detail-type": "Object Created", "detail": {}}',
            "no parser for EventBridge source",
        ),
        ('{"Type": "Notification", "Message": "{not json"}', "SNS Message is not JSON"),
        ('{"Type": "Notification", "Message": "{\\"AlarmName\\": \\"x\\"}"}', "NewStateValue"),
        ('{"Records": [{"eventSource": "aws:kinesis"}]}', "neither an SQS nor an SNS record"),
    ],
)
def test_malformed_input_gets_a_clear_reason(body: str, reason: str) -> None:
    with pytest.raises(MalformedEventError) as caught:
        parse_body(body)
    assert reason in caught.value.reason


def test_bad_state_and_timestamp_are_rejected() -> None:
    event = load_event("eventbridge_cw_alarm_state_change_single_metric_ALARM_awsdocs.json")
    event["detail"]["state"]["value"] = "EXPLODED"
    with pytest.raises(MalformedEventError, match="unknown alarm state"):
        parse_payload(event)
    event["detail"]["state"]["value"] = "ALARM"
    event["detail"]["state"]["timestamp"] = "yesterday"
    with pytest.raises(MalformedEventError, match="unreadable timestamp"):
        parse_payload(event)


def test_oversized_and_deeply_nested_bodies_are_refused_early() -> None:
    with pytest.raises(MalformedEventError, match="exceeds"):
        parse_body("{" + " " * (300 * 1024) + "}")
    with pytest.raises(MalformedEventError):
        parse_body("[" * 100_000 + "]" * 100_000)


def test_unrecognised_is_a_malformed_event_error() -> None:
    assert issubclass(UnrecognisedEventError, MalformedEventError)


def test_propagated_alarm_tags_are_read_in_every_shape() -> None:
    # CloudWatch alarm tag propagation: `alarmTags` in EventBridge and the alarm action, `AlarmTags` in SNS
    tags = {"severity": "critical", "team": "payments", "runbook": "https://runbooks.example.com/x"}
    eventbridge = load_event("eventbridge_cw_alarm_state_change_single_metric_ALARM_awsdocs.json")
    eventbridge["detail"].update(alarmTags=tags, alarmTagsStatus="SUCCESS")
    action = load_event("lambda_alarm_action_metric_alarm_ALARM_from_INSUFFICIENT_DATA_awsdocs.json")
    action["alarmData"].update(alarmTags=tags, alarmTagsStatus="SUCCESS")
    sns = json.loads(
        load_event("sns_https_body_cw_alarm_INSUFFICIENT_DATA_from_ALARM_alerta.json")["Message"]
    )
    sns.update(NewStateValue="ALARM", AlarmTags=tags, AlarmTagsStatus="SUCCESS")
    for event in (eventbridge, action, sns):
        [alert] = parse_payload(event).alerts
        assert alert.severity is Severity.CRITICAL and alert.labels["team"] == "payments"
        assert alert.annotations["runbook"] == "https://runbooks.example.com/x"

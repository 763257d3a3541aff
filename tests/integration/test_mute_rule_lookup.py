"""CloudWatch alarm mute rules looked up for SNS- and alarm-action-delivered alarms (MuteRulesForSnsAlarms),
with real botocore calls against the loopback stand-in (moto has no mute rules): rules are made with
PutAlarmMuteRule, the router's lookup lists and reads them, and counts on the stand-in show the caching."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from alertrouter.aws import Clients
from alertrouter.composition.router import mute_rule_lookup
from alertrouter.models.alert import Alert
from alertrouter.models.settings import Settings
from alertrouter.mute_rules import FAILURE_METRIC, MuteRuleLookup
from support.clock import AFTER_SAMPLE_EVENTS
from support.harness import Harness, make_harness
from support.mute_rules_standin import ACCOUNT, MuteRulesStandIn
from support.slack_standin import SlackStandIn

ALARM = "db-cpu-high"
NOW = datetime.fromtimestamp(AFTER_SAMPLE_EVENTS / 1000, UTC)  # 2026-01-01T00:00Z, the harness's clock
IN_WINDOW = "2025-12-31T23:30:00.000+0000"  # inside the nightly 23:00-01:00 UTC window
OUTSIDE = "2025-12-31T21:00:00.000+0000"


@pytest.fixture
def standin() -> Iterator[MuteRulesStandIn]:
    with MuteRulesStandIn(now=lambda: NOW) as running:
        yield running


def put_rule(
    standin: MuteRulesStandIn,
    name: str = "nightly",
    expression: str = "cron(0 23 * * *)",
    duration: str = "PT2H",
    alarms: tuple[str, ...] = (ALARM,),
    **extra: Any,
) -> None:
    standin.client().put_alarm_mute_rule(
        Name=name,
        Rule={"Schedule": {"Expression": expression, "Duration": duration, "Timezone": "UTC"}},
        MuteTargets={"AlarmNames": list(alarms)},
        **extra,
    )
    standin.calls.clear()  # count the router's calls only


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


# ---- the lookup against the stand-in ----
def test_a_rule_covering_the_alarms_time_gives_its_window(standin: MuteRulesStandIn) -> None:
    put_rule(standin)
    lookup = MuteRuleLookup(standin.client())
    window = lookup.window_for(ALARM, ms(IN_WINDOW))
    assert window is not None
    assert (window.rule, window.rule_arn) == (
        "nightly",
        f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm-mute-rule:nightly",
    )
    assert (window.starts_at_ms, window.ends_at_ms) == (
        ms("2025-12-31T23:00:00+00:00"),
        ms("2026-01-01T01:00:00+00:00"),
    )
    assert lookup.window_for(ALARM, ms(OUTSIDE)) is None
    assert lookup.window_for("another-alarm", ms(IN_WINDOW)) is None


def test_rules_and_alarm_lists_are_cached_for_five_minutes(standin: MuteRulesStandIn) -> None:
    put_rule(standin, alarms=(ALARM, "db-io-high"))
    clock = [0.0]
    lookup = MuteRuleLookup(standin.client(), clock=lambda: clock[0])
    for _ in range(20):  # an alarm's repeated state changes within the cache's life: one List, one Get
        assert lookup.window_for(ALARM, ms(IN_WINDOW)) is not None
    assert standin.calls == {"ListAlarmMuteRules": 1, "GetAlarmMuteRule": 1}
    lookup.window_for("db-io-high", ms(IN_WINDOW))  # another alarm of the same rule: its own list, no Get
    assert standin.calls == {"ListAlarmMuteRules": 2, "GetAlarmMuteRule": 1}
    clock[0] = 299.0
    lookup.window_for(ALARM, ms(IN_WINDOW))
    assert standin.calls == {"ListAlarmMuteRules": 2, "GetAlarmMuteRule": 1}
    clock[0] = 300.0  # 5 minutes on: asked again
    lookup.window_for(ALARM, ms(IN_WINDOW))
    assert standin.calls == {"ListAlarmMuteRules": 3, "GetAlarmMuteRule": 2}


def test_the_cache_keeps_the_newest_alarms_up_to_its_bound(
    standin: MuteRulesStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A storm of distinct alarms does not grow a warm container's memory without end: beyond MAX_CACHED
    the oldest alarm is forgotten (and asked about again if it comes back), the newer ones are kept."""
    import alertrouter.mute_rules as mute_rules

    monkeypatch.setattr(mute_rules, "MAX_CACHED", 2)
    put_rule(standin, alarms=(ALARM, "b", "c"))
    lookup = MuteRuleLookup(standin.client())
    for alarm in (ALARM, "b", "c"):
        assert lookup.window_for(alarm, ms(IN_WINDOW)) is not None
    assert standin.calls == {"ListAlarmMuteRules": 3, "GetAlarmMuteRule": 1}
    assert lookup.window_for("c", ms(IN_WINDOW)) is not None  # kept: no call
    assert standin.calls["ListAlarmMuteRules"] == 3
    assert lookup.window_for(ALARM, ms(IN_WINDOW)) is not None  # the oldest, forgotten: listed again
    assert standin.calls["ListAlarmMuteRules"] == 4


def test_an_alarm_without_rules_costs_one_list_call_per_five_minutes(standin: MuteRulesStandIn) -> None:
    lookup = MuteRuleLookup(standin.client())
    for _ in range(10):
        assert lookup.window_for(ALARM, ms(IN_WINDOW)) is None
    assert standin.calls == {"ListAlarmMuteRules": 1}


def test_pages_are_followed_and_the_window_ending_last_wins(standin: MuteRulesStandIn) -> None:
    for i in range(100):  # more than a page (the lookup asks for 100, the most)
        put_rule(standin, name=f"rule-{i:03}", expression="cron(0 3 * * *)", duration="PT1H")
    put_rule(standin, name="zz-short", expression="cron(0 23 * * *)", duration="PT1H")
    put_rule(standin, name="zz-long", expression="cron(30 22 * * *)", duration="PT4H")
    window = MuteRuleLookup(standin.client()).window_for(ALARM, ms(IN_WINDOW))
    assert window is not None and window.rule == "zz-long"
    assert standin.calls["ListAlarmMuteRules"] == 2
    assert standin.calls["GetAlarmMuteRule"] == 102


def test_expired_rules_are_not_read(standin: MuteRulesStandIn) -> None:
    put_rule(standin, ExpireDate=datetime(2025, 12, 1, tzinfo=UTC))
    assert MuteRuleLookup(standin.client()).window_for(ALARM, ms(IN_WINDOW)) is None
    assert standin.calls == {"ListAlarmMuteRules": 1}


def test_a_refused_schedule_is_logged_with_its_reason_and_does_not_mute(
    standin: MuteRulesStandIn, log_lines: io.StringIO
) -> None:
    put_rule(standin, name="steps", expression="cron(0/10 * * * *)")
    put_rule(standin, name="nightly")
    failures: list[str] = []
    lookup = MuteRuleLookup(standin.client(), on_failure=failures.append)
    window = lookup.window_for(ALARM, ms(IN_WINDOW))
    assert window is not None and window.rule == "nightly"
    lookup.window_for(ALARM, ms(IN_WINDOW))
    [line] = [json.loads(x) for x in log_lines.getvalue().splitlines() if "schedule is refused" in x]
    assert line["rule"] == "steps" and "step values (/)" in line["reason"]
    assert failures == [FAILURE_METRIC]


def test_access_denied_is_logged_once_and_pauses_the_lookups(
    standin: MuteRulesStandIn, log_lines: io.StringIO
) -> None:
    put_rule(standin)
    standin.deny("ListAlarmMuteRules")
    clock = [0.0]
    failures: list[str] = []
    lookup = MuteRuleLookup(standin.client(), clock=lambda: clock[0], on_failure=failures.append)
    for _ in range(5):
        assert lookup.window_for(ALARM, ms(IN_WINDOW)) is None
    assert standin.calls == {"ListAlarmMuteRules": 1}  # paused: not asked again for every alert
    clock[0] = 61.0
    assert lookup.window_for(ALARM, ms(IN_WINDOW)) is None
    assert standin.calls == {"ListAlarmMuteRules": 2}
    lines = [json.loads(x) for x in log_lines.getvalue().splitlines() if "mute rules not read" in x]
    assert len(lines) == 1
    assert lines[0]["operation"] == "ListAlarmMuteRules"
    assert lines[0]["reason"].startswith("AccessDenied: ")
    assert failures == [FAILURE_METRIC, FAILURE_METRIC]
    standin.allow()
    clock[0] = 122.0
    assert lookup.window_for(ALARM, ms(IN_WINDOW)) is not None


def test_a_rule_deleted_since_it_was_listed_is_no_rule_and_no_failure(standin: MuteRulesStandIn) -> None:
    put_rule(standin)
    failures: list[str] = []
    lookup = MuteRuleLookup(standin.client(), on_failure=failures.append)
    original = standin._list

    def list_then_delete(request: dict[str, Any]) -> dict[str, Any]:
        answer = original(request)
        standin.rules.clear()  # deleted between the List and the Get
        return answer

    standin._list = list_then_delete  # type: ignore[method-assign]
    assert lookup.window_for(ALARM, ms(IN_WINDOW)) is None
    assert standin.calls == {"ListAlarmMuteRules": 1, "GetAlarmMuteRule": 1}
    assert failures == []


def test_only_the_stacks_own_account_and_region_are_looked_up(standin: MuteRulesStandIn) -> None:
    lookup = MuteRuleLookup(standin.client(), account=ACCOUNT, region="us-east-1")

    def alert(account: str, region: str) -> Alert:
        return Alert(
            source="cloudwatch",
            status="firing",
            severity="warning",
            title=ALARM,
            labels={"alertname": ALARM, "account": account, "region": region},
            timestamp=datetime.fromisoformat(IN_WINDOW),
            fingerprint="f",
        )

    put_rule(standin)
    assert lookup.muted(alert("999999999999", "us-east-1")).muted is None
    assert lookup.muted(alert(ACCOUNT, "eu-west-1")).muted is None
    assert standin.calls == {}
    assert lookup.muted(alert(ACCOUNT, "us-east-1")).muted is not None


# ---- the router, MuteRulesForSnsAlarms on ----
def sns_body(timestamp: str, alarm: str = ALARM, account: str = ACCOUNT) -> str:
    """An SNS notification of an alarm as the router's queue receives it (raw delivery off)."""
    message = {
        "AlarmName": alarm,
        "AlarmDescription": "severity: critical",
        "AWSAccountId": account,
        "NewStateValue": "ALARM",
        "NewStateReason": "Threshold Crossed",
        "StateChangeTime": timestamp,
        "Region": "US East (N. Virginia)",
        "AlarmArn": f"arn:aws:cloudwatch:us-east-1:{account}:alarm:{alarm}",
        "OldStateValue": "OK",
        "Trigger": {"MetricName": "CPUUtilization", "Namespace": "AWS/RDS", "Dimensions": []},
    }
    return json.dumps({"Type": "Notification", "MessageId": "m-1", "Message": json.dumps(message)})


def alarm_action(timestamp: str) -> dict[str, Any]:
    return {
        "source": "aws.cloudwatch",
        "alarmArn": f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:{ALARM}",
        "accountId": ACCOUNT,
        "time": timestamp,
        "region": "us-east-1",
        "alarmData": {
            "alarmName": ALARM,
            "state": {"value": "ALARM", "reason": "Threshold Crossed", "timestamp": timestamp},
            "previousState": {"value": "OK", "reason": "", "timestamp": timestamp},
            "configuration": {"description": "", "metrics": []},
        },
    }


def eventbridge_body(timestamp: str) -> str:
    return json.dumps(
        {
            "version": "0",
            "id": "e-1",
            "detail-type": "CloudWatch Alarm State Change",
            "source": "aws.cloudwatch",
            "account": ACCOUNT,
            "time": timestamp,
            "region": "us-east-1",
            "resources": [f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:{ALARM}"],
            "detail": {
                "alarmName": ALARM,
                "state": {"value": "ALARM", "reason": "Threshold Crossed", "timestamp": timestamp},
                "previousState": {"value": "OK", "reason": "", "timestamp": timestamp},
                "configuration": {"metrics": []},
            },
        }
    )


def router_with(
    aws: Any,
    slack: SlackStandIn,
    tmp_path: Path,
    standin: MuteRulesStandIn,
    monkeypatch: pytest.MonkeyPatch,
    *,
    on: bool,
) -> tuple[Harness, list[Alert]]:
    """The real RouterService (moto and the Slack stand-in), its CloudWatch client sent to the mute rule
    stand-in; and the alerts its router is handed."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH", standin.url)
    harness = make_harness(aws, slack, tmp_path, account_id=ACCOUNT, mute_rules=on)
    handed: list[Alert] = []
    handle = harness.service.router.handle

    def spy(alert: Alert) -> Any:
        handed.append(alert)
        return handle(alert)

    monkeypatch.setattr(harness.service.router, "handle", spy)
    return harness, handed


def test_an_sns_alarm_in_a_rules_window_is_handed_on_muted(
    aws: Any, slack: SlackStandIn, tmp_path: Path, standin: MuteRulesStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_rule(standin)
    harness, handed = router_with(aws, slack, tmp_path, standin, monkeypatch, on=True)
    outcome = harness.service.handle_body(sns_body(IN_WINDOW))
    assert outcome.applied == 1
    [alert] = handed
    assert alert.muted is not None and alert.muted.rule == "nightly"
    assert alert.muted.covers(alert.timestamp_ms)
    harness.service.handle_body(sns_body(OUTSIDE))
    assert handed[1].muted is None
    # the alarm action (a direct invocation) is looked up too, from the cache
    harness.service.handle_event(alarm_action(IN_WINDOW))
    assert handed[2].muted is not None
    assert standin.calls == {"ListAlarmMuteRules": 1, "GetAlarmMuteRule": 1}


def test_eventbridge_alarms_and_other_accounts_cost_no_calls(
    aws: Any, slack: SlackStandIn, tmp_path: Path, standin: MuteRulesStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_rule(standin)
    harness, handed = router_with(aws, slack, tmp_path, standin, monkeypatch, on=True)
    harness.service.handle_body(eventbridge_body(IN_WINDOW))
    assert handed[0].muted is None  # its muteDetail says (here: none); nothing is looked up
    assert standin.calls == {}


def test_with_the_parameter_off_nothing_is_looked_up(
    aws: Any, slack: SlackStandIn, tmp_path: Path, standin: MuteRulesStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_rule(standin)
    harness, handed = router_with(aws, slack, tmp_path, standin, monkeypatch, on=False)
    assert harness.service.mute_rules is None
    harness.service.handle_body(sns_body(IN_WINDOW))
    harness.service.handle_event(alarm_action(IN_WINDOW))
    assert [a.muted for a in handed] == [None, None]
    assert standin.calls == {}


def test_access_denied_delivers_the_alert_unmuted_with_a_logged_reason_and_a_metric(
    aws: Any,
    slack: SlackStandIn,
    tmp_path: Path,
    standin: MuteRulesStandIn,
    monkeypatch: pytest.MonkeyPatch,
    log_lines: io.StringIO,
) -> None:
    put_rule(standin)
    standin.deny()
    harness, handed = router_with(aws, slack, tmp_path, standin, monkeypatch, on=True)
    outcome = harness.service.handle_body(sns_body(IN_WINDOW))
    assert outcome.applied == 1
    assert handed[0].muted is None
    assert harness.service.counts[FAILURE_METRIC] == 1
    [line] = [json.loads(x) for x in log_lines.getvalue().splitlines() if "mute rules not read" in x]
    assert line["reason"].startswith(
        "AccessDenied: User is not authorized to perform: cloudwatch:ListAlarmMuteRules"
    )


def test_the_composition_builds_the_lookup_only_when_asked(
    aws: Any, standin: MuteRulesStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH", standin.url)
    base = Settings(table_name="table", ingest_queue_url="q", account_id=ACCOUNT, aws_region="eu-west-1")
    assert mute_rule_lookup(base, Clients(aws)) is None
    lookup = mute_rule_lookup(base.model_copy(update={"mute_rules_for_sns_alarms": True}), Clients(aws))
    assert lookup is not None and (lookup.account, lookup.region) == (ACCOUNT, "eu-west-1")
    # one quick try, never retried: a throttled API must not hold an alert up
    config = lookup.client.meta.config  # type: ignore[attr-defined]
    assert config.retries["total_max_attempts"] == 1
    assert (config.connect_timeout, config.read_timeout) == (1, 2)

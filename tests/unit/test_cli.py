"""`alertrouter route`: what would happen to an event, with no AWS access (like amtool's routes test)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alertrouter.cli import main
from support.events import load_event
from support.paths import EVENTS, ROOT

CONFIG = str(ROOT / "config" / "routing.yaml")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["route", *args, "--config", CONFIG])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_output_lists_alerts_receivers_and_messages(capsys, tmp_path: Path) -> None:
    # Given an SNS event holding two alarm records, one of them critical
    event = load_event("sns_lambda_cw_alarm_ALARM_single_metric_aws_lambda_go.json")
    second = json.loads(json.dumps(event["Records"][0]))
    message = json.loads(second["Sns"]["Message"])
    message.update(
        AlarmName="Checkout5xx",
        AlarmDescription="severity: critical service: checkout",
        AlarmArn="arn:aws:cloudwatch:us-east-1:111122223333:alarm:Checkout5xx",
    )
    second["Sns"]["Message"] = json.dumps(message)
    event["Records"].append(second)
    path = tmp_path / "two.json"
    path.write_text(json.dumps(event))
    # When routed with --json
    code, out, err = run(capsys, str(path), "--json")
    # Then one JSON object names each alert, its labels and receivers
    assert code == 0 and err == ""
    result = json.loads(out)
    assert [a["title"] for a in result["alerts"]] == ["EXAMPLE", "Checkout5xx"]
    first, checkout = result["alerts"]
    assert set(first) >= {"fingerprint", "source", "status", "severity", "title", "labels", "receivers"}
    assert first["receivers"] == ["infra"] and first["status"] == "firing"
    assert checkout["severity"] == "critical" and checkout["receivers"] == ["oncall-page", "payments"]
    assert result["ignored"] == []
    sms = [s for m in result["messages"] for s in m["sms"]]
    assert len(sms) == 1 and sms[0]["to"] == "oncall-primary" and len(sms[0]["text"]) <= 160


def test_ignored_events_are_listed_with_their_reason(capsys) -> None:
    code, out, _ = run(
        capsys,
        str(EVENTS / "eventbridge_cw_alarm_configuration_change_create_composite_awsdocs.json"),
        "--json",
    )
    assert code == 0
    result = json.loads(out)
    assert result["alerts"] == [] and "configuration change" in result["ignored"][0]["reason"]


def test_human_output_shows_the_slack_message(capsys) -> None:
    code, out, _ = run(
        capsys, str(EVENTS / "eventbridge_cw_alarm_state_change_single_metric_ALARM_awsdocs.json")
    )
    assert code == 0
    assert "receivers: infra" in out
    assert "── Slack #infra-alerts" in out
    assert "WARNING · ServerCpuTooHigh" in out and "[ Acknowledge ]" in out


@pytest.mark.parametrize("content", ['{"hello": 1}', "not json at all", "[]", ""])
def test_unrecognised_input_exits_2_with_one_line(capsys, tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    code, out, err = run(capsys, str(path))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("alertrouter: ") and "Traceback" not in err


def test_missing_file_and_bad_config_exit_2(capsys, tmp_path: Path) -> None:
    assert main(["route", str(tmp_path / "nope.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
    bad = tmp_path / "routing.yaml"
    bad.write_text("route: {receiver: ghost}\nreceivers: [{name: r}]\n")
    event = str(EVENTS / "eventbridge_cw_alarm_state_change_single_metric_ALARM_awsdocs.json")
    assert main(["route", event, "--config", str(bad)]) == 2
    assert "unknown receiver 'ghost'" in capsys.readouterr().err


def test_a_resolved_only_event_sends_nothing_as_the_router_would(capsys) -> None:
    code, out, _ = run(
        capsys, str(EVENTS / "sns_lambda_cw_alarm_OK_from_ALARM_logmetric_notify_slack.json"), "--json"
    )
    assert code == 0
    [message] = json.loads(out)["messages"]
    assert message["slack"] == [] and message["sms"] == [] and "never announced" in message["note"]

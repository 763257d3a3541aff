"""A routing config the router cannot load never takes it down: every alert reaches the stack's default channel
with a banner saying why, critical ones page ops, the ops metric is raised; a valid config deployed later
routes normally again, and the groups made meanwhile are finished in their own messages. Also: a config
change leaves open groups' messages in place. On moto and the Slack stand-in, through the router's handler."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from support.events import alarm_body
from support.harness import FAST_CONFIG, RouterStack, emf_lines, make_harness, sms_sent, top_level
from support.slack_standin import SlackStandIn

pytestmark = pytest.mark.integration

BROKEN = FAST_CONFIG.replace("receiver: pager", "receiver: pagr")
REASON = "route 0.0 names unknown receiver 'pagr'"


def banner(message: Any) -> str:
    first = message.attachments[0]["blocks"][0]
    return str(first["elements"][0]["text"]) if first["type"] == "context" else ""


def deploy(
    config: str,
    aws: Any,
    slack: SlackStandIn,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    before: RouterStack | None = None,
) -> RouterStack:
    """A (re)deploy: the same stack's resources, a new config file, a new container (cold start)."""
    harness = make_harness(
        aws,
        slack,
        tmp_path / f"deploy{len(list(tmp_path.iterdir()))}",
        config,
        existing=before.h if before else None,
    )
    if before is not None:
        harness.clock.ms = before.h.clock.ms
    return RouterStack(harness, monkeypatch)


def after_group_wait(stack: RouterStack) -> None:
    """The fail-safe route waits 10 s for more of a group's alerts: let that pass, deliver the flushes."""
    stack.h.clock.advance(11)
    stack.run_scheduled()


def logged(log_lines: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log_lines.getvalue().splitlines() if line.startswith("{")]


def test_an_invalid_config_routes_every_alert_to_the_default_channel_with_a_banner_and_pages_ops(
    aws: Any,
    slack: SlackStandIn,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    log_lines: Any,
) -> None:
    # Given a config with a typo (today: the service's start-up raises, every alert ends in the DLQ)
    stack = deploy(BROKEN, aws, slack, tmp_path, monkeypatch)
    *_, invalid = [line for line in logged(log_lines) if line["message"].startswith("routing config invalid")]
    assert invalid["level"] == "ERROR" and REASON in invalid["reason"] and invalid["channel"] == "#alerts"
    assert len(invalid["config_version"]) == 12
    # When a warning alarm fires, Then it is in the default channel, with the banner, and nothing is paged
    assert stack.send(alarm_body(name="CpuHigh")) == {"batchItemFailures": []}
    after_group_wait(stack)
    [warning] = top_level(slack, "#alerts")
    assert "CpuHigh" in warning.text
    assert banner(warning).startswith("routing config invalid: ") and REASON in banner(warning)
    assert banner(warning).endswith("— alerts are routed to the default channel")
    assert stack.ops_pages() == [] and sms_sent() == []
    # When a critical alarm fires, Then it is in the default channel too, and ops are paged once (no SMS:
    # the names of whom to text were in the broken file)
    stack.h.clock.advance(5)
    stack.send(alarm_body(name="DbDown", severity="critical"))
    after_group_wait(stack)
    [page] = stack.ops_pages()
    assert "CRITICAL DbDown" in page and REASON in page and "#alerts" in page and sms_sent() == []
    [paged] = [line for line in logged(log_lines) if line["message"].startswith("ops paged")]
    assert paged["config_version"] == invalid["config_version"]  # (every router line carries it)
    assert sorted(m.text.split(" · ")[1].split(" ")[0] for m in top_level(slack, "#alerts")) == [
        "CpuHigh",
        "DbDown",
    ]
    assert top_level(slack, "#team") == top_level(slack, "#oncall") == []
    # and the ops metric is raised, and nothing went to the DLQ
    emf = emf_lines(capsys)
    assert emf and all(line.get("RoutingConfigInvalid") == [1.0] for line in emf if "SlackPosts" in line)
    assert any(line.get("OpsPages") == [1.0] for line in emf)
    assert stack.dlq() == []
    # When another critical alarm fires a minute later (a storm), Then ops are not paged again yet...
    stack.h.clock.advance(60)
    stack.send(alarm_body(name="QueueStuck", severity="critical"))
    after_group_wait(stack)
    assert stack.ops_pages() == [] and len(top_level(slack, "#alerts")) == 3
    # ...but once the gap has passed, its own page goes out, once
    stack.h.clock.advance(300)
    stack.run_scheduled()
    [later] = stack.ops_pages()
    assert "CRITICAL QueueStuck" in later
    stack.h.clock.advance(300)
    stack.run_scheduled()
    assert stack.ops_pages() == [] and stack.dlq() == []


def test_a_valid_config_deployed_later_routes_normally_and_finishes_the_fail_safe_groups(
    aws: Any,
    slack: SlackStandIn,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    broken = deploy(BROKEN, aws, slack, tmp_path, monkeypatch)
    broken.send(alarm_body(name="DbDown", severity="critical", ts="2024-05-01T10:00:00.000+0000"))
    after_group_wait(broken)
    [failsafe] = top_level(slack, "#alerts")
    assert len(broken.ops_pages()) == 1
    capsys.readouterr()
    # When the config is fixed and deployed (a new Lambda version: new containers)
    fixed = deploy(FAST_CONFIG, aws, slack, tmp_path, monkeypatch, before=broken)
    # Then a new alert routes by the config: its channel, its SMS, no banner, no ops page, no metric
    fixed.h.clock.advance(60)
    assert fixed.send(alarm_body(name="DiskFull", severity="critical")) == {"batchItemFailures": []}
    [routed] = top_level(slack, "#oncall")
    assert "DiskFull" in routed.text and banner(routed) == ""
    assert len(sms_sent()) == 1 and fixed.ops_pages() == []
    assert not any("RoutingConfigInvalid" in line for line in emf_lines(capsys))
    # When the alarm of the fail-safe group repeats, Then it is routed by the config now (its route's message
    # and page), and its fail-safe message is kept up to date, not posted again
    fixed.h.clock.advance(60)
    fixed.send(alarm_body(name="DbDown", severity="critical", ts="2024-05-01T10:05:00.000+0000"))
    fixed.h.clock.advance(60)
    fixed.run_scheduled()  # (the fail-safe group's change goes out on its next group_interval tick)
    assert sorted(m.text.split(" · ")[1].split(" ")[0] for m in top_level(slack, "#oncall")) == [
        "DbDown",
        "DiskFull",
    ]
    assert top_level(slack, "#alerts") == [failsafe] and failsafe.edits == 1
    assert "*Fired*\\n2 times" in json.dumps(failsafe.attachments)
    assert banner(failsafe).startswith("routing config was invalid when these alerts arrived")
    # When it resolves, Then the fail-safe message turns green too (no new message anywhere), and no DLQ
    fixed.h.clock.advance(60)
    fixed.send(alarm_body(name="DbDown", severity="critical", state="OK", ts="2024-05-01T10:10:00.000+0000"))
    fixed.h.clock.advance(60)
    fixed.run_scheduled()
    assert failsafe.text.startswith("✅ RESOLVED") and top_level(slack, "#alerts") == [failsafe]
    assert len(top_level(slack, "#oncall")) == 2 and fixed.dlq() == [] and len(fixed.ops_pages()) == 0


def test_a_fail_safe_flush_that_comes_due_after_the_fix_is_delivered(
    aws: Any, slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = deploy(BROKEN, aws, slack, tmp_path, monkeypatch)
    broken.send(alarm_body(name="CpuHigh", ts="2024-05-01T10:00:00.000+0000"))
    after_group_wait(broken)
    broken.h.clock.advance(5)
    broken.send(alarm_body(name="CpuHigh", ts="2024-05-01T10:01:00.000+0000"))  # within group_interval: waits
    [(flush, _)] = broken.scheduled(hops=False)
    assert flush["route"] == "config-invalid"
    fixed = deploy(FAST_CONFIG, aws, slack, tmp_path, monkeypatch, before=broken)
    fixed.h.clock.advance(120)
    assert fixed.send(json.dumps(flush)) == {"batchItemFailures": []}
    [message] = top_level(slack, "#alerts")
    assert message.edits == 1 and "*Fired*\\n2 times" in json.dumps(message.attachments)
    assert fixed.dlq() == []


@pytest.mark.parametrize(
    ("text", "reason"),
    [("route: [", "not valid YAML"), ("[]", "expected a mapping"), (None, "cannot read routing config")],
)
def test_a_config_that_cannot_be_read_or_parsed_is_routed_fail_safe_too(
    aws: Any,
    slack: SlackStandIn,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    text: str | None,
    reason: str,
) -> None:
    harness = make_harness(aws, slack, tmp_path, FAST_CONFIG)
    path = Path(harness.service.settings.routing_config_path)
    if text is None:
        path.unlink()  # a layer shipped without the file
    else:
        path.write_text(text)
    stack = RouterStack(
        harness, monkeypatch
    )  # (builds the service again: a cold start with the file as it is now)
    assert stack.send(alarm_body(name="CpuHigh")) == {"batchItemFailures": []}
    after_group_wait(stack)
    [message] = top_level(slack, "#alerts")
    assert reason in banner(message) and stack.dlq() == []


def test_a_config_change_keeps_an_open_groups_message_and_edits_it(
    aws: Any, slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = deploy(FAST_CONFIG, aws, slack, tmp_path, monkeypatch)
    first.send(alarm_body(name="CpuHigh", ts="2024-05-01T10:00:00.000+0000"))
    [message] = top_level(slack, "#team")
    # When a changed config is deployed (a timing changed, a route and its receiver added)
    changed = (
        FAST_CONFIG.replace("repeat_interval: 4h", "repeat_interval: 1h").replace(
            "      receiver: pager\n",
            "      receiver: pager\n    - matchers: ['alertname=\"DbDown\"']\n      receiver: dba\n",
        )
        + '  - name: dba\n    slack: [{channel: "#dba"}]\n'
    )
    later = deploy(changed, aws, slack, tmp_path, monkeypatch, before=first)
    assert later.h.service.config_version != first.h.service.config_version
    later.h.clock.advance(60)
    later.send(alarm_body(name="CpuHigh", ts="2024-05-01T10:05:00.000+0000"))
    later.h.clock.advance(60)
    later.send(alarm_body(name="CpuHigh", state="OK", ts="2024-05-01T10:10:00.000+0000"))
    # Then the group's one message is edited (not posted again) up to the resolve
    assert top_level(slack, "#team") == [message] and message.edits == 2
    assert message.text.startswith("✅ RESOLVED") and later.dlq() == []

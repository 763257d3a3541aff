"""A channel Slack refuses for good (app removed, archived, unknown, a scope missing) or a refused token never
silences the healthy paths: on moto and the Slack stand-in, through the router's Lambda handler."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from support.events import alarm_body
from support.harness import RouterStack, emf_lines, make_harness, sms_sent, top_level
from support.slack_standin import SlackStandIn

pytestmark = pytest.mark.integration

CONFIG = """
route:
  receiver: team
  group_by: [alertname]
  group_wait: 0s
  send_changes: at_once
  repeat_interval: 4h
receivers:
  - name: team
    slack: [{channel: "#broken"}, {channel: "#healthy"}]
    sms: [oncall-primary]
"""
FALLBACK_CONFIG = CONFIG.replace(
    "    sms: [oncall-primary]\n", '    sms: [oncall-primary]\n    fallback_channel: "#fallback"\n'
)
GLOBAL_FALLBACK_CONFIG = 'global: {fallback_channel: "#fallback"}\n' + CONFIG
FIXES = {
    "not_in_channel": "invite the app to #broken",
    "is_archived": "unarchive #broken",
    "channel_not_found": "check the channel name/id #broken",
    "missing_scope": "add the scope chat:write",
}


def stack_for(
    config: str, aws: Any, slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> RouterStack:
    return RouterStack(make_harness(aws, slack, tmp_path, config), monkeypatch)


@pytest.fixture
def stack(aws: Any, slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RouterStack:
    return stack_for(CONFIG, aws, slack, tmp_path, monkeypatch)


@pytest.mark.parametrize("cause", sorted(FIXES))
def test_one_broken_channel_never_blocks_the_healthy_one_and_heals_with_the_current_message(
    stack: RouterStack, slack: SlackStandIn, capsys: pytest.CaptureFixture[str], log_lines: Any, cause: str
) -> None:
    h = stack.h
    slack.broken = {"#broken": cause}
    # When an alarm fires, Then the healthy channel gets it at once, and nothing goes to the DLQ
    assert stack.send(alarm_body(ts="2024-05-01T10:00:00.000+0000")) == {"batchItemFailures": []}
    [healthy] = top_level(slack, "#healthy")
    assert "ServerCpuTooHigh" in healthy.text
    assert top_level(slack, "#broken") == [] and stack.dlq() == []
    # and the refusal is loud: a metric (total and per cause), an error log naming the fix
    emf = emf_lines(capsys)
    assert any(line.get("SlackChannelFailures") == [1.0] and "cause" not in line for line in emf)
    [by_cause] = [line for line in emf if line.get("cause") == cause]
    assert by_cause["SlackChannelFailures"] == [1.0] and by_cause["service"] == "alertrouter"
    logs = [json.loads(line) for line in log_lines.getvalue().splitlines() if line.startswith("{")]
    [refused] = [line for line in logs if line["message"] == "Slack refuses the channel"]
    assert refused["level"] == "ERROR" and refused["cause"] == cause and FIXES[cause] in refused["fix"]
    # and a retry is scheduled a minute later (the group may get no event for hours)
    [(retry, delay)] = stack.scheduled()
    assert retry["kind"] == "alertrouter.flush" and 59 <= delay <= 61
    # When the alarm repeats and resolves, Then every edit reaches the healthy channel at once
    h.clock.advance(20)
    stack.send(alarm_body(ts="2024-05-01T10:01:00.000+0000"))
    assert healthy.edits == 1 and "*Fired*\\n2 times" in json.dumps(healthy.attachments)
    # (Slack is not asked again about the broken channel within the minute)
    assert [c.fault for c in slack.calls if c.payload.get("channel") == "#broken"] == [cause]
    assert stack.scheduled() == []  # (the retry is already on its way: nothing new)
    # When the retry comes while still broken, Then it is tried again, and the next try backs off to 5 min
    h.clock.advance(60)
    stack.send(json.dumps(retry))
    assert top_level(slack, "#broken") == [] and healthy.edits == 1
    [(again, delay)] = stack.scheduled()
    assert 299 <= delay <= 301
    # When the channel is fixed and the retry comes, Then it gets the group's current message, once
    slack.broken = {}
    h.clock.advance(300)
    stack.send(json.dumps(again))
    [healed] = top_level(slack, "#broken")
    assert healed.text == healthy.text and healed.attachments == healthy.attachments
    assert healed.replies == [] and healthy.edits == 1  # the healthy channel is not touched by the retry
    assert "Slack channel reachable again" in log_lines.getvalue()
    # healed: nothing more but the group's repeat_interval look (4 h on, carried in 15-minute hops)
    [(look, delay)] = stack.scheduled()
    assert delay == 900 and look["due"] > h.clock.ms + 3 * 3600 * 1000
    # When the alarm resolves, Then both messages are edited in place, and nothing was posted twice
    h.clock.advance(30)
    stack.send(alarm_body(state="OK", ts="2024-05-01T10:20:00.000+0000"))
    assert [m.text for m in top_level(slack, "#broken")] == [m.text for m in top_level(slack, "#healthy")]
    assert len(top_level(slack, "#broken")) == len(top_level(slack, "#healthy")) == 1
    assert healed.text.startswith("✅ RESOLVED") and healthy.edits == 2 and healed.edits == 1
    assert stack.dlq() == []


def test_a_channel_archived_after_the_post_is_edited_again_once_unarchived(
    stack: RouterStack, slack: SlackStandIn
) -> None:
    h = stack.h
    stack.send(alarm_body(ts="2024-05-01T10:00:00.000+0000"))
    [first] = top_level(slack, "#broken")
    # When the channel is archived, Then its edit fails, the healthy one is edited
    slack.broken = {"#broken": "is_archived"}
    h.clock.advance(10)
    assert stack.send(alarm_body(ts="2024-05-01T10:01:00.000+0000")) == {"batchItemFailures": []}
    [healthy] = top_level(slack, "#healthy")
    assert healthy.edits == 1 and first.edits == 0 and stack.dlq() == []
    # When it is unarchived and the retry comes, Then its message is brought up to date (no new post)
    slack.broken = {}
    h.clock.advance(60)
    stack.run_scheduled()
    assert top_level(slack, "#broken") == [first] and first.edits == 1 and first.text == healthy.text
    assert first.replies == []  # the current message, not the history


def test_fallback_channel_gets_the_message_when_every_channel_is_refused(
    aws: Any, slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = stack_for(FALLBACK_CONFIG, aws, slack, tmp_path, monkeypatch)
    slack.broken = {"#broken": "not_in_channel", "#healthy": "is_archived"}
    stack.send(alarm_body(ts="2024-05-01T10:00:00.000+0000"))
    [fallback] = top_level(slack, "#fallback")
    banner = fallback.attachments[0]["blocks"][0]
    assert banner["type"] == "context"
    text = banner["elements"][0]["text"]
    assert "#broken: not_in_channel" in text and "#healthy: is_archived" in text and "invite the app" in text
    # When the alarm repeats, Then the fallback's message is edited in place (no second post), banner kept
    stack.h.clock.advance(10)
    stack.send(alarm_body(ts="2024-05-01T10:01:00.000+0000"))
    assert top_level(slack, "#fallback") == [fallback] and fallback.edits == 1
    assert fallback.attachments[0]["blocks"][0]["elements"][0]["text"] == text
    # When one channel is fixed, Then the retry posts there once; the fallback is not posted to again
    slack.broken = {"#healthy": "is_archived"}
    stack.h.clock.advance(60)
    stack.run_scheduled()
    [healed] = top_level(slack, "#broken")
    assert "ServerCpuTooHigh" in healed.text and len(top_level(slack, "#fallback")) == 1
    assert stack.dlq() == []
    # When a click elsewhere is redrawn there, Then the fallback's message keeps its banner (now one channel)
    stack.h.service.router.redraw(healed.metadata["event_payload"]["group"], 1)
    assert fallback.edits == 2
    banner = fallback.attachments[0]["blocks"][0]["elements"][0]["text"]
    # (an archived channel reads as channel_not_found once a retry looks for its earlier post: Slack's
    # conversations.list leaves archived channels out)
    assert banner.count("#healthy: ") == 1 and "#broken" not in banner


def test_the_global_fallback_serves_receivers_without_their_own_and_only_when_all_fail(
    aws: Any, slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = stack_for(GLOBAL_FALLBACK_CONFIG, aws, slack, tmp_path, monkeypatch)
    slack.broken = {"#broken": "channel_not_found"}
    stack.send(alarm_body(name="One", ts="2024-05-01T10:00:00.000+0000"))
    assert top_level(slack, "#fallback") == [] and len(top_level(slack, "#healthy")) == 1
    slack.broken = {"#broken": "channel_not_found", "#healthy": "channel_not_found"}
    stack.send(alarm_body(name="Two", ts="2024-05-01T10:00:00.000+0000"))
    [fallback] = top_level(slack, "#fallback")
    assert "Two" in fallback.text


@pytest.mark.parametrize("cause", ["token_revoked", "invalid_auth"])
def test_a_refused_token_pages_ops_once_an_hour_and_sms_still_goes_out(
    aws: Any,
    slack: SlackStandIn,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    cause: str,
) -> None:
    stack = stack_for(FALLBACK_CONFIG, aws, slack, tmp_path, monkeypatch)
    slack.token_error = cause
    # When a critical alarm fires, Then the SMS page goes out, ops are paged through their topic, not the DLQ
    assert stack.send(alarm_body(name="DiskFull", severity="critical")) == {"batchItemFailures": []}
    [sms] = sms_sent()
    assert "DiskFull" in sms
    [page] = stack.ops_pages()
    assert cause in page and "rotate the token in the secret alertrouter-local/slack-bot-token" in page
    assert stack.dlq() == [] and slack.all_messages() == []
    # and the fallback is not tried (the same token would be refused there): one call, then nothing
    assert [c.payload.get("channel") for c in slack.calls] == ["#broken"]
    assert any(line.get("OpsPages") == [1.0] for line in emf_lines(capsys))
    # When another alarm fires 10 minutes later (another group), Then SMS again, but no second ops page
    stack.h.clock.advance(600)
    stack.send(alarm_body(name="MemoryFull", severity="critical", ts="2024-05-01T10:10:00.000+0000"))
    assert len(sms_sent()) == 2 and stack.ops_pages() == []
    # When the token is rotated, Then the scheduled retries post each group's message in both channels, once
    slack.token_error = ""
    stack.h.clock.advance(900)
    stack.run_scheduled()
    for channel in ("#broken", "#healthy"):
        assert sorted(m.text.split(" · ")[1].split(" ")[0] for m in top_level(slack, channel)) == [
            "DiskFull",
            "MemoryFull",
        ]
    assert top_level(slack, "#fallback") == []
    stack.h.clock.advance(900)
    stack.run_scheduled()
    assert len(slack.all_messages()) == 4


def test_one_sms_recipient_missing_from_the_secret_blocks_neither_the_others_nor_slack(
    aws: Any, slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = CONFIG.replace("sms: [oncall-primary]", "sms: [nobody-by-that-name, oncall-primary]")
    stack = stack_for(config, aws, slack, tmp_path, monkeypatch)
    assert stack.send(alarm_body(name="DiskFull", severity="critical")) == {"batchItemFailures": []}
    assert len(sms_sent()) == 1
    assert len(top_level(slack, "#broken")) == len(top_level(slack, "#healthy")) == 1
    assert stack.dlq() == []

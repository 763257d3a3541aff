"""Slash commands and App Home through the interactions endpoint, on the router's table (moto) and the Slack
stand-in: `/alerts` lists exactly what the table holds and filters by matchers, `/ack <link>` acknowledges as
the button does, `/oncall` says who is on call; opening App Home publishes the open alerts, the silences and
who is on call; signature, replay and allow-lists refuse commands and events as they refuse clicks."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from alertrouter.interactions import InteractionService
from alertrouter.models.matcher import Matcher
from alertrouter.models.silence import Silence
from alertrouter.notify.base import NotifyError
from alertrouter.notify.render import SlackMessage
from alertrouter.notify.slack import SlackClient
from support.events import alarm_body
from support.harness import Harness, make_harness
from support.slack_clicks import SIGNING_SECRET, group_of
from support.slack_requests import app_home_opened, slash_command, url_verification
from support.slack_standin import WORKSPACE_URL, SlackStandIn

pytestmark = pytest.mark.integration

CONFIG = """
route:
  receiver: team
  group_by: [alertname, account, region]
  group_wait: 0s
  send_changes: at_once
  routes:
    - matchers: ['severity="critical"']
      receiver: pager
receivers:
  - name: team
    slack: [{channel: "#team"}]
  - name: pager
    slack: [{channel: "#oncall"}]
people:
  alice: {slack: U0ALICE01}
  bob: {slack: U0BOB0001}
schedules:
  - name: payments
    layers:
      - {name: primary, rotation: weekly, start: 2026-01-05T09:00, members: [alice, bob]}
"""


@pytest.fixture
def harness(aws: Any, slack: SlackStandIn, tmp_path: Path) -> Harness:
    # standalone (the default): the open-group index /alerts and App Home read is kept in every mode with a table
    return make_harness(aws, slack, tmp_path, CONFIG)


def service(harness: Harness, **allowlists: Any) -> InteractionService:
    """The interactions function's service on the harness's table, config and Slack stand-in."""
    slack = SlackClient(lambda: "xoxb-test", harness.slack.url, timeout=(1.0, 1.0), min_interval=0.0)
    return InteractionService(
        harness.service.router.stores,
        lambda: SIGNING_SECRET,
        slack,
        routing=lambda: harness.service.router.config,
        **allowlists,
    )


def fire_three(harness: Harness) -> None:
    harness.service.handle_body(alarm_body("DiskFull", severity="warning"))
    harness.service.handle_body(alarm_body("ApiDown", severity="critical", instance="i-0api"))
    harness.service.handle_body(alarm_body("QueueDepth", severity="info", instance="i-0queue"))


def text_of(answer: Any) -> str:
    assert answer.status == 200, answer
    text: str = answer.body["text"]
    return text


def test_alerts_lists_exactly_what_is_firing_worst_first_with_links(harness: Harness) -> None:
    fire_three(harness)
    harness.service.handle_body(
        alarm_body("QueueDepth", state="OK", instance="i-0queue", ts="2024-05-01T10:01:00.000+0000")
    )
    answer = service(harness).handle(*slash_command("/alerts"))
    text = text_of(answer)
    assert answer.body["response_type"] == "ephemeral"
    lines = text.splitlines()
    assert lines[0] == "*2 alerts firing*, worst first:"
    assert "ApiDown" in lines[1] and lines[1].startswith("🔴") and "DiskFull" in lines[2]
    assert "QueueDepth" not in text  # resolved: not open any more
    # each links to its group's message, in the channel its route posts to
    api = harness.slack.channel_messages("#oncall")[0]
    assert f"<{WORKSPACE_URL}archives/{api.channel}/p{api.ts.replace('.', '')}|" in lines[1]
    assert "not acknowledged" in lines[1]


def test_alerts_filters_by_matchers_and_here_shows_the_channel(harness: Harness) -> None:
    fire_three(harness)
    answer = service(harness).handle(
        *slash_command("/alerts", 'here severity=~"crit.*|warning", alertname!="ApiDown"')
    )
    text = text_of(answer)
    assert answer.body["response_type"] == "in_channel"
    assert text.splitlines()[0].startswith("*1 alert firing* matching `severity=~")
    listing = "\n".join(text.splitlines()[1:])
    assert "DiskFull" in listing and "ApiDown" not in listing and "QueueDepth" not in listing
    # a bare word is the alert name, as with amtool
    assert "QueueDepth" in text_of(service(harness).handle(*slash_command("/alerts", "QueueDepth")))
    assert text_of(service(harness).handle(*slash_command("/alerts", "NoSuchAlarm"))) == (
        'No alerts are firing matching `alertname="NoSuchAlarm"`.'
    )


def test_alerts_refuses_a_malformed_matcher_with_its_reason(harness: Harness) -> None:
    fire_three(harness)
    text = text_of(service(harness).handle(*slash_command("/alerts", 'severity=~"(unclosed"')))
    assert text.startswith("Not a matcher: invalid regex '(unclosed': missing )")
    assert "ApiDown" not in text


def test_ack_by_the_message_link_acknowledges_and_redraws(harness: Harness) -> None:
    harness.service.handle_body(alarm_body())
    [message] = harness.slack.channel_messages("#team")
    link = f"{WORKSPACE_URL}archives/{message.channel}/p{message.ts.replace('.', '')}"
    text = text_of(service(harness).handle(*slash_command("/ack", link)))
    assert text == "✋ Acknowledged by <@U0ONCALL1>."
    assert group_of(harness).clicks.ack_by == "U0ONCALL1"
    assert "Acknowledged by <@U0ONCALL1>" in json.dumps(message.attachments) and message.edits == 1
    assert message.replies[-1].text.startswith("✋ Acknowledged by <@U0ONCALL1> at ")
    # a second /ack, by a reply's link (as Slack escapes links), says who was first and changes nothing
    reply = message.replies[-1]
    reply_link = (
        f"<{WORKSPACE_URL}archives/{message.channel}/p{reply.ts.replace('.', '')}"
        f"?thread_ts={message.ts}&cid={message.channel}>"
    )
    again = text_of(service(harness).handle(*slash_command("/ack", reply_link, user="U0SECOND1")))
    assert again == "Already acknowledged by <@U0ONCALL1>."
    assert message.edits == 1


def test_ack_refuses_what_is_not_an_alert_message(harness: Harness) -> None:
    harness.service.handle_body(alarm_body())
    [message] = harness.slack.channel_messages("#team")
    other = harness.slack.channel_id("#random")
    assert "Give the link" in text_of(service(harness).handle(*slash_command("/ack", "the disk one")))
    nothing = f"{WORKSPACE_URL}archives/{other}/p{message.ts.replace('.', '')}"
    assert "not one of AlertRouter's alert messages" in text_of(
        service(harness).handle(*slash_command("/ack", nothing))
    )
    assert group_of(harness).clicks.ack_by == ""


def test_oncall_says_who_is_on_call_and_until_when(harness: Harness) -> None:
    text = text_of(service(harness).handle(*slash_command("/oncall")))
    assert text.startswith("*payments*: <@U0ALICE01> (alice) until ") or text.startswith(
        "*payments*: <@U0BOB0001> (bob) until "
    )
    assert "(layer primary)" in text
    assert "no schedule *nope*" in text_of(service(harness).handle(*slash_command("/oncall", "nope")))


def test_unknown_commands_and_help_get_the_usage(harness: Harness) -> None:
    assert "/alerts [here] [matchers]" in text_of(service(harness).handle(*slash_command("/alerts", "help")))
    assert "is not a command of AlertRouter" in text_of(service(harness).handle(*slash_command("/what")))
    silence = text_of(service(harness).handle(*slash_command("/silence", 'service="api"')))
    # (a trigger id Slack did not hand out opens no modal: said, not crashed)
    assert "could not open (invalid_trigger_id)" in silence


def test_opening_app_home_publishes_what_the_table_holds(harness: Harness) -> None:
    fire_three(harness)
    stores = harness.service.router.stores
    now_ms = int(time.time() * 1000)
    stores.silences.put_silence(
        Silence(
            matchers=(Matcher.parse('service="checkout"'),),
            starts_at_ms=now_ms - 60_000,
            ends_at_ms=now_ms + 2 * 3_600_000,
            created_by="<@U0CAROL01>",
            comment="deploying <b>",
        )
    )
    stores.silences.put_silence(  # over: not shown
        Silence(matchers=(Matcher.parse('a="b"'),), starts_at_ms=1, ends_at_ms=2, created_by="x")
    )
    answer = service(harness).handle(*app_home_opened("U0ONCALL1"))
    assert answer.status == 200 and answer.body == {}
    home = harness.slack.homes["U0ONCALL1"].view
    assert home["type"] == "home" and len(home["blocks"]) <= 100
    text = json.dumps(home, ensure_ascii=False)
    assert "Open alerts (3)" in text and "ApiDown" in text and "DiskFull" in text and "QueueDepth" in text
    assert text.index("ApiDown") < text.index("DiskFull") < text.index("QueueDepth")  # worst first
    assert "Active silences (1)" in text and 'service=\\"checkout\\"' in text and "<@U0CAROL01>" in text
    assert "deploying &lt;b&gt;" in text and "ends in 1 h 59 min" in text
    assert "On call now" in text and "(layer primary)" in text
    # opened again after an acknowledgement: published again, fresh
    service(harness).handle(*slash_command("/ack", _link(harness, "#team")))
    service(harness).handle(*app_home_opened("U0ONCALL1"))
    assert harness.slack.homes["U0ONCALL1"].publishes == 2
    assert "acknowledged by <@U0ONCALL1>" in json.dumps(harness.slack.homes["U0ONCALL1"].view)


def _link(harness: Harness, channel: str) -> str:
    message = harness.slack.channel_messages(channel)[0]
    return f"{WORKSPACE_URL}archives/{message.channel}/p{message.ts.replace('.', '')}"


def test_the_messages_tab_and_other_events_publish_nothing(harness: Harness) -> None:
    assert service(harness).handle(*app_home_opened(tab="messages")).status == 200
    assert harness.slack.homes == {}


def test_a_failed_publish_is_logged_and_the_event_still_answered(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    harness.slack.home_tab_enabled = False  # the app's Home tab is off: views.publish answers not_enabled
    answer = service(harness).handle(*app_home_opened())
    assert answer.status == 200 and harness.slack.homes == {}
    assert harness.slack.count("views.publish") == 1
    [warning] = [r for r in caplog.records if r.getMessage() == "App Home not published"]
    assert warning.reason == "views.publish: not_enabled"


def test_url_verification_is_answered_with_its_challenge(harness: Harness) -> None:
    answer = service(harness).handle(*url_verification("chall-123"))
    assert answer.status == 200 and answer.body == {"challenge": "chall-123"}


@pytest.mark.parametrize("request_of", ["command", "event"])
@pytest.mark.parametrize("tamper", ["body", "signature", "stale", "replay"])
def test_forged_stale_or_replayed_commands_and_events_are_refused(
    harness: Harness, request_of: str, tamper: str
) -> None:
    harness.service.handle_body(alarm_body())
    interactions = service(harness)
    stale = int(time.time()) - 301 if tamper == "stale" else None
    headers, body = (
        slash_command("/ack", _link(harness, "#team"), timestamp=stale)
        if request_of == "command"
        else app_home_opened(timestamp=stale)
    )
    if tamper == "body":
        body = body.replace(b"U0ONCALL1", b"U0INTRUDR")
    if tamper == "signature":
        headers["x-slack-signature"] = "v0=" + "0" * 64
    if tamper == "replay":
        assert interactions.handle(headers, body).status == 200
        harness.slack.homes.clear()
        group = group_of(harness)
        harness.service.router.stores.clicks.acknowledge(group.key, "U0ONCALL1", 0, ack=False, episode=1)
    answer = interactions.handle(headers, body)
    assert answer.status == 401
    assert group_of(harness).clicks.ack_by == "" and harness.slack.homes == {}


def test_allow_lists_refuse_commands_and_home_as_they_refuse_clicks(harness: Harness) -> None:
    harness.service.handle_body(alarm_body())
    only_alice = service(harness, allowed_users=frozenset({"U0ALICE01"}))
    refused = text_of(only_alice.handle(*slash_command("/ack", _link(harness, "#team"))))
    assert refused == "You are not on the list of people who may act on alerts here."
    assert group_of(harness).clicks.ack_by == ""
    assert "ServerCpuTooHigh" not in text_of(only_alice.handle(*slash_command("/alerts")))
    # a refused user's App Home says so, and lists nothing
    assert only_alice.handle(*app_home_opened("U0ONCALL1")).status == 200
    home = json.dumps(harness.slack.homes["U0ONCALL1"].view)
    assert "not on the list" in home and "ServerCpuTooHigh" not in home
    assert "ServerCpuTooHigh" in text_of(only_alice.handle(*slash_command("/alerts", user="U0ALICE01")))
    # another workspace: refused outright
    other_team = service(harness, allowed_teams=frozenset({"T0OTHER01"}))
    assert other_team.handle(*slash_command("/alerts")).status == 403
    assert other_team.handle(*app_home_opened("U0ALICE01")).status == 403
    # user groups: read from Slack, as for clicks
    harness.slack.usergroups["S0ONCALL1"] = {"U0ONCALL1"}
    by_group = service(harness, allowed_groups=frozenset({"S0ONCALL1"}))
    assert text_of(by_group.handle(*slash_command("/ack", _link(harness, "#team")))).startswith(
        "✋ Acknowledged"
    )


def test_the_stand_in_answers_views_publish_and_history_as_slack_does(slack: SlackStandIn) -> None:
    client = SlackClient(lambda: "xoxb-test", slack.url, timeout=(1.0, 1.0), min_interval=0.0)
    home = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]}
    client.views_publish("U0ALICE01", home)
    kept = slack.homes["U0ALICE01"]
    assert kept.view == home

    def refused(payload: dict[str, Any]) -> str:
        with pytest.raises(NotifyError) as caught:
            client.call("views.publish", payload)
        return caught.value.code

    assert refused({"user_id": "U0ALICE01", "view": json.dumps(home), "hash": "stale"}) == "hash_conflict"
    client.call("views.publish", {"user_id": "U0ALICE01", "view": json.dumps(home), "hash": kept.hash})
    assert slack.homes["U0ALICE01"].publishes == 2
    assert refused({"user_id": "not-a-user", "view": json.dumps(home)}) == "invalid_arguments"
    assert (
        refused({"user_id": "U0ALICE01", "view": json.dumps({**home, "type": "modal"})})
        == "invalid_arguments"
    )
    too_many = {"type": "home", "blocks": home["blocks"] * 101}
    assert refused({"user_id": "U0ALICE01", "view": json.dumps(too_many)}) == "invalid_arguments"
    huge = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 260_000}}],
    }
    assert refused({"user_id": "U0ALICE01", "view": json.dumps(huge)}) == "view_too_large"
    # conversations.history: `latest` and `inclusive` pick one message; metadata only when asked for
    first, _ = client.post("#team", SlackMessage(text="one"), metadata={"group": "g1", "episode": 1})
    _, ts2 = client.post("#team", SlackMessage(text="two"), metadata={"group": "g2", "episode": 3})
    assert client.message_metadata(first, ts2) == {"group": "g2", "episode": 3}
    without = client.call("conversations.history", {"channel": first, "latest": ts2, "limit": 1})
    assert [m["text"] for m in without["messages"]] == ["one"] and "metadata" not in without["messages"][0]
    assert client.workspace_url() == WORKSPACE_URL

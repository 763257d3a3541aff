"""Slash commands and App Home, without the network: telling Slack's request kinds apart and reading them (the
documented shapes), message links, the matchers `/alerts` takes, command texts, and the Home view within
Slack's limits (100 blocks, 3000 characters a section) with outside text escaped."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alertrouter.interactions import InteractionService, sign
from alertrouter.models.matcher import Matcher
from alertrouter.models.matcher_syntax import MatcherSyntaxError
from alertrouter.models.silence import Silence
from alertrouter.models.state import AlertState
from alertrouter.slack_app.commands import USAGE, parse_matchers, slack_text
from alertrouter.slack_app.home import MAX_BLOCKS, MAX_SECTION, home_view, refused_view
from alertrouter.slack_app.links import LinkedMessage, message_link, parse_message_link
from alertrouter.slack_app.listing import ListedAlert, alert_line, collapsed
from alertrouter.slack_app.payloads import (
    RequestKind,
    SlashCommand,
    UrlVerification,
    interactive_sender,
    parse_command,
    parse_event,
    request_kind,
)
from support.events import load_event
from support.memory_store import MemoryStore
from support.slack_requests import app_home_opened, command_body, commands_on, url_verification

NOW = 1_796_634_000_000
HOUR = 3_600_000
WORKSPACE = "https://example.slack.com/"


def _form(payload: object) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def test_each_kind_of_request_is_told_apart() -> None:
    click = load_event("slack_block_actions_payload_button_in_message_slack_docs.json")
    assert request_kind(_form(click)) is RequestKind.BLOCK_ACTIONS
    assert request_kind(_form({"type": "view_submission", "view": {"id": "V1"}})) is RequestKind.VIEW
    assert request_kind(_form({**click, "view": {"id": "V1"}})) is RequestKind.VIEW  # a click inside a modal
    assert request_kind(command_body("/alerts")) is RequestKind.COMMAND
    assert request_kind(url_verification()[1]) is RequestKind.EVENT
    assert request_kind(app_home_opened()[1]) is RequestKind.EVENT
    # what none reads goes the block_actions way, which refuses it as it always did
    for junk in (b"", b"\xff\xfe", b"payload=%7Bnot json", b"token=x", _form([1, 2])):
        assert request_kind(junk) is RequestKind.BLOCK_ACTIONS


def test_a_slash_command_is_read_from_its_documented_fields() -> None:
    command = parse_command(command_body("/alerts", 'here severity="critical"', user="U0ALICE01"))
    assert command == SlashCommand(
        command="/alerts",
        text='here severity="critical"',
        user_id="U0ALICE01",
        team_id="T0TEAM001",
        channel_id="C0TEAM001",
        trigger_id=command.trigger_id,
        response_url="https://hooks.slack.com/commands/1234/5678",
    )
    with pytest.raises(ValueError, match="not a slash command"):
        parse_command(command_body("/alerts") + b"&user_id=U0OTHER01")  # a field twice
    with pytest.raises(ValueError, match="not a slash command"):
        parse_command(urlencode({"command": "/alerts"}).encode())  # no user


def test_events_are_read_from_their_documented_envelopes() -> None:
    assert parse_event(url_verification("abc")[1]) == UrlVerification(
        type="url_verification", challenge="abc"
    )
    envelope = parse_event(app_home_opened("U0ALICE01")[1])
    assert not isinstance(envelope, UrlVerification)
    opened = envelope.app_home_opened()
    assert opened is not None and (opened.user, opened.tab) == ("U0ALICE01", "home")
    assert envelope.team_id == "T0TEAM001"
    other = json.dumps({"type": "event_callback", "event": {"type": "reaction_added"}}).encode()
    envelope = parse_event(other)
    assert not isinstance(envelope, UrlVerification) and envelope.app_home_opened() is None
    for bad in (
        b"[]",
        b'{"type": "block_actions"}',
        b'{"type": "url_verification"}',
        json.dumps({"type": "event_callback", "event": {"type": "app_home_opened"}}).encode(),  # no user
    ):
        with pytest.raises(ValueError, match="not an Events API request"):
            parse_event(bad)


def test_who_sent_an_interactive_payload() -> None:
    body = _form({"type": "view_submission", "team": {"id": "T1"}, "user": {"id": "U1"}})
    assert interactive_sender(body) == ("T1", "U1")
    assert interactive_sender(b"\xff") == ("", "") and interactive_sender(_form("x")) == ("", "")


def test_message_links_as_copied_and_as_slack_escapes_them() -> None:
    assert parse_message_link("https://example.slack.com/archives/C0TEAM001/p1796634000000100") == (
        LinkedMessage("C0TEAM001", "1796634000.000100")
    )
    reply = parse_message_link(
        "<https://example.slack.com/archives/C0TEAM001/p1796634060000200"
        "?thread_ts=1796634000.000100&cid=C0TEAM001|a reply>"
    )
    assert reply == LinkedMessage("C0TEAM001", "1796634060.000200", "1796634000.000100")
    assert reply is not None and reply.parent_ts == "1796634000.000100"
    for not_a_link in (
        "",
        "ApiDown",
        "javascript:alert(1)//archives/C0TEAM001/p1796634000000100",
        "https://example.slack.com/archives/C0TEAM001",
        "https://example.slack.com/archives/C0TEAM001/p17966?thread_ts=x",
        "https://example.slack.com/archives/C0TEAM001/p1796634000000100?thread_ts=1.2",
    ):
        assert parse_message_link(not_a_link) is None, not_a_link
    link = message_link(WORKSPACE, "C0TEAM001", "1796634000.000100")
    assert link == "https://example.slack.com/archives/C0TEAM001/p1796634000000100"
    assert parse_message_link(link) == LinkedMessage("C0TEAM001", "1796634000.000100")
    assert message_link("", "C0TEAM001", "1796634000.000100") == ""
    assert message_link("javascript:x", "C0TEAM001", "1796634000.000100") == ""


def test_alerts_takes_matchers_as_a_silence_does() -> None:
    assert parse_matchers("") == []
    assert parse_matchers('severity="critical", service=~"pay.*"') == [
        Matcher.of("severity", "=", "critical"),
        Matcher.of("service", "=~", "pay.*"),
    ]
    assert parse_matchers('{team!="web"}') == [Matcher.of("team", "!=", "web")]
    assert parse_matchers("severity=critical env=prod") == [
        Matcher.of("severity", "=", "critical"),
        Matcher.of("env", "=", "prod"),
    ]
    assert parse_matchers('DiskFull region="eu-west-1"') == [
        Matcher.of("alertname", "=", "DiskFull"),
        Matcher.of("region", "=", "eu-west-1"),
    ]
    with pytest.raises(MatcherSyntaxError, match="invalid regex"):
        parse_matchers('service=~"(unclosed"')
    with pytest.raises(MatcherSyntaxError):
        parse_matchers('a="b" "c')
    # Slack sends & < > as entities
    assert slack_text(" a=~&quot;x&lt;&gt;&amp;&quot; ") == "a=~&quot;x<>&&quot;"


def test_command_texts() -> None:
    commands = commands_on(MemoryStore())

    def answer(command: str, text: str = "") -> str:
        body = commands.answer(SlashCommand(command=command, text=text, user_id="U0ALICE01"), NOW)
        assert body["response_type"] == "ephemeral"
        return str(body["text"])

    assert answer("/alerts") == "No alerts are firing."
    assert answer("/alerts", "help") == answer("/ack", "help") == USAGE
    assert answer("/alerts", 'x=~"("').startswith("Not a matcher: invalid regex")
    assert answer("/ack", "").startswith("Give the link of the alert's message")
    link = "https://example.slack.com/archives/C0TEAM001/p1796634000000100"
    assert answer("/ack", link) == "Acknowledging by link is not set up here (no Slack client)."
    assert answer("/oncall") == "The routing config could not be read here, so who is on call is not known."
    assert answer("/<!channel>").startswith("`/&lt;!channel&gt;` is not a command of AlertRouter.")


def _state(n: int, severity: str, title: str = "") -> AlertState:
    return AlertState(
        fingerprint=f"fp{n:04d}",
        status="firing",
        severity=severity,
        title=title or f"Alarm{n:04d}",
        source="cloudwatch",
        ts_ms=NOW - HOUR,
        starts_at_ms=NOW - 2 * HOUR - 5 * 60_000,
    )


def test_an_alert_line_escapes_what_comes_from_outside_and_links_only_http() -> None:
    hostile = _state(1, "critical", "<!channel> & *bold* <https://evil.example|click>")
    line = alert_line(ListedAlert(hostile, "U0ALICE01", "https://example.slack.com/archives/C1/p1"), NOW)
    assert line.startswith("🔴 critical <https://example.slack.com/archives/C1/p1|&lt;!channel&gt; &amp; ")
    assert "firing 2 h 5 min · acknowledged by <@U0ALICE01>" in line
    assert "<!channel>" not in line and "<https://evil" not in line
    plain = alert_line(ListedAlert(_state(2, "<odd>"), "", "javascript:alert(1)"), NOW)
    assert plain == "⚪ &lt;odd&gt; *Alarm0002* firing 2 h 5 min · not acknowledged"


def test_home_stays_within_slacks_limits_and_counts_what_does_not_fit() -> None:
    alerts = [
        ListedAlert(_state(n, ("critical", "warning", "info")[n % 3], "x" * 900), "", "") for n in range(120)
    ]
    silences = [
        Silence(
            id=f"s{n:03d}",
            matchers=(Matcher.parse(f'service="svc{n}"'),),
            starts_at_ms=NOW - HOUR,
            ends_at_ms=NOW + HOUR,
            created_by="<@U0ALICE01> & <!here>",
            comment="<b>" * 200,
        )
        for n in range(35)
    ]
    on_call = [f"*schedule{n}*: <@U0ALICE01> (alice) until 09:00 UTC (layer primary)" for n in range(200)]
    view = home_view(alerts, 500, silences, on_call, NOW, "2026-12-07 09:00 UTC")
    blocks = view["blocks"]
    assert view["type"] == "home" and len(blocks) == MAX_BLOCKS
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert all(len(t) <= MAX_SECTION for t in texts)
    shown = json.dumps(view, ensure_ascii=False)
    assert "Open alerts (500)" in shown and "…and 430 more" in shown
    assert "Active silences (35)" in shown and "…and 15 more" in shown
    assert "<!here>" not in shown and "&lt;!here&gt;" in shown and "<@U0ALICE01>" in shown
    assert "…and " in texts[-1]  # the on-call lines that did not fit are counted
    empty = home_view([], 0, [], ["*payments*: nobody is on call"], NOW, "now")
    assert "No alerts are firing." in json.dumps(empty) and "No silences are active." in json.dumps(empty)
    assert refused_view("You <may> not")["blocks"][1]["text"]["text"] == "You &lt;may&gt; not"


@settings(max_examples=300, deadline=None)
@given(
    command=st.sampled_from(["/alerts", "/ack", "/oncall", "/other"]),
    text=st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
    | st.lists(
        st.sampled_from(['a="b"', "x=~", "here", "{", "}", ",", " ", "&lt;", '"', "!~", "("]), max_size=12
    ).map("".join),
)
def test_any_command_text_gets_an_answer_and_never_an_exception(command: str, text: str) -> None:
    store = MemoryStore()
    body = commands_on(store).answer(SlashCommand(command=command, text=text, user_id="U0ALICE01"), NOW)
    assert body["response_type"] in ("ephemeral", "in_channel") and body["text"].strip()
    assert "<!" not in body["text"]  # nothing typed can mention a channel


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(
    body=st.one_of(
        st.dictionaries(
            st.sampled_from(["command", "text", "user_id", "team_id", "channel_id", "trigger_id", "x"]),
            st.text(max_size=40),
        ).map(lambda form: urlencode(form).encode()),
        st.fixed_dictionaries(
            {"type": st.sampled_from(["event_callback", "url_verification", "app_rate_limited"])},
            optional={"event": JSON_VALUES, "challenge": JSON_VALUES, "team_id": JSON_VALUES},
        ).map(lambda data: json.dumps(data).encode()),
        JSON_VALUES.map(lambda data: json.dumps(data).encode()).filter(lambda b: b.startswith(b"{")),
    )
)
def test_signed_hostile_commands_and_events_never_raise(body: bytes) -> None:
    store = MemoryStore()
    service = InteractionService(store.stores(), lambda: "secret", None, now=lambda: NOW / 1000)
    timestamp = str(NOW // 1000)
    headers = {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": sign("secret", timestamp, body)}
    answer = service.handle(headers, body)
    assert answer.status in (200, 400), answer
    assert answer.body == {} or set(answer.body) & {"text", "error", "challenge"}
    assert store.silence_items == {} and store.groups == {}


def test_alerts_of_one_message_with_one_title_are_one_line_with_their_count() -> None:
    message = "https://example.slack.com/archives/C1/p1"
    jobs = [
        ListedAlert(_state(n, "warning", "nightly failed: Out of memory"), "", message) for n in range(28)
    ]
    other = ListedAlert(_state(99, "warning", "nightly failed: Timeout"), "", message)
    unposted = [ListedAlert(_state(n, "warning", "Lone"), "", "") for n in (100, 101)]
    lines = collapsed([jobs[0], other, *jobs[1:], *unposted])
    assert [(a.state.title, n) for a, n in lines] == [
        ("nightly failed: Out of memory", 28),
        ("nightly failed: Timeout", 1),
        ("Lone", 1),  # (no message to tell them apart by: each its own line)
        ("Lone", 1),
    ]
    first, count = lines[0]
    assert "|nightly failed: Out of memory> ×28 firing 2 h 5 min" in alert_line(first, NOW, count)

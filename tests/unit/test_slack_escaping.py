"""Nothing from outside becomes a Slack control sequence: every outside field is escaped for mrkdwn in every
message kind, thread note and click answer; only the mentions, dates and links we build stay `<…>`."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from alertrouter.models.state import Clicks, GroupState, Member, MutingState
from alertrouter.notify.render import SlackMessage, render_change, render_group
from support.escalation_world import World, reminders_after_acknowledge

T0 = 1_714_557_600_000  # 2024-05-01 10:00:00 UTC

# The only `<…>` sequences we ever build: a date token, a mention of a well-formed user id, an http(s) link.
_BUILT = re.compile(
    r"<!date\^\d+\^\{date_short_pretty\} \{time\}\|\d{4}-\d\d-\d\d \d\d:\d\d UTC>"
    r"|<@[UW][A-Z0-9_]{1,31}>"
    r"|<https?://[^\s<>|]+\|[^<>|\n]+>"
)
_BARE_AMPERSAND = re.compile(r"&(?!amp;|lt;|gt;)")
HOSTILE = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U0BOSS01>",
    "<https://evil.example|click me>",
    "<javascript:alert(1)|Runbook>",
    "a & b",
    "x > y < z",
    "&lt;!channel&gt;",
    "|",
    "U1><!channel",
]


def control_sequences(mrkdwn: str) -> list[str]:
    """What Slack would read as markup but we did not build: stray `<`, `>` or a bare `&`."""
    rest = _BUILT.sub("", mrkdwn)
    return re.findall(r"[<>]", rest) + _BARE_AMPERSAND.findall(rest)


def mrkdwn_texts(message: SlackMessage) -> list[str]:
    """Every text of the message Slack parses as mrkdwn (the notification text and the blocks' texts)."""
    found = [message.text]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.attachments)
    return found


def hostile_member(text: str, *, status: str = "firing", source: str = "cloudwatch") -> Member:
    return Member(
        status=status,
        severity="critical",
        title=f"T {text}",
        summary=f"S {text}",
        resource=f"R {text}",
        account=f"A {text}",
        region=f"G {text}",
        console=f"https://c.example/{text}",
        runbook=text,
        ts_ms=T0 + 60_000,
        starts_at_ms=T0,
        count=2,
        source=source,
        reason=f"why {text}",
        links={"logs": f"javascript:{text}", f"k{text}": f"https://l.example/{text}"},
    )


def every_message_kind(text: str) -> list[SlackMessage]:
    """A single alert (firing, muted, no data, resolved), a multi-member group, a group of failed jobs with
    counted reasons, acknowledged and resolved by hand, each with `text` in every outside field."""
    labels = {"alertname": f"N {text}", "queue": f"Q {text}"}
    single = GroupState(
        key="r/1",
        route_id="r",
        receiver="team",
        group_labels=labels,
        members={"fp1": hostile_member(text)},
        muting=MutingState(reasons={"fp1": f"silenced by {text} until later"}, flapping=["fp1"]),
        clicks=Clicks(ack_by=text, ack_ms=T0, resolved_by=text, resolved_ms=T0),
    )
    multi = single.model_copy(
        update={
            "members": {
                "fp1": hostile_member(text),
                "fp2": hostile_member(text, status="nodata"),
                "fp3": hostile_member(text, status="resolved"),
            }
        }
    )
    jobs = single.model_copy(
        update={
            "members": {f"fp{i}": hostile_member(text, source="batch") for i in range(3)},
            "overflow": {f"O {text}": 40, "Timeout": 2},
        }
    )
    reasons = multi.model_copy(update={"members": {"fp1": hostile_member(text), "fp2": hostile_member(text)}})
    nodata = single.model_copy(update={"members": {"fp1": hostile_member(text, status="nodata")}})
    resolved = single.model_copy(update={"members": {"fp1": hostile_member(text, status="resolved")}})
    emptied = single.model_copy(update={"members": {}})
    return [render_group(g, T0) for g in (single, multi, jobs, reasons, nodata, resolved, emptied)]


def thread_notes(text: str) -> list[str]:
    return [
        render_change(hostile_member(text, status=status), before)
        for status in ("firing", "nodata", "resolved")
        for before in (None, "firing", "resolved")
    ]


hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(alphabet=st.sampled_from(list("<>&|@!^#:/ aUhtps.\tj")), max_size=40),
    st.lists(st.sampled_from(HOSTILE), min_size=1, max_size=4).map(" ".join),
)


@settings(max_examples=150, deadline=None)
@given(hostile_text)
def test_no_outside_text_becomes_a_control_sequence_in_any_message_or_thread_note(text: str) -> None:
    for message in every_message_kind(text):
        for mrkdwn in mrkdwn_texts(message):
            assert control_sequences(mrkdwn) == [], mrkdwn
    for note in thread_notes(text):
        assert control_sequences(note) == [], note


def test_a_forged_user_id_is_shown_as_text_not_as_a_mention_or_a_ping() -> None:
    message = every_message_kind("U1><!channel")[0]
    shown = json.dumps(message.attachments)
    assert "<!channel" not in shown and "<@U1>" not in shown
    assert "Acknowledged by U1&gt;&lt;!channel at" in shown


def test_a_mention_of_a_well_formed_user_id_stays_a_mention() -> None:
    group = GroupState(
        key="r/1",
        route_id="r",
        receiver="team",
        members={"fp1": hostile_member("x")},
        clicks=Clicks(ack_by="U0ONCALL1", ack_ms=T0),
        muting=MutingState(reasons={"fp1": "silenced by <@U0ONCALL1> until 11:00 UTC"}),
    )
    shown = json.dumps(render_group(group, T0).attachments)
    assert "Acknowledged by <@U0ONCALL1> at " in shown
    assert "🔕 silenced by <@U0ONCALL1> until 11:00 UTC" in json.dumps(
        render_group(group, T0).attachments, ensure_ascii=False
    )


def test_a_silence_made_by_anyone_else_shows_its_maker_escaped_in_the_message() -> None:
    # `alertrouter silence add --by` is free text: it reaches the message as the mute reason
    group = GroupState(
        key="r/1",
        route_id="r",
        receiver="team",
        members={"fp1": hostile_member("x")},
        muting=MutingState(
            reasons={"fp1": "silenced by <!channel> <https://evil.example|ok> until 11:00 UTC"}
        ),
    )
    texts = mrkdwn_texts(render_group(group, T0))
    assert all(control_sequences(t) == [] for t in texts)
    assert any("silenced by &lt;!channel&gt; &lt;https://evil.example|ok&gt;" in t for t in texts)


def test_outside_text_is_escaped_exactly_once() -> None:
    group = GroupState(
        key="r/1",
        route_id="r",
        receiver="team",
        members={"fp1": hostile_member("A & B").model_copy(update={"title": "A & B <x>"})},
    )
    message = render_group(group, T0)
    assert (
        message.text
        == "🔴 CRITICAL · A &amp; B &lt;x&gt; on R A &amp; B in account A A &amp; B (G A &amp; B)"
    )
    assert "&amp;amp;" not in json.dumps(message.attachments) and "&amp;lt;" not in json.dumps(
        message.attachments
    )


def test_the_escalators_reminder_mentions_only_a_well_formed_acknowledger() -> None:
    [reminder] = reminders_after_acknowledge(World(reminder="reminder_interval: 1h"), "U1><!channel", 63)
    assert control_sequences(reminder) == [], reminder
    assert reminder == "⏰ Still firing, acknowledged by U1&gt;&lt;!channel 1 h ago"

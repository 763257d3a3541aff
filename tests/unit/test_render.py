"""What on-call people read: a group's Slack message, its thread notes, the SMS, and the terminal preview."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from alertrouter.models.config import MessageSettings
from alertrouter.models.state import Clicks, GroupState, Member, MutingState
from alertrouter.notify.preview import mrkdwn_to_text, render_text
from alertrouter.notify.render import (
    SMS_LIMIT,
    human_duration,
    render_change,
    render_group,
    render_sms,
)
from alertrouter.notify.sms import mask_number
from alertrouter.notify.wording import Wording

T0 = 1_714_557_600_000  # 2024-05-01 10:00:00 UTC
MINUTE = 60_000
CONSOLE = "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/"


def member(
    title: str = "ServerCpuTooHigh",
    *,
    status: str = "firing",
    severity: str = "warning",
    starts_at_ms: int = T0,
    ts_ms: int | None = None,
    count: int = 1,
    summary: str = "CPU above 90%",
    resource: str = "i-0abc",
    runbook: str = "https://wiki.example.com/runbooks/cpu",
) -> Member:
    return Member(
        status=status,
        severity=severity,
        title=title,
        summary=summary,
        resource=resource,
        account="123456789012",
        region="us-east-1",
        console=CONSOLE + quote(title, safe=""),
        runbook=runbook,
        ts_ms=starts_at_ms if ts_ms is None else ts_ms,
        starts_at_ms=starts_at_ms,
        count=count,
    )


def group(*members: Member, key: str = "route0/ab12cd34") -> GroupState:
    return GroupState(
        key=key,
        route_id="route0",
        receiver="team",
        group_labels={"alertname": "", "account": "123456789012", "region": "us-east-1"},
        members={f"fp{i:02d}": m for i, m in enumerate(members)},
        version=1,
    )


def blocks_of(message: Any) -> list[dict[str, Any]]:
    [attachment] = message.attachments
    return attachment["blocks"]


def block_text(message: Any) -> str:
    return json.dumps(blocks_of(message), ensure_ascii=False).replace("\\n", "\n")


# ---- the group message ----


def test_single_firing_alert_has_headline_facts_links_and_buttons() -> None:
    # Given one critical alert that started at 10:00 and fired 3 times
    g = group(member("DiskFull", severity="critical", count=3))
    # When rendered
    message = render_group(g, now_ms=T0 + 5 * MINUTE)
    # Then the headline names severity and alarm, the colour is critical red
    headline = "🔴 CRITICAL · DiskFull on i-0abc in account 123456789012 (us-east-1)"
    assert message.text == headline
    assert message.attachments[0]["color"] == "#E01E5A"
    blocks = blocks_of(message)
    assert blocks[0]["text"]["text"] == f"*{headline}*"
    assert blocks[1]["text"]["text"] == "CPU above 90%"
    fields = [f["text"] for f in blocks[2]["fields"]]
    assert fields == [
        "*Where*\n123456789012 / us-east-1",
        "*Since*\n10:00 UTC",
        "*Resource*\ni-0abc",
        "*Fired*\n3 times",
    ]
    [links] = blocks[3]["elements"]
    assert links["text"] == f"<{CONSOLE}DiskFull|Console> · <https://wiki.example.com/runbooks/cpu|Runbook>"
    # And three buttons carry the group key back to the router
    actions = blocks[-1]
    assert actions["type"] == "actions"
    assert [b["action_id"] for b in actions["elements"]] == [
        "alertrouter_ack",
        "alertrouter_resolve",
        "alertrouter_silence",
    ]
    ack, resolve, silence = actions["elements"]
    assert {ack["value"], resolve["value"]} == {"route0/ab12cd34:1"}  # group key and episode
    # Silence is a menu: each choice carries its duration with the group key and episode
    assert silence["type"] == "static_select"
    assert [o["value"] for o in silence["options"]] == [
        "1h|route0/ab12cd34:1",
        "4h|route0/ab12cd34:1",
        "24h|route0/ab12cd34:1",
        "resolved|route0/ab12cd34:1",
        "custom|route0/ab12cd34:1",  # "Custom…": the Silence modal
    ]
    assert silence["options"][-1]["text"]["text"] == "Custom…"


def test_warning_is_amber_and_missing_resource_and_links_are_left_out() -> None:
    m = member(resource="", runbook="").model_copy(update={"console": ""})
    message = render_group(group(m), T0)
    assert message.text == "🟠 WARNING · ServerCpuTooHigh in account 123456789012 (us-east-1)"
    assert message.attachments[0]["color"] == "#ECB22E"
    assert "*Resource*" not in block_text(message)
    assert all(b["type"] != "context" for b in blocks_of(message))  # no empty link line


def test_single_resolved_alert_is_green_with_duration_and_no_buttons() -> None:
    # Given an alert that fired at 10:00 and resolved at 10:14
    g = group(member(status="resolved", ts_ms=T0 + 14 * MINUTE))
    message = render_group(g, T0 + 15 * MINUTE)
    assert message.text == (
        "✅ RESOLVED · ServerCpuTooHigh on i-0abc in account 123456789012 (us-east-1) · after 14 min"
    )
    assert message.attachments[0]["color"] == "#2EB67D"
    assert all(b["type"] != "actions" for b in blocks_of(message))


def test_single_nodata_alert_is_grey_and_keeps_its_buttons() -> None:
    message = render_group(group(member(status="nodata", severity="warning")), T0)
    assert message.text == "⚪ NO DATA · ServerCpuTooHigh on i-0abc in account 123456789012 (us-east-1)"
    assert message.attachments[0]["color"] == "#9E9E9E"
    assert blocks_of(message)[-1]["type"] == "actions"


def test_group_headline_counts_states_and_firing_alerts_come_first() -> None:
    # Given three firing alerts (one critical) and one resolved, the resolved one the oldest
    g = group(
        member("Resolved", status="resolved", starts_at_ms=T0 - 60 * MINUTE, ts_ms=T0),
        member("Late", starts_at_ms=T0 + 2 * MINUTE),
        member("Early", severity="critical", starts_at_ms=T0, count=4),
        member("Middle", starts_at_ms=T0 + MINUTE),
    )
    message = render_group(g, T0 + 3 * MINUTE)
    # Then the worst firing severity sets icon and colour, and the headline counts each state
    assert message.text == "🔴 CRITICAL · 4 alerts in account 123456789012 (us-east-1): 3 firing, 1 resolved"
    assert message.attachments[0]["color"] == "#E01E5A"
    lines = blocks_of(message)[1]["text"]["text"].splitlines()
    assert [line.split(" ")[1] for line in lines] == ["Early", "Middle", "Late", "Resolved"]
    assert lines[0].startswith("🔴 Early on i-0abc ×4 · 10:00 UTC · ")  # a repeat count only when > 1
    assert " ×" not in lines[1]
    assert lines[3].startswith("✅ Resolved")
    assert blocks_of(message)[-1]["type"] == "actions"


@pytest.mark.parametrize(("n", "more"), [(10, None), (11, "…and 1 more"), (13, "…and 3 more")])
def test_group_lists_ten_alerts_then_says_how_many_more(n: int, more: str | None) -> None:
    g = group(*[member(f"Alarm{i:02d}", starts_at_ms=T0 + i) for i in range(n)])
    message = render_group(g, T0)
    assert message.text.startswith(f"🟠 WARNING · {n} alerts firing in ")
    lines = blocks_of(message)[1]["text"]["text"].splitlines()
    assert [line.split(" ")[1] for line in lines[:10]] == [f"Alarm{i:02d}" for i in range(10)]
    assert lines[10:] == ([more] if more else [])


def test_group_with_long_alarm_names_still_says_how_many_more() -> None:
    # Given 12 alerts whose names are 108 characters long (CloudWatch allows 255)
    g = group(
        *[member(f"prod-payments-api-{'x' * 85}-latency-{i:02d}", starts_at_ms=T0 + i) for i in range(12)]
    )
    text = blocks_of(render_group(g, T0))[1]["text"]["text"]
    # Then the reader is still told there are more than are shown, and no link is cut in half
    assert len(text) <= 3000  # Slack's limit for a section's text
    assert text.endswith("…and 2 more")
    assert text.count("<") == text.count(">")


def test_all_resolved_group_is_green_with_its_whole_span() -> None:
    g = group(
        member("A", status="resolved", starts_at_ms=T0, ts_ms=T0 + 5 * MINUTE),
        member("B", status="resolved", starts_at_ms=T0 + MINUTE, ts_ms=T0 + 125 * MINUTE),
    )
    message = render_group(g, T0 + 130 * MINUTE)
    assert message.text == "✅ RESOLVED · 2 alerts in account 123456789012 (us-east-1) · after 2 h 5 min"
    assert message.attachments[0]["color"] == "#2EB67D"
    assert all(b["type"] != "actions" for b in blocks_of(message))


def test_group_of_nodata_and_resolved_counts_both_without_firing() -> None:
    g = group(member("Quiet", status="nodata"), member("Done", status="resolved", ts_ms=T0 + MINUTE))
    message = render_group(g, T0)
    assert message.text == "⚪ NO DATA · 2 alerts in account 123456789012 (us-east-1): 1 no data, 1 resolved"
    assert message.attachments[0]["color"] == "#9E9E9E"


def test_mrkdwn_control_characters_in_titles_are_escaped_in_blocks() -> None:
    # Given alarm names that would otherwise be read as Slack links, mentions or entities
    single = render_group(group(member("<!channel> p99 > 500ms & rising", resource="a<b>")), T0)
    multi = render_group(group(member("<!here> queue > 10k"), member("A & B")), T0)
    # Then the blocks show them literally
    assert (
        blocks_of(single)[0]["text"]["text"]
        == "*🟠 WARNING · &lt;!channel&gt; p99 &gt; 500ms &amp; rising on a&lt;b&gt; in account 123456789012 (us-east-1)*"
    )
    assert "*Resource*\na&lt;b&gt;" in block_text(single)
    listed = blocks_of(multi)[1]["text"]["text"]
    assert "&lt;!here&gt; queue &gt; 10k" in listed and "A &amp; B" in listed
    assert "<!here>" not in json.dumps(blocks_of(multi))


def test_mrkdwn_control_characters_in_titles_are_escaped_in_the_message_text() -> None:
    message = render_group(group(member("<!channel> p99 > 500ms & rising")), T0)
    assert "<!channel>" not in message.text
    assert message.text.startswith("🟠 WARNING · &lt;!channel&gt; p99 &gt; 500ms &amp; rising on i-0abc")


@pytest.mark.parametrize(
    ("ms", "expected"),
    [
        (0, "0 s"),
        (-5_000, "0 s"),
        (45_000, "45 s"),
        (59_999, "59 s"),
        (60_000, "1 min"),
        (14 * MINUTE, "14 min"),
        (120 * MINUTE, "2 h"),
        (125 * MINUTE, "2 h 5 min"),
        (86_400_000, "1 day"),
        (86_400_000 + 59 * MINUTE, "1 day"),  # minutes are not shown once it is days
        (3 * 86_400_000 + 4 * 3_600_000, "3 days 4 h"),
        (800 * 86_400_000, "2 years"),
    ],
)
def test_human_duration(ms: int, expected: str) -> None:
    assert human_duration(ms) == expected


# ---- thread notes ----


@pytest.mark.parametrize(
    ("m", "before", "expected"),
    [
        (member(summary="CPU 95%"), None, "🟠 *ServerCpuTooHigh* firing: CPU 95%"),
        (
            member(severity="critical", summary="disk 99%"),
            "resolved",
            "🔴 *ServerCpuTooHigh* firing again: disk 99%",
        ),
        (member(count=3, summary="CPU 97%"), "firing", "🟠 *ServerCpuTooHigh* still firing (×3): CPU 97%"),
        (
            member(status="resolved", ts_ms=T0 + 14 * MINUTE),
            "firing",
            "✅ *ServerCpuTooHigh* resolved after 14 min",
        ),
        (
            member(status="nodata", summary="no datapoints"),
            "firing",
            "⚪ *ServerCpuTooHigh* has no data: no datapoints",
        ),
        (member("a<b> & c", summary="x > y"), None, "🟠 *a&lt;b&gt; &amp; c* firing: x &gt; y"),
    ],
)
def test_render_change_says_what_happened(m: Member, before: str | None, expected: str) -> None:
    assert render_change(m, before) == expected


def test_render_change_keeps_long_summaries_short() -> None:
    line = render_change(member(summary="x" * 1000), None)
    assert line == "🟠 *ServerCpuTooHigh* firing: " + "x" * 299 + "…"  # cut to 300 with its ellipsis


# ---- SMS ----


@pytest.mark.parametrize(
    "title",
    [
        "DiskFull",
        "Überlast – 東京 — ñandú 🚨",
        "prod-payments-api-" + "VeryLongAlarmName" * 20,
        "Ü" * 400,
    ],
)
def test_sms_is_one_short_ascii_text(title: str) -> None:
    text = render_sms(
        [member(title, severity="critical", resource="arn:aws:rds:us-east-1:1:db:" + "é" * 80)],
        "production-eu",
    )
    assert len(text) <= SMS_LIMIT
    assert text.isascii()
    assert text.startswith("CRIT production-eu: ")


def test_sms_names_the_first_alert_and_bundles_the_rest() -> None:
    members = [member("DiskFull", severity="critical", resource="i-0abc"), member("B"), member("C")]
    assert render_sms(members, "prod") == "CRIT prod: 3 pages: DiskFull i-0abc us-east-1. See Slack."
    assert render_sms(members[:1]) == "CRIT: DiskFull i-0abc us-east-1. See Slack."


def test_an_sms_about_another_account_names_that_account() -> None:
    # (a hub's page about a spoke's alarm: the hub's own label would say the wrong account)
    spoke = member("DiskFull", severity="critical").model_copy(
        update={"account": "210987654321", "labels": {"account_name": "checkout-prod"}}
    )
    assert (
        render_sms([spoke], "hub", "123456789012")
        == "CRIT checkout-prod: DiskFull i-0abc us-east-1. See Slack."
    )
    unnamed = spoke.model_copy(update={"labels": {}})
    assert render_sms([unnamed], "hub", "123456789012").startswith("CRIT 210987654321: DiskFull")
    # the stack's own account keeps the stack's label; so does any where the own account is not known
    assert render_sms([spoke], "hub", "210987654321").startswith("CRIT hub: DiskFull")
    assert render_sms([spoke], "hub").startswith("CRIT hub: DiskFull")


def test_a_message_names_an_account_by_the_name_its_alert_carries_the_configs_winning() -> None:
    spoke = member("DiskFull").model_copy(
        update={"account": "210987654321", "labels": {"account_name": "checkout-prod"}}
    )
    message = render_group(group(spoke), now_ms=T0)
    assert message.text == "🟠 WARNING · DiskFull on i-0abc in checkout-prod (us-east-1)"
    assert "*Where*\ncheckout-prod (210987654321) / us-east-1" in [
        f["text"] for f in blocks_of(message)[2]["fields"]
    ]
    configured = Wording(MessageSettings(account_names={"210987654321": "checkout"}))
    assert render_group(group(spoke), T0, configured).text.endswith("in checkout (us-east-1)")


def test_sms_replaces_non_ascii_and_truncates_with_an_ellipsis() -> None:
    assert render_sms([member("Überlast – 東京", resource="")]) == "WARN: ?berlast - ?? us-east-1. See Slack."
    long = render_sms([member("A" * 300)])
    assert len(long) == SMS_LIMIT and long.endswith("AAA...")


def _gsm7_septets(text: str) -> int | None:
    """Septets `text` takes in the GSM 03.38 default alphabet; None if it cannot be sent in it (-> UCS-2)."""
    basic = (
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
        "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    )
    extension = "^{}\\[~]|€\f"
    if any(c not in basic and c not in extension for c in text):
        return None
    return sum(2 if c in extension else 1 for c in text)


@pytest.mark.parametrize("title", ["A" * 300, "Deploy `payments-api` health check failing " + "x" * 40])
def test_sms_fits_one_gsm7_segment(title: str) -> None:
    text = render_sms([member(title, severity="critical")], "prod")
    septets = _gsm7_septets(text)
    assert septets is not None and septets <= 160


def test_sms_needs_something_to_page_about() -> None:
    with pytest.raises(ValueError, match="nothing to page about"):
        render_sms([])


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+15555550100", "+*********00"),
        (" +4915112345678 ", "+***********78"),
        ("1234", "****"),
        ("", ""),
    ],
)
def test_mask_number_keeps_only_the_plus_and_the_last_two_digits(number: str, masked: str) -> None:
    assert mask_number(number) == masked
    assert len(mask_number(number)) == len(number.strip())


# ---- terminal preview ----


def test_preview_shows_links_as_labels_and_dates_as_their_fallback() -> None:
    message = render_group(group(member("A & B <x>", severity="critical")), T0)
    shown = render_text(message.text, message.attachments)
    assert "Console ↗ · Runbook ↗" in shown
    assert "*Since*: 10:00 UTC" in shown
    assert "A & B <x>" in shown  # entities turned back into characters
    assert "[ Acknowledge ]  [ Resolve ]  [ Silence… ▾ ]" in shown
    assert "<!date" not in shown and "<https" not in shown and "&amp;" not in shown
    assert all(line.startswith("┃ ") for line in shown.splitlines())
    assert render_text(message.text, message.attachments, colour=True).startswith("\033[31m┃\033[0m ")


def test_preview_of_plain_text_converts_tokens_and_indents() -> None:
    text = "see <https://example.com/x|the runbook> since <!date^1714557600^{date_short_pretty} {time}|2024-05-01 10:00 UTC>\nsecond &lt;line&gt;"
    assert render_text(text, indent="  ") == "  see the runbook ↗ since 2024-05-01 10:00 UTC\n  second <line>"
    assert mrkdwn_to_text("a &amp;lt; b") == "a &lt; b"  # unescaped once, not twice


def test_acknowledged_silenced_resolved_by_hand_and_flapping_are_shown() -> None:
    g = group(member("DiskFull", severity="critical"))
    [fp] = g.members
    acked = g.model_copy(update={"clicks": Clicks(ack_by="U0ONCALL1", ack_ms=T0)})
    message = render_group(acked, T0)
    assert message.attachments[0]["color"] == "#8E6BBF"  # someone is on it: not the red that calls for action
    assert "✋ Acknowledged by <@U0ONCALL1> at 10:00 UTC" in block_text(message)
    silenced = g.model_copy(
        update={"muting": MutingState(reasons={fp: "silenced by <@U0ONCALL1> until 2024-05-01 11:00 UTC"})}
    )
    message = render_group(silenced, T0)
    assert message.attachments[0]["color"] == "#607D8B"
    assert "🔕 silenced by <@U0ONCALL1> until 2024-05-01 11:00 UTC" in block_text(message)
    flapping = g.model_copy(update={"muting": MutingState(flapping=[fp])})
    assert "〰️ flapping" in block_text(render_group(flapping, T0))
    by_hand = g.model_copy(
        update={
            "members": {fp: g.members[fp].model_copy(update={"status": "resolved"})},
            "clicks": Clicks(resolved_by="U0ONCALL1", resolved_ms=T0),
        }
    )
    message = render_group(by_hand, T0)
    assert message.attachments[0]["color"] == "#2EB67D" and "✅ Resolved by <@U0ONCALL1>" in block_text(
        message
    )
    assert blocks_of(message)[-1]["type"] != "actions"  # nothing left to click


def test_in_a_group_each_muted_alert_is_marked_on_its_line() -> None:
    g = group(member("DiskFull"), member("CpuHigh"))
    first = next(iter(g.members))
    message = render_group(
        g.model_copy(update={"muting": MutingState(reasons={first: "inhibited by a firing alert"})}), T0
    )
    lines = [line for line in block_text(message).splitlines() if "🔕" in line]
    assert len(lines) == 1 and lines[0].endswith("🔕 inhibited by a firing alert")
    assert message.attachments[0]["color"] == "#ECB22E"  # one still calls for action


def test_a_preview_shows_terminal_control_sequences_as_text_not_as_commands() -> None:
    hostile = "Cpu\x1b]8;;https://evil.example\x07click\x1b]8;;\x07 \x1b[2J\x9b31m"
    shown = mrkdwn_to_text(hostile)
    assert not any(c in shown for c in ("\x1b", "\x07", "\x9b"))
    assert shown.startswith("Cpu\ufffd]8;;https://evil.example\ufffdclick")

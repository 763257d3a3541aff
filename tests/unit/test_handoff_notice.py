"""The handoff notice: who is on call now, until when (in the schedule's zone), who was; escaped."""

from __future__ import annotations

from alertrouter.notify.handoff import TAKE_PAGER, Handoff, render_handoff

NOW = 1_796_634_000_000  # 2026-12-07 09:00 UTC (a Monday)
WEEK = 7 * 86_400_000


def text_of(handoff: Handoff) -> str:
    message = render_handoff(handoff, NOW)
    return message.attachments[0]["blocks"][0]["text"]["text"]


def test_the_notice_mentions_the_person_and_says_until_when_in_the_schedules_zone() -> None:
    handoff = Handoff("payments", "Europe/Berlin", "alice", "U0ALICE01", NOW + WEEK, "bob")
    message = render_handoff(handoff, NOW)
    assert message.text == "📟 On call for payments now: alice"
    assert text_of(handoff) == (
        "<@U0ALICE01> (alice) is on call for *payments* until 2026-12-14 10:00 CET (09:00 UTC) (was bob)."
    )
    [button] = message.attachments[0]["blocks"][1]["elements"]
    assert (button["action_id"], button["value"]) == (TAKE_PAGER, "payments")


def test_without_a_slack_id_the_name_is_shown_and_without_a_next_change_no_until() -> None:
    handoff = Handoff("payments", "UTC", "alice", None, None, None)
    assert text_of(handoff) == "*alice* is on call for *payments*."


def test_nobody_on_call_says_where_the_pages_go() -> None:
    handoff = Handoff("data", "America/New_York", "", None, NOW + 3_600_000, "carol")
    message = render_handoff(handoff, NOW)
    assert message.text == "⚠️ Nobody is on call for data"
    assert text_of(handoff) == (
        "Nobody is on call for *data* until 05:00 EST (10:00 UTC) (was carol): pages to `schedule:data` go to "
        "the escalation's next step."
    )


def test_names_from_the_config_cannot_mention_anyone() -> None:
    handoff = Handoff("<!channel>", "UTC", "a<@U1>", "not-an-id", None, "<!here>")
    message = render_handoff(handoff, NOW)
    shown = message.text + text_of(handoff)
    assert "<!" not in shown and "<@U1>" not in shown and "<@not-an-id>" not in shown

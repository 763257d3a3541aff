"""The demo's HTML page draws Slack mrkdwn and escapes everything else (outside text is never markup)."""

from __future__ import annotations

from alertrouter.notify.preview import mrkdwn_to_html
from support.slack_html import render_page
from support.slack_standin import Message, SlackStandIn


def test_mrkdwn_is_drawn_and_outside_text_escaped() -> None:
    text = (
        "*🔴 CRITICAL · <img src=x onerror=alert(1)>* &lt;b&gt;not bold&lt;/b&gt; "
        '<https://runbooks.example.com/disk_queue_depth?a=1&amp;b=2|run_book "x"> '
        "<!date^1772442000^{date_short} {time}|2026-03-02 09:00 UTC> <@U0ONCALL1> `alertrouter silence list`"
    )
    assert mrkdwn_to_html(text) == (
        "<b>🔴 CRITICAL · &lt;img src=x onerror=alert(1)&gt;</b> &lt;b&gt;not bold&lt;/b&gt; "
        '<a href="https://runbooks.example.com/disk_queue_depth?a=1&amp;b=2">run_book &quot;x&quot;</a> '
        '2026-03-02 09:00 UTC <span class="mention">@U0ONCALL1</span> <code>alertrouter silence list</code>'
    )
    assert mrkdwn_to_html("<javascript:alert(1)|click>") == "&lt;javascript:alert(1)|click&gt;"


def test_the_page_is_self_contained_with_bar_fields_buttons_thread_and_edits() -> None:
    slack = SlackStandIn()
    try:
        channel = slack.channel_id("#oncall")
        message = Message(
            channel=channel,
            ts="1772442370.000100",
            text="fallback",
            edits=2,
            attachments=[
                {
                    "color": "#E01E5A",
                    "blocks": [
                        {
                            "type": "section",
                            "text": {"type": "mrkdwn", "text": "*PaymentsApi5xxHigh*"},
                            "fields": [
                                {"type": "mrkdwn", "text": "*Resource*\napp/payments-api"},
                                {"type": "mrkdwn", "text": "*Count*\n1"},
                            ],
                        },
                        {
                            "type": "context",
                            "elements": [{"type": "mrkdwn", "text": "<https://console.example|Console>"}],
                        },
                        {
                            "type": "actions",
                            "elements": [
                                {
                                    "type": "button",
                                    "text": {"type": "plain_text", "text": "Acknowledge <now>"},
                                },
                                {
                                    "type": "static_select",
                                    "placeholder": {"type": "plain_text", "text": "Silence…"},
                                },
                            ],
                        },
                    ],
                }
            ],
        )
        message.replies.append(
            Message(channel=channel, ts="1772443000.000100", text="✋ Acknowledged by <@U0ONCALL1>")
        )
        slack.messages[channel] = [message]
        page = render_page(slack, "demo <title>")
    finally:
        slack.server.server_close()
    assert page.startswith("<!doctype html>") and "<title>demo &lt;title&gt;</title>" in page
    assert "<script" not in page and "<link" not in page and "src=" not in page and "@import" not in page
    assert "<h2>#oncall</h2>" in page and 'style="background:#E01E5A"' in page and "(edited ×2)" in page
    assert (
        '<div class="fields"><div><b>Resource</b><br>app/payments-api</div><div><b>Count</b><br>1</div></div>'
        in page
    )
    assert '<span class="button">Acknowledge &lt;now&gt;</span>' in page and "Silence… ▾" in page
    assert '<div class="thread"><div class="label">1 reply</div>' in page and "@U0ONCALL1" in page

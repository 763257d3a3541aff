"""The Silence modal on moto and the Slack stand-in: opened by the message's "Custom…" (or /silence), checked
field by field, previewed, saved, and then muting what it matches; under the same signed-request rules as
clicks."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import pytest
from moto.backends import get_backend

from alertrouter.interactions import InteractionService
from alertrouter.notify.base import NotifyError
from alertrouter.notify.slack import SlackClient
from alertrouter.slack_app.silence_modal import DURATION, ENDS, MATCHERS, Fields, Origin, modal_view
from support.events import alarm_body
from support.harness import Harness, make_harness
from support.slack_clicks import SIGNING_SECRET, group_of, interaction_service
from support.slack_modal import Inputs, custom_click, submit, view_enter, view_submission
from support.slack_requests import slash_command

pytestmark = pytest.mark.integration
GROUP_MATCHERS = 'account="123456789012", alertname="ServerCpuTooHigh", region="us-east-1"'
DAY_S = 86_400


@pytest.fixture
def harness(aws: Any, slack: Any, tmp_path: Path) -> Harness:
    # standalone (the default): the preview reads the open-group index, which every router with a table keeps
    # (flush/open_group.py); the per-alert index is a hub's alone
    return make_harness(aws, slack, tmp_path)


@pytest.fixture
def interactions(harness: Harness) -> InteractionService:
    harness.clock.ms = int(time.time() * 1000)  # the interactions function's clock is real time
    return interaction_service(harness)


def sms_sent() -> list[Any]:
    return list(get_backend("sns")["123456789012"]["us-east-1"].sms_messages.values())


def preview_text(view: dict[str, Any]) -> str:
    [preview] = [b for b in view["blocks"] if b.get("block_id") == "preview"]
    return str(preview["text"]["text"])


def opened_from_message(harness: Harness, interactions: InteractionService, channel: str = "#team") -> Any:
    response = interactions.handle(*custom_click(harness, channel=channel))
    assert response.status == 200 and response.body == {}
    return harness.slack.open_view("U0ONCALL1")


def test_custom_opens_the_modal_pre_filled_with_the_groups_labels(
    harness: Harness, interactions: InteractionService
) -> None:
    harness.service.handle_body(alarm_body())
    opened = opened_from_message(harness, interactions)
    view = opened.view
    assert view["callback_id"] == "alertrouter_silence" and view["submit"]["text"] == "Preview"
    [matchers] = [b for b in view["blocks"] if b["block_id"] == MATCHERS]
    assert matchers["element"]["initial_value"] == GROUP_MATCHERS and matchers["dispatch_action"] is True
    message = harness.slack.channel_messages("#team")[-1]
    origin = Origin.decode(view["private_metadata"])
    assert (origin.channel, origin.ts, origin.group, origin.previewed) == (
        message.channel,
        message.ts,
        group_of(harness).key,
        "",
    )
    assert harness.service.router.stores.silences.silences() == []


def test_a_malformed_matcher_is_refused_with_the_fields_error_and_nothing_is_saved(
    harness: Harness, interactions: InteractionService
) -> None:
    harness.service.handle_body(alarm_body())
    opened_from_message(harness, interactions)
    response = submit(interactions, harness, Inputs(matchers='alertname=~"(unclosed', duration="2h"))
    assert response.status == 200 and response.body["response_action"] == "errors"
    assert set(response.body["errors"]) == {MATCHERS}
    assert "unclosed" in response.body["errors"][MATCHERS] or "missing" in response.body["errors"][MATCHERS]
    assert harness.slack.open_view().errors == response.body["errors"]  # shown under the field
    assert harness.service.router.stores.silences.silences() == []


def test_the_first_submit_previews_the_second_saves_and_the_silence_mutes_the_next_matching_alert(
    harness: Harness, interactions: InteractionService
) -> None:
    # Given a critical alert paged and posted to #oncall, and the modal opened from its message
    harness.service.handle_body(alarm_body(severity="critical"))
    assert len(sms_sent()) == 1
    opened_from_message(harness, interactions, "#oncall")
    inputs = Inputs(matchers=GROUP_MATCHERS, duration="4h", comment="CPU work on i-0abc")
    # When it is submitted the first time: the preview, nothing saved
    first = submit(interactions, harness, inputs)
    assert first.body["response_action"] == "update"
    shown = harness.slack.open_view().view
    assert "*1 open alert matches:*" in preview_text(shown) and "ServerCpuTooHigh" in preview_text(shown)
    assert shown["submit"]["text"] == "Silence 1 open"
    assert harness.service.router.stores.silences.silences() == []
    # and the second time: saved, by the user, with the comment, and the modal says how to end it
    before_ms = int(time.time() * 1000)
    second = submit(interactions, harness, inputs)
    [silence] = harness.service.router.stores.silences.silences()
    assert silence.describe() == GROUP_MATCHERS and silence.created_by == "<@U0ONCALL1>"
    assert silence.comment == "CPU work on i-0abc"
    assert before_ms + 4 * 3_600_000 <= silence.ends_at_ms <= int(time.time() * 1000) + 4 * 3_600_000
    confirmation = json.dumps(harness.slack.open_view().view)
    assert second.body["response_action"] == "update" and silence.id in confirmation
    assert f"alertrouter silence expire {silence.id}" in confirmation
    # noted in the message's thread and the group's history, like the menu's silences
    message = harness.slack.channel_messages("#oncall")[0]
    assert message.replies[-1].text.startswith("🔕 Silenced by <@U0ONCALL1> until ")
    history = harness.service.router.stores.history.history(group_of(harness, "#oncall").key)
    assert history[-1]["kind"] == "silence" and history[-1]["silence"] == silence.id
    # Then the next matching alert (another instance, the same group's labels) is neither posted nor paged
    posted = len(harness.slack.all_messages())
    harness.clock.advance(60)
    harness.service.handle_body(
        alarm_body(severity="critical", instance="i-0def", ts="2024-05-01T10:01:00.000+0000")
    )
    assert len(sms_sent()) == 1 and len(harness.slack.all_messages()) == posted
    # while one it does not match still goes out
    harness.service.handle_body(
        alarm_body(name="DiskFull", severity="critical", ts="2024-05-01T10:02:00.000+0000")
    )
    assert len(sms_sent()) == 2 and len(harness.slack.channel_messages("#oncall")) == 2


def test_silence_opened_by_the_command_is_saved_and_mutes_the_next_matching_alert(
    harness: Harness, interactions: InteractionService
) -> None:
    # When someone types `/silence alertname="DiskFull"` (Slack's signed slash command, with a fresh trigger)
    trigger = harness.slack.issue_trigger_id("U0ONCALL1")
    channel = harness.slack.channel_id("#team")
    command = slash_command("/silence", 'alertname="DiskFull"', channel=channel, trigger_id=trigger)
    answer = interactions.handle(*command)
    # Then the command is answered at once (nothing to say) and the modal is open, pre-filled
    assert (answer.status, answer.body) == (200, {})
    [matchers] = [b for b in harness.slack.open_view().view["blocks"] if b["block_id"] == MATCHERS]
    assert matchers["element"]["initial_value"] == 'alertname="DiskFull"'
    inputs = Inputs(matchers='alertname="DiskFull"', duration="1h")
    assert "No open alert matches" in preview_text(submit(interactions, harness, inputs).body["view"])
    submit(interactions, harness, inputs)
    [silence] = harness.service.router.stores.silences.silences()
    harness.clock.ms = int(time.time() * 1000) + 1000  # the router's clock, after the silence's start
    harness.service.handle_body(alarm_body(name="DiskFull"))
    assert harness.slack.channel_messages("#team") == []  # muted: nothing posted
    harness.service.handle_body(alarm_body(name="ServerCpuTooHigh"))
    assert len(harness.slack.channel_messages("#team")) == 1
    assert silence.describe() == 'alertname="DiskFull"'


def test_enter_in_the_matchers_field_refreshes_the_preview_with_the_views_hash(
    harness: Harness, interactions: InteractionService
) -> None:
    harness.service.handle_body(alarm_body())
    opened = opened_from_message(harness, interactions)
    stale = dataclasses.replace(opened)  # the view as the user saw it before the refresh
    assert (
        interactions.handle(*view_enter(opened, Inputs(matchers='alertname="ServerCpuTooHigh"'))).body == {}
    )
    now_open = harness.slack.open_view()
    assert "*1 open alert matches:*" in preview_text(now_open.view) and now_open.hash != stale.hash
    assert harness.slack.count("views.update") == 1
    # a refresh from a view that changed since is refused by Slack (hash_conflict) and changes nothing
    assert interactions.handle(*view_enter(stale, Inputs(matchers='alertname="Other"'))).status == 200
    after = harness.slack.open_view()
    assert after.hash == now_open.hash and "*1 open alert matches:*" in preview_text(after.view)
    # and a submit of the previewed matchers saves at once
    submit(interactions, harness, Inputs(matchers='alertname="ServerCpuTooHigh"', duration="1h"))
    assert len(harness.service.router.stores.silences.silences()) == 1


@pytest.mark.parametrize(
    ("inputs", "field", "says"),
    [
        (Inputs(matchers=GROUP_MATCHERS, ends_s=int(time.time()) - 3600), ENDS, "in the past"),
        (Inputs(matchers=GROUP_MATCHERS, duration="31d"), DURATION, "at most 30 days"),
        (Inputs(matchers=GROUP_MATCHERS, ends_s=int(time.time()) + 40 * DAY_S), ENDS, "at most 30 days"),
        (Inputs(matchers='alertname=~".*"', duration="1h"), MATCHERS, "every alert"),
        (
            Inputs(matchers=GROUP_MATCHERS, duration="1h", ends_s=int(time.time()) + 3600),
            DURATION,
            "not both",
        ),
        (Inputs(matchers=GROUP_MATCHERS), DURATION, "give a duration"),
    ],
)
def test_what_cannot_be_a_silence_is_refused_under_its_field(
    harness: Harness, interactions: InteractionService, inputs: Inputs, field: str, says: str
) -> None:
    harness.service.handle_body(alarm_body())
    opened_from_message(harness, interactions)
    response = submit(interactions, harness, inputs)
    assert response.body["response_action"] == "errors" and says in response.body["errors"][field]
    assert harness.service.router.stores.silences.silences() == []


@pytest.mark.parametrize("tamper", ["body", "signature", "stale", "replay"])
def test_forged_stale_or_replayed_submissions_save_nothing(
    harness: Harness, interactions: InteractionService, tamper: str
) -> None:
    harness.service.handle_body(alarm_body())
    opened_from_message(harness, interactions)
    inputs = Inputs(matchers=GROUP_MATCHERS, duration="1h")
    submit(interactions, harness, inputs)  # previewed: the next genuine submit would save
    opened = harness.slack.open_view()
    headers, body = view_submission(
        opened, inputs, timestamp=int(time.time()) - 301 if tamper == "stale" else None
    )
    if tamper == "body":
        body = body.replace(b"1h", b"9h")
    elif tamper == "signature":
        headers["x-slack-signature"] = "v0=" + "0" * 64
    elif tamper == "replay":
        assert interactions.handle(headers, body).status == 200  # genuine: saved once
        harness.service.router.stores.silences.expire_silence(
            harness.service.router.stores.silences.silences()[0].id, int(time.time() * 1000) - 1
        )
    saved = harness.service.router.stores.silences.silences()
    assert interactions.handle(headers, body).status == 401
    assert harness.service.router.stores.silences.silences() == saved


def test_allow_lists_apply_to_submissions(harness: Harness, interactions: InteractionService) -> None:
    harness.service.handle_body(alarm_body())
    opened_from_message(harness, interactions)
    stores = harness.service.router.stores
    inputs = Inputs(matchers=GROUP_MATCHERS, duration="1h")
    submit(interactions, harness, inputs)
    slack = SlackClient(lambda: "xoxb-test", harness.slack.url, timeout=(1.0, 1.0), min_interval=0.0)
    users_only = InteractionService(
        stores, lambda: SIGNING_SECRET, slack, allowed_users=frozenset({"U0ALLOWED"})
    )
    refused = users_only.handle(*view_submission(harness.slack.open_view(), inputs))
    assert (
        refused.body["response_action"] == "errors" and "not on the list" in refused.body["errors"][MATCHERS]
    )
    other_team = InteractionService(
        stores, lambda: SIGNING_SECRET, slack, allowed_teams=frozenset({"T0OTHER01"})
    )
    assert other_team.handle(*view_submission(harness.slack.open_view(), inputs, "U0OTHER01")).status == 403
    assert other_team.handle(*custom_click(harness)).status == 403
    # and Enter in the matchers field refreshes nothing for someone not on the list
    assert users_only.handle(*view_enter(harness.slack.open_view(), inputs)).body == {}
    assert harness.slack.count("views.update") == 0 and harness.slack.count("views.open") == 1
    assert stores.silences.silences() == []


def test_an_expired_trigger_id_is_answered_with_an_explanation(
    harness: Harness, interactions: InteractionService
) -> None:
    harness.service.handle_body(alarm_body())
    response = interactions.handle(*custom_click(harness, trigger_age=3.5))
    assert response.status == 200 and response.body["response_type"] == "ephemeral"
    assert "3 seconds" in response.body["text"] and harness.slack.views == {}
    assert [c.fault for c in harness.slack.calls if c.method == "views.open"] == ["ok"]
    # the same trigger id cannot open a second modal either
    trigger = harness.slack.issue_trigger_id()
    client = SlackClient(lambda: "xoxb-test", harness.slack.url, timeout=(1.0, 1.0), min_interval=0.0)
    view = modal_view(Fields(), Origin(), None)
    assert client.views_open(trigger, view)["hash"]
    with pytest.raises(NotifyError) as raised:
        client.views_open(trigger, view)
    assert raised.value.code == "exchanged_trigger_id"


def test_the_stand_in_refuses_views_as_slack_does(harness: Harness) -> None:
    client = SlackClient(lambda: "xoxb-test", harness.slack.url, timeout=(1.0, 1.0), min_interval=0.0)
    view = modal_view(Fields(matchers='alertname="X"'), Origin(), None)
    too_large = {
        **view,
        "blocks": [*view["blocks"], {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 260_000}}],
    }
    untitled = {k: v for k, v in view.items() if k != "title"}
    for bad, code in ((too_large, "view_too_large"), (untitled, "invalid_arguments")):
        with pytest.raises(NotifyError) as raised:
            client.views_open(harness.slack.issue_trigger_id(), bad)
        assert raised.value.code == code
    with pytest.raises(NotifyError) as raised:
        client.views_open("12345.98765.abcd2358fdea", view)  # never issued
    assert raised.value.code == "invalid_trigger_id"
    opened = client.views_open(harness.slack.issue_trigger_id(), view)
    with pytest.raises(NotifyError) as raised:
        client.views_update("V0UNKNOWN", view)
    assert raised.value.code == "not_found"
    with pytest.raises(NotifyError) as raised:
        client.views_update(opened["id"], view, hash="1.stale")
    assert raised.value.code == "hash_conflict"
    assert client.views_update(opened["id"], view, hash=opened["hash"])["hash"] != opened["hash"]
    assert len(harness.slack.views[opened["id"]].versions) == 2


def test_silences_matchers_are_taken_as_typed_not_as_slack_escapes_them(
    harness: Harness, interactions: InteractionService
) -> None:
    """Slack sends a command's `&`, `<` and `>` as entities: `path="a&b"` must not become `path="a&amp;b"`."""
    trigger = harness.slack.issue_trigger_id("U0ONCALL1")
    channel = harness.slack.channel_id("#team")
    typed = 'path="/a&b", queue=~"<q>.*"'
    sent = typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    answer = interactions.handle(*slash_command("/silence", sent, channel=channel, trigger_id=trigger))
    assert (answer.status, answer.body) == (200, {})
    [matchers] = [b for b in harness.slack.open_view().view["blocks"] if b["block_id"] == MATCHERS]
    assert matchers["element"]["initial_value"] == typed

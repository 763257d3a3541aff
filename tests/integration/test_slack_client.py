"""SlackClient against the Slack stand-in on loopback: what it sends, how it waits, and which failures
say "try again later" (and which may have been carried out anyway)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from alertrouter.notify.base import NotifyError
from alertrouter.notify.render import SlackMessage
from alertrouter.notify.slack import SlackAmbiguousError, SlackClient
from support.slack_standin import SlackStandIn

pytestmark = pytest.mark.integration

MESSAGE = SlackMessage(
    text="🟠 WARNING · ServerCpuTooHigh",
    attachments=[
        {
            "color": "#ECB22E",
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*ServerCpuTooHigh*"}}],
        }
    ],
)
METADATA = {"group": "route0/abc123", "episode": 1}


def client(
    standin: SlackStandIn, token: Callable[[], str] = lambda: "xoxb-test", **options: Any
) -> SlackClient:
    return SlackClient(token, standin.url, **{"timeout": (1.0, 0.3), "min_interval": 0.0, **options})


class FakeTime:
    """A monotonic clock that only moves when the client sleeps (or the test says so)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class RecordingSession(requests.Session):
    """A real session that notes what each request carried."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, str | None, Any]] = []

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        response = super().request(method, url, *args, **kwargs)
        self.sent.append((str(url), response.request.headers.get("Authorization"), kwargs.get("timeout")))
        return response


# ---- what is sent ----


def test_post_returns_channel_id_and_ts_and_slack_keeps_the_message(slack: SlackStandIn) -> None:
    # When a group message is posted with its metadata
    channel_id, ts = client(slack).post("#team", MESSAGE, metadata=METADATA)
    # Then Slack has exactly that message, found by the channel id and ts returned
    [stored] = slack.channel_messages("#team")
    assert channel_id == slack.channel_id("#team") and ts == stored.ts
    assert stored.text == MESSAGE.text and stored.attachments == MESSAGE.attachments
    assert stored.metadata == {"event_type": "alertrouter_group", "event_payload": METADATA}
    [call] = slack.calls
    assert call.method == "chat.postMessage"
    assert call.payload["unfurl_links"] is False and call.payload["unfurl_media"] is False


def test_thread_note_goes_under_its_message(slack: SlackStandIn) -> None:
    c = client(slack)
    _, ts = c.post("#team", MESSAGE, metadata=METADATA)
    c.post("#team", SlackMessage(text="✅ *ServerCpuTooHigh* resolved after 14m"), thread_ts=ts)
    [parent] = slack.channel_messages("#team")
    assert [r.text for r in parent.replies] == ["✅ *ServerCpuTooHigh* resolved after 14m"]
    assert "metadata" not in slack.calls[-1].payload


def test_update_edits_the_message_in_place(slack: SlackStandIn) -> None:
    c = client(slack)
    channel_id, ts = c.post("#team", MESSAGE, metadata=METADATA)
    resolved = SlackMessage(
        text="✅ RESOLVED · ServerCpuTooHigh", attachments=[{"color": "#2EB67D", "blocks": []}]
    )
    with pytest.raises(NotifyError, match="channel_not_found"):
        c.update("#team", ts, resolved)  # as on real Slack, chat.update takes the channel id, not the name
    c.update(channel_id, ts, resolved)
    [stored] = slack.channel_messages("#team")
    assert (stored.text, stored.attachments, stored.edits) == (resolved.text, resolved.attachments, 1)


def test_every_call_carries_the_current_token_and_the_timeout(slack: SlackStandIn) -> None:
    # Given a token that is rotated between calls
    tokens = iter(["xoxb-first", "xoxb-second", "xoxb-third"])
    session = RecordingSession()
    c = client(slack, token=lambda: next(tokens), session=session)
    # When the client posts, updates and reads history
    channel_id, ts = c.post("#team", MESSAGE, metadata=METADATA)
    c.update(channel_id, ts, MESSAGE)
    assert c.find_posted("#team", METADATA, oldest=0) == ts  # the name's id was learned from the post
    # Then each request was authorised with the token of the moment and had both timeouts
    assert [(url.rsplit("/", 1)[-1], auth, timeout) for url, auth, timeout in session.sent] == [
        ("chat.postMessage", "Bearer xoxb-first", (1.0, 0.3)),
        ("chat.update", "Bearer xoxb-second", (1.0, 0.3)),
        ("conversations.history", "Bearer xoxb-third", (1.0, 0.3)),
    ]


# ---- failures ----


def test_a_rejected_token_is_a_permanent_failure(slack: SlackStandIn) -> None:
    with pytest.raises(NotifyError) as caught:
        client(slack, token=lambda: "not-a-bot-token").post("#team", MESSAGE)
    assert not caught.value.retryable and not isinstance(caught.value, SlackAmbiguousError)
    assert "invalid_auth" in str(caught.value)
    assert slack.all_messages() == []


@pytest.mark.parametrize(
    ("action", "error"),
    [
        (lambda c: c.post("#team", MESSAGE, thread_ts="1.000001"), "thread_not_found"),
        (lambda c: c.update("C0TEAM0001", "1.000001", MESSAGE), "message_not_found"),
        (lambda c: c.post("#team", SlackMessage(text="")), "no_text"),
    ],
)
def test_slack_errors_about_the_request_are_permanent(slack: SlackStandIn, action: Any, error: str) -> None:
    with pytest.raises(NotifyError, match=error) as caught:
        action(client(slack))
    assert not caught.value.retryable
    assert len(slack.calls) == 1  # not tried again


def test_429_is_waited_out_then_retried(slack: SlackStandIn) -> None:
    # Given Slack rate-limits the first post with Retry-After: 1
    slack.faults = ["429"]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    # When the client posts
    _, ts = client(slack, sleep=sleep).post("#team", MESSAGE)
    # Then it waited the second out, tried again, and the message is there once
    [first, second] = slack.calls
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 0.95 and sum(slept) >= 0.9
    assert slack.retry_after_violations == 0
    assert [m.ts for m in slack.channel_messages("#team")] == [ts]


def test_a_long_retry_after_is_handed_back_without_calling_again(slack: SlackStandIn) -> None:
    # Given Slack asks for 30 s, longer than the client may wait (10 s)
    slack.retry_after = 30
    slack.faults = ["429"]
    fake = FakeTime()
    c = client(slack, clock=fake.clock, sleep=fake.sleep)
    # When posting, Then the caller learns it can retry, and after how long
    with pytest.raises(NotifyError) as caught:
        c.post("#team", MESSAGE)
    assert caught.value.retryable and caught.value.retry_after == 30
    assert slack.count("chat.postMessage", ok_only=False) == 1 and fake.sleeps == []
    # When posting to the same channel 5 s later, Then it is refused before reaching Slack
    fake.now += 5
    with pytest.raises(NotifyError) as again:
        c.post("#team", MESSAGE)
    assert again.value.retryable and again.value.retry_after == pytest.approx(25)
    assert slack.count("chat.postMessage", ok_only=False) == 1
    # and, Slack's limits being per method per workspace, the method waits for other channels too
    with pytest.raises(NotifyError):
        c.post("#other", MESSAGE)
    assert slack.count("chat.postMessage", ok_only=False) == 1
    # while other methods are not held up
    assert c.find_posted("C0OTHER001", METADATA, oldest=0) is None
    assert slack.retry_after_violations == 0


def test_server_error_is_ambiguous_and_retryable(slack: SlackStandIn) -> None:
    slack.faults = ["500"]
    with pytest.raises(SlackAmbiguousError) as caught:
        client(slack).post("#team", MESSAGE)
    assert caught.value.retryable
    assert slack.count("chat.postMessage", ok_only=False) == 1 and slack.all_messages() == []


def test_a_late_answer_is_ambiguous_though_slack_posted(slack: SlackStandIn) -> None:
    # Given Slack carries out the post but answers after the client's 0.3 s read timeout
    slack.faults = ["timeout"]
    started = time.monotonic()
    with pytest.raises(SlackAmbiguousError) as caught:
        client(slack).post("#team", MESSAGE, metadata=METADATA)
    # Then the client gives up at its timeout, says "retry", and cannot know the message is there
    assert caught.value.retryable and time.monotonic() - started < 0.6
    assert len(slack.channel_messages("#team")) == 1


def test_nothing_listening_is_a_retryable_failure_to_connect() -> None:
    with SlackStandIn() as gone:
        url = gone.url
    c = SlackClient(
        lambda: "xoxb-test", url, timeout=(0.5, 0.3), min_interval=0.0, session=requests.Session()
    )
    with pytest.raises(NotifyError) as caught:
        c.post("#team", MESSAGE)
    assert caught.value.retryable and not isinstance(caught.value, SlackAmbiguousError)


# ---- exactly once ----


def test_post_once_after_a_timeout_finds_the_message_instead_of_posting_again(slack: SlackStandIn) -> None:
    c = client(slack)
    # Given another group's message is already in the channel
    _, other_ts = c.post("#team", MESSAGE, metadata={"group": "route0/other", "episode": 1})
    # When this group's post is carried out but answered too late
    slack.faults = ["timeout"]
    _, ts = c.post_once("#team", MESSAGE, METADATA, oldest=time.time() - 60)
    # Then the client looked in the channel, found its own message, and did not post a second one
    mine = [m for m in slack.channel_messages("#team") if m.metadata["event_payload"] == METADATA]
    assert [m.ts for m in mine] == [ts] and ts != other_ts
    assert slack.count("chat.postMessage", ok_only=False) == 2  # the other group's and ours, once
    assert slack.count("conversations.history") == 1


def test_post_once_after_a_server_error_looks_then_posts(slack: SlackStandIn) -> None:
    slack.faults = ["500"]
    _, ts = client(slack).post_once("C0TEAM0001", MESSAGE, METADATA, oldest=time.time() - 60)
    assert [m.ts for m in slack.channel_messages("C0TEAM0001")] == [ts]
    assert [c.method for c in slack.calls] == [
        "chat.postMessage",
        "conversations.history",
        "chat.postMessage",
    ]


def test_post_once_gives_up_after_its_attempts_with_the_ambiguous_error(slack: SlackStandIn) -> None:
    slack.faults = ["500", "ok", "500", "ok", "500"]  # every post fails; every look finds nothing
    with pytest.raises(SlackAmbiguousError):
        client(slack).post_once("C0TEAM0001", MESSAGE, METADATA, oldest=time.time() - 60)
    assert slack.count("chat.postMessage", ok_only=False) == 3 and slack.all_messages() == []


def test_a_channel_name_is_resolved_to_its_id_once(slack: SlackStandIn) -> None:
    # Given a channel Slack knows, that this client has never posted to
    slack.channel_id("#payments")
    c = client(slack)
    # When the client needs its id twice, Then it asks conversations.list once
    assert c.channel_id("#payments") == c.channel_id("payments") == slack.channel_id("#payments")
    assert [call.method for call in slack.calls] == ["conversations.list"]
    # and an unknown channel is a permanent failure, not a retry
    with pytest.raises(NotifyError, match="not found") as caught:
        c.channel_id("#nowhere")
    assert not caught.value.retryable


def test_post_once_returns_the_channel_id_on_either_path(slack: SlackStandIn) -> None:
    c = client(slack)
    direct, _ = c.post_once("#team", MESSAGE, {"group": "g1", "episode": 1}, oldest=time.time() - 60)
    slack.faults = ["timeout"]
    found, _ = c.post_once("#team", MESSAGE, {"group": "g2", "episode": 1}, oldest=time.time() - 60)
    assert direct == slack.channel_id("#team")
    assert found == direct


# ---- pacing ----


def test_writes_to_one_channel_are_paced_other_channels_and_reads_are_not(slack: SlackStandIn) -> None:
    fake = FakeTime()
    c = client(slack, min_interval=1.0, clock=fake.clock, sleep=fake.sleep)
    # Given a post to #team
    channel_id, ts = c.post("#team", MESSAGE)
    assert fake.sleeps == []
    # When a second write to #team follows at once (by its id), Then it waits the full interval
    c.update(channel_id, ts, MESSAGE)
    assert fake.sleeps == [1.0]
    # When #other is written to, or #team's history is read, Then nothing waits
    c.post("#other", MESSAGE)
    c.find_posted("#team", METADATA, oldest=0)
    assert fake.sleeps == [1.0]
    # When 0.4 s have passed since #other's write, Then the next one waits only the rest
    fake.now += 0.4
    c.post("#other", MESSAGE)
    assert fake.sleeps == [1.0, pytest.approx(0.6)]
    assert len(slack.channel_messages("#other")) == 2 and slack.channel_messages("#team")[0].edits == 1


# ---- user groups (a schedule's on-call group) ----


def test_a_user_groups_members_are_replaced_whole(slack: SlackStandIn) -> None:
    slack.usergroups["S0PAYONCALL"] = {"U0ALICE01", "U0BOB0001"}
    client(slack).set_usergroup_members("S0PAYONCALL", ["U0CAROL01"])
    assert slack.usergroups["S0PAYONCALL"] == {"U0CAROL01"}
    assert client(slack).usergroup_members("S0PAYONCALL") == {"U0CAROL01"}


@pytest.mark.parametrize(
    ("usergroup", "users", "error"),
    [
        ("S0PAYONCALL", [], "no_users_provided"),  # Slack never empties a user group
        ("S0PAYONCALL", ["alice"], "invalid_users"),
        ("S0UNKNOWN1", ["U0CAROL01"], "no_such_subteam"),
    ],
)
def test_a_refused_user_group_update_is_a_permanent_failure_and_changes_nothing(
    slack: SlackStandIn, usergroup: str, users: list[str], error: str
) -> None:
    slack.usergroups["S0PAYONCALL"] = {"U0ALICE01"}
    with pytest.raises(NotifyError) as raised:
        client(slack).set_usergroup_members(usergroup, users)
    assert raised.value.code == error and not raised.value.retryable
    assert slack.usergroups["S0PAYONCALL"] == {"U0ALICE01"}


def test_updating_a_user_group_needs_usergroups_write(slack: SlackStandIn) -> None:
    slack.usergroups["S0PAYONCALL"] = {"U0ALICE01"}
    slack.scopes.discard("usergroups:write")
    with pytest.raises(NotifyError) as raised:
        client(slack).set_usergroup_members("S0PAYONCALL", ["U0CAROL01"])
    assert raised.value.code == "missing_scope" and raised.value.needed == "usergroups:write"

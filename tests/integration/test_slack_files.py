"""SlackClient.upload_file against the Slack stand-in: the three steps of Slack's external upload flow
(https://docs.slack.dev/reference/methods/files.getUploadURLExternal,
https://docs.slack.dev/reference/methods/files.completeUploadExternal) and each one's failure; image blocks
showing the file (https://docs.slack.dev/reference/block-kit/blocks/image-block)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from alertrouter.notify.base import NotifyError
from alertrouter.notify.render import SlackMessage
from alertrouter.notify.slack import SlackClient
from support.graph_fakes import png_of
from support.slack_standin import SlackStandIn

pytestmark = pytest.mark.integration

PNG = png_of("CPU")


def client(standin: SlackStandIn, **options: Any) -> SlackClient:
    return SlackClient(
        lambda: "xoxb-test", standin.url, **{"timeout": (1.0, 0.3), "min_interval": 0.0, **options}
    )


def image_message(file_id: str) -> SlackMessage:
    block = {"type": "image", "slack_file": {"id": file_id}, "alt_text": "CPU graph"}
    return SlackMessage(text="CPU", attachments=[{"color": "#E01E5A", "blocks": [block]}])


def test_a_private_upload_takes_three_steps_and_keeps_the_bytes(slack: SlackStandIn) -> None:
    # When a PNG is uploaded without a channel
    file_id = client(slack).upload_file(PNG, "cpu.png", "CPU of i-0abc", "Graph of CPU")
    # Then the three steps went in order, the announced length the bytes' length
    methods = [c.method for c in slack.calls]
    assert methods == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    announced = slack.calls[0].payload
    assert (announced["filename"], announced["length"], announced["alt_txt"]) == (
        "cpu.png",
        str(len(PNG)),
        "Graph of CPU",
    )
    assert json.loads(slack.calls[2].payload["files"]) == [{"id": file_id, "title": "CPU of i-0abc"}]
    assert "channel_id" not in slack.calls[2].payload
    # And the file is kept, private: no message shares it
    stored = slack.files[file_id]
    assert stored.data == PNG and stored.completed and stored.title == "CPU of i-0abc"
    assert slack.all_messages() == []


def test_an_upload_into_a_thread_shares_the_file_as_a_reply(slack: SlackStandIn) -> None:
    slack_client = client(slack)
    channel_id, ts = slack_client.post("#team", SlackMessage(text="CPU high"))
    # When a file is uploaded with the channel and the message's ts
    file_id = slack_client.upload_file(
        PNG, "cpu.png", "CPU, resolved", "Graph", channel_id=channel_id, thread_ts=ts
    )
    # Then it is a reply in that thread, with the file
    (parent,) = slack.channel_messages("#team")
    assert [r.files for r in parent.replies] == [[{"id": file_id, "title": "CPU, resolved"}]]


def test_an_image_block_shows_only_a_completed_file(slack: SlackStandIn) -> None:
    slack_client = client(slack)
    file_id = slack_client.upload_file(PNG, "cpu.png", "CPU", "Graph")
    # Then a message may show it by id
    slack_client.post("#team", image_message(file_id))
    # And an unknown file id is refused as Slack refuses bad blocks (permanent)
    with pytest.raises(NotifyError) as refused:
        slack_client.post("#team", image_message("F0NOTAFILE"))
    assert (refused.value.code, refused.value.retryable) == ("invalid_blocks", False)


def test_a_refused_announcement_is_permanent(slack: SlackStandIn) -> None:
    # When Slack refuses the first step (here: the token lacks files:write)
    slack.scopes.discard("files:write")
    with pytest.raises(NotifyError) as refused:
        client(slack).upload_file(PNG, "cpu.png", "CPU", "Graph")
    # Then it is a permanent failure naming the scope, and nothing was uploaded
    assert (refused.value.code, refused.value.needed, refused.value.retryable) == (
        "missing_scope",
        "files:write",
        False,
    )
    assert [c.method for c in slack.calls] == ["files.getUploadURLExternal"]


def test_an_empty_file_is_refused_with_invalid_arguments(slack: SlackStandIn) -> None:
    with pytest.raises(NotifyError) as refused:
        client(slack).upload_file(b"", "cpu.png", "CPU", "Graph")
    assert refused.value.code == "invalid_arguments" and not refused.value.retryable


def test_a_failed_upload_of_the_bytes_is_retryable_and_never_completed(slack: SlackStandIn) -> None:
    # When the upload URL answers 500
    slack.upload_faults.append("500")
    with pytest.raises(NotifyError) as failed:
        client(slack).upload_file(PNG, "cpu.png", "CPU", "Graph")
    # Then the failure is retryable, and the file was never completed
    assert (failed.value.code, failed.value.retryable) == ("http_500", True)
    assert [c.method for c in slack.calls] == ["files.getUploadURLExternal", "upload"]
    assert not any(f.completed for f in slack.files.values())


def test_an_upload_timing_out_is_retryable(slack: SlackStandIn) -> None:
    slack.upload_faults.append("timeout")
    with pytest.raises(NotifyError) as failed:
        client(slack).upload_file(PNG, "cpu.png", "CPU", "Graph")
    assert (failed.value.code, failed.value.retryable) == ("timeout", True)


def test_completing_an_unknown_or_unuploaded_file_is_file_not_found(slack: SlackStandIn) -> None:
    slack_client = client(slack)
    announced = slack_client.call("files.getUploadURLExternal", {"filename": "cpu.png", "length": len(PNG)})
    # When the upload is completed before the bytes were sent, or for an id Slack never gave
    for file_id in (announced["file_id"], "F0NOTAFILE"):
        with pytest.raises(NotifyError) as refused:
            slack_client.call("files.completeUploadExternal", {"files": json.dumps([{"id": file_id}])})
        # Then Slack answers file_not_found, permanently
        assert (refused.value.code, refused.value.retryable) == ("file_not_found", False)


def test_bytes_to_an_unknown_url_or_of_another_length_are_refused(slack: SlackStandIn) -> None:
    slack_client = client(slack)
    announced = slack_client.call("files.getUploadURLExternal", {"filename": "cpu.png", "length": len(PNG)})
    unknown = announced["upload_url"].rsplit("/", 1)[0] + "/F0NOTAFILE"
    assert slack_client.session.post(unknown, data=PNG, timeout=2).status_code == 404
    assert slack_client.session.post(announced["upload_url"], data=PNG[:-1], timeout=2).status_code == 400
    assert slack.files[announced["file_id"]].data is None


def test_a_rate_limited_upload_never_holds_back_the_posts_of_any_channel(slack: SlackStandIn) -> None:
    """A storm of new groups is a storm of graph uploads: Slack's 429 on one (Retry-After) paces the uploads,
    not every channel's posts and edits, which the text of the next alert needs."""
    waits: list[float] = []
    uploading = client(slack, attempts=1, sleep=waits.append)
    slack.retry_after = 8
    slack.faults = ["429"]
    with pytest.raises(NotifyError) as refused:
        uploading.upload_file(PNG, "cpu.png", "CPU", "CPU graph")
    assert refused.value.retryable and refused.value.retry_after == 8
    # the next alert's text goes out at once, in any channel
    uploading.post("#team", SlackMessage(text="ServerCpuTooHigh firing"))
    assert waits == [] and slack.channel_messages("#team")[-1].text == "ServerCpuTooHigh firing"
    # while the next upload does wait out Slack's Retry-After first
    uploading.upload_file(PNG, "cpu.png", "CPU", "CPU graph")
    assert waits and all(7.0 < wait <= 8.0 for wait in waits)  # (the test's sleep does not move the clock)

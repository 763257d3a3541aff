"""The graph in the message, end to end on the router's service (moto, the Slack stand-in, a renderer that
draws a real PNG): the text goes first and the image after, off the text's path; failures leave the text as
it is and are counted; a resolve puts a fresh graph in the thread; a redelivered request renders once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from alertrouter.aws import Clients
from alertrouter.composition.router import compose
from alertrouter.own_messages import GRAPH_KIND
from support.events import alarm_body
from support.graph_fakes import PngRenderer, graphable
from support.harness import Harness, RouterStack, drain_scheduled, emf_lines, fire, make_harness, queued
from support.slack_html import render_page
from support.slack_standin import SlackStandIn

pytestmark = pytest.mark.integration


def with_graphs(aws: Any, slack: SlackStandIn, tmp_path: Path, renderer: PngRenderer) -> Harness:
    """The harness's router with SLACK_GRAPHS on and the test's renderer (CloudWatch's stand-in)."""
    return graphs_on(make_harness(aws, slack, tmp_path), renderer)


def graphs_on(h: Harness, renderer: PngRenderer) -> Harness:
    old = h.service
    h.service = compose(
        old.settings.model_copy(update={"slack_graphs": True}),
        Clients(h.session),
        slack=old.router.slack,
        webhooks=old.router.env.webhooks,
        now_ms=h.clock,
        graphs=renderer,
        graphable=graphable,
    )
    return h


def graph_requests(h: Harness) -> list[dict[str, Any]]:
    """The GraphMessages on the router's queue (left there)."""
    bodies = [json.loads(body) for body, _ in queued(h, h.stack.queue_url, take=False)]
    return [b for b in bodies if b.get("kind") == GRAPH_KIND]


def methods(slack: SlackStandIn) -> list[str]:
    return [c.method for c in slack.calls if c.method not in ("auth.test", "conversations.list")]


def blocks(slack: SlackStandIn) -> list[dict[str, Any]]:
    (message,) = [m for m in slack.all_messages() if m.attachments]
    return list(message.attachments[0]["blocks"])


def history_kinds(h: Harness) -> list[str]:
    (key,) = [k for k in _group_keys(h)]
    return [entry["kind"] for entry in h.service.router.stores.history.history(key)]


def _group_keys(h: Harness) -> list[str]:
    items = h.session.client("dynamodb").scan(TableName=h.stack.table_name)["Items"]
    return sorted({i["pk"]["S"].removeprefix("GROUP#") for i in items if i["pk"]["S"].startswith("GROUP#")})


@pytest.fixture
def renderer() -> PngRenderer:
    return PngRenderer()


@pytest.fixture
def graphs(aws: Any, slack: SlackStandIn, tmp_path: Path, renderer: PngRenderer) -> Harness:
    return with_graphs(aws, slack, tmp_path, renderer)


def test_an_alarm_posts_the_text_first_and_the_image_after(graphs: Harness, renderer: PngRenderer) -> None:
    slack = graphs.slack
    # When an alarm fires
    fire(graphs)
    # Then its text is posted at once, with no image, and a graph is asked for on the router's queue
    assert methods(slack) == ["chat.postMessage"]
    assert all(b["type"] != "image" for b in blocks(slack))
    (request,) = graph_requests(graphs)
    assert request["phase"] == "firing" and request["episode"] == 1
    # When the router handles that request
    drain_scheduled(graphs)
    # Then the graph was rendered once, uploaded privately in three steps, then the message edited
    assert len(renderer.calls) == 1
    assert methods(slack) == [
        "chat.postMessage",
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
        "chat.update",
    ]
    (file_id,) = slack.files
    assert slack.files[file_id].completed and slack.files[file_id].data is not None
    # And the message shows the image, just before its buttons, the text as it was
    drawn = blocks(slack)
    assert [b["type"] for b in drawn][-2:] == ["image", "actions"]
    assert drawn[-2]["slack_file"] == {"id": file_id}
    assert drawn[0]["text"]["text"].startswith("*")
    assert graphs.service.counts["Graphs"] == 1 and "GraphFailures" not in graphs.service.counts
    assert "graph_posted" in history_kinds(graphs)
    # And the picture of what Slack shows draws the image from the uploaded bytes, with its alt text
    page = render_page(slack, "graphs")
    assert page.count("data:image/png;base64,") == 1 and 'alt="Graph of ServerCpuTooHigh, firing"' in page


def test_a_failed_upload_leaves_the_text_intact_and_is_counted(graphs: Harness) -> None:
    slack = graphs.slack
    fire(graphs)
    (message,) = slack.all_messages()
    text, attachments = message.text, json.dumps(message.attachments)
    # When the upload of the bytes fails
    slack.upload_faults.append("500")
    drain_scheduled(graphs)
    # Then the message is as it was posted (never edited), and the failure is counted by its reason
    assert (message.text, json.dumps(message.attachments), message.edits) == (text, attachments, 0)
    assert "files.completeUploadExternal" not in methods(slack)
    assert graphs.service.counts["GraphFailures"] == 1 and graphs.service.counts["Graphs"] == 0
    assert graphs.service.graph_failures == {"upload_failed": 1}
    assert "graph_failed" in history_kinds(graphs)
    # And it is not tried again: the next flush of the group asks for no graph
    fire(graphs, minute=1, instance="i-0def")
    assert graph_requests(graphs) == []


def test_a_failed_render_leaves_the_text_intact_and_is_counted(
    graphs: Harness, renderer: PngRenderer
) -> None:
    slack = graphs.slack
    renderer.fail_with = "throttled"
    fire(graphs)
    drain_scheduled(graphs)
    (message,) = slack.all_messages()
    assert message.edits == 0 and not slack.files
    assert not any(m.startswith("files.") for m in methods(slack))
    assert graphs.service.graph_failures == {"throttled": 1}


def test_a_resolve_puts_a_fresh_graph_in_the_thread(graphs: Harness, renderer: PngRenderer) -> None:
    slack = graphs.slack
    fire(graphs)
    drain_scheduled(graphs)
    # When the alarm resolves
    fire(graphs, minute=10, state="OK")
    (request,) = graph_requests(graphs)
    assert request["phase"] == "resolved"
    drain_scheduled(graphs)
    # Then a second graph, drawn to the resolve, is shared in the message's thread
    assert len(renderer.calls) == 2 and renderer.calls[1][2] is not None
    (parent,) = slack.all_messages()
    shared = [r.files for r in parent.replies if r.files]
    assert len(shared) == 1 and shared[0][0]["id"] in slack.files
    completing = [c for c in slack.calls if c.method == "files.completeUploadExternal"][-1]
    assert (completing.payload["channel_id"], completing.payload["thread_ts"]) == (parent.channel, parent.ts)
    # And the message keeps the firing graph (resolved: no buttons)
    assert blocks(slack)[-1]["type"] == "image"
    assert graphs.service.counts["Graphs"] == 2
    # And the picture shows both: the message's image and the file shared in its thread
    assert render_page(slack, "graphs").count("data:image/png;base64,") == 2


def test_a_redelivered_graph_request_renders_once(graphs: Harness, renderer: PngRenderer) -> None:
    slack = graphs.slack
    fire(graphs)
    (body,) = [b for b, _ in queued(graphs, graphs.stack.queue_url) if GRAPH_KIND in b]
    # When SQS delivers the request twice
    graphs.service.handle_body(body)
    graphs.service.handle_body(body)
    # Then one graph was rendered and uploaded
    assert len(renderer.calls) == 1 and len(slack.files) == 1
    assert methods(slack).count("files.getUploadURLExternal") == 1


def test_without_slack_graphs_nothing_is_asked(harness: Harness) -> None:
    fire(harness)
    assert graph_requests(harness) == [] and not harness.slack.files


def test_graph_outcomes_are_metrics_failures_by_reason(
    aws: Any,
    slack: SlackStandIn,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given the router's Lambda handler with graphs on, CloudWatch refusing the render
    stack = RouterStack(make_harness(aws, slack, tmp_path), monkeypatch)
    renderer = PngRenderer(fail_with="access_denied")
    graphs_on(stack.h, renderer)  # (the handler builds the harness's service)
    # When an alarm fires and its graph request is handled
    assert stack.send(alarm_body()) == {"batchItemFailures": []}
    requests = [body for body, _ in stack.scheduled() if body.get("kind") == GRAPH_KIND]
    capsys.readouterr()
    assert stack.send(*[json.dumps(r) for r in requests]) == {"batchItemFailures": []}
    # Then the failure is a metric: the total on the invocation's line, and one line per reason
    emf = emf_lines(capsys)
    assert any(line.get("GraphFailures") == [1.0] and "reason" not in line for line in emf)
    [by_reason] = [line for line in emf if line.get("reason") == "access_denied"]
    assert by_reason["GraphFailures"] == [1.0] and by_reason["service"] == "alertrouter"
    assert stack.dlq() == []
    # And when the next alarm's graph is drawn, it is counted as Graphs
    renderer.fail_with = ""
    assert stack.send(alarm_body(name="DiskFull")) == {"batchItemFailures": []}
    requests = [body for body, _ in stack.scheduled() if body.get("kind") == GRAPH_KIND]
    capsys.readouterr()
    assert stack.send(*[json.dumps(r) for r in requests]) == {"batchItemFailures": []}
    assert any(line.get("Graphs") == [1.0] for line in emf_lines(capsys))


def test_a_request_meeting_a_flush_is_asked_again_later(graphs: Harness, renderer: PngRenderer) -> None:
    fire(graphs)
    [(body, delay)] = [(b, d) for b, d in queued(graphs, graphs.stack.queue_url) if GRAPH_KIND in b]
    assert delay == 2  # (the asking flush still holds the lease)
    # Given a flush holding the group when the request comes
    (key,) = _group_keys(graphs)
    leases = graphs.service.router.stores.leases
    leases.claim(key, "another-flush", graphs.clock.ms, 30_000)
    graphs.service.handle_body(body)
    # Then nothing was attempted, and the request is back on the queue a few seconds later
    assert renderer.calls == [] and graphs.service.router.stores.groups.get_group(key).slack.graph is None
    assert [(json.loads(b)["kind"], d) for b, d in queued(graphs, graphs.stack.queue_url, take=False)] == [
        (GRAPH_KIND, 5)
    ]
    # When the flush is over, the request drawn again shows the graph
    leases.release(key, "another-flush", {}, 0, claimed_version=None)
    drain_scheduled(graphs)
    assert len(renderer.calls) == 1 and graphs.service.counts["Graphs"] == 1


def test_later_edits_of_the_message_keep_the_image(graphs: Harness) -> None:
    fire(graphs)
    drain_scheduled(graphs)
    (file_id,) = graphs.slack.files
    # When another alarm joins the group (its flush edits the message)
    fire(graphs, minute=1, instance="i-0def")
    (message,) = graphs.slack.all_messages()
    assert message.edits == 2 and "2" in message.text  # the graph's edit, then the join's
    # Then the edit still shows the episode's graph before the buttons, and no second graph was asked for
    drawn = blocks(graphs.slack)
    assert [b["type"] for b in drawn][-2:] == ["image", "actions"] and drawn[-2]["slack_file"] == {
        "id": file_id
    }
    assert graph_requests(graphs) == []


def test_an_image_slack_is_still_processing_is_shown_by_a_later_edit(graphs: Harness) -> None:
    slack = graphs.slack
    fire(graphs)
    # Given Slack still processing the uploaded file when the message is first edited to show it
    slack.processing_refusals = 1
    [(body, _)] = [(b, d) for b, d in queued(graphs, graphs.stack.queue_url) if GRAPH_KIND in b]
    graphs.service.handle_body(body)
    (message,) = slack.all_messages()
    assert message.edits == 0 and all(b["type"] != "image" for b in blocks(slack))
    # Then the edit is asked for again, a little later, without rendering or uploading again
    [(again, delay)] = [
        (json.loads(b), d) for b, d in queued(graphs, graphs.stack.queue_url) if GRAPH_KIND in b
    ]
    assert (again["phase"], delay) == ("show", 15)
    graphs.service.handle_body(json.dumps(again))
    assert message.edits == 1 and [b["type"] for b in blocks(slack)][-2:] == ["image", "actions"]
    assert len(slack.files) == 1 and methods(slack).count("files.getUploadURLExternal") == 1
    assert "GraphFailures" not in graphs.service.counts


def test_no_lease_is_held_while_cloudwatch_draws_and_a_flush_meeting_the_upload_is_waited_for(
    aws: Any, slack: SlackStandIn, tmp_path: Path
) -> None:
    """A critical alert joining the group while its graph is drawn must not wait for the graph: its flush takes
    the group at once. And when a flush holds the group just as the upload is done, the upload is not lost:
    the request comes back with it, and shows it without drawing again."""
    taken: list[str] = []

    class FlushArrives(PngRenderer):
        def graph_for(self, state: Any, **kwargs: Any) -> Any:
            (key,) = _group_keys(harness)
            leases = harness.service.router.stores.leases
            leases.claim(key, "a-flush", harness.clock.ms, 30_000)  # raises if the graph held the lease
            taken.append(key)
            return super().graph_for(
                state, **kwargs
            )  # (and the flush still holds it when the upload is done)

    renderer = FlushArrives()
    harness = with_graphs(aws, slack, tmp_path, renderer)
    fire(harness)
    [(body, _)] = [(b, d) for b, d in queued(harness, harness.stack.queue_url) if GRAPH_KIND in b]
    harness.service.handle_body(body)
    (key,) = _group_keys(harness)
    assert taken == [key] and len(renderer.calls) == 1
    # the upload is done; the group was busy: asked again with the uploaded file, a few seconds later
    [(again, delay)] = [
        (json.loads(b), d) for b, d in queued(harness, harness.stack.queue_url, take=False) if GRAPH_KIND in b
    ]
    (file_id,) = slack.files
    assert (again["phase"], again["file_id"], delay) == ("show", file_id, 5)
    # When the flush is over, the request shows that file: no second render, no second upload
    harness.service.router.stores.leases.release(key, "a-flush", {}, 0, claimed_version=None)
    drain_scheduled(harness)
    assert len(renderer.calls) == 1 and len(slack.files) == 1
    assert [b["type"] for b in blocks(slack)][-2:] == ["image", "actions"]
    assert blocks(slack)[-2]["slack_file"] == {"id": file_id}

"""The graph in a group's message: an image block of the uploaded Slack file, before the buttons, in the
episode it was drawn for only (https://docs.slack.dev/reference/block-kit/blocks/image-block)."""

from __future__ import annotations

from typing import Any

from alertrouter.models.state import GraphRef, GroupState, Member, SlackDelivery
from alertrouter.notify.render import render_group
from alertrouter.store.group_item import group_from_item, group_item, with_progress

T0 = 1_714_557_600_000


def member(status: str = "firing") -> Member:
    return Member(status=status, severity="critical", title="ServerCpuTooHigh", ts_ms=T0, starts_at_ms=T0)


def group(graph: GraphRef | None, *, status: str = "firing", episode: int = 2) -> GroupState:
    return GroupState(
        key="route0/ab12cd34",
        route_id="route0",
        receiver="team",
        members={"fp1": member(status)},
        episode=episode,
        slack=SlackDelivery(ts={"#team": "1.0001"}, graph=graph),
    )


def blocks(g: GroupState) -> list[dict[str, Any]]:
    return list(render_group(g, T0 + 60_000).attachments[0]["blocks"])


GRAPH = GraphRef(episode=2, file_id="F0000000001", title="CPU <b>& i-0abc", alt_text="CPU of i-0abc over 3 h")


def test_the_graph_is_an_image_block_just_before_the_buttons() -> None:
    drawn = blocks(group(GRAPH))
    kinds = [b["type"] for b in drawn]
    assert kinds[-2:] == ["image", "actions"]
    image = drawn[-2]
    # the file by id, its alt text and its title as plain text (no markup to escape: Slack shows it as is)
    assert image["slack_file"] == {"id": "F0000000001"}
    assert image["alt_text"] == "CPU of i-0abc over 3 h"
    assert image["title"] == {"type": "plain_text", "text": "CPU <b>& i-0abc"}
    assert "image_url" not in image


def test_a_resolved_group_keeps_its_graph_without_buttons() -> None:
    drawn = blocks(group(GRAPH, status="resolved"))
    assert drawn[-1]["type"] == "image" and all(b["type"] != "actions" for b in drawn)


def test_no_image_for_an_attempt_without_a_file_nor_for_another_episode() -> None:
    for graph in (None, GraphRef(episode=2), GRAPH.model_copy(update={"episode": 1})):
        assert all(b["type"] != "image" for b in blocks(group(graph))), graph


def test_the_graph_is_stored_on_the_slack_part_as_slack_graph() -> None:
    # Given a group whose graph was recorded by a progress write (stored names, plain values)
    recorded = with_progress(group(None), {"slack_graph": GRAPH.model_dump()})
    # Then it is the Slack part's graph, written back under its own attribute and read again the same
    assert recorded.slack.graph == GRAPH
    item = group_item(recorded)
    assert item["slack_graph"] == GRAPH.model_dump()
    assert group_from_item(item).slack.graph == GRAPH
    # And an item without it (written before graphs) reads as none
    assert group_from_item({k: v for k, v in item.items() if k != "slack_graph"}).slack.graph is None


def test_the_text_preview_names_the_graph_by_its_alt_text() -> None:
    from alertrouter.notify.preview import render_text

    message = render_group(group(GRAPH), T0 + 60_000)
    lines = render_text(message.text, message.attachments).splitlines()
    assert "┃ 🖼  CPU of i-0abc over 3 h" in lines
    assert lines.index("┃ 🖼  CPU of i-0abc over 3 h") == len(lines) - 2  # just above the buttons

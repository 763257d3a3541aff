"""Outside text cut to Slack's limits never ends inside a link or an escape, and never exceeds the limit once
escaped (what Slack counts is what we send)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alertrouter.models.state import AlertState, GroupState, Member, MutingState
from alertrouter.mrkdwn import ELLIPSIS, escape, escaped_length, shorten
from alertrouter.notify.render import render_change, render_group
from alertrouter.sources import parse_payload
from support.clock import Clock
from support.events import load_event
from support.fakes import Scheduler, Slack, alert, router
from support.memory_store import MemoryStore

T0 = 1_714_557_600_000
_URL = re.compile(r"https?://[^\s<>|]+")
_ANY_URL = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.\-]*://|www\.)\S*", re.IGNORECASE)
_BUILT_LINK = re.compile(r"<https?://[^\s<>|]+\|[^<>|]+>")
LONG_NOTICES = [
    "eventbridge_opensearch_notification_high_jvm_usage_awsdocs.json",
    "eventbridge_opensearch_notification_low_disk_space_awsdocs.json",
]


def mrkdwn_texts(attachments: list[dict[str, Any]]) -> list[str]:
    return re.findall(
        r'"type": "mrkdwn", "verbatim": true, "text": "((?:[^"\\]|\\.)*)"', json.dumps(attachments)
    )


@pytest.mark.parametrize("name", LONG_NOTICES)
def test_an_opensearch_notice_too_long_for_its_member_never_ends_inside_its_link(name: str) -> None:
    event = load_event(name)
    description = event["detail"]["description"]
    whole_urls = {u.rstrip(".,;:") for u in _URL.findall(description)}
    [parsed] = parse_payload(event).alerts
    m = Member.of(AlertState.first(parsed, T0))
    assert len(m.summary) <= 300
    group = GroupState(key="r/1", route_id="r", receiver="team", members={"fp1": m})
    texts = mrkdwn_texts(render_group(group, T0).attachments) + [
        render_change(m, None),
        render_change(m, "firing"),
    ]
    for text in texts:
        for url in _URL.findall(_BUILT_LINK.sub("", text)):
            assert url.rstrip(".,;:") in whole_urls, f"a cut link: {url}"
    # the link itself is kept whole in the message's links row
    assert any(f"<{sorted(whole_urls)[0]}|Runbook>" in t for t in texts)


def test_sections_and_fields_stay_within_slacks_limits_once_escaped() -> None:
    heavy = "<&>" * 1500
    m = Member(
        status="firing",
        severity="warning",
        title=heavy,
        summary=heavy,
        resource=heavy,
        account=heavy,
        region=heavy,
        ts_ms=T0,
        starts_at_ms=T0,
    )
    for members in ({"fp1": m}, {f"fp{i}": m for i in range(12)}):
        group = GroupState(
            key="r/1",
            route_id="r",
            receiver="team",
            members=members,
            muting=MutingState(reasons={f"fp{i}": heavy for i in range(12)}),
        )
        attachments = render_group(group, T0).attachments
        for block in attachments[0]["blocks"]:
            if block["type"] == "section" and "text" in block:
                assert len(block["text"]["text"]) <= 3000
            for part in block.get("fields", []) + block.get("elements", []):
                if part.get("type") == "mrkdwn":
                    assert len(part["text"]) <= 2000
    for before in (None, "firing"):
        assert len(render_change(m, before)) <= 700


CONFIG = """
route:
  receiver: team
  group_by: [account]
  group_wait: 1m
  group_interval: 5m
receivers:
  - name: team
    slack: [{channel: "#team"}]
"""


def test_a_long_thread_note_is_cut_between_whole_lines() -> None:
    store, slack, clock = MemoryStore(), Slack(), Clock()
    r = router(CONFIG, store, slack, Scheduler(), clock)
    names = [f"Q{i:02d} " + "A&B<C> " * 28 for i in range(15)]
    for name in names:
        r.handle(alert(name))
    [group] = store.groups.values()
    clock.ms += 60_000
    r.flush(group.key, group.route_id)  # one message with all of them
    for name in names:
        r.handle(alert(name, state="OK", minute=30))
    clock.ms += 30 * 60_000
    r.flush(group.key, group.route_id)  # all resolved in one flush: one thread note
    notes = [text for _, text in slack.threads]
    whole_line = re.compile(r"\S+ \*Q\d\d .*(resolved after \d+ min|transition\)\.)|…and \d+ more")
    assert any("resolved after" in note for note in notes)
    for note in notes:
        assert len(note) <= 3000
        assert all(whole_line.fullmatch(line) for line in note.split("\n")), note[-80:]


# ---- the one helper ----

text_with_links = st.lists(
    st.one_of(
        st.text(alphabet=st.sampled_from(list("ab &<>.\n")), max_size=12),
        st.sampled_from(
            [
                "https://docs.aws.amazon.com/opensearch-service/latest/x.html#y",
                "www.example.com/a&b",
                "see:https://x.example/p?q=1&r=<2>",
                "&amp;",
                "&lt;!channel&gt;",
            ]
        ),
    ),
    max_size=12,
).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(text_with_links, st.integers(min_value=1, max_value=120))
def test_shortened_text_fits_once_escaped_and_keeps_every_url_whole(text: str, limit: int) -> None:
    short = shorten(text, limit)
    assert escaped_length(short) == len(escape(short)) <= limit
    if escaped_length(text) <= limit:
        assert short == text
        return
    assert short.endswith(ELLIPSIS)
    kept = short.removesuffix(ELLIPSIS)
    assert text.startswith(kept)
    whole = {m.group(0) for m in _ANY_URL.finditer(text)}
    for url in _ANY_URL.finditer(kept):
        assert url.group(0) in whole, f"cut inside {url.group(0)!r}"


def test_shorten_cuts_at_a_word_boundary_before_a_url_that_does_not_fit() -> None:
    text = "For more information, see https://docs.aws.amazon.com/opensearch-service/latest/guide.html today"
    assert shorten(text, 60) == "For more information, see…"
    assert shorten("one two three four", 12) == "one two…"
    assert shorten("x" * 50, 10) == "x" * 9 + ELLIPSIS  # one long word: cut where it must be


def test_shorten_never_splits_an_entity_and_counts_what_slack_counts() -> None:
    assert escape(shorten("a&b" * 10, 12)) == "a&amp;ba…"  # 9 sent: the next `&amp;` would make 14
    assert escape(shorten("<" * 10, 12)) == "&lt;&lt;…"


def test_a_url_too_long_to_keep_is_left_out_whole_never_cut() -> None:
    # Given an alarm whose runbook and console links are longer than a member keeps (MAX_LINK)
    from alertrouter.models.state import MAX_LINK

    long_runbook = "https://wiki.example.com/runbooks/" + "a" * 280 + "/failover"
    fitting = "https://wiki.example.com/runbooks/db-failover"
    state = AlertState.first(
        alert("DbReplicaLag").model_copy(
            update={
                "annotations": {
                    "runbook": long_runbook,
                    "console": "https://c.example.com/" + "x" * 300,
                    "logs": fitting,
                }
            }
        ),
        T0,
    )
    m = Member.of(state)
    # Then none of them is kept cut: the long ones are left out, the one that fits is kept whole
    assert len(long_runbook) > MAX_LINK
    assert (m.runbook, m.console, m.links) == ("", "", {"logs": fitting})
    texts = mrkdwn_texts(
        render_group(GroupState(key="r/1", route_id="r", receiver="team", members={"fp1": m}), T0).attachments
    )
    assert any(f"<{fitting}|Logs>" in t for t in texts) and not any(
        "wiki.example.com/runbooks/aaa" in t for t in texts
    )


@pytest.mark.parametrize(
    "text",
    [
        "\n docs.aws.amazon.com/opensearch-service/latest/developerguide/monitoring.html for details",
        "see status.example.org/incidents/2024-05-01 and then more words after it",
        "console at www.example.com/x/y/z is where it is",
    ],
)
def test_shortening_never_ends_inside_a_bare_domain_that_slack_would_link(text: str) -> None:
    bare = re.compile(r"(?:[a-z0-9-]+\.)+[a-z]{2,}(?:/\S*)?", re.IGNORECASE)
    for limit in range(2, len(text)):
        cut = shorten(text, limit)
        if cut.endswith(ELLIPSIS):
            tail = cut[: -len(ELLIPSIS)]
            for found in bare.finditer(tail):
                assert found.group(0) in text.split(), f"cut inside {found.group(0)!r} at {limit}"


def test_every_mrkdwn_text_object_is_verbatim_so_slack_adds_no_links_or_mentions() -> None:
    m = Member.of(
        AlertState.first(alert("Cpu").model_copy(update={"summary": "@channel see example.com #general"}), T0)
    )
    group = GroupState(key="r/1", route_id="r", receiver="team", members={"fp1": m, "fp2": m})
    for members in ({"fp1": m}, {"fp1": m, "fp2": m}):
        blocks = json.dumps(render_group(group.model_copy(update={"members": members}), T0).attachments)
        objects = re.findall(r'\{"type": "mrkdwn"[^{}]*\}', blocks)
        assert objects and all('"verbatim": true' in o for o in objects)

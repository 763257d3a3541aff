"""The Silence modal's pure parts: the view it sends, the checks per field, the preview, what it keeps in
private_metadata; and its answers on the in-memory store with a recording Slack."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alertrouter.models.alert import Status
from alertrouter.models.matcher import Matcher
from alertrouter.models.silence import MAX_SILENCE_MS
from alertrouter.models.state import AlertState, GroupState, Member
from alertrouter.notify.base import NotifyError
from alertrouter.notify.render import SlackMessage
from alertrouter.slack_app.modal_payloads import ViewSubmission, parse_view_payload
from alertrouter.slack_app.silence_modal import (
    CALLBACK_ID,
    COMMENT,
    DURATION,
    ENDS,
    MATCHERS,
    PREVIEW,
    Fields,
    Origin,
    SilenceModal,
    matchers_digest,
    modal_view,
    parse_matchers,
    preview_of,
    silence_matchers,
    validate,
)
from support.memory_store import MemoryStore

NOW_MS = 1_796_634_000_000
GROUP_TEXT = 'account="123456789012", alertname="DiskFull", region="us-east-1"'


def state(title: str, severity: str = "warning", **labels: str) -> AlertState:
    return AlertState(
        fingerprint=f"fp-{title}",
        status=Status.FIRING,
        severity=severity,
        title=title,
        source="cloudwatch",
        labels={"alertname": title, **labels},
        ts_ms=NOW_MS,
        starts_at_ms=NOW_MS - 600_000,
    )


def test_the_modal_has_its_inputs_with_stable_ids_and_enter_refreshes_the_preview() -> None:
    view = modal_view(Fields(matchers=GROUP_TEXT), Origin(channel="C0TEAM0001", ts="1.2"), None)
    assert view["type"] == "modal" and view["callback_id"] == CALLBACK_ID
    assert [b.get("block_id") for b in view["blocks"]] == [MATCHERS, DURATION, ENDS, COMMENT, PREVIEW]
    matchers, duration, ends, comment, _ = view["blocks"]
    assert matchers["dispatch_action"] is True and matchers["element"]["initial_value"] == GROUP_TEXT
    assert matchers["element"]["dispatch_action_config"] == {"trigger_actions_on": ["on_enter_pressed"]}
    assert duration["element"]["initial_value"] == "2h" and duration["optional"] is True
    assert ends["element"]["type"] == "datetimepicker" and comment["element"]["multiline"] is True
    assert all(len(view[k]["text"]) <= 24 for k in ("title", "submit", "close"))  # Slack's limit
    assert json.loads(view["private_metadata"]) == {"channel": "C0TEAM0001", "ts": "1.2"}
    assert view["submit"]["text"] == "Preview"
    assert modal_view(Fields(), Origin(), preview_of([state("A")]))["submit"]["text"] == "Silence 1 open"


def test_private_metadata_round_trips_and_anything_else_reads_as_no_origin() -> None:
    origin = Origin(channel="C0TEAM0001", ts="1.2", group="route0/ab", episode=3, previewed="abc")
    assert Origin.decode(origin.encode()) == origin
    for junk in ("", "not json", "[1]", '{"episode": true}'):
        assert Origin.decode(junk).previewed == "" and Origin.decode(junk).episode == 0


def test_matchers_are_read_as_alertmanager_and_silence_add_read_them() -> None:
    assert parse_matchers("DiskFull") == [Matcher.of("alertname", "=", "DiskFull")]
    assert parse_matchers('{alertname="DiskFull", env=~"prod|staging"}') == [
        Matcher.of("alertname", "=", "DiskFull"),
        Matcher.of("env", "=~", "prod|staging"),
    ]
    # typed differently, the same matchers: no new preview needed
    assert matchers_digest(parse_matchers('b="2",a="1"')) == matchers_digest(parse_matchers('{a="1", b="2"}'))
    assert matchers_digest(parse_matchers('a="1"')) != matchers_digest(parse_matchers('a="2"'))


def test_the_groups_labels_pre_filled_read_back_as_the_same_matchers() -> None:
    member = Member(status="firing", severity="warning", title="DiskFull", ts_ms=0, starts_at_ms=0)
    labels = {"account": "123456789012", "alertname": "DiskFull", "region": "us-east-1"}
    group = GroupState(key="k", route_id="0", receiver="team", members={"fp": member}, group_labels=labels)
    matchers = silence_matchers(group, ["fp"])
    assert ", ".join(str(m) for m in matchers) == GROUP_TEXT
    assert parse_matchers(GROUP_TEXT) == matchers


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        (Fields(matchers=""), MATCHERS, "at least one matcher"),
        (Fields(matchers='alertname=~"(broken"'), MATCHERS, "invalid"),
        (Fields(matchers='alertname="DiskFull" junk'), MATCHERS, "invalid"),
        (Fields(matchers='env=~".*"'), MATCHERS, "every alert"),
        (Fields(matchers='env!="prod"'), MATCHERS, "every alert"),
        (Fields(matchers=GROUP_TEXT, duration=""), DURATION, "give a duration"),
        (Fields(matchers=GROUP_TEXT, duration="soon"), DURATION, "invalid duration"),
        (Fields(matchers=GROUP_TEXT, duration="0"), DURATION, "last a while"),
        (Fields(matchers=GROUP_TEXT, duration="31d"), DURATION, "at most 30 days"),
        (Fields(matchers=GROUP_TEXT, duration="2h", ends_s=NOW_MS // 1000 + 60), DURATION, "not both"),
        (Fields(matchers=GROUP_TEXT, duration="", ends_s=NOW_MS // 1000 - 60), ENDS, "in the past"),
        (Fields(matchers=GROUP_TEXT, duration="", ends_s=NOW_MS // 1000), ENDS, "in the past"),
        (Fields(matchers=GROUP_TEXT, duration="", ends_s=NOW_MS // 1000 + 31 * 86400), ENDS, "30 days"),
    ],
)
def test_each_field_says_what_is_wrong_with_it(fields: Fields, field: str, says: str) -> None:
    _, _, errors = validate(fields, NOW_MS)
    assert list(errors) == [field] and says in errors[field]


def test_valid_fields_give_the_matchers_and_the_end() -> None:
    matchers, ends, errors = validate(Fields(matchers=GROUP_TEXT, duration="30d"), NOW_MS)
    assert errors == {} and ends == NOW_MS + MAX_SILENCE_MS and len(matchers) == 3
    _, ends, errors = validate(Fields(matchers=GROUP_TEXT, duration="", ends_s=NOW_MS // 1000 + 3600), NOW_MS)
    assert errors == {} and ends == NOW_MS + 3_600_000
    _, _, errors = validate(Fields(matchers='alertname="<x>"', duration="bad", ends_s=None), NOW_MS)
    assert list(errors) == [DURATION]  # both fields are checked at once: one error each where wrong


def test_the_preview_counts_names_and_escapes_the_open_alerts() -> None:
    many = [state(f"Alert{i:02d}") for i in range(12)] + [state("<!channel> & co", "critical")]
    preview = preview_of(many)
    assert preview.count == 13 and preview.text.startswith("*13 open alerts match:*")
    assert "Alert00" in preview.text and "…and 3 more" in preview.text
    assert "<!channel>" not in preview.text
    assert preview_of([state("One")]).text.startswith("*1 open alert matches:*")
    assert preview_of([]).count == 0 and "No open alert matches" in preview_of([]).text


class RecordingSlack:
    """Slack as the modal calls it, recording; `fail` makes views.open answer that Slack error."""

    def __init__(self, fail: str = "") -> None:
        self.opened: list[tuple[str, dict[str, Any]]] = []
        self.updated: list[tuple[str, dict[str, Any], str]] = []
        self.posted: list[tuple[str, str, str | None]] = []
        self.fail = fail

    def views_open(self, trigger_id: str, view: dict[str, Any]) -> dict[str, Any]:
        if self.fail:
            raise NotifyError(f"views.open: {self.fail}", retryable=False, code=self.fail)
        self.opened.append((trigger_id, view))
        return {**view, "id": "V1", "hash": "1.a"}

    def views_update(self, view_id: str, view: dict[str, Any], *, hash: str = "") -> dict[str, Any]:
        self.updated.append((view_id, view, hash))
        return view

    def post(
        self,
        channel: str,
        message: SlackMessage,
        *,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> tuple[str, str]:
        self.posted.append((channel, message.text, thread_ts))
        return channel, "9.9"


def submission(view: dict[str, Any], fields: Fields, user: str = "U0ONCALL1") -> ViewSubmission:
    text = {"type": "plain_text_input"}
    values = {
        MATCHERS: {MATCHERS: {**text, "value": fields.matchers or None}},
        DURATION: {DURATION: {**text, "value": fields.duration or None}},
        ENDS: {ENDS: {"type": "datetimepicker", "selected_date_time": fields.ends_s}},
        COMMENT: {COMMENT: {**text, "value": fields.comment or None}},
    }
    return ViewSubmission.model_validate(
        {
            "type": "view_submission",
            "user": {"id": user},
            "team": {"id": "T1"},
            "view": {**view, "id": "V1", "hash": "1.a", "state": {"values": values}},
        }
    )


def test_a_submission_is_previewed_then_saved_with_a_note_in_the_messages_thread() -> None:
    store = MemoryStore()
    slack = RecordingSlack()
    modal = SilenceModal(store.stores(), slack, now=lambda: NOW_MS / 1000)
    member = Member(status="firing", severity="warning", title="DiskFull", ts_ms=0, starts_at_ms=0)
    group = GroupState(
        key="k",
        route_id="0",
        receiver="team",
        episode=2,
        members={"fp": member},
        group_labels={"account": "123456789012", "alertname": "DiskFull", "region": "us-east-1"},
    )
    assert modal.open_from_message("1.2.abc", "U0ONCALL1", group, "C0TEAM0001", "5.5") == {}
    [(trigger, view)] = slack.opened
    assert trigger == "1.2.abc" and view["blocks"][0]["element"]["initial_value"] == GROUP_TEXT
    fields = Fields(matchers=GROUP_TEXT, duration="1h", comment="disk swap")
    first = modal.submit(submission(view, fields))
    assert first["response_action"] == "update" and store.stores().silences.silences() == []
    second = modal.submit(submission(first["view"], fields))
    [silence] = store.stores().silences.silences()
    assert (silence.created_by, silence.comment, silence.ends_at_ms) == (
        "<@U0ONCALL1>",
        "disk swap",
        NOW_MS + 3_600_000,
    )
    assert second["response_action"] == "update" and silence.id in json.dumps(second["view"])
    [(channel, note, thread)] = slack.posted
    assert (channel, thread) == ("C0TEAM0001", "5.5") and note.startswith("🔕 Silenced by <@U0ONCALL1>")
    assert store.stores().history.history("k")[-1]["silence"] == silence.id
    # matchers edited after the preview are previewed again before anything is saved
    edited = modal.submit(submission(first["view"], Fields(matchers='alertname="Other"', duration="1h")))
    assert edited["response_action"] == "update" and len(store.stores().silences.silences()) == 1


@pytest.mark.parametrize(
    ("code", "says"), [("expired_trigger_id", "3 seconds"), ("invalid_arguments", "invalid_arguments")]
)
def test_a_modal_slack_will_not_open_is_explained_ephemerally(code: str, says: str) -> None:
    modal = SilenceModal(MemoryStore().stores(), RecordingSlack(fail=code))
    answer = modal.open_from_command("1.2.abc", "U0ONCALL1", "C0TEAM0001", "DiskFull")
    assert answer["response_type"] == "ephemeral" and says in answer["text"]


def test_only_modal_payloads_are_taken_as_such() -> None:
    from urllib.parse import urlencode

    def body(payload: Any) -> bytes:
        return urlencode({"payload": json.dumps(payload)}).encode()

    assert parse_view_payload(b"command=%2Fsilence&text=x") is None
    assert parse_view_payload(body({"type": "block_actions", "container": {"type": "message"}})) is None
    with pytest.raises(ValueError, match="not a modal payload"):
        parse_view_payload(body({"type": "view_submission", "user": {}}))
    parsed = parse_view_payload(
        body({"type": "view_submission", "user": {"id": "U1"}, "team": None, "view": {"id": "V1"}})
    )
    assert isinstance(parsed, ViewSubmission) and parsed.view.text(MATCHERS, MATCHERS) == ""


JSON_LEAF = st.none() | st.booleans() | st.integers() | st.text(max_size=40)
JSON = st.recursive(
    JSON_LEAF,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
)
INPUT = st.dictionaries(
    st.sampled_from(["type", "value", "selected_date_time"]), JSON_LEAF | st.sampled_from(['a="1"', "2h"])
)


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([MATCHERS, DURATION, ENDS, COMMENT, "other"]),
        st.dictionaries(st.sampled_from([MATCHERS, DURATION, ENDS, COMMENT]), INPUT | JSON, max_size=2),
    ),
    st.text(max_size=60) | st.just('{"previewed": "x", "group": "k", "episode": 1}'),
    JSON,
)
def test_any_submission_is_answered_with_errors_or_an_update(
    values: dict[str, Any], metadata: str, junk: Any
) -> None:
    payload = {
        "type": "view_submission",
        "user": {"id": "U0ONCALL1"},
        "team": {"id": "T1"},
        "view": {
            "id": "V1",
            "callback_id": CALLBACK_ID,
            "private_metadata": metadata,
            "state": {"values": values},
        },
        "junk": junk,
    }
    modal = SilenceModal(MemoryStore().stores(), None, now=lambda: NOW_MS / 1000)
    answer = modal.submit(ViewSubmission.model_validate(payload))
    assert answer["response_action"] in ("errors", "update")

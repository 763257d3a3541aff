"""A Slack target's own `title` / `text` templates (Alertmanager's) draw its channel's message: rendered against
the group as Alertmanager's template data, escaped, and the router's own wording wherever a template names
Alertmanager's default, renders nothing or cannot render."""

from __future__ import annotations

import json
from typing import Any

from alertrouter.models.config import SlackTarget
from alertrouter.models.state import AlertState, GroupState, Member
from alertrouter.notify.render import SlackMessage, render_group
from alertrouter.notify.templated import template_data
from alertrouter.sources import parse_body
from support.clock import Clock
from support.events import batch_child_failure
from support.fakes import Scheduler, Slack, alert, router
from support.memory_store import MemoryStore

T0 = 1_772_442_000_000  # 2026-03-02 09:00 UTC


def batch_group(n: int = 3) -> GroupState:
    members = {}
    for i in range(n):
        [failure] = parse_body(batch_child_failure(i)).alerts
        members[failure.fingerprint] = Member.of(AlertState.first(failure, T0))
    return GroupState(
        key="g",
        route_id="0.1",
        receiver="batch",
        group_labels={"alertname": "BatchJobFailed", "queue": "nightly"},
        members=members,
    )


def texts(message: SlackMessage) -> list[str]:
    return [
        b["text"]["text"] for b in message.attachments[0]["blocks"] if b["type"] == "section" and "text" in b
    ]


def test_title_and_text_render_against_the_group_as_alertmanager_data() -> None:
    # Given a target whose templates read group labels, common labels and each alert's kept labels
    target = SlackTarget(
        channel="#x",
        title="[{{ .Status | toUpper }}] {{ len .Alerts.Firing }} × {{ .CommonLabels.alertname }} in {{ .GroupLabels.queue }}",
        text="{{ range .Alerts }}{{ .Labels.job_name }} exit {{ .Labels.exit_code }} ({{ .Annotations.summary }})\n{{ end }}",
    )
    message = render_group(batch_group(), T0, target=target)
    # Then the headline and the body are the templates' text; the buttons stay
    assert message.text == "[FIRING] 3 × BatchJobFailed in nightly"
    head, body = texts(message)
    assert head == "*[FIRING] 3 × BatchJobFailed in nightly*"
    assert body.splitlines()[0].startswith("nightly-render exit 24 (")
    assert len(body.splitlines()) == 3
    assert message.attachments[0]["blocks"][-1]["type"] == "actions"


def test_template_data_holds_what_the_message_shows() -> None:
    data = template_data(batch_group(2))
    assert (data.receiver, data.status, len(data.alerts)) == ("batch", "firing", 2)
    assert data.common_labels["queue"] == "nightly" and data.common_labels["source"] == "batch"
    first = data.alerts[0]
    assert first.labels["reason"] == "Out of memory" and first.labels["job_definition_revision"] == "3"
    assert first.annotations["logs"].startswith("https://") and first.generator_url.startswith("https://")


def test_text_from_outside_in_a_template_is_escaped() -> None:
    group = batch_group(1)
    [(fp, member)] = group.members.items()
    hostile = member.model_copy(
        update={"labels": {**member.labels, "job_name": "<!channel> & <https://x.example|y>"}}
    )
    group = group.model_copy(update={"members": {fp: hostile}})
    target = SlackTarget(channel="#x", title="{{ (index .Alerts 0).Labels.job_name }}")
    message = render_group(group, T0, target=target)
    assert message.text == "&lt;!channel&gt; &amp; &lt;https://x.example|y&gt;"
    assert "<!channel>" not in json.dumps(message.attachments)


def test_alertmanagers_default_an_empty_result_and_a_failed_render_draw_our_own() -> None:
    group = batch_group(2)
    ours = render_group(group, T0)
    for title in (
        '{{ template "slack.default.title" . }}',
        '{{ if eq .Status "resolved" }}done{{ end }}',  # renders nothing while firing
        "{{ (index .Alerts 7).Labels.alertname }}",  # no eighth alert: the render fails
    ):
        assert render_group(group, T0, target=SlackTarget(channel="#x", title=title)).text == ours.text, title
    default_text = SlackTarget(channel="#x", text='{{ template "slack.default.text" . }}')
    assert render_group(group, T0, target=default_text) == ours


CONFIG = """
route:
  receiver: team
  group_by: [account]
  group_wait: 0s
  send_changes: at_once
receivers:
  - name: team
    slack_configs:
      - channel: "#plain"
      - channel: "#templated"
        title: '{{ .CommonLabels.alertname }} is {{ .Status }}'
        text: '{{ range .Alerts }}{{ .Labels.alertname }} since {{ .StartsAt }}{{ end }}'
"""


class PerChannelSlack(Slack):
    def __init__(self) -> None:
        super().__init__()
        self.by_channel: dict[str, list[str]] = {}

    def post_once(self, channel: str, message: SlackMessage, *args: Any, **kwargs: Any) -> tuple[str, str]:
        self.by_channel.setdefault(channel, []).append(message.text)
        return super().post_once(channel, message, *args, **kwargs)

    def update(self, channel: str, ts: str, message: SlackMessage) -> None:
        self.by_channel.setdefault(channel, []).append(message.text)
        super().update(channel, ts, message)


def test_each_channel_is_drawn_with_its_own_templates_through_the_router() -> None:
    store, slack, clock = MemoryStore(), PerChannelSlack(), Clock()
    r = router(CONFIG, store, slack, Scheduler(), clock)
    r.handle(alert("DiskFull"))
    assert slack.by_channel["#templated"] == ["DiskFull is firing"]
    assert slack.by_channel["#plain"][0].startswith("🟠 WARNING · DiskFull on ")
    r.handle(alert("DiskFull", state="OK", minute=5))
    clock.ms += 5 * 60_000
    [group] = store.groups.values()
    r.flush(group.key, group.route_id)
    # (edits go to the channel id Slack answered the post with)
    assert slack.by_channel["ID#templated"] == ["DiskFull is resolved"]
    assert slack.by_channel["ID#plain"][0].startswith("✅ RESOLVED · DiskFull on ")

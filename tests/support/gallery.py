"""The message gallery: every message the router draws, from every sample event, as golden renders.

Each event in events/ is parsed by the router's own parser (sources.parse_body), routed by the shipped
config/routing.yaml and drawn by render_group at four moments (firing, acknowledged, silenced, resolved);
storms, a mixed group and a hostile alarm are added. tests/unit/test_message_gallery.py compares the renders
with tests/unit/golden/gallery/ and docs/concepts/messages.md shows them. Re-record both after a deliberate
change to what the router draws:

    .venv/bin/python tests/record_gallery.py
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alertrouter.config import load_config
from alertrouter.models.alert import Alert, Status
from alertrouter.models.config import MessageSettings, ResolvedRoute, RoutingConfig
from alertrouter.models.state import AlertState, Clicks, GroupState, Member, MutingState
from alertrouter.notify.preview import render_text
from alertrouter.notify.render import render_group, render_sms
from alertrouter.notify.wording import Wording
from alertrouter.routing.tree import group_identity, match_routes
from alertrouter.sources import (
    MalformedEventError,
    ParseResult,
    UnrecognisedEventError,
    parse_body,
    parse_payload,
)
from support.events import ALARM_EVENT, alarm_event, batch_child_failure, load_event
from support.paths import EVENTS, ROOT

GOLDEN = ROOT / "tests/unit/golden/gallery"
INDEX = GOLDEN / "index.json"
PAGE = ROOT / "docs/concepts/messages.md"
CONFIG = ROOT / "config/routing.yaml"
RECORD = "python tests/record_gallery.py"

MINUTE = 60_000
CLOCK_MS = int(datetime(2026, 3, 2, 9, 0, tzinfo=UTC).timestamp() * 1000)  # "now" of every scene
FIRED_MS = CLOCK_MS - 18 * MINUTE  # every sample alert is moved to 08:42, so times read alike
ACK_MS = FIRED_MS + 5 * MINUTE
ONCALL = "U0ONCALL1"
SILENCE_REASON = f"silenced by <@{ONCALL}> until 2026-03-02 10:18 UTC"
MOMENTS = ("firing", "acknowledged", "silenced", "resolved")

# Sample events that are not alerts at all: what they are (the parser's own words follow).
_NOT_ALERT_KINDS = {
    "slack_block_actions": "a Slack button click (block_actions), handled by the interactions function",
    "slack_request_signing": "Slack's request-signing test vector, used by the signature tests",
    "lambda_function_url": "a Lambda Function URL request, the envelope Slack's clicks arrive in",
    "eventbridge_sms_voice": "a page call's delivery status (End User Messaging): nobody answered the "
    "escalator's call, so its escalation moves on to the next step at once",
}


@dataclass
class Scene:
    """One message as the router draws it: the group, when, and who would be texted."""

    name: str
    source: str  # the docs section: cloudwatch, batch, opensearch, storm, hostile
    title: str
    group: GroupState
    now_ms: int = CLOCK_MS
    event: str = ""
    pages: list[Member] = field(default_factory=list)
    wording: Wording | None = None  # the config's `messages:` settings (None: the defaults)

    def render(self) -> dict[str, Any]:
        """The golden record: the SlackMessage, its terminal preview and, when it would page, the SMS."""
        message = render_group(self.group, self.now_ms, self.wording)
        return {
            "scene": self.name,
            "source": self.source,
            "title": self.title,
            "event": self.event,
            "message": message.model_dump(mode="json"),
            "preview": render_text(message.text, message.attachments, colour=False),
            "sms": render_sms(self.pages) if self.pages else None,
        }


@dataclass(frozen=True)
class NotAnAlert:
    event: str
    reason: str


@dataclass
class Gallery:
    scenes: list[Scene]
    not_alerts: list[NotAnAlert]

    def index(self) -> dict[str, Any]:
        return {
            "scenes": [s.name for s in self.scenes],
            "not_alerts": {n.event: f"not an alert: {n.reason}" for n in self.not_alerts},
        }


def _ts(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _config() -> RoutingConfig:
    return load_config(CONFIG, {"DEFAULT_SLACK_CHANNEL": "#alerts", "ACCOUNT_LABEL": ""})


def _moved(alert: Alert, at_ms: int, status: Status | None = None) -> Alert:
    return alert.model_copy(update={"timestamp": _ts(at_ms), **({"status": status} if status else {})})


def _route(config: RoutingConfig, labels: dict[str, str]) -> tuple[ResolvedRoute, list[ResolvedRoute]]:
    """The route whose message the gallery shows (the most specific one matched), and all matched."""
    routes = match_routes(config, labels)
    return routes[-1], routes


def _pages(config: RoutingConfig, routes: Sequence[ResolvedRoute], members: Iterable[Member]) -> list[Member]:
    """The firing members some matched receiver texts (flush/pages.py's rule, nothing muted)."""
    paging = [config.receiver(r.receiver) for r in routes]
    return [
        m
        for m in members
        if m.status == Status.FIRING and any(r.sms and m.severity in r.sms_severities for r in paging)
    ]


def _group(
    config: RoutingConfig,
    states: Sequence[AlertState],
    group_by: tuple[str, ...] | None = None,
) -> tuple[GroupState, list[ResolvedRoute]]:
    """The group the router builds for these alert states (all in one group of the first one's route)."""
    route, routes = _route(config, states[0].labels)
    if group_by is not None:
        route = route.model_copy(update={"group_by": group_by})
    key, labels = group_identity(route, states[0].labels)
    for state in states[1:]:
        assert group_identity(route, state.labels)[0] == key, f"{state.title} is in another group"
    group = GroupState(
        key=key,
        route_id=route.id,
        receiver=route.receiver,
        group_labels=labels,
        created_ms=min(s.updated_ms for s in states),
        members={s.fingerprint: Member.of(s) for s in states},
        version=1,
    )
    return group, routes


def _group_scene(  # noqa: PLR0913 - a scene's parts
    config: RoutingConfig,
    name: str,
    source: str,
    title: str,
    states: Sequence[AlertState],
    *,
    group_by: tuple[str, ...] | None = None,
    wording: Wording | None = None,
) -> Scene:
    """The scene of one group of these alert states, with whom its routes would text."""
    group, routes = _group(config, states, group_by)
    return Scene(
        name, source, title, group, pages=_pages(config, routes, group.members.values()), wording=wording
    )


def _not_an_alert(name: str, why: str) -> NotAnAlert:
    kind = next((text for prefix, text in _NOT_ALERT_KINDS.items() if name.startswith(prefix)), "")
    return NotAnAlert(name, f"{kind}; {why}" if kind else why)


def parse_event(name: str) -> tuple[ParseResult, str]:
    """The event parsed as the router takes it: an alarm action or an SNS Lambda event is a direct invocation
    (Service.handle_event: parse_payload), anything else a body from its queue (Service.handle_body)."""
    body = (EVENTS / name).read_bytes()
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None  # parse_body says why
    records = payload.get("Records") if isinstance(payload, dict) else None
    direct = isinstance(payload, dict) and (
        "alarmData" in payload
        or (
            isinstance(records, list)
            and any(isinstance(r, dict) and r.get("EventSource") == "aws:sns" for r in records)
        )
    )
    if direct:
        return parse_payload(payload), "a direct invocation"
    return parse_body(body), "a queue message"


def event_scenes(config: RoutingConfig, name: str) -> list[Scene] | NotAnAlert:
    """The four moments of the alert in one sample event, or why the event is not an alert."""
    try:
        parsed, arrival = parse_event(name)
    except (UnrecognisedEventError, MalformedEventError) as exc:
        return _not_an_alert(name, f"the parser says: {exc}")
    if not parsed.alerts:
        reasons = "; ".join(i.reason for i in parsed.ignored) or (
            "a page call nobody answered" if parsed.calls else "no alert in it"
        )
        return _not_an_alert(name, f"the parser ignores it: {reasons}")
    stem = name.removesuffix(".json")
    # an event that is a resolve (OK) is shown firing first: the router posts nothing for a bare resolve
    first_seen = [
        _moved(a, FIRED_MS, Status.FIRING if a.status == Status.RESOLVED else None) for a in parsed.alerts
    ]
    states = [AlertState.first(a, FIRED_MS) for a in first_seen]
    group, routes = _group(config, states)
    source = parsed.alerts[0].source
    resolved_states = []
    for alert, state in zip(parsed.alerts, states, strict=True):
        # a one-shot alert is resolved by its route's resolve_timeout, as Router.expire does (ts + 1 ms)
        at = state.ts_ms + 1 if state.one_shot else CLOCK_MS
        resolved_states.append(state.next(_moved(alert, at, Status.RESOLVED), CLOCK_MS))
    resolved = group.model_copy(update={"members": {s.fingerprint: Member.of(s) for s in resolved_states}})
    was = (
        " (the event is its resolve: shown firing first)"
        if any(a.status == Status.RESOLVED for a in parsed.alerts)
        else ""
    )
    moments = {
        "firing": (
            group,
            f"as first posted, from {arrival}{was}",
            _pages(config, routes, group.members.values()),
        ),
        "acknowledged": (
            group.model_copy(update={"clicks": Clicks(ack_by=ONCALL, ack_ms=ACK_MS)}),
            f"acknowledged by {ONCALL} at 08:47",
            [],
        ),
        "silenced": (
            group.model_copy(
                update={"muting": MutingState(reasons=dict.fromkeys(group.members, SILENCE_REASON))}
            ),
            "silenced until 10:18",
            [],
        ),
        "resolved": (
            resolved,
            "resolved by its route's resolve_timeout (as Router.expire does)"
            if states[0].one_shot
            else "resolved by the source"
            + ("" if was else " (the firing event's own text, marked resolved)"),
            [],
        ),
    }
    return [
        Scene(f"{stem}.{moment}", source, title, g, event=name, pages=pages)
        for moment, (g, title, pages) in moments.items()
    ]


def _parse_all(bodies: Iterable[str]) -> list[Alert]:
    return [alert for body in bodies for alert in parse_body(body).alerts]


def batch_storm(config: RoutingConfig, *, replayed: bool = False) -> Scene:
    """50 children of one array job failing in one queue: 48 out of memory, 2 timed out. Replayed: their own
    times are from 2023, they reached us just now, and the team reads times in Berlin and names its account."""
    alerts = _parse_all(batch_child_failure(i) for i in range(50))
    if replayed:
        arrived = CLOCK_MS - 120_000
        states = [AlertState.first(a, arrived + i * 1000) for i, a in enumerate(alerts)]
    else:
        states = [
            AlertState.first(_moved(a, FIRED_MS + i * 1000), FIRED_MS + i * 1000)
            for i, a in enumerate(alerts)
        ]
    team = MessageSettings(time_zone="Europe/Berlin", account_names={"123456789012": "production"})
    return _group_scene(
        config,
        "storm.batch_jobs_replayed" if replayed else "storm.batch_jobs",
        "storm",
        "The 50 failures replayed now (event times from 2023), for a team in Berlin that names its account"
        if replayed
        else "50 Batch job failures in one queue (48 out of memory, 2 timeout)",
        states,
        wording=Wording(team) if replayed else None,
    )


def _cw_alarm(alarm: str, state: str, at_ms: int, **metric: Any) -> str:
    """The reference alarm event for `alarm` in `state`, its metric changed as given."""
    stamp = _ts(at_ms).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    event = alarm_event(load_event(ALARM_EVENT), alarm, state, stamp, "i-0a1b2c3d4e5f")
    if metric:
        event["detail"]["configuration"]["metrics"][0]["metricStat"]["metric"].update(metric)
    return json.dumps(event)


def lambda_storm(config: RoutingConfig) -> Scene:
    """12 Lambda error alarms within seconds, grouped by account, region and namespace (demo step 5)."""
    bodies = [
        _cw_alarm(
            f"LambdaErrors-fn-{i:02d}",
            "ALARM",
            FIRED_MS + i * 1000,
            namespace="AWS/Lambda",
            name="Errors",
            dimensions={"FunctionName": f"orders-fn-{i:02d}"},
        )
        for i in range(12)
    ]
    states = [AlertState.first(a, a.timestamp_ms) for a in _parse_all(bodies)]
    return _group_scene(
        config,
        "storm.lambda_errors",
        "storm",
        "12 Lambda error alarms in one group (account, region, namespace)",
        states,
        group_by=("account", "region", "namespace"),
    )


def opensearch_storm(config: RoutingConfig) -> Scene:
    """Three notices about one OpenSearch domain: one message for the domain."""
    names = [
        "eventbridge_opensearch_notification_high_jvm_usage_awsdocs.json",
        "eventbridge_opensearch_notification_low_disk_space_awsdocs.json",
        "eventbridge_opensearch_notification_node_retirement_scheduled_awsdocs.json",
    ]
    alerts = _parse_all((EVENTS / n).read_text() for n in names)
    states = [
        AlertState.first(_moved(a, FIRED_MS + i * MINUTE), FIRED_MS + i * MINUTE)
        for i, a in enumerate(alerts)
    ]
    return _group_scene(
        config, "storm.opensearch_domain", "storm", "3 OpenSearch notices on one domain", states
    )


def mixed_group(config: RoutingConfig) -> Scene:
    """One EC2 group holding an alarm firing, one resolved and one without data."""
    firing, gone, nodata = _parse_all(
        [
            _cw_alarm("ServerCpuTooHigh", "ALARM", FIRED_MS),
            _cw_alarm("DiskQueueDepthHigh", "ALARM", FIRED_MS + MINUTE),
            _cw_alarm("StatusCheckFailed", "INSUFFICIENT_DATA", FIRED_MS + 2 * MINUTE),
        ]
    )
    [ok] = _parse_all([_cw_alarm("DiskQueueDepthHigh", "OK", FIRED_MS + 9 * MINUTE)])
    gone_state = AlertState.first(gone, gone.timestamp_ms).next(ok, ok.timestamp_ms)
    states = [
        AlertState.first(firing, firing.timestamp_ms),
        gone_state,
        AlertState.first(nodata, nodata.timestamp_ms),
    ]
    return _group_scene(
        config,
        "storm.mixed",
        "storm",
        "one group: an alarm firing, one resolved, one with no data",
        states,
        group_by=("account", "region", "namespace"),
    )


HOSTILE_TEXT = "<!channel> <@U123> Tom & Jerry *bold* <javascript:alert(1)|click me> "


def hostile_alarm(config: RoutingConfig) -> Scene:
    """An alarm whose name, description and reason try Slack's control sequences, markup, a javascript:
    link and 5,000 characters: the message must show them as text, within Slack's limits."""
    event = load_event(ALARM_EVENT)
    detail = event["detail"]
    long = (HOSTILE_TEXT * 80)[:5000]
    detail["alarmName"] = long
    detail["configuration"]["description"] = f"Runbook: javascript:alert(1) {long}"
    detail["state"].update(reason=long, timestamp=_ts(FIRED_MS).strftime("%Y-%m-%dT%H:%M:%S.000+0000"))
    detail["alarmTags"] = {"severity": "critical"}
    event["resources"] = ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:hostile"]
    states = [AlertState.first(a, a.timestamp_ms) for a in _parse_all([json.dumps(event)])]
    return _group_scene(
        config,
        "hostile.alarm",
        "hostile",
        "an alarm named with <!channel>, <@U123>, &, *bold*, a javascript: link, 5,000 characters long",
        states,
    )


def event_files() -> list[str]:
    return sorted(p.name for p in EVENTS.glob("*.json"))


def build() -> Gallery:
    """Every scene, in the order the page shows them."""
    config = _config()
    scenes: list[Scene] = []
    not_alerts: list[NotAnAlert] = []
    for name in event_files():
        built = event_scenes(config, name)
        if isinstance(built, NotAnAlert):
            not_alerts.append(built)
        else:
            scenes.extend(built)
    scenes += [
        batch_storm(config),
        batch_storm(config, replayed=True),
        lambda_storm(config),
        opensearch_storm(config),
        mixed_group(config),
        hostile_alarm(config),
    ]
    return Gallery(scenes, not_alerts)


def golden_path(scene: str) -> Path:
    return GOLDEN / f"{scene}.json"


def dumps(record: Any) -> str:
    return json.dumps(record, indent=2, ensure_ascii=False) + "\n"


SOURCES = {
    "cloudwatch": "CloudWatch alarms",
    "batch": "AWS Batch",
    "opensearch": "Amazon OpenSearch Service",
    "storm": "Storms and mixed groups",
    "hostile": "Hostile text",
}


def page(records: Sequence[dict[str, Any]], index: dict[str, Any]) -> str:
    """docs/concepts/messages.md from the golden records: each message as the terminal preview draws it."""
    out = [
        "# Messages, side by side",
        "",
        "<!-- generated by tests/record_gallery.py from tests/unit/golden/gallery/: do not edit -->",
        "",
        "Every message the router draws, as Slack shows it (the terminal preview of `alertrouter route`:",
        "the bar is the attachment's colour, `↗` a link, buttons in brackets). Each sample event in `events/`",
        "is parsed by the router's own parser, routed by the shipped `config/routing.yaml` and drawn at four",
        "moments: **firing** (as first posted), **acknowledged**, **silenced** and **resolved**. Alert times",
        "are moved to 2026-03-02 08:42 UTC so the pages read alike; a one-shot alert (a failed job, a service",
        "notice) is resolved by its route's `resolve_timeout`.",
        "",
        "The same renders are golden files checked by `tests/unit/test_message_gallery.py`, which also checks",
        "Slack's size limits and escaping for every one of them. After a deliberate change to what the router",
        f"draws, re-record the goldens and this page with `.venv/bin/{RECORD}` and review the diff.",
        "",
        "## How a message reads",
        "",
        "- **The headline**, one grammar for every source: how bad (our severity, and the source's own word",
        "  when it differs: `CRITICAL (OpenSearch: High)`), what (the alarm, or for a group what its alerts",
        "  share, humanised: `12 Lambda error alarms`, `50 jobs failed in queue nightly`), where (the account's",
        "  name from the config's `messages:`, the region, the resource) and, for failed jobs, why they failed.",
        "- **One alert**: the reason in plain words (a CloudWatch threshold reason becomes `Above 80 in the",
        "  last 3 datapoints: 97.1, 95.4, 92`), then the facts that matter for its source: a Batch job's",
        "  definition and revision, exit code and attempts; an alarm's metric and threshold; an OpenSearch",
        "  notice's status; an SLO's service; and for all, where and since when.",
        "- **A group**: a table by the label that varies (the failure reason, the exit code, the alarm), each",
        "  row with its count and one example with its links; alerts that are each their own row are listed,",
        "  ten at most; then the command that lists them all (`aws batch list-jobs … --job-status FAILED`).",
        "  For failed jobs, whether they are still coming.",
        "- **Time that tells the truth**: times in the team's zone with UTC beside them; when an event's own",
        "  time is more than 5 minutes from when it reached the router (a replay, a late delivery), both.",
        "",
    ]
    for source, heading in SOURCES.items():
        scenes = [r for r in records if r["source"] == source]
        if not scenes:
            continue
        out += [f"## {heading}", ""]
        last_event = None
        for record in scenes:
            if not record["event"]:
                out += [f"### {_md(record['title'])}", "", f"`{record['scene']}` · {_colour(record)} bar", ""]
            else:
                if record["event"] != last_event:
                    last_event = record["event"]
                    out += [f"### `{record['event']}`", ""]
                moment = record["scene"].rsplit(".", 1)[-1]
                out += [f"**{moment}**: {_md(record['title'])} · {_colour(record)} bar", ""]
            out += ["```text", record["preview"], "```", ""]
            if record["sms"]:
                out += ["SMS:", "", "```text", record["sms"], "```", ""]
    out += [
        "## Not alerts",
        "",
        "These sample events are not alerts; the gallery shows no message for them.",
        "",
    ]
    for event, reason in index["not_alerts"].items():
        out.append(f"- `{event}`: {_md(reason)}")
    return "\n".join(out) + "\n"


_COLOURS = {
    "#E01E5A": "red",
    "#ECB22E": "amber",
    "#36C5F0": "blue",
    "#9E9E9E": "grey",
    "#2EB67D": "green",
    "#8E6BBF": "purple",
    "#607D8B": "slate",
}


def _colour(record: dict[str, Any]) -> str:
    colours = [str(a.get("color", "")) for a in record["message"]["attachments"]]
    return ", ".join(f"{_COLOURS.get(c.upper(), 'unnamed')} (`{c}`)" for c in colours) or "none"


def _md(text: str) -> str:
    """Outside text as literal Markdown text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("*", "\\*")


def records(gallery: Gallery) -> list[dict[str, Any]]:
    return [scene.render() for scene in gallery.scenes]


def record() -> list[Path]:
    """Write every scene's golden, the index and the docs page; remove goldens of scenes gone."""
    gallery = build()
    rendered = records(gallery)
    GOLDEN.mkdir(parents=True, exist_ok=True)
    written = []
    for entry in rendered:
        path = golden_path(entry["scene"])
        path.write_text(dumps(entry), encoding="utf-8")
        written.append(path)
    INDEX.write_text(dumps(gallery.index()), encoding="utf-8")
    for stale in set(GOLDEN.glob("*.json")) - {*written, INDEX}:
        stale.unlink()
    PAGE.write_text(page(rendered, gallery.index()), encoding="utf-8")
    return [*written, INDEX, PAGE]

"""Only http and https URLs with a host become links: in the message (console, runbook, further links) and
where sources take a runbook or dashboard from outside (alarm tags and descriptions, job tags, SLO events)."""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

import pytest

from alertrouter.models.state import GroupState, Member
from alertrouter.mrkdwn import link
from alertrouter.notify.render import render_group
from alertrouter.sources import parse_payload, slo
from alertrouter.weburl import web_url
from support.events import load_event

T0 = 1_714_557_600_000
REFUSED = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "\x01javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD4=",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "wiki.example.com/runbooks/cpu",
    "//evil.example/x",
    "https://",
    "https:///no-host",
    "http:evil.example",
    "ftp://files.example.com/x",
    "mailto:ops@example.com",
]


def member(**urls: Any) -> Member:
    return Member(
        status="firing",
        severity="warning",
        title="ServerCpuTooHigh",
        summary="CPU above 90%",
        ts_ms=T0,
        starts_at_ms=T0,
        **urls,
    )


def shown(m: Member) -> str:
    group = GroupState(key="r/1", route_id="r", receiver="team", members={"fp1": m, "fp2": m.model_copy()})
    single = group.model_copy(update={"members": {"fp1": m}})
    return json.dumps([render_group(single, T0).attachments, render_group(group, T0).attachments])


@pytest.mark.parametrize("url", REFUSED)
def test_a_url_that_is_not_http_or_https_with_a_host_never_becomes_a_link(url: str) -> None:
    text = shown(member(console=url, runbook=url, links={"logs": url, "domain": url}))
    for label in ("Console", "Runbook", "Logs", "Domain", "console"):
        assert f"|{label}>" not in text
    assert "<javascript" not in text.lower() and "<data:" not in text and "<file:" not in text


@pytest.mark.parametrize(
    "url",
    [
        "https://wiki.example.com/runbooks/cpu",
        "HTTPS://WIKI.EXAMPLE.COM/rb",
        "http://wiki.example.com:8080/rb?x=1#y",
    ],
)
def test_http_and_https_urls_with_a_host_are_links(url: str) -> None:
    text = shown(member(runbook=url, console=url))
    # (the single alert's links row, and each line of the group of two)
    assert f"<{url}|Runbook>" in text and text.count(f"<{url}|Console>") == 3


def test_a_refused_url_is_logged_once_not_once_per_render() -> None:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep(logging.DEBUG)
    logging.getLogger("alertrouter").addHandler(handler)
    try:
        for _ in range(50):
            shown(member(runbook="onlyonce:alert(1)", console="https://ok.example/x"))
    finally:
        logging.getLogger("alertrouter").removeHandler(handler)
    refused = [r for r in records if "onlyonce" in r.getMessage() + json.dumps(r.__dict__, default=str)]
    assert len(refused) == 1


@pytest.mark.parametrize(
    "runbook", ["javascript:alert(1)", " javascript:alert(1)", "data:text/html,x", "wiki.example.com/rb"]
)
def test_an_alarms_runbook_tag_that_is_not_a_web_url_is_not_its_runbook(runbook: str) -> None:
    event = load_event("eventbridge_cw_alarm_state_change_single_metric_ALARM_awsdocs.json")
    event["detail"]["alarmTags"] = {"runbook": runbook}
    [alert] = parse_payload(event).alerts
    assert "runbook" not in alert.annotations


def test_a_job_tags_runbook_that_is_not_a_web_url_is_not_its_runbook() -> None:
    doc = copy.deepcopy(load_event("eventbridge_batch_job_state_change_FAILED_oom_real_calcloud.json"))
    doc["detail"].setdefault("tags", {})["runbook"] = "javascript:alert(1)"
    [alert] = parse_payload(doc).alerts
    assert "runbook" not in alert.annotations


@pytest.mark.parametrize("field", ["dashboard", "runbook"])
def test_an_slo_events_links_must_be_web_urls(field: str) -> None:
    event = {
        "version": "0",
        "id": "x",
        "detail-type": "AlertRouter SLO Burn Rate",
        "source": "alertrouter.slo",
        "account": "123456789012",
        "region": "eu-west-1",
        "time": "2026-11-23T03:00:00Z",
        "resources": [],
        "detail": {
            "slo": "checkout",
            "rule": "page-1h-5m",
            "severity": "page",
            "state": "firing",
            field: "javascript:alert(1)",
        },
    }
    [alert] = slo.parse_eventbridge(event)
    assert alert.annotations == {}
    event["detail"][field] = "https://grafana.example.com/d/checkout"
    [alert] = slo.parse_eventbridge(event)
    assert list(alert.annotations.values()) == ["https://grafana.example.com/d/checkout"]


@pytest.mark.parametrize("url", REFUSED)
def test_web_url_refuses_what_is_not_http_or_https_with_a_host(url: str) -> None:
    assert web_url(url) is None
    assert link(url, "Runbook") == ""


def test_web_url_reads_a_url_as_a_browser_does() -> None:
    assert web_url("  https://wiki.example.com/rb\n") == "https://wiki.example.com/rb"
    assert web_url("ht\ttps://wiki.example.com/r\nb") == "https://wiki.example.com/rb"
    assert web_url("HTTPS://WIKI.EXAMPLE.COM") == "HTTPS://WIKI.EXAMPLE.COM"
    assert web_url("https://wiki.example.com/\x00x") is None
    assert web_url("") is None


def test_a_link_cannot_be_broken_out_of_by_its_url_or_its_label() -> None:
    assert (
        link("https://x.example/a b|c>d<e", "Run|book>")
        == "<https://x.example/a%20b%7Cc%3Ed%3Ce|Run/book&gt;>"
    )


def test_an_entity_in_a_links_url_cannot_change_where_it_goes() -> None:
    # Slack decodes &amp; &lt; &gt; in a link's URL: a raw `&lt;` would become `<` in the target
    made = link("https://a.example/?q=1&lt;!channel&gt;&b=2", "Runbook")
    assert made == "<https://a.example/?q=1&amp;lt;!channel&amp;gt;&amp;b=2|Runbook>"

"""Inputs the fuzzing found to break an entry point, each now refused with a clear reason."""

from __future__ import annotations

import json
import time

import pytest
from pydantic import ValidationError

from alertrouter.config import ConfigError, parse_config
from alertrouter.interactions import InteractionService, function_url_body, sign
from alertrouter.models.silence import Silence
from alertrouter.slo.loader import SloError, load_slos
from alertrouter.sources import MalformedEventError, parse_body
from support.events import load_event
from support.memory_store import MemoryStore
from support.paths import ROOT

ALARM = load_event("eventbridge_cw_alarm_state_change_single_metric_ALARM_awsdocs.json")


def alarm(**changes: object) -> str:
    event = json.loads(json.dumps(ALARM))
    for path, value in changes.items():
        target = event
        *parents, last = path.split("__")
        for p in parents:
            target = target[p]
        target[last] = value
    return json.dumps(event)


@pytest.mark.parametrize(
    "body",
    [
        "1" * 5000,  # beyond Python's 4,300-digit integer limit
        '{"Type": "Notification", "Message": "' + "[" * 100_000 + '"}',  # deep nesting inside SNS
        alarm(detail__state__timestamp="0001-01-01T00:00:00+01:00"),  # a date that leaves the range in UTC
        alarm(account="", resources=["x:alarm:y"]),  # an ARN too short to hold an account
        alarm(detail__alarmName="\ud800"),  # an unpaired surrogate
    ],
)
def test_hostile_sqs_bodies_are_refused_with_a_reason(body: str) -> None:
    with pytest.raises(MalformedEventError) as refused:
        parse_body(body)
    assert str(refused.value)


@pytest.mark.parametrize("timestamp", ["²", "9" * 5000, "9" * 400])
def test_odd_timestamps_are_refused_before_anything_else(timestamp: str) -> None:
    store = MemoryStore()
    service = InteractionService(store.stores(), lambda: "fake-secret", None, now=time.time)
    response = service.handle(
        {"x-slack-request-timestamp": timestamp, "x-slack-signature": "v0=00"}, b"payload=x"
    )
    assert response.status == 401 and store.requests == {}


def test_a_resolve_without_a_router_queue_marks_nothing() -> None:
    store = MemoryStore()
    payload = {
        "type": "block_actions",
        "user": {"id": "U1"},
        "actions": [{"action_id": "alertrouter_resolve", "value": "somegroup:1"}],
    }
    body = ("payload=" + json.dumps(payload)).encode()
    now = int(time.time())
    service = InteractionService(store.stores(), lambda: "secret-x", None, now=lambda: now)
    response = service.handle(
        {"x-slack-request-timestamp": str(now), "x-slack-signature": sign("secret-x", str(now), body)}, body
    )
    assert "not set up" in response.body["text"] and store.groups == {}


def test_function_url_bodies_that_are_not_text_verify_as_nothing() -> None:
    assert function_url_body({"body": 12, "isBase64Encoded": True}) == b""
    assert function_url_body({"body": "\ud800"}) == b""


@pytest.mark.parametrize(
    "change",
    [
        ("group_wait: 30s", "group_wait: 99999999999h"),
        ("matchers: ['severity=\"critical\"']", "matchers: ['x=~\"a{99999999999}\"']"),
        (
            "matchers: ['severity=\"critical\"']",
            "matchers: [{name: severity, op: '=~', value: 'crit.*', pattern: z}]",
        ),
    ],
)
def test_hostile_routing_configs_are_refused(change: tuple[str, str]) -> None:
    text = (ROOT / "config" / "routing.yaml").read_text().replace(*change, 1)
    with pytest.raises(ConfigError):
        parse_config(text, {"DEFAULT_SLACK_CHANNEL": "#a"})


def test_a_matcher_written_as_a_mapping_is_checked_like_a_string() -> None:
    text = (
        (ROOT / "config" / "routing.yaml")
        .read_text()
        .replace(
            "matchers: ['severity=\"critical\"']",
            "matchers: [{name: severity, op: '=~', value: 'crit.*'}]",
            1,
        )
    )
    config = parse_config(text, {"DEFAULT_SLACK_CHANNEL": "#a"})
    assert str(config.route.routes[0].matchers[0]) == 'severity=~"crit.*"'
    assert config.route.routes[0].matchers[0].matches({"severity": "critical"})


@pytest.mark.slow
def test_deep_yaml_is_refused() -> None:
    with pytest.raises(ConfigError, match="nested too deeply"):
        parse_config("a: " + "[" * 5000)
    with pytest.raises(SloError, match="nested too deeply"):
        load_slos("a: " + "[" * 5000)


@pytest.mark.slow
@pytest.mark.parametrize(
    "nested", ["[" * 60_000 + "]" * 60_000, "- " * 60_000 + "x", "{a: " * 60_000 + "1" + "}" * 60_000]
)
def test_nesting_deep_enough_to_crash_libyaml_is_read_by_the_python_parser(nested: str) -> None:
    # libyaml recurses in C without a limit (60,000 levels crash the process); such texts must go to PyYAML's
    # parser, which stops with a clear error
    with pytest.raises(ConfigError, match="nested too deeply"):
        parse_config(nested)


@pytest.mark.parametrize(
    "change",
    [
        ("kind: SLO", "kind: []"),
        ("timeZone: UTC", "timeZone: Europe"),
        ("duration: 30d", "duration: 99999999999d"),
    ],
)
def test_hostile_slo_files_are_refused(change: tuple[str, str]) -> None:
    text = (ROOT / "config" / "slos.yaml").read_text()
    if change[0] not in text:
        pytest.fail(f"the sample no longer has {change[0]!r}")
    with pytest.raises(SloError):
        load_slos(text.replace(*change, 1))


def test_a_silence_with_an_oversized_regex_is_refused() -> None:
    with pytest.raises(ValidationError, match="invalid repeat count"):  # Alertmanager's (Go's) words
        Silence(matchers=['x=~"a{99999999999}"'], starts_at_ms=0, ends_at_ms=1000, created_by="a")


def test_body_size_is_measured_in_bytes_as_sqs_does() -> None:
    with pytest.raises(MalformedEventError, match="bytes exceeds"):
        parse_body('{"a": "' + "é" * 200_000 + '"}')  # 200,000 characters, 400,000 bytes

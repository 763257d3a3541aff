"""Escalation by call and by SMS on moto (DynamoDB, SNS, Secrets Manager), the Slack stand-in and the
SendVoiceMessage stand-in (moto has no `pinpoint-sms-voice-v2`): the escalator's VoiceCaller is the one the
composition root builds, its client pointed at the stand-in by AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2, with the
stack's client settings (botocore retries throttling itself first)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from alertrouter.aws import Clients, SecretCache
from alertrouter.composition.escalator import voice_caller
from alertrouter.escalate import Escalator
from alertrouter.handoffs import Handoffs
from alertrouter.models.settings import EscalatorSettings
from alertrouter.notify.slack import SlackClient
from alertrouter.on_call_now import OnCallNow
from alertrouter.open_alerts import OpenAlertsGauge
from support.events import alarm_body
from support.handlers import load_handler
from support.harness import Harness, LambdaContext, make_harness
from support.memory_store import MemoryStore
from support.voice_standin import PHONE_NUMBER, VoiceStandIn

pytestmark = pytest.mark.integration

CONFIG = """
route:
  receiver: team
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1m
  routes:
    - matchers: ['severity="critical"']
      receiver: pager
      escalation: {after: 10m, steps: {steps}}
receivers:
  - name: team
    slack: [{channel: "#team"}]
  - name: pager
    slack: [{channel: "#oncall"}]
    sms: [oncall-primary]
"""
CALL_THEN_SMS = '[["call:oncall-secondary"], [oncall-secondary]]'
SECONDARY = "+15555550101"  # oncall-secondary in the stack's fake numbers secret


@pytest.fixture
def voice(monkeypatch: pytest.MonkeyPatch) -> Iterator[VoiceStandIn]:
    with VoiceStandIn() as standin:
        monkeypatch.setenv("AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2", standin.url)
        yield standin


def world(aws: Any, slack: Any, tmp_path: Path, steps: str = CALL_THEN_SMS) -> Harness:
    return make_harness(aws, slack, tmp_path, CONFIG.replace("{steps}", steps))


def escalator(h: Harness, identity: str = PHONE_NUMBER) -> Escalator:
    settings = EscalatorSettings(
        table_name=h.stack.table_name,
        sms_numbers_secret=h.stack.sms_secret,
        voice_origination_identity=identity,
    )
    clients = Clients(h.session)
    router = h.service.router
    slack = SlackClient(lambda: "xoxb-test", h.slack.url, timeout=(1.0, 1.0), min_interval=0.0)
    calls = voice_caller(clients, SecretCache(lambda: clients.secretsmanager), settings)
    return Escalator(router.stores, router.sms, slack, voice=calls, account_label="test", now_ms=h.clock)


def sms_numbers() -> list[str]:
    from moto.backends import get_backend

    return [v[0] for v in get_backend("sns")["123456789012"]["us-east-1"].sms_messages.values()]


def thread(h: Harness) -> list[str]:
    [page] = h.slack.channel_messages("#oncall")
    return [reply.text for reply in page.replies]


def test_a_call_step_places_the_call_with_the_right_fields(
    aws: Any, slack: Any, tmp_path: Path, voice: VoiceStandIn
) -> None:
    h = world(aws, slack, tmp_path)
    h.service.handle_body(alarm_body(name="DiskFull", severity="critical"))
    h.clock.advance(10 * 60)
    outcome = escalator(h).run()
    assert outcome.calls == 1
    [call] = voice.calls
    request = call.request
    assert (request["DestinationPhoneNumber"], request["OriginationIdentity"]) == (SECONDARY, PHONE_NUMBER)
    assert (request["VoiceId"], request["MessageBodyTextType"], request["TimeToLive"]) == (
        "JOANNA",
        "SSML",
        600,
    )
    words = "".join(ElementTree.fromstring(call.body).itertext())  # noqa: S314 - our own request
    assert "Critical in account test" in words and "DiskFull" in words and "press Acknowledge" in words
    assert request["Context"]["step"] == "1" and request["Context"]["group"]
    assert thread(h)[-1] == "📞 Not acknowledged: called oncall-secondary (step 1 of 2)"
    assert sms_numbers() == ["+15555550100"]  # the router's page only: the call was no text


def test_a_throttled_call_is_retried_next_run(
    aws: Any, slack: Any, tmp_path: Path, voice: VoiceStandIn
) -> None:
    h = world(aws, slack, tmp_path)
    h.service.handle_body(alarm_body(name="DiskFull", severity="critical"))
    h.clock.advance(10 * 60)
    voice.throttle(3)  # every attempt botocore makes (the stack's clients try 3 times)
    outcome = escalator(h).run()
    assert voice.attempts == 3 and voice.calls == [] and outcome.voice_failures == 1
    assert not any(text.startswith("⏭️") for text in thread(h))  # not moved on: tried again
    h.clock.advance(60)
    escalator(h).run()
    assert voice.called() == [SECONDARY]


def test_a_refused_call_moves_on_at_once(aws: Any, slack: Any, tmp_path: Path, voice: VoiceStandIn) -> None:
    h = world(aws, slack, tmp_path)
    voice.opt_out(SECONDARY)
    h.service.handle_body(alarm_body(name="DiskFull", severity="critical"))
    h.clock.advance(10 * 60)
    outcome = escalator(h).run()
    assert voice.calls == [] and sms_numbers() == ["+15555550100", SECONDARY]  # the next step, same run
    assert (outcome.voice_failures, outcome.sms, outcome.moved_on) == (1, 1, 1)
    assert thread(h)[-3:] == [
        "⚠️ Could not call oncall-secondary (DESTINATION_PHONE_NUMBER_OPTED_OUT) (step 1 of 2)",
        "⏭️ Step 1 of 2 reached nobody: moving on to step 2 of 2 now",
        "📟 Not acknowledged: paged oncall-secondary (escalation step 2 of 2)",
    ]


def test_an_sms_failure_moves_on_at_once_to_the_call(
    aws: Any, slack: Any, tmp_path: Path, voice: VoiceStandIn
) -> None:
    h = world(aws, slack, tmp_path, '[[oncall-backup], ["call:oncall-secondary"]]')  # not in the secret
    h.service.handle_body(alarm_body(name="DiskFull", severity="critical"))
    h.clock.advance(10 * 60)
    outcome = escalator(h).run()
    assert voice.called() == [SECONDARY] and (outcome.sms_failures, outcome.calls) == (1, 1)
    [failed, moved, called] = thread(h)[-3:]
    assert failed.startswith("⚠️ Could not text oncall-backup (") and "+1555" not in failed
    assert (moved, called) == (
        "⏭️ Step 1 of 2 reached nobody: moving on to step 2 of 2 now",
        "📞 Not acknowledged: called oncall-secondary (step 2 of 2)",
    )


def test_calls_bundle_and_are_paced(aws: Any, slack: Any, tmp_path: Path, voice: VoiceStandIn) -> None:
    h = world(aws, slack, tmp_path, '[["call:oncall-secondary"]]')
    h.service.handle_body(alarm_body(name="DiskFull", severity="critical"))
    h.service.handle_body(alarm_body(name="CpuHigh", severity="critical"))
    h.clock.advance(2 * 60)
    h.service.handle_body(
        alarm_body(name="MemoryFull", severity="critical", ts="2024-05-01T10:02:00.000+0000")
    )
    h.clock.advance(8 * 60)
    escalator(h).run()
    [call] = voice.calls  # both due: one call
    assert "2 alerts are not acknowledged" in call.body and "DiskFull" in call.body and "CpuHigh" in call.body
    h.clock.advance(2 * 60)  # MemoryFull's step is due 2 minutes after that call: it waits for the next slot
    outcome = escalator(h).run()
    assert outcome.deferred == 1 and len(voice.calls) == 1
    h.clock.advance(3 * 60)
    escalator(h).run()
    assert len(voice.calls) == 2 and "MemoryFull" in voice.calls[1].body


def test_voice_is_off_without_an_origination_identity(aws: Any, slack: Any, tmp_path: Path) -> None:
    h = world(aws, slack, tmp_path)
    h.service.handle_body(alarm_body(name="DiskFull", severity="critical"))
    h.clock.advance(10 * 60)
    outcome = escalator(h, identity="").run()
    assert (outcome.voice_failures, outcome.sms) == (1, 1)  # the call step moved on to the text at once
    assert any("voice calls are off" in text for text in thread(h))


def test_the_escalator_publishes_its_paging_metrics(
    aws: Any, slack: Any, tmp_path: Path, voice: VoiceStandIn, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    h = world(aws, slack, tmp_path, '[[oncall-backup], ["call:oncall-secondary"]]')
    h.service.handle_body(alarm_body(name="DiskFull", severity="critical"))
    h.clock.advance(10 * 60)
    app = load_handler("escalator")
    built = escalator(h)
    monkeypatch.setattr(app, "build_escalator", lambda: built)
    no_schedules = Handoffs([], {}, OnCallNow({}, None), MemoryStore(), None)
    monkeypatch.setattr(app, "build_handoffs", lambda: no_schedules)
    monkeypatch.setattr(app, "build_heartbeat_sweep", lambda: None)
    no_alerts = MemoryStore()  # the OpenAlerts gauge's lines are test_open_alerts.py's
    monkeypatch.setattr(
        app, "build_open_alerts_gauge", lambda: OpenAlertsGauge(no_alerts, no_alerts, h.clock)
    )
    capsys.readouterr()
    assert app.lambda_handler({}, LambdaContext())["calls"] == 1
    [doc] = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    [directive] = doc["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "AlertRouter" and doc["service"] == "alertrouter-escalator"
    values = {m["Name"]: doc[m["Name"]] for m in directive["Metrics"]}
    assert (values["EscalationSmsFailed"], values["EscalationCalls"], values["EscalationVoiceFailed"]) == (
        [1.0],
        [1.0],
        [0.0],
    )

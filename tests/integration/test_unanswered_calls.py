"""An unanswered page call moves its escalation on at once, on moto (DynamoDB, SNS, Secrets Manager), the
Slack stand-in and the SendVoiceMessage stand-in: the escalator calls, End User Messaging's delivery event for
that call reaches the router's service as a queue body, and the escalator's next run pages the next step
without waiting for the step's `after`. Late, duplicated and answered events change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alertrouter.aws import Clients, SecretCache
from alertrouter.composition.escalator import voice_caller
from alertrouter.escalate import Escalator
from alertrouter.models.settings import EscalatorSettings
from alertrouter.models.state import EscalationState
from alertrouter.notify.slack import SlackClient
from support.events import alarm_body, voice_status_body
from support.harness import Harness, make_harness
from support.voice_standin import PHONE_NUMBER, PlacedCall, VoiceStandIn

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
      escalation: {after: 10m, steps: [["call:oncall-secondary"], [oncall-primary]]}
receivers:
  - name: team
    slack: [{channel: "#team"}]
  - name: pager
    slack: [{channel: "#oncall"}]
    sms: [oncall-primary]
"""
PRIMARY = "+15555550100"  # oncall-primary in the stack's fake numbers secret (the router's first page too)


@pytest.fixture
def voice(monkeypatch: pytest.MonkeyPatch) -> Iterator[VoiceStandIn]:
    with VoiceStandIn() as standin:
        monkeypatch.setenv("AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2", standin.url)
        yield standin


def escalator(h: Harness) -> Escalator:
    settings = EscalatorSettings(
        table_name=h.stack.table_name,
        sms_numbers_secret=h.stack.sms_secret,
        voice_origination_identity=PHONE_NUMBER,
    )
    clients = Clients(h.session)
    router = h.service.router
    slack = SlackClient(lambda: "xoxb-test", h.slack.url, timeout=(1.0, 1.0), min_interval=0.0)
    calls = voice_caller(clients, SecretCache(lambda: clients.secretsmanager), settings)
    return Escalator(router.stores, router.sms, slack, voice=calls, account_label="test", now_ms=h.clock)


def texted() -> list[str]:
    from moto.backends import get_backend

    return [v[0] for v in get_backend("sns")["123456789012"]["us-east-1"].sms_messages.values()]


def thread(h: Harness) -> list[str]:
    [page] = h.slack.channel_messages("#oncall")
    return [reply.text for reply in page.replies]


def the_escalation(h: Harness) -> EscalationState:
    [escalation] = h.service.router.stores.escalations.escalations()
    return escalation


def called(h: Harness, voice: VoiceStandIn) -> PlacedCall:
    """The alarm paged, its first step (the call) placed 10 minutes later."""
    h.service.handle_body(alarm_body(name="DiskFull", severity="critical"))
    h.clock.advance(10 * 60)
    assert escalator(h).run().calls == 1
    [call] = voice.calls
    return call


def told(h: Harness, call: PlacedCall, event_type: str = "VOICE_NO_ANSWER") -> None:
    h.service.handle_body(voice_status_body(call.message_id, call.request["Context"], event_type))


def test_an_unanswered_call_moves_on_to_the_next_step_at_once(
    aws: Any, slack: Any, tmp_path: Path, voice: VoiceStandIn
) -> None:
    h = make_harness(aws, slack, tmp_path, CONFIG)
    call = called(h, voice)
    assert call.request["Context"]["to"] == "oncall-secondary"
    waiting = the_escalation(h)
    assert waiting.next_ms == h.clock() + 10 * 60_000  # the next step after `after`, as before
    h.clock.advance(40)
    told(h, call, "VOICE_RINGING")
    told(h, call, "VOICE_NO_ANSWER")
    assert the_escalation(h).next_ms == h.clock()  # due now
    assert thread(h)[-1] == "📵 oncall-secondary did not answer: moving on to step 2 of 2 now"
    [entry] = [
        e for e in h.service.router.stores.history.history(waiting.key) if e["kind"] == "call_unanswered"
    ]
    assert (entry["to"], entry["from_step"], entry["to_step"]) == ("oncall-secondary", 1, 2)
    h.clock.advance(60)
    outcome = escalator(h).run()  # a minute later, not ten
    assert outcome.sms == 1 and texted() == [PRIMARY, PRIMARY]
    assert thread(h)[-1] == "📟 Not acknowledged: paged oncall-primary (escalation step 2 of 2)"


def test_an_answered_call_changes_nothing(aws: Any, slack: Any, tmp_path: Path, voice: VoiceStandIn) -> None:
    h = make_harness(aws, slack, tmp_path, CONFIG)
    call = called(h, voice)
    before, lines = the_escalation(h), thread(h)
    h.clock.advance(40)
    for status in ("VOICE_INITIATED", "VOICE_RINGING", "VOICE_ANSWERED", "VOICE_COMPLETED"):
        told(h, call, status)
    assert the_escalation(h) == before and thread(h) == lines
    h.clock.advance(60)
    assert escalator(h).run().sms == 0 and texted() == [PRIMARY]


def test_a_duplicated_no_answer_changes_nothing(
    aws: Any, slack: Any, tmp_path: Path, voice: VoiceStandIn
) -> None:
    h = make_harness(aws, slack, tmp_path, CONFIG)
    call = called(h, voice)
    h.clock.advance(40)
    told(h, call)
    moved, lines = the_escalation(h), thread(h)
    h.clock.advance(5)
    told(h, call)  # before the escalator's next run: already due
    assert the_escalation(h) == moved and thread(h) == lines
    h.clock.advance(60)
    escalator(h).run()
    after_run, lines = the_escalation(h), thread(h)
    told(h, call)  # after it: the escalation is past that step
    assert the_escalation(h) == after_run and thread(h) == lines
    assert texted() == [PRIMARY, PRIMARY]


def test_a_no_answer_after_an_acknowledgement_changes_nothing(
    aws: Any, slack: Any, tmp_path: Path, voice: VoiceStandIn
) -> None:
    h = make_harness(aws, slack, tmp_path, CONFIG)
    call = called(h, voice)
    before = the_escalation(h)
    group = h.service.router.stores.groups.get_group(before.key)
    assert group is not None
    h.clock.advance(30)
    h.service.router.stores.clicks.acknowledge(
        group.key, "U0ONCALL1", h.clock(), ack=True, episode=group.episode
    )
    lines = thread(h)
    h.clock.advance(30)
    told(h, call)
    assert the_escalation(h) == before and thread(h) == lines


def test_a_late_no_answer_changes_nothing(aws: Any, slack: Any, tmp_path: Path, voice: VoiceStandIn) -> None:
    h = make_harness(aws, slack, tmp_path, CONFIG)
    call = called(h, voice)
    h.clock.advance(10 * 60)
    escalator(h).run()  # the escalation moved on by itself: the next step was paged
    assert texted() == [PRIMARY, PRIMARY]
    after, lines = the_escalation(h), thread(h)
    told(h, call)
    assert the_escalation(h) == after and thread(h) == lines


def test_a_voice_event_of_another_account_is_refused(
    aws: Any, slack: Any, tmp_path: Path, voice: VoiceStandIn
) -> None:
    h = make_harness(
        aws, slack, tmp_path, CONFIG, account_id="123456789012", allowed_source_account_ids="210987654321"
    )
    call = called(h, voice)
    before = the_escalation(h)
    body = voice_status_body(call.message_id, call.request["Context"]).replace(
        '"123456789012"', '"210987654321"'
    )
    h.service.handle_body(body)
    assert the_escalation(h) == before
    assert h.service.counts["RefusedEvents"] == 1

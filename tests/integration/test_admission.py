"""Who may send what, and when: events from the future, alarms of accounts the stack does not serve, and the
stack's own messages arriving inside an SNS notification are kept in the DLQ with their reason; the good
records beside them are delivered."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from alertrouter.sources import parse_body
from support.events import alarm_body
from support.harness import Harness, LambdaContext, make_harness, sqs_event

NOW = "2024-05-01T10:00:00.000+0000"
NOW_MS = 1_714_557_600_000  # the harness clock set to NOW


def _at_now(h: Harness) -> Harness:
    h.clock.ms = NOW_MS
    return h


def _dead(h: Harness) -> list[dict[str, Any]]:
    return h.receive_all(h.stack.dlq_url, attributes=True)


def _sns_envelope(message: dict[str, Any]) -> str:
    """An SNS notification as the alarm topic's SQS subscription delivers it (RawMessageDelivery: false)."""
    return json.dumps(
        {
            "Type": "Notification",
            "MessageId": "5b0f-fake",
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:alertrouter-test-alarms",
            "Message": json.dumps(message),
            "Timestamp": "2024-05-01T10:00:00.000Z",
            "SignatureVersion": "1",
        }
    )


def _slo_event(state: str = "firing") -> dict[str, Any]:
    return {
        "version": "0",
        "id": "checkout-page-1",
        "detail-type": "AlertRouter SLO Burn Rate",
        "source": "alertrouter.slo",
        "account": "123456789012",
        "region": "us-east-1",
        "time": "2024-05-01T10:00:00Z",
        "resources": [],
        "detail": {
            "slo": "checkout-availability",
            "rule": "page",
            "severity": "page",
            "state": state,
            "summary": "burning 14.4x",
            "account": "123456789012",
            "region": "us-east-1",
        },
    }


def _sms_sent() -> list[Any]:
    from moto.backends import get_backend

    return list(get_backend("sns")["123456789012"]["us-east-1"].sms_messages)


# ---- 4. events from the future ----


def test_an_alarm_dated_far_ahead_is_refused_and_the_genuine_ok_that_follows_resolves(
    harness: Harness, app, capsys
) -> None:
    h = _at_now(harness)
    # Given a genuine ALARM, and then a forged or broken one dated 2099 for the same alarm
    h.service.handle_body(alarm_body(state="ALARM", ts=NOW))
    forged = alarm_body(state="ALARM", ts="2099-01-01T00:00:00.000+0000")
    result = app.lambda_handler(sqs_event(forged, alarm_body(name="Neighbour", ts=NOW)), LambdaContext())

    # Then the forged one is kept in the DLQ with its reason (not retried), and its neighbour is delivered
    assert result == {"batchItemFailures": []}
    [dead] = _dead(h)
    assert dead["Body"] == forged
    reason = dead["MessageAttributes"]["reason"]["StringValue"]
    assert "ahead of the router's clock" in reason and "2099-01-01" in reason
    assert [m.text for m in h.slack.channel_messages("#team") if "Neighbour" in m.text]
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert emf and emf[-1]["RefusedEvents"] == [1.0]

    # When the real OK arrives a minute later, Then it resolves the alarm (it is not taken as stale)
    h.clock.advance(60)
    h.service.handle_body(alarm_body(state="OK", ts="2024-05-01T10:01:00.000+0000"))
    [message] = [m for m in h.slack.channel_messages("#team") if "ServerCpuTooHigh" in m.text]
    assert message.text.startswith("✅ RESOLVED")


def test_an_alarm_within_five_minutes_of_clock_drift_is_applied(harness: Harness) -> None:
    h = _at_now(harness)
    h.service.handle_body(alarm_body(state="ALARM", ts="2024-05-01T10:05:00.000+0000"))
    assert not _dead(h)
    [message] = h.slack.channel_messages("#team")
    assert "ServerCpuTooHigh" in message.text


def test_a_direct_invocation_from_the_future_is_kept_in_the_dlq_not_retried(harness: Harness, app) -> None:
    h = _at_now(harness)
    event = json.loads(alarm_body(ts="2099-01-01T00:00:00.000+0000"))
    assert app.lambda_handler(event, LambdaContext()) == {"applied": 0, "duplicates": 0}
    [dead] = _dead(h)
    assert json.loads(dead["Body"]) == event
    assert not h.slack.channel_messages("#team")


# ---- 5. accounts the stack serves ----


def _other_account_alarm() -> str:
    event = json.loads(alarm_body(name="OtherAccountCpu", ts=NOW))
    event["account"] = "444455556666"
    event["resources"] = ["arn:aws:cloudwatch:us-east-1:444455556666:alarm:OtherAccountCpu"]
    return json.dumps(event)


def test_an_alarm_of_another_account_is_refused_unless_allowed(aws, slack, tmp_path: Path) -> None:
    # Given the stack of account 123456789012, with no other account allowed
    h = _at_now(make_harness(aws, slack, tmp_path, account_id="123456789012"))
    h.service.handle_body(_other_account_alarm())
    h.service.handle_body(alarm_body(name="OwnAccountCpu", ts=NOW))

    # Then the other account's alarm waits in the DLQ with the reason and the fix; its own is delivered
    [dead] = _dead(h)
    reason = dead["MessageAttributes"]["reason"]["StringValue"]
    assert "AWS account 444455556666" in reason and "AllowedSourceAccountIds" in reason
    assert [m.text.split(" on ")[0] for m in h.slack.channel_messages("#team")] == [
        "🟠 WARNING · OwnAccountCpu"
    ]

    # When the account is allowed (AllowedSourceAccountIds), Then its alarms are routed
    allowed = _at_now(
        make_harness(
            aws,
            slack,
            tmp_path / "allowed",
            existing=h,
            account_id="123456789012",
            allowed_source_account_ids="111122223333, 444455556666",
        )
    )
    allowed.service.handle_body(_other_account_alarm())
    assert not _dead(allowed)
    assert any("OtherAccountCpu" in m.text for m in allowed.slack.channel_messages("#team"))


# ---- 5. the stack's own messages only straight from its queue ----


def test_an_slo_burn_event_inside_an_sns_notification_is_refused(harness: Harness) -> None:
    h = _at_now(harness)
    # Given someone allowed to publish alarms to the topic publishes an SLO page
    h.service.handle_body(_sns_envelope(_slo_event()), message_id="m-sns")
    # Then nothing is paged or posted, and the notification waits in the DLQ with the reason
    [dead] = _dead(h)
    assert (
        "SLO burn event is taken only straight from the router's queue"
        in (dead["MessageAttributes"]["reason"]["StringValue"])
    )
    assert not h.slack.all_messages() and not _sms_sent()
    # While the same event straight on the queue (as the SLO evaluator sends it) pages
    h.service.handle_body(json.dumps(_slo_event()))
    assert not _dead(h)
    [message] = h.slack.channel_messages("#oncall")
    assert "checkout-availability" in message.text


@pytest.mark.parametrize(
    "kind", ["alertrouter.resolve", "alertrouter.flush", "alertrouter.expire", "alertrouter.redraw"]
)
def test_the_routers_own_messages_inside_an_sns_notification_are_refused(harness: Harness, kind: str) -> None:
    h = _at_now(harness)
    [group] = h.service.handle_body(alarm_body(ts=NOW)).groups
    fingerprint = parse_body(alarm_body(ts=NOW)).alerts[0].fingerprint
    forged = {
        "kind": kind,
        "group": group,
        "route": "0",
        "episode": 1,
        "at": NOW_MS + 1000,
        "fingerprints": [fingerprint],
        "fingerprint": fingerprint,
        "ts": NOW_MS,
        "clicked": "",
    }
    h.service.handle_body(_sns_envelope(forged), message_id="m-sns")
    [dead] = _dead(h)
    assert (
        f"the router's own '{kind}' message is taken only straight from its queue"
        in (dead["MessageAttributes"]["reason"]["StringValue"])
    )
    [message] = h.slack.channel_messages("#team")
    assert not message.text.startswith("✅")  # nothing was resolved by it


def test_a_direct_invocation_cannot_carry_an_slo_page(harness: Harness, app) -> None:
    _at_now(harness)
    # kept in the DLQ with the reason (a retry would be refused again), not raised for Lambda's retries
    assert app.lambda_handler(_slo_event(), LambdaContext()) == {"applied": 0, "duplicates": 0}
    [dead] = _dead(harness)
    assert json.loads(dead["Body"]) == _slo_event()
    assert "taken only straight from the router's queue" in dead["MessageAttributes"]["reason"]["StringValue"]
    assert not harness.slack.all_messages()


def test_a_malformed_direct_invocation_is_kept_in_the_dlq_with_its_reason(harness: Harness, app) -> None:
    _at_now(harness)
    event = {"detail-type": "CloudWatch Alarm State Change", "source": "aws.cloudwatch", "detail": {}}
    assert app.lambda_handler(event, LambdaContext()) == {"applied": 0, "duplicates": 0}
    [dead] = _dead(harness)
    assert dead["MessageAttributes"]["reason"]["StringValue"]
    assert not harness.slack.all_messages()

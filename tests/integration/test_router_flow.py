"""The router end to end on moto and the Slack stand-in: what on-call people see, once and only once."""

from __future__ import annotations

import json

import pytest

from alertrouter.sources import parse_body
from support.events import alarm_body, event_text
from support.harness import FAST_CONFIG, Harness, LambdaContext, make_harness, queued, sqs_event

pytestmark = pytest.mark.integration


def test_fire_posts_once_repeat_does_not_resolve_updates_same_message(harness: Harness) -> None:
    # Given an alarm that fires
    harness.service.handle_body(alarm_body(ts="2024-05-01T10:00:00.000+0000"))
    [message] = harness.slack.channel_messages("#team")
    assert "ServerCpuTooHigh" in message.text and "WARNING" in message.text
    assert message.metadata["event_type"] == "alertrouter_group"
    # When the same event is delivered again, Then nothing new is sent
    harness.service.handle_body(alarm_body(ts="2024-05-01T10:00:00.000+0000"))
    assert harness.slack.count("chat.postMessage") == 1 and message.edits == 0
    # When it repeats (newer ALARM), Then no new post: the count goes up on the same message
    harness.clock.advance(60)
    harness.service.handle_body(alarm_body(ts="2024-05-01T10:01:00.000+0000"))
    assert len(harness.slack.channel_messages("#team")) == 1
    assert message.edits == 1
    assert "*Fired*\n2 times" in json.dumps(message.attachments).replace("\\n", "\n")
    # When it resolves 14 minutes after it started, Then the same message turns green, with a thread note
    harness.clock.advance(60)
    harness.service.handle_body(alarm_body(state="OK", ts="2024-05-01T10:14:00.000+0000"))
    assert len(harness.slack.channel_messages("#team")) == 1
    assert message.edits == 2
    assert message.text.startswith("✅ RESOLVED") and "after 14 min" in message.text
    assert message.attachments[0]["color"] == "#2EB67D"
    assert all(b["type"] != "actions" for b in message.attachments[0]["blocks"])  # no buttons once resolved
    assert any("resolved after 14 min" in r.text for r in message.replies)


def test_out_of_order_ok_before_alarm_ends_resolved_and_silent(harness: Harness) -> None:
    # Given the OK (10:05) arrives before the ALARM (10:00) it follows
    harness.service.handle_body(alarm_body(state="OK", ts="2024-05-01T10:05:00.000+0000"))
    harness.service.handle_body(alarm_body(state="ALARM", ts="2024-05-01T10:00:00.000+0000"))
    # Then the stored state is resolved and nobody was told about a problem that is over
    fingerprint = parse_body(alarm_body()).alerts[0].fingerprint
    state = harness.service.router.stores.alerts.get_alert(fingerprint)
    assert state is not None and state.status == "resolved"
    assert (
        state.ts_ms
        == parse_body(alarm_body(state="OK", ts="2024-05-01T10:05:00.000+0000")).alerts[0].timestamp_ms
    )
    assert harness.slack.count("chat.postMessage") == 0


def test_resolved_then_firing_again_starts_a_new_message(harness: Harness) -> None:
    harness.service.handle_body(alarm_body(ts="2024-05-01T10:00:00.000+0000"))
    harness.service.handle_body(alarm_body(state="OK", ts="2024-05-01T10:10:00.000+0000"))
    harness.service.handle_body(alarm_body(ts="2024-05-01T11:00:00.000+0000"))
    first, second = harness.slack.channel_messages("#team")
    assert first.text.startswith("✅ RESOLVED")
    assert "WARNING · ServerCpuTooHigh" in second.text
    # a late duplicate of the old OK does not resolve the new episode
    harness.service.handle_body(alarm_body(state="OK", ts="2024-05-01T10:10:00.000+0000"))
    assert "WARNING" in second.text and second.edits == 0


def test_critical_pages_by_sms_once_and_masks_the_number(harness: Harness, log_lines) -> None:
    harness.service.handle_body(alarm_body(name="DiskFull", severity="critical"))
    harness.service.handle_body(
        alarm_body(name="DiskFull", severity="critical", ts="2024-05-01T10:01:00.000+0000")
    )
    from moto.backends import get_backend

    sent = get_backend("sns")["123456789012"]["us-east-1"].sms_messages
    assert len(sent) == 1  # the repeat does not page again
    [(number, text)] = [(v[0], v[1]) for v in sent.values()]
    assert number == "+15555550100" and len(text) <= 160 and "DiskFull" in text
    assert len(harness.slack.channel_messages("#oncall")) == 1
    logs = log_lines.getvalue()
    assert "SMS sent" in logs and "+*********00" in logs
    assert "+15555550100" not in logs


def test_nodata_is_a_warning_and_never_paged(harness: Harness) -> None:
    harness.service.handle_body(alarm_body(name="Quiet", state="INSUFFICIENT_DATA", severity="critical"))
    from moto.backends import get_backend

    assert not get_backend("sns")["123456789012"]["us-east-1"].sms_messages
    [message] = harness.slack.channel_messages("#oncall")  # routes like the alarm, so later states edit it
    assert message.text.startswith("⚪ NO DATA")


@pytest.mark.parametrize("fault", ["429", "500", "timeout"])
def test_slack_faults_are_retried_and_delivered_once(harness: Harness, fault: str) -> None:
    # Given Slack fails the first post (a timeout after Slack already posted is the nasty case)
    harness.slack.faults = [fault]
    harness.service.handle_body(alarm_body())
    # Then exactly one message exists
    assert len(harness.slack.channel_messages("#team")) == 1
    assert harness.slack.retry_after_violations == 0
    if fault == "timeout":
        assert harness.slack.count("conversations.history") >= 1  # it looked before posting again
        assert harness.slack.count("chat.postMessage", ok_only=False) == 1


def test_slack_down_hands_the_record_back_then_delivers_once(harness: Harness) -> None:
    from alertrouter.notify.base import NotifyError

    harness.slack.faults = ["500", "500", "500", "500", "500", "500"]
    with pytest.raises(NotifyError) as caught:
        harness.service.handle_body(alarm_body())
    assert caught.value.retryable
    assert harness.slack.count("chat.postMessage") == 0
    # SQS redelivers the record later, when Slack is back: delivered once
    harness.slack.faults.clear()
    harness.clock.advance(30)
    harness.service.handle_body(alarm_body())
    assert len(harness.slack.channel_messages("#team")) == 1


def test_long_retry_after_is_handed_back_with_the_wait(harness: Harness) -> None:
    from alertrouter.notify.base import NotifyError

    harness.slack.retry_after = 30
    harness.slack.faults = ["429"]
    with pytest.raises(NotifyError) as caught:
        harness.service.handle_body(alarm_body())
    assert caught.value.retryable and caught.value.retry_after == 30
    assert harness.slack.count("chat.postMessage", ok_only=False) == 1  # no call before Retry-After passed


def test_group_wait_schedules_one_delayed_flush_for_a_storm(aws, slack, tmp_path) -> None:
    h = make_harness(
        aws,
        slack,
        tmp_path,
        FAST_CONFIG.replace(
            "group_by: [alertname, account, region]\n  group_wait: 0s",
            "group_by: [account]\n  group_wait: 30s",
        ),
    )
    # Given 20 alarms fire at once in one group
    for i in range(20):
        h.service.handle_body(alarm_body(name=f"Alarm{i:02d}", instance=f"i-{i:04d}"))
    # Then nothing is posted yet and exactly one delayed flush is waiting on the queue
    assert h.slack.count("chat.postMessage") == 0
    [(flush, delay)] = queued(h, h.stack.queue_url)
    assert json.loads(flush)["kind"] == "alertrouter.flush" and 29 <= delay <= 30
    # When the flush arrives after the wait, Then one grouped message lists them all
    h.clock.advance(30)
    h.service.handle_body(flush)
    [message] = h.slack.channel_messages("#team")
    assert message.text.startswith(
        "🟠 WARNING · 20 EC2 CPU alarms firing in account 123456789012 (us-east-1)"
    )
    assert "…and 10 more" in json.dumps(message.attachments, ensure_ascii=False)


def test_group_interval_batches_later_changes(aws, slack, tmp_path) -> None:
    h = make_harness(aws, slack, tmp_path, FAST_CONFIG.replace("send_changes: at_once", "group_interval: 5m"))
    h.service.handle_body(alarm_body())
    assert h.slack.count("chat.postMessage") == 1
    h.clock.advance(60)
    h.service.handle_body(alarm_body(state="OK", ts="2024-05-01T10:01:00.000+0000"))
    # within group_interval: not yet edited; a flush is scheduled for the rest of the interval
    [message] = h.slack.channel_messages("#team")
    assert message.edits == 0
    # (the other message on the queue is the group's repeat_interval look, 4 h on, in 15-minute hops)
    [(flush, delay)] = [(body, delay) for body, delay in queued(h, h.stack.queue_url) if delay < 900]
    assert 239 <= delay <= 240  # the rest of the 5 minutes since the first post: its next tick
    h.clock.advance(60)
    h.service.handle_body(flush)  # early (a clock skew): scheduled again for what is left
    assert message.edits == 0
    [(again, delay)] = [(body, delay) for body, delay in queued(h, h.stack.queue_url) if delay < 900]
    assert 179 <= delay <= 180
    h.clock.advance(180)
    h.service.handle_body(again)
    assert message.edits == 1 and message.text.startswith("✅ RESOLVED")


def test_malformed_record_goes_to_dlq_with_reason_neighbours_delivered(harness: Harness, app, capsys) -> None:
    event = sqs_event(
        alarm_body(name="First"),
        "{this is not json",
        alarm_body(name="Second"),
        event_text("eventbridge_cw_alarm_configuration_change_create_composite_awsdocs.json"),
    )

    result = app.lambda_handler(event, LambdaContext())
    assert result == {"batchItemFailures": []}  # kept in the DLQ, not retried pointlessly
    assert {m.text.split(" · ")[1].split(" ")[0] for m in harness.slack.channel_messages("#team")} == {
        "First",
        "Second",
    }
    [dead] = harness.receive_all(harness.stack.dlq_url, attributes=True)
    assert dead["Body"] == "{this is not json"
    assert "not JSON" in dead["MessageAttributes"]["reason"]["StringValue"]
    assert dead["MessageAttributes"]["source_message_id"]["StringValue"] == "m-1"
    # and it was counted: the handler's EMF line carries MalformedEvents = 1
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert emf and emf[-1]["MalformedEvents"] == [1.0] and emf[-1]["IgnoredEvents"] == [1.0]


def test_retryable_failure_is_reported_as_a_batch_item_failure(harness: Harness, app) -> None:
    harness.slack.faults = ["ok", "500", "500", "500", "500"]

    result = app.lambda_handler(sqs_event(alarm_body(name="A"), alarm_body(name="B")), LambdaContext())
    assert result == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert [m.text.split(" · ")[1].split(" ")[0] for m in harness.slack.channel_messages("#team")] == ["A"]


def test_direct_alarm_action_invocation_is_routed(harness: Harness, app) -> None:

    # Given CloudWatch invokes the router directly as an alarm action (the `alarmData` shape)
    event = json.loads(event_text("lambda_alarm_action_composite_ALARM_powertools.json"))
    result = app.lambda_handler(event, LambdaContext())
    # Then it is applied and posted, and a second identical invocation changes nothing
    assert result == {"applied": 1, "duplicates": 0}
    assert app.lambda_handler(event, LambdaContext()) == {"applied": 0, "duplicates": 1}
    [message] = harness.slack.channel_messages("#team")
    assert "CompositeDemo.Main" in message.text


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('{"kind": "alertrouter.flush", "group": 7}', "flush message without group and route"),
        (
            '{"kind": "alertrouter.redraw", "group": "g", "episode": "1"}',
            "redraw message without group and episode",
        ),
    ],
)
def test_malformed_own_message_goes_to_the_dlq(harness: Harness, body: str, reason: str) -> None:
    harness.service.handle_body(body, message_id="m-9")
    [dead] = harness.receive_all(harness.stack.dlq_url, attributes=True)
    assert dead["MessageAttributes"]["reason"]["StringValue"] == reason


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            '{"kind": "alertrouter.refresh", "group": "g"}',
            "unknown kind of the router's own message: 'alertrouter.refresh'",
        ),
        ('{"kind": "alertrouter.flush", "route": "0", "due": 1}', "flush message without group and route"),
        (
            '{"kind": "alertrouter.resolve", "group": "g", "episode": 1}',
            "resolve message without group, episode and time",
        ),
        (
            '{"kind": "alertrouter.resolve", "group": "g", "episode": true, "at": 5}',
            "resolve message without group, episode and time",
        ),
        (
            '{"kind": "alertrouter.expire", "fingerprint": "abc", "ts": 1.5}',
            "expire message without fingerprint and ts",
        ),
        (
            '{"kind": "alertrouter.expire", "fingerprint": null, "ts": 1}',
            "expire message without fingerprint and ts",
        ),
        ('{"kind": "alertrouter.redraw", "episode": 1}', "redraw message without group and episode"),
    ],
)
def test_an_unknown_or_ill_typed_own_message_is_kept_in_the_dlq_and_counted(
    harness: Harness, app, capsys, body: str, reason: str
) -> None:
    # Given one of the router's own messages it cannot carry out, between two alarms in one batch
    result = app.lambda_handler(
        sqs_event(alarm_body(name="First"), body, alarm_body(name="Second")), LambdaContext()
    )
    # Then it is kept in the DLQ with its reason (not retried), and its neighbours are delivered
    assert result == {"batchItemFailures": []}
    assert {m.text.split(" · ")[1].split(" ")[0] for m in harness.slack.channel_messages("#team")} == {
        "First",
        "Second",
    }
    [dead] = harness.receive_all(harness.stack.dlq_url, attributes=True)
    assert dead["Body"] == body
    assert dead["MessageAttributes"]["reason"]["StringValue"] == reason
    assert dead["MessageAttributes"]["source_message_id"]["StringValue"] == "m-1"
    # and counted: the handler's EMF line carries MalformedEvents = 1
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert emf and emf[-1]["MalformedEvents"] == [1.0]


def test_crash_after_slack_posted_but_before_it_was_recorded_does_not_post_twice(
    harness: Harness, monkeypatch
) -> None:
    store = harness.service.router.stores.leases
    real_save = store.save_progress
    crashed = []

    def save_then_die(key, lease, changes):  # the process dies right after Slack answered the post
        if "slack_ts" in changes and not crashed:
            crashed.append(key)
            raise RuntimeError("Lambda timed out")
        return real_save(key, lease, changes)

    monkeypatch.setattr(store, "save_progress", save_then_die)
    with pytest.raises(RuntimeError):
        harness.service.handle_body(alarm_body())
    assert len(harness.slack.channel_messages("#team")) == 1
    # When SQS redelivers the record, Then the router finds its message instead of posting again
    harness.service.handle_body(alarm_body())
    assert len(harness.slack.channel_messages("#team")) == 1
    assert harness.slack.count("conversations.history") == 1
    # and later changes edit that message
    harness.service.handle_body(alarm_body(state="OK", ts="2024-05-01T10:14:00.000+0000"))
    [message] = harness.slack.channel_messages("#team")
    assert message.text.startswith("✅ RESOLVED")


def test_a_page_that_failed_for_one_recipient_is_not_sent_twice_to_the_other(aws, slack, tmp_path) -> None:
    from botocore.exceptions import ClientError
    from moto.backends import get_backend

    from alertrouter.notify.base import NotifyError

    h = make_harness(
        aws,
        slack,
        tmp_path,
        FAST_CONFIG.replace("sms: [oncall-primary]", "sms: [oncall-primary, oncall-secondary]"),
    )
    sns = h.service.router.sms.client
    real_publish = sns.publish
    failures = []

    def publish(**kwargs):  # SNS throttles the second number once
        if kwargs["PhoneNumber"].endswith("01") and not failures:
            failures.append(1)
            raise ClientError({"Error": {"Code": "Throttling", "Message": "slow down"}}, "Publish")
        return real_publish(**kwargs)

    h.service.router.sms.client = type("Sns", (), {"publish": staticmethod(publish)})()
    with pytest.raises(NotifyError) as caught:
        h.service.handle_body(alarm_body(name="DiskFull", severity="critical"))
    assert caught.value.retryable
    h.service.handle_body(alarm_body(name="DiskFull", severity="critical"))  # SQS redelivers
    numbers = [v[0] for v in get_backend("sns")["123456789012"]["us-east-1"].sms_messages.values()]
    assert sorted(numbers) == ["+15555550100", "+15555550101"]  # each paged exactly once
    assert len(h.slack.channel_messages("#oncall")) == 1


def test_a_pending_flush_survives_its_route_being_removed(aws, slack, tmp_path) -> None:
    h = make_harness(aws, slack, tmp_path, FAST_CONFIG.replace("group_wait: 0s", "group_wait: 30s"))
    h.service.handle_body(alarm_body(name="DiskFull", severity="critical"))
    [(flush, _)] = queued(h, h.stack.queue_url)
    assert json.loads(flush)["route"] == "0.0"
    # Given the config is redeployed without that route before the flush comes due
    later = make_harness(
        aws,
        slack,
        tmp_path / "v2",
        FAST_CONFIG.replace(
            "  routes:\n    - matchers: ['severity=\"critical\"']\n      receiver: pager\n", ""
        ),
        existing=h,
    )
    later.clock.ms = h.clock.ms + 31_000
    later.service.handle_body(flush)
    # Then the group is still delivered, to the receiver it was formed for
    [message] = slack.channel_messages("#oncall")
    assert "DiskFull" in message.text


def test_a_long_lived_group_forgets_alerts_once_their_resolution_was_announced(aws, slack, tmp_path) -> None:
    h = make_harness(
        aws,
        slack,
        tmp_path,
        FAST_CONFIG.replace("group_by: [alertname, account, region]", "group_by: [account]"),
    )
    # Given a group where A and B fire, then A resolves (announced in the message and its thread)
    h.service.handle_body(alarm_body(name="A", instance="i-a", ts="2024-05-01T10:00:00.000+0000"))
    h.service.handle_body(alarm_body(name="B", instance="i-b", ts="2024-05-01T10:01:00.000+0000"))
    h.service.handle_body(alarm_body(name="A", instance="i-a", state="OK", ts="2024-05-01T10:05:00.000+0000"))
    [message] = h.slack.channel_messages("#team")
    assert "1 firing, 1 resolved" in message.text
    # When the group changes again while B still fires
    h.service.handle_body(alarm_body(name="C", instance="i-c", ts="2024-05-01T10:10:00.000+0000"))
    # Then A is gone from the stored group and from the message, which lists only what matters now
    group = h.service.router.stores.groups.get_group(
        message.attachments[0]["blocks"][-1]["elements"][0]["value"].rpartition(":")[0]
    )
    assert group is not None
    assert sorted(m.title for m in group.members.values()) == ["B", "C"]
    assert message.text.startswith("🟠 WARNING · 2 EC2 CPU alarms firing") and "resolved" not in message.text
    # and if A fires again it simply joins again
    h.service.handle_body(alarm_body(name="A", instance="i-a", ts="2024-05-01T10:20:00.000+0000"))
    assert message.text.startswith("🟠 WARNING · 3 EC2 CPU alarms firing")

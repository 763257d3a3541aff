"""The webhook stage of a flush, on the in-memory store: sent after Slack on every flush that notifies, what the
message shows (muted alerts left out), send_resolved, progress saved per webhook (a crash never resends), a
failure recorded and healed with the current state, and one batched read of the alerts sent."""

from __future__ import annotations

from typing import Any

import pytest

from alertrouter.config import parse_config
from alertrouter.flush.outcome import Outcome
from alertrouter.flush.stage import Flush
from alertrouter.flush.webhook_progress import Sendable, due
from alertrouter.models.state import AlertState, GroupState, Notified, WebhookMark
from alertrouter.notify.base import NotifyError
from alertrouter.router import Router
from support.clock import Clock
from support.fakes import Scheduler, Slack, Webhooks, alert, router
from support.memory_store import MemoryStore

ROUTE = """
route:
  receiver: team
  group_by: [region]
  group_wait: 0s
  send_changes: at_once
"""
CONFIG = (
    ROUTE
    + """receivers:
  - name: team
    slack: [{channel: "#team"}]
    webhook_configs:
      - url: https://one.example/hook
      - url: https://two.example/hook?sig=abc
        send_resolved: false
"""
)
ONE, TWO = (t.id for t in parse_config(CONFIG).receivers[0].webhook_configs)


class World:
    def __init__(self, config: str = CONFIG) -> None:
        self.store, self.slack, self.clock, self.scheduler = MemoryStore(), Slack(), Clock(), Scheduler()
        self.hooks = Webhooks()
        self.router: Router = router(
            config, self.store, self.slack, self.scheduler, self.clock, webhooks=self.hooks
        )

    def fire(self, name: str, minute: int, state: str = "ALARM", severity: str = "warning") -> Outcome:
        self.clock.advance(1)
        return self.router.handle(alert(name, state=state, minute=minute, severity=severity))

    @property
    def group(self) -> GroupState:
        [group] = self.store.groups.values()
        return group

    def kinds(self) -> list[str]:
        return [e["kind"] for e in self.store.history(self.group.key)]


def statuses(message: dict[str, Any]) -> list[tuple[str, str]]:
    return [(a["labels"]["alertname"], a["status"]) for a in message["alerts"]]


def test_every_webhook_gets_each_notification_after_slack_and_resolves_only_if_it_wants_them() -> None:
    w = World()
    # When an alarm fires, Then Slack is posted first, then each webhook gets the v4 message
    outcome = w.fire("DiskFull", 0)
    assert w.slack.posts == ["#team"] and outcome.webhooks_sent == 2
    assert w.kinds()[:3] == ["slack_post", "webhook", "webhook"]
    [one] = w.hooks.to(ONE)
    assert one["version"] == "4" and one["status"] == "firing" and statuses(one) == [("DiskFull", "firing")]
    assert one["groupLabels"] == w.group.group_labels and one["receiver"] == "team"
    # When a second alarm of the group fires, Then both webhooks hear of both
    w.fire("CpuHigh", 1)
    assert (
        statuses(w.hooks.to(ONE)[-1])
        == statuses(w.hooks.to(TWO)[-1])
        == [("DiskFull", "firing"), ("CpuHigh", "firing")]
    )
    # When one resolves, Then the webhook with send_resolved hears it; to the other, as in Alertmanager, a resolve
    # is no news (the alerts still firing were all shown firing)
    w.fire("DiskFull", 2, state="OK")
    assert statuses(w.hooks.to(ONE)[-1]) == [("DiskFull", "resolved"), ("CpuHigh", "firing")]
    assert len(w.hooks.to(TWO)) == 2
    # When the other resolves, Then only the webhook that wants resolves is sent (the other: nothing)
    w.fire("CpuHigh", 3, state="OK")
    assert w.hooks.to(ONE)[-1]["status"] == "resolved" and len(w.hooks.to(ONE)) == 4
    assert len(w.hooks.to(TWO)) == 2
    assert w.group.webhooks.done[TWO].version == w.group.version  # up to date: there was nothing for it


def test_a_flush_that_tells_nothing_new_sends_no_webhook() -> None:
    w = World()
    w.fire("DiskFull", 0)
    group = w.group
    w.clock.advance(60)
    w.router.flush(group.key, group.route_id)  # nothing changed since
    assert len(w.hooks.sent) == 2


MUTING = (
    ROUTE
    + """receivers:
  - name: team
    webhook_configs: [{url: https://one.example/hook}]
inhibit_rules:
  - source_matchers: ['alertname="RegionDown"']
    target_matchers: ['severity="warning"']
    equal: [region]
"""
)


def test_muted_alerts_are_left_out_as_alertmanager_leaves_out_inhibited_ones() -> None:
    w = World(MUTING)
    [hook] = w.router.config.receivers[0].webhook_configs
    w.fire("LatencyHigh", 0)
    assert statuses(w.hooks.to(hook.id)[-1]) == [("LatencyHigh", "firing")]
    # When the region goes down (inhibiting the warning), Then the webhook hears of the source alone
    w.fire("RegionDown", 1, severity="critical")
    assert statuses(w.hooks.to(hook.id)[-1]) == [("RegionDown", "firing")]
    # When the region is back, Then the warning is sent again (and the resolved source)
    w.fire("RegionDown", 2, state="OK", severity="critical")
    assert statuses(w.hooks.to(hook.id)[-1]) == [("LatencyHigh", "firing"), ("RegionDown", "resolved")]


def test_a_webhook_only_receiver_hears_the_resolve_of_what_it_was_told() -> None:
    w = World(MUTING)
    [hook] = w.router.config.receivers[0].webhook_configs
    w.fire("LatencyHigh", 0)
    w.fire("LatencyHigh", 1, state="OK")
    assert [m["status"] for m in w.hooks.to(hook.id)] == ["firing", "resolved"]


def test_a_crash_between_two_webhooks_never_sends_the_first_one_twice() -> None:
    w = World()
    w.hooks.fail[TWO] = [RuntimeError("the process died")]  # type: ignore[list-item]
    # When the flush dies after the first webhook, Then the error goes up (SQS brings the record back)
    with pytest.raises(RuntimeError):
        w.fire("DiskFull", 0)
    assert len(w.hooks.to(ONE)) == 1 and w.hooks.to(TWO) == []
    # When the flush is tried again, Then only the second webhook is sent (and Slack is not posted again)
    group = w.group
    w.router.flush(group.key, group.route_id)
    assert len(w.hooks.to(ONE)) == 1 and len(w.hooks.to(TWO)) == 1 and w.slack.posts == ["#team"]


def test_a_failing_webhook_is_recorded_retried_later_and_gets_the_current_state_once_healed() -> None:
    w = World()
    w.hooks.fail[ONE] = [NotifyError("HTTP 503: down", retryable=True, code="http_503")]
    outcome = w.fire("DiskFull", 0)
    # Then the other targets carry on, the failure is recorded, counted, and a look is scheduled a minute on
    assert w.slack.posts == ["#team"] and len(w.hooks.to(TWO)) == 1 and w.hooks.to(ONE) == []
    assert outcome.webhook_failures == {"http_503": 1}
    failure = w.group.webhooks.failed[ONE]
    assert (failure.error, failure.tries) == ("http_503", 1) and ONE not in w.group.webhooks.done
    assert w.group.muting.resume_at_ms == w.clock.ms + 60_000 and "webhook_failed" in w.kinds()
    # When another alarm joins meanwhile (within the minute), Then the failing webhook is not asked again
    w.fire("CpuHigh", 1)
    assert w.hooks.to(ONE) == [] and len(w.hooks.to(TWO)) == 2
    # When the look comes and it works again, Then it gets the group's current state, once
    w.clock.advance(60)
    group = w.group
    outcome = w.router.flush_due(group.key, group.route_id)
    [healed] = w.hooks.to(ONE)
    assert statuses(healed) == [("DiskFull", "firing"), ("CpuHigh", "firing")]
    assert outcome.webhooks_healed == 1 and w.group.webhooks.failed == {} and "webhook_healed" in w.kinds()
    assert len(w.hooks.to(TWO)) == 2 and w.slack.updates == ["ID#team"]  # the others are not touched


def test_one_batched_read_of_the_alerts_sent_per_flush_whatever_the_number_of_webhooks() -> None:
    w = World()
    reads: list[list[str]] = []
    alerts = w.store.stores().alerts
    real = alerts.get_alerts

    def counted(fingerprints: list[str]) -> dict[str, AlertState]:
        reads.append(list(fingerprints))
        return real(fingerprints)

    alerts.get_alerts = counted  # type: ignore[method-assign]
    w.router.use(w.store.stores())
    w.fire("DiskFull", 0)
    w.fire("CpuHigh", 1)
    assert [len(r) for r in reads] == [1, 2]  # one read per flush, for both webhooks
    w.clock.advance(60)
    group = w.group
    w.router.flush(group.key, group.route_id)  # nothing to send: nothing read
    assert len(reads) == 2


def test_the_rule_of_when_a_webhook_is_sent_is_alertmanagers() -> None:
    w = World()
    w.fire("DiskFull", 0)
    group = w.group.model_copy(
        update={"notified": {"a": Notified(status="firing"), "r": Notified(status="resolved")}}
    )
    flush = Flush(
        group,
        w.router.route_by_id("0", group),
        w.router.config.receivers[0],
        "l",
        5,
        group.version + 1,
        Outcome(),
    )
    told = WebhookMark(version=group.version, episode=group.episode, digest="d", at=1)

    def now(firing: set[str], resolved: set[str] = set(), held: str = "e") -> Sendable:  # noqa: B006
        return Sendable(frozenset(firing), frozenset(resolved), held)

    def sent(
        mark: WebhookMark | None, what: Sendable, send_resolved: bool = True, behind: bool = False
    ) -> bool:
        return due(flush, mark, what, send_resolved=send_resolved, behind=behind)

    assert sent(None, now({"a"})) and not sent(None, now(set(), {"a"}))  # never told: only what fires
    assert sent(told, now({"a", "b"}))  # a new alert fires
    assert not sent(told, now({"a"}))  # the same alert again (a higher count, a resolve undone): no news
    assert sent(told, now(set(), {"a"}))  # every alert resolved, after some were shown firing
    assert sent(told, now({"b"}, {"a"})) and not sent(told, now({"a"}, {"r"}))  # resolves not shown before
    assert not sent(told, now({"a"}, {"x"}), send_resolved=False)  # ... unless send_resolved is off
    assert sent(told, now({"a"}, held="other"), behind=True) and not sent(
        told, now({"a"}, held="d"), behind=True
    )
    flush.repeat = True  # a repeat_interval re-notification: sent again
    assert sent(told, now({"a"}))


def test_the_cli_history_shows_what_each_webhook_was_sent_and_its_failures() -> None:
    from alertrouter.cli import _history_line

    w = World()
    w.hooks.fail[ONE] = [NotifyError("HTTP 404: gone", retryable=False, code="http_404")]
    w.fire("DiskFull", 0)
    lines = [_history_line(e) for e in w.store.history(w.group.key)]
    assert any(line.endswith(f"webhook_failed {ONE} fails http_404") for line in lines)
    assert any(line.endswith(f"webhook      {TWO}: firing, 1 alert(s)") for line in lines)


def test_a_webhook_never_told_of_an_alert_is_not_sent_its_resolve_alone() -> None:
    # As Alertmanager: a notification of resolved alerts only goes to a receiver told something before
    w = World()
    w.hooks.fail[ONE] = [NotifyError("HTTP 404: gone", retryable=False, code="http_404")]
    w.fire("DiskFull", 0)
    w.clock.advance(60)
    w.fire("DiskFull", 2, state="OK")  # resolved, a minute after the webhook refused the firing one
    assert w.hooks.to(ONE) == [] and w.group.webhooks.failed == {}
    assert w.group.webhooks.done[ONE].version == w.group.version

"""A resolve is routed where its alert fired, whatever labels the source's "it is over" event carries (as in
Alertmanager, where a resolved alert is the same label set): the firing message is the one that turns resolved."""

from __future__ import annotations

from alertrouter.models.alert import Status
from support.clock import Clock
from support.fakes import Scheduler, Slack, alert, router
from support.memory_store import MemoryStore

BY_SEVERITY = """
route:
  receiver: team
  group_by: [alertname]
  group_wait: 0s
  send_changes: at_once
  routes:
    - matchers: ['severity="critical"']
      receiver: pager
receivers:
  - name: team
    slack: [{channel: "#team"}]
  - name: pager
    slack: [{channel: "#oncall"}]
"""


def test_a_resolve_whose_labels_changed_resolves_the_group_it_fired_in() -> None:
    store, slack, scheduler, clock = MemoryStore(), Slack(), Scheduler(), Clock()
    r = router(BY_SEVERITY, store, slack, scheduler, clock)
    r.handle(alert("DbFailover", severity="critical"))
    [fired_in] = list(store.groups)
    # the end event says "warning" (a source that lowers the severity of what is over): it would route to #team
    ended = alert("DbFailover", state="OK", minute=5, severity="warning")
    assert ended.labels["severity"] == "warning"
    outcome = r.handle(ended)
    assert outcome.groups == [fired_in]  # no new group in #team, never announced, holding the resolve
    assert list(store.groups) == [fired_in]
    state = store.get_alert(ended.fingerprint)
    assert state is not None and state.status == Status.RESOLVED
    assert (state.labels["severity"], state.severity) == ("critical", "critical")
    assert slack.last_text.startswith("✅ RESOLVED")


def test_a_new_episode_takes_the_labels_it_fires_with() -> None:
    store, slack, scheduler, clock = MemoryStore(), Slack(), Scheduler(), Clock()
    r = router(BY_SEVERITY, store, slack, scheduler, clock)
    r.handle(alert("DbFailover", severity="critical"))
    r.handle(alert("DbFailover", state="OK", minute=5, severity="critical"))
    again = alert("DbFailover", minute=10, severity="warning")
    r.handle(again)
    state = store.get_alert(again.fingerprint)
    assert state is not None and state.labels["severity"] == "warning" and state.status == Status.FIRING
    assert len(store.groups) == 2  # the new episode routes by its own labels: #team

"""The graph in the message, off the text's path: a flush that first posts an episode's message (or tells it
resolved) asks for a graph with an own message on the router's queue (GraphMessage); handling that message
renders the worst firing graphable alert's graph, uploads it once and edits the group's messages so the image
shows (render_group draws it from the group's GraphRef), or posts a fresh graph in each thread on resolve.

Best effort: the attempt is recorded before rendering (an SQS redelivery renders nothing twice); a failed
render or upload is logged, written to the group's history and counted by reason, never retried, and never
touches the text.

Slack calls per image: files.getUploadURLExternal, the upload POST and files.completeUploadExternal, then one
chat.update per channel (firing) or the three upload calls per channel (resolved); CloudWatch's are the
renderer's (alertrouter.graphs.render).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Literal

from alertrouter.flush.env import FlushEnv
from alertrouter.flush.graph_wiring import GraphImage
from alertrouter.flush.lease import new_lease_id
from alertrouter.flush.outcome import Outcome
from alertrouter.flush.slack_view import SlackView
from alertrouter.flush.stage import Flush
from alertrouter.flush.visible import visible_members
from alertrouter.graphs import REASONS
from alertrouter.limits import LEASE_MS
from alertrouter.models.alert import Status
from alertrouter.models.state import AlertState, GraphRef, GroupState
from alertrouter.notify.base import NotifyError
from alertrouter.notify.headline import SEVERITY_ORDER
from alertrouter.notify.render import render_group
from alertrouter.observability import ROUTER, module_logger
from alertrouter.own_messages import GraphMessage
from alertrouter.store.base import LeaseHeldError
from alertrouter.store.group_item import with_progress

logger = module_logger(ROUTER, __name__)

Phase = Literal["firing", "resolved", "show"]
# why a graph is missing: the renderer's reasons (alertrouter.graphs.REASONS), and ours
RENDER_ERROR = "render_error"  # a renderer failure without one of those reasons
UPLOAD_FAILED = "upload_failed"
# The request waits a moment on the queue: the flush asking for it still holds the group's lease.
ASK_DELAY_S = 2
BUSY_DELAY_S = 5  # asked again this much later when a flush holds the group
# Slack completes an upload asynchronously: an image block naming a file it is still processing is refused
# (invalid_blocks) for a few seconds (https://github.com/slackapi/python-slack-sdk/issues/1521,
# https://github.com/slackapi/slack-github-action/issues/413). The edit is tried once more this much later.
SHOW_AGAIN_S = 15
NOT_SHOWN = "not_shown"  # the messages refused the image twice


def _wanted(group: GroupState | None, episode: int, phase: Phase, uploaded: GraphRef | None = None) -> bool:
    """Still to do: the same episode, its message posted, this phase not attempted yet (a "show" with an
    upload: its attempt marked; without: the upload recorded)."""
    if group is None or group.episode != episode or not group.slack.ts:
        return False
    graph = group.slack.graph
    if phase == "firing":
        return graph is None or graph.episode != episode
    if graph is None or graph.episode != episode:
        return False
    if phase == "show":
        return bool(graph.file_id) or uploaded is not None
    return bool(graph.file_id) and not graph.resolved


def failure_reason(exc: Exception) -> str:
    reason = getattr(exc, "reason", "")
    return reason if reason in REASONS else RENDER_ERROR


class AskForGraph:
    """Stage (after Slack): ask for the episode's graph when its message was first posted in this flush, or
    for a fresh one in the threads when this flush told the group resolved and the episode has a graph."""

    def __init__(self, env: FlushEnv) -> None:
        self.env = env

    def run(self, flush: Flush) -> None:
        wiring = self.env.graphs
        if wiring is None or self.env.slack is None or not flush.receiver.slack:
            return
        group = flush.group
        graph = group.slack.graph
        phase: Phase
        if flush.all_resolved:
            if graph is None or graph.episode != group.episode or not graph.file_id or graph.resolved:
                return
            phase = "resolved"
        else:
            # first posted now: no message before this flush, one (at least) posted by it
            if group.slack.ts or not flush.outcome.posts:
                return
            if (graph is not None and graph.episode == group.episode) or not self._any_graphable(group):
                return
            phase = "firing"
        try:
            wiring.request(GraphMessage(group=group.key, episode=group.episode, phase=phase), ASK_DELAY_S)
        except Exception:  # noqa: BLE001 - a graph is best effort: its request never fails the flush
            logger.warning("graph not requested", extra={"group": group.key}, exc_info=True)
            _count_failure(flush.outcome, "request_failed")

    def _any_graphable(self, group: GroupState) -> bool:
        assert self.env.graphs is not None
        firing = [fp for fp, m in group.members.items() if m.status == Status.FIRING]
        if not firing:
            return False
        try:
            states = self.env.alerts.get_alerts(firing)
        except Exception:  # noqa: BLE001 - best effort (the flush's Slack work is done)
            logger.warning("alerts not read for a graph", extra={"group": group.key}, exc_info=True)
            return False
        return any(self.env.graphs.graphable(s.source, s.labels) for s in states.values())


class GraphDelivery:
    """Carries out a GraphMessage. The group's lease is held only for a moment at a time (to mark the attempt,
    then to record the upload and edit the messages), never while CloudWatch draws or Slack takes the file:
    a flush that meets the lease (a critical alert joining the group: its SMS) waits for a write, not for
    seconds of graph."""

    def __init__(self, env: FlushEnv) -> None:
        self.env = env
        self.view = SlackView(env)

    def run(self, key: str, episode: int, phase: Phase, uploaded: GraphRef | None = None) -> Outcome:
        """`uploaded`: for "show", an upload done while a flush held the group, to record before showing."""
        outcome = Outcome()
        group = self.env.groups.get_group(key)
        if self.env.graphs is None or self.env.slack is None or not _wanted(group, episode, phase, uploaded):
            return outcome
        if phase == "show":
            self._attach(key, episode, uploaded, outcome, last_try=uploaded is None)
            return outcome
        # the attempt, marked first: a redelivery of this message renders nothing again
        marked = self._under_lease(key, episode, phase, None, self._mark)
        if marked is None:
            return outcome
        now = self.env.now_ms()
        if phase == "firing":
            ref = self._draw_and_upload(marked, now, outcome)
            if ref is not None:
                self._attach(key, episode, ref, outcome, last_try=False)
        else:
            self._resolved(marked, now, outcome)
        return outcome

    def _under_lease(
        self,
        key: str,
        episode: int,
        phase: Phase,
        uploaded: GraphRef | None,
        action: Callable[[GroupState, str, Phase], GroupState | None],
    ) -> GroupState | None:
        """`action` on the group under its lease (still wanted); None when a flush holds it (then the message
        is asked again a little later, with the upload it carries) or it is no longer wanted."""
        assert self.env.graphs is not None
        lease = new_lease_id()
        try:
            group = self.env.leases.claim(key, lease, self.env.now_ms(), LEASE_MS)
        except LeaseHeldError:
            again = GraphMessage(group=key, episode=episode, phase=phase)
            if uploaded is not None:
                again = again.model_copy(
                    update={
                        "file_id": uploaded.file_id,
                        "title": uploaded.title,
                        "alt_text": uploaded.alt_text,
                    }
                )
            self.env.graphs.request(again, BUSY_DELAY_S)
            return None
        try:
            return action(group, lease, phase) if _wanted(group, episode, phase, uploaded) else None
        finally:
            self.env.leases.release(key, lease, {}, 0, claimed_version=None)

    def _mark(self, group: GroupState, lease: str, phase: Phase) -> GroupState:
        if phase == "firing":
            return self._record(group, lease, GraphRef(episode=group.episode))
        assert group.slack.graph is not None
        return self._record(group, lease, group.slack.graph.model_copy(update={"resolved": True}))

    def _record(self, group: GroupState, lease: str, graph: GraphRef) -> GroupState:
        changes: dict[str, Any] = {"slack_graph": graph.model_dump()}
        self.env.leases.save_progress(group.key, lease, {"slack_graph": changes["slack_graph"]})
        return with_progress(group, changes)

    def _draw_and_upload(self, group: GroupState, now: int, outcome: Outcome) -> GraphRef | None:
        """The episode's graph drawn and uploaded privately (no lease held); None when there is none."""
        assert self.env.slack is not None
        state = self._worst(group, firing_only=True)
        if state is None:
            return None
        graph = self._render(group, state, None, now, outcome)
        if graph is None:
            return None
        try:
            file_id = self.env.slack.upload_file(graph.png, _filename(state), graph.title, graph.alt_text)
        except NotifyError as exc:
            self._failed(group, UPLOAD_FAILED, str(exc), outcome)
            return None
        outcome.graphs += 1
        self.env.history(group.key, "graph_posted", {"file": file_id, "alert": state.fingerprint})
        return GraphRef(episode=group.episode, file_id=file_id, title=graph.title, alt_text=graph.alt_text)

    def _attach(
        self, key: str, episode: int, uploaded: GraphRef | None, outcome: Outcome, *, last_try: bool
    ) -> None:
        """Under the lease: record the upload (if not yet) and edit every channel's message to show it. Slack
        refusing the image (the file still processing) is tried once more, SHOW_AGAIN_S later."""

        def show(group: GroupState, lease: str, phase: Phase) -> GroupState:
            if uploaded is not None and (
                group.slack.graph is None or group.slack.graph.file_id != uploaded.file_id
            ):
                group = self._record(group, lease, uploaded)
            if not self._show(group, self.env.now_ms(), outcome):
                return group
            assert self.env.graphs is not None
            if last_try:
                self._failed(group, NOT_SHOWN, "Slack refused the image block again", outcome)
            else:
                self.env.graphs.request(GraphMessage(group=key, episode=episode, phase="show"), SHOW_AGAIN_S)
            return group

        self._under_lease(key, episode, "show", uploaded, show)

    def _resolved(self, group: GroupState, now: int, outcome: Outcome) -> None:
        """A fresh graph in each channel's thread (no lease held: nothing of the group is written)."""
        assert self.env.slack is not None
        state = self._worst(group, firing_only=False)
        if state is None:
            return
        resolved_ms = state.ts_ms if state.status == Status.RESOLVED else now
        graph = self._render(group, state, resolved_ms, now, outcome)
        if graph is None:
            return
        for channel, ts in group.slack.ts.items():
            channel_id = group.slack.channels.get(channel, channel)
            try:
                self.env.slack.upload_file(
                    graph.png,
                    _filename(state),
                    graph.title,
                    graph.alt_text,
                    channel_id=channel_id,
                    thread_ts=ts,
                )
            except NotifyError as exc:
                self._failed(group, UPLOAD_FAILED, str(exc), outcome, channel=channel)
                continue
            outcome.graphs += 1
            self.env.history(group.key, "graph_resolved_posted", {"channel": channel})

    def _worst(self, group: GroupState, *, firing_only: bool) -> AlertState | None:
        """The worst (then longest firing) graphable member's alert state; None when no member is."""
        assert self.env.graphs is not None
        fingerprints = [fp for fp, m in group.members.items() if not firing_only or m.status == Status.FIRING]
        states = self.env.alerts.get_alerts(fingerprints) if fingerprints else {}
        graphable = [s for s in states.values() if self.env.graphs.graphable(s.source, s.labels)]
        if not graphable:
            return None
        return min(
            graphable,
            key=lambda s: (
                s.status != Status.FIRING,
                SEVERITY_ORDER.get(s.severity, len(SEVERITY_ORDER)),
                s.starts_at_ms,
            ),
        )

    def _render(
        self, group: GroupState, state: AlertState, resolved_ms: int | None, now: int, outcome: Outcome
    ) -> GraphImage | None:
        assert self.env.graphs is not None
        try:
            return self.env.graphs.source.graph_for(
                state, fired_ms=state.starts_at_ms, resolved_ms=resolved_ms, now_ms=now
            )
        except Exception as exc:  # noqa: BLE001 - a graph is best effort: whatever the renderer raises
            self._failed(group, failure_reason(exc), str(exc), outcome)
            return None

    def _failed(self, group: GroupState, reason: str, detail: str, outcome: Outcome, **extra: str) -> None:
        logger.warning(
            "graph not shown", extra={"group": group.key, "reason": reason, "detail": detail, **extra}
        )
        self.env.history(group.key, "graph_failed", {"reason": reason, "detail": detail[:300], **extra})
        _count_failure(outcome, reason)

    def _show(self, group: GroupState, now: int, outcome: Outcome) -> bool:
        """Edit every channel's message so the image shows (a refused edit is left: the next edit shows it).
        Returns whether Slack refused the image block itself (the file still being processed)."""
        assert self.env.slack is not None
        clicks = self.env.groups.get_clicks(group.key)
        if clicks is not None:
            group = group.model_copy(update={"clicks": clicks})
        visible = group.model_copy(update={"members": visible_members(group)})
        message = render_group(visible, now, self.env.wording)
        own = self.view.configured_channels(group)
        refused_image = False
        for channel, ts in group.slack.ts.items():
            channel_id = group.slack.channels.get(channel, channel)
            self.env.slack.learn(channel, channel_id)
            shown = self.view.shown(visible, message, group.slack.failed, channel, channel not in own, now)
            try:
                self.env.slack.update(channel_id, ts, shown)
            except NotifyError as exc:
                refused_image = refused_image or exc.code == "invalid_blocks"
                logger.warning(
                    "graph not shown in a channel",
                    extra={"group": group.key, "channel": channel, "reason": str(exc)},
                )
                continue
            outcome.updates += 1
        return refused_image


def _count_failure(outcome: Outcome, reason: str) -> None:
    outcome.graph_failures[reason] = outcome.graph_failures.get(reason, 0) + 1


def _filename(state: AlertState) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", state.labels.get("alertname") or state.title)[:80].strip("-")
    return f"{name or 'graph'}.png"
